import { defineLua, type LuaScript, type Redis } from '../../../platform/redis.ts';
import type { HaltSnapshot, SalesHaltRecord } from './repository.ts';

/** One small hash (its own slot): `_v` the version, then performanceId → JSON of each halt. */
export const SALES_KEY = 'ops:sales';

/** Replaces the whole copy when the incoming version is newer: 1 written, 0 already as new. */
const REPLACE_LUA = `
local cur = redis.call('HGET', KEYS[1], '_v')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '_v', ARGV[1], unpack(ARGV, 2))
return 1
`;

/**
 * The Redis copy of the kill-switch state that the hot paths read. PostgreSQL is the record: every
 * write here is a whole snapshot of it stamped with its version, applied only over an older one, so
 * concurrent writers (the switch, readers repairing a lost copy, the sync job) converge on the newest.
 */
export class SalesRedisCopy {
  readonly #redis: Redis;
  readonly #replace: LuaScript<number>;

  constructor(redis: Redis) {
    this.#redis = redis;
    this.#replace = defineLua<number>(redis, 'qtOpsSalesReplace', 1, REPLACE_LUA);
  }

  /** Null when Redis has no copy (never written, or lost). */
  async read(): Promise<HaltSnapshot | null> {
    const all = await this.#redis.hgetall(SALES_KEY);
    const version = all._v;
    if (version === undefined) return null;
    const halts: SalesHaltRecord[] = [];
    for (const [field, value] of Object.entries(all)) {
      if (field === '_v') continue;
      try {
        const parsed = JSON.parse(value) as Omit<SalesHaltRecord, 'performanceId' | 'changedAt'> & {
          changedAt: string;
        };
        halts.push({ ...parsed, performanceId: field, changedAt: new Date(parsed.changedAt) });
      } catch {
        halts.push({ performanceId: field, reason: value, changedBy: '', changedAt: new Date(0) });
      }
    }
    return { version: Number(version), halts };
  }

  async write(snapshot: HaltSnapshot): Promise<boolean> {
    const pairs = snapshot.halts.flatMap((h) => [
      h.performanceId,
      JSON.stringify({ reason: h.reason, changedBy: h.changedBy, changedAt: h.changedAt.toISOString() }),
    ]);
    return (await this.#replace([SALES_KEY], [snapshot.version, ...pairs])) === 1;
  }
}
