import type { Role, TokenService } from '../../platform/tokens.ts';
import { normaliseEmail, verifyPassword } from './accounts.ts';
import { IdentityErrors } from './errors.ts';
import type { RefreshTokenRepository } from './refresh-token-repository.ts';
import type { UserRepository } from './user-repository.ts';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; role: Role };
}

// Verifying against a real hash when the email is unknown keeps the timing of both failures alike.
const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J0q3yq5e8Qv2uBf1Ptq0ZQ1W6QJm3vWq2x9c8E0b0bY';

export async function login(
  users: UserRepository,
  refreshTokens: RefreshTokenRepository,
  tokens: TokenService,
  email: string,
  password: string,
): Promise<TokenPair> {
  const found = await users.findCredentials(normaliseEmail(email));
  const ok = await verifyPassword(found?.password_hash ?? DUMMY_HASH, password).catch(() => false);
  if (found === undefined || !ok) throw IdentityErrors.invalidCredentials();
  const refresh = await refreshTokens.issue(found.id);
  return pair(tokens, { id: found.id, role: found.role }, refresh.token);
}

export async function refresh(
  users: UserRepository,
  refreshTokens: RefreshTokenRepository,
  tokens: TokenService,
  presented: string,
): Promise<TokenPair> {
  const { outcome, next } = await refreshTokens.rotate(presented);
  if (outcome.kind === 'reused') throw IdentityErrors.refreshTokenReused();
  if (outcome.kind === 'invalid' || next === undefined) throw IdentityErrors.invalidRefreshToken();
  const user = await users.findById(outcome.userId);
  if (user === undefined) throw IdentityErrors.invalidRefreshToken();
  return pair(tokens, user, next.token);
}

async function pair(
  tokens: TokenService,
  user: { id: string; role: Role },
  refreshToken: string,
): Promise<TokenPair> {
  const accessToken = await tokens.signAccess({ userId: user.id, role: user.role });
  return {
    accessToken,
    refreshToken,
    expiresIn: tokens.accessTtlSeconds,
    user: { id: user.id, role: user.role },
  };
}
