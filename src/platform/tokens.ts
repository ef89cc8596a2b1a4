import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

export type Role = 'BUYER' | 'SELLER' | 'ADMIN';
export const ROLES: readonly Role[] = ['BUYER', 'SELLER', 'ADMIN'];

export interface Principal {
  userId: string;
  role: Role;
}

const ISSUER = 'queueticket';

/**
 * HS256 JWTs. Access tokens carry `sub` + `role`; other token kinds (admission) use their own
 * audience so one can never stand in for the other.
 */
export class TokenService {
  readonly #key: Uint8Array;
  readonly #accessTtlSeconds: number;

  constructor(secret: string, accessTtlSeconds: number) {
    this.#key = new TextEncoder().encode(secret);
    this.#accessTtlSeconds = accessTtlSeconds;
  }

  get accessTtlSeconds(): number {
    return this.#accessTtlSeconds;
  }

  signAccess(principal: Principal, ttlSeconds = this.#accessTtlSeconds): Promise<string> {
    return this.sign({ role: principal.role }, principal.userId, 'access', ttlSeconds);
  }

  async verifyAccess(token: string): Promise<Principal | null> {
    const claims = await this.verify(token, 'access');
    if (claims === null) return null;
    const role = claims.role;
    if (typeof claims.sub !== 'string' || !ROLES.includes(role as Role)) return null;
    return { userId: claims.sub, role: role as Role };
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
