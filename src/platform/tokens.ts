import { createSecretKey, type KeyObject } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { type Claims, verifyHs256 } from './hs256.ts';

export type Role = 'BUYER' | 'SELLER' | 'ADMIN';
export const ROLES: readonly Role[] = ['BUYER', 'SELLER', 'ADMIN'];

export interface Principal {
  userId: string;
  role: Role;
}

const ISSUER = 'queueticket';
// Verified tokens are remembered until they expire: queue polls, SSE reconnects and holds present
// the same token many times a minute, and a repeat then costs one Map lookup instead of an HMAC check.
const VERIFIED_CACHE_SIZE = 100_000;

/**
 * Verified tokens by their full text (a Map lookup: no hash of the token, unlike fast-jwt's own cache,
 * which costs a SHA-256 per lookup), valid until the token's `exp`. Bounded: the oldest entry goes
 * first. Only successful verifications are kept, so a bad token is always checked again.
 */
class VerifiedCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAtMs: number }>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(token: string, now: number): V | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (now < entry.expiresAtMs) return entry.value;
    this.#entries.delete(token);
    return undefined;
  }

  set(token: string, value: V, expiresAtMs: number): void {
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { value, expiresAtMs });
  }
}

/**
 * HS256 JWTs, synchronous: signed by fast-jwt, verified by hs256.ts (every request's check, ~2× cheaper
 * than fast-jwt's general verifier for unseen tokens on the join hot path), with a bounded cache of
 * verified tokens in front. Access tokens carry `sub` + `role`; other token kinds (admission) use their
 * own audience so one can never stand in for the other.
 */
export class TokenService {
  readonly #secret: Buffer;
  readonly #accessTtlSeconds: number;
  readonly #sign: (payload: Record<string, unknown>) => string;
  readonly #key: KeyObject;
  readonly #verified = new Map<string, VerifiedCache<Claims>>();
  readonly #principals = new VerifiedCache<Principal>(VERIFIED_CACHE_SIZE);

  constructor(secret: string, accessTtlSeconds: number) {
    this.#secret = Buffer.from(secret, 'utf8');
    this.#key = createSecretKey(this.#secret);
    this.#accessTtlSeconds = accessTtlSeconds;
    this.#sign = createSigner({ key: this.#secret, algorithm: 'HS256', noTimestamp: true });
  }

  get accessTtlSeconds(): number {
    return this.#accessTtlSeconds;
  }

  signAccess(principal: Principal, ttlSeconds = this.#accessTtlSeconds): Promise<string> {
    return this.sign({ role: principal.role }, principal.userId, 'access', ttlSeconds);
  }

  async verifyAccess(token: string): Promise<Principal | null> {
    return this.verifyAccessSync(token);
  }

  /** The principal of a valid access token, or null; a repeat of a verified token is one Map lookup. */
  verifyAccessSync(token: string): Principal | null {
    const now = Date.now();
    return this.#principals.get(token, now) ?? this.#verifyAccess(token, token, now);
  }

  /**
   * The principal of an `Authorization: Bearer <token>` header: remembered by the header's own text, so
   * a repeat is one Map lookup of a string the HTTP parser made (flat, hashed fast) without cutting the
   * token out first. undefined when the header holds no token, null when the token is not valid.
   */
  verifyBearerSync(header: string): Principal | null | undefined {
    const now = Date.now();
    const cached = this.#principals.get(header, now);
    if (cached !== undefined) return cached;
    const token = header.slice(7).trim();
    if (token === '') return undefined;
    return this.#verifyAccess(token, header, now);
  }

  #verifyAccess(token: string, cacheKey: string, now: number): Principal | null {
    const claims = verifyHs256(token, this.#key, ISSUER, 'access', now);
    if (claims === null) return null;
    const role = claims.role;
    if (typeof claims.sub !== 'string' || !ROLES.includes(role as Role)) return null;
    // shared by every request presenting this token: frozen so no caller can change it for the others
    const principal: Principal = Object.freeze({ userId: claims.sub, role: role as Role });
    this.#principals.set(cacheKey, principal, expiryMs(claims));
    return principal;
  }

  async sign(
    claims: Record<string, unknown>,
    subject: string,
    audience: string,
    ttlSeconds: number,
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return this.#sign({
      ...claims,
      sub: subject,
      iss: ISSUER,
      aud: audience,
      iat: now,
      exp: now + ttlSeconds,
    });
  }

  /** Null for any invalid, expired or foreign token: callers turn that into their own error code. */
  async verify(token: string, audience: string): Promise<Claims | null> {
    return this.verifySync(token, audience);
  }

  verifySync(token: string, audience: string): Claims | null {
    let cache = this.#verified.get(audience);
    if (cache === undefined) {
      cache = new VerifiedCache<Claims>(VERIFIED_CACHE_SIZE);
      this.#verified.set(audience, cache);
    }
    const cached = cache.get(token, Date.now());
    if (cached !== undefined) return cached;
    const claims = this.#check(token, audience);
    if (claims !== null) cache.set(token, Object.freeze(claims), expiryMs(claims));
    return claims;
  }

  /** The full check (signature, issuer, audience, expiry, required claims), no cache. */
  #check(token: string, audience: string): Claims | null {
    return verifyHs256(token, this.#key, ISSUER, audience, Date.now());
  }
}

/** When a verified token stops being valid (`exp` is required, in seconds). */
const expiryMs = (claims: Claims): number => (typeof claims.exp === 'number' ? claims.exp * 1000 : 0);
