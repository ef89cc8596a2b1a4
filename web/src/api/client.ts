import { getSession, type Session, sessionFromTokens, setSession } from './session.ts';
import type { Problem, TokenPair } from './types.ts';

/** A problem answer (RFC 9457) or a network failure (status 0, code NETWORK). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? problem.code);
    this.name = 'ApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** send the bearer token (default true when signed in) */
  auth?: boolean;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

let refreshing: Promise<Session | null> | null = null;

/** Exchanges the refresh token once for all callers; a failure signs out. */
export function refreshSession(staleAccessToken?: string): Promise<Session | null> {
  if (refreshing !== null) return refreshing;
  const run = async (): Promise<Session | null> => {
    const session = getSession();
    if (session === null) return null;
    // Another tab (or call) already rotated the pair: use it instead of reusing a spent token.
    if (staleAccessToken !== undefined && session.accessToken !== staleAccessToken) return session;
    const res = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: session.refreshToken }),
    }).catch(() => null);
    if (res === null) return session; // offline: keep the session, try again later
    if (!res.ok) {
      if (res.status === 401 || res.status === 400) setSession(null);
      return null;
    }
    const next = sessionFromTokens((await res.json()) as TokenPair);
    setSession(next);
    return next;
  };
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  const locked: Promise<Session | null> = locks ? locks.request('qt.refresh', run).then((s) => s) : run();
  const pending = locked.finally(() => {
    refreshing = null;
  });
  refreshing = pending;
  return pending;
}

/** An access token good for at least `marginMs` more (refreshing first when needed), or null. */
export async function freshAccessToken(marginMs = 30_000): Promise<string | null> {
  const session = getSession();
  if (session === null) return null;
  if (session.expiresAt - Date.now() > marginMs) return session.accessToken;
  return (await refreshSession(session.accessToken))?.accessToken ?? null;
}

async function send(method: string, path: string, options: RequestOptions, token: string | null) {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  try {
    return await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError({ status: 0, code: 'NETWORK', detail: 'the server could not be reached' });
  }
}

async function problemOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    return new ApiError({ ...body, status: res.status, code: body.code ?? `HTTP_${res.status}` });
  } catch {
    return new ApiError({ status: res.status, code: `HTTP_${res.status}`, detail: text.slice(0, 200) });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The raw response of a successful call (CSV downloads); errors become ApiError. */
export async function requestRaw(method: string, path: string, options: RequestOptions = {}) {
  const useAuth = options.auth ?? true;
  let token = useAuth ? await freshAccessToken(5_000) : null;
  let res = await send(method, path, options, token);
  if (res.status === 401 && useAuth && token !== null) {
    token = (await refreshSession(token))?.accessToken ?? null;
    if (token !== null) res = await send(method, path, options, token);
  }
  // A busy server: 429 says when to come back; reads also ride out a short 502/503/504.
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const transient = method === 'GET' && [502, 503, 504].includes(res.status);
    if (res.status !== 429 && !transient) break;
    const wait = Number(res.headers.get('retry-after') ?? String(attempt * 0.5));
    if (!(wait <= 5) || (res.status === 429 && attempt > 1)) break;
    await sleep(wait * 1000);
    res = await send(method, path, options, token);
  }
  if (!res.ok) throw await problemOf(res);
  return res;
}

/** JSON in and out; an empty answer (204) is undefined. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const res = await requestRaw(method, path, options);
  const text = await res.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const newIdempotencyKey = (): string =>
  typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

export { sessionFromTokens };
