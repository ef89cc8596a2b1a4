import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IdentityDb } from './tables.ts';

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
}

export type RotationOutcome =
  | { kind: 'rotated'; userId: string; familyId: string }
  | { kind: 'invalid' }
  | { kind: 'reused' };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Opaque tokens `<id>.<secret>`; only a hash of the secret is stored. */
export class RefreshTokenRepository {
  readonly #db: IdentityDb;
  readonly #ttlSeconds: number;

  constructor(db: IdentityDb, ttlSeconds: number) {
    this.#db = db;
    this.#ttlSeconds = ttlSeconds;
  }

  async issue(userId: string, familyId: string = randomUUID(), db = this.#db): Promise<IssuedRefreshToken> {
    const id = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    await db
      .insertInto('refresh_tokens')
      .values({
        id,
        family_id: familyId,
        user_id: userId,
        token_hash: sha256(secret),
        expires_at: new Date(Date.now() + this.#ttlSeconds * 1000),
        used_at: null,
        revoked_at: null,
      })
      .execute();
    return { token: `${id}.${secret}`, familyId };
  }

  /**
   * Marks the presented token used in the same transaction that checks it, so two concurrent
   * refreshes with one token cannot both rotate: the loser sees `used_at` set and revokes the family.
   */
  async rotate(token: string): Promise<{ outcome: RotationOutcome; next?: IssuedRefreshToken }> {
    const parsed = parse(token);
    if (parsed === null) return { outcome: { kind: 'invalid' } };
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('id', '=', parsed.id)
        .forUpdate()
        .executeTakeFirst();
      if (row === undefined || !sameHash(row.token_hash, sha256(parsed.secret)))
        return { outcome: { kind: 'invalid' } };
      if (row.used_at !== null || row.revoked_at !== null) {
        await trx
          .updateTable('refresh_tokens')
          .set({ revoked_at: new Date() })
          .where('family_id', '=', row.family_id)
          .where('revoked_at', 'is', null)
          .execute();
        return { outcome: { kind: 'reused' } };
      }
      if (row.expires_at.getTime() <= Date.now()) return { outcome: { kind: 'invalid' } };
      await trx.updateTable('refresh_tokens').set({ used_at: new Date() }).where('id', '=', row.id).execute();
      const next = await this.issue(row.user_id, row.family_id, trx);
      return { outcome: { kind: 'rotated', userId: row.user_id, familyId: row.family_id }, next };
    });
  }

  /** Logout: the family of the presented token, or every family of the user when none is given. */
  async revoke(userId: string, token?: string): Promise<void> {
    let query = this.#db
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    const parsed = token === undefined ? null : parse(token);
    if (parsed !== null) {
      const row = await this.#db
        .selectFrom('refresh_tokens')
        .select('family_id')
        .where('id', '=', parsed.id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (row === undefined) return;
      query = query.where('family_id', '=', row.family_id);
    }
    await query.execute();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function parse(token: string): { id: string; secret: string } | null {
  const dot = token.indexOf('.');
  if (dot < 0) return null;
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  return UUID.test(id) && secret.length > 0 ? { id, secret } : null;
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
