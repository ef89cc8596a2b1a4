import { request } from './client.ts';
import { sessionFromTokens, setSession } from './session.ts';
import type { TokenPair, User } from './types.ts';

export async function login(email: string, password: string): Promise<void> {
  const pair = await request<TokenPair>('POST', '/api/v1/auth/login', {
    body: { email, password },
    auth: false,
  });
  setSession(sessionFromTokens(pair));
}

export const signup = (input: { email: string; password: string; name: string; role: 'BUYER' | 'SELLER' }) =>
  request<User>('POST', '/api/v1/auth/signup', { body: input, auth: false });

export async function logout(): Promise<void> {
  await request<void>('POST', '/api/v1/auth/logout').catch(() => undefined);
  setSession(null);
}

export const me = () => request<User>('GET', '/api/v1/me');
