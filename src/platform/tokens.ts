import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

export type Role = 'BUYER' | 'SELLER' | 'ADMIN';
export const ROLES: readonly Role[] = ['BUYER', 'SELLER', 'ADMIN'];

export interface Principal {
  userId: string;
  role: Role;
}

const ISSUER = 'queueticket';
const VERIFIED_CACHE_SIZE = 50_000;

interface CachedPrincipal {
  principal: Principal;
  expiresAtMs: number;
}

/**
 * HS256 JWTs. Access tokens carry `sub` + `role`; other token kinds (admission) use their own
 * audience so one can never stand in for the other.
 */
export class TokenService {
  // Imported once: handing jose raw bytes re-imports the key on every call (~40 µs per request).
  readonly #key: KeyObject;
  readonly #accessTtlSeconds: number;
  // Hot paths (queue polls, SSE reconnects) present the same access token many times a minute.
  // A verified token is a pure function of the token string until it expires, so its result is kept
  // (bounded, oldest evicted first) and a repeat costs a Map lookup instead of an HMAC check.
  readonly #verified = new Map<string, CachedPrincipal>();

  constructor(secret: string, accessTtlSeconds: number) {
    this.#key = createSecretKey(Buffer.from(secret, 'utf8'));
    this.#accessTtlSeconds = accessTtlSeconds;
  }

  get accessTtlSeconds(): number {
    return this.#accessTtlSeconds;
  }

  signAccess(principal: Principal, ttlSeconds = this.#accessTtlSeconds): Promise<string> {
    return this.sign({ role: principal.role }, principal.userId, 'access', ttlSeconds);
  }

  async verifyAccess(token: string): Promise<Principal | null> {
    const cached = this.#verified.get(token);
    if (cached !== undefined) {
      if (cached.expiresAtMs > Date.now()) return cached.principal;
      this.#verified.delete(token);
    }
    const claims = await this.verify(token, 'access');
    if (claims === null) return null;
    const role = claims.role;
    if (typeof claims.sub !== 'string' || !ROLES.includes(role as Role)) return null;
    const principal: Principal = { userId: claims.sub, role: role as Role };
    if (typeof claims.exp === 'number') this.#remember(token, principal, claims.exp * 1000);
    return principal;
  }

  #remember(token: string, principal: Principal, expiresAtMs: number): void {
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = this.#verified.keys().next();
      if (!oldest.done) this.#verified.delete(oldest.value);
    }
    this.#verified.set(token, { principal, expiresAtMs });
  }

  sign(
    claims: Record<string, unknown>,
    subject: string,
    audience: string,
    ttlSeconds: number,
  ): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subject)
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.#key);
  }

  /** Null for any invalid, expired or foreign token: callers turn that into their own error code. */
  async verify(
    token: string,
    audience: string,
  ): Promise<(Record<string, unknown> & { sub?: string }) | null> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: ISSUER,
        audience,
        algorithms: ['HS256'],
      });
      return payload as Record<string, unknown> & { sub?: string };
    } catch (e) {
      if (e instanceof joseErrors.JOSEError || e instanceof TypeError) return null;
      throw e;
    }
  }
}
