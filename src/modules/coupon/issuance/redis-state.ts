import { createHash } from 'node:crypto';
import { defineLua, type LuaScript, type Redis } from '../../../platform/redis.ts';
import type { Grant } from '../coupon-repository.ts';
import type { IssueRefusal } from '../errors.ts';

/** Every key of one campaign shares the hash tag `{c:<id>}`: one Cluster slot, so one script sees them all. */
export function campaignKeys(campaignId: string) {
  const base = `cpn:{c:${campaignId}}`;
  return {
    /** hash: start, end (ms, issue window), perUser, total, exp (ms, when these keys expire) */
    meta: `${base}:meta`,
    /** string: units left */
    stock: `${base}:stock`,
    /** hash: userId → how many this user was granted */
    users: `${base}:users`,
    /** hash: couponId → "userId|seq|unit|issuedAtMs", every grant */
    grants: `${base}:grants`,
    /** stream: one entry per grant, read by the relay that publishes to Kafka */
    stream: `${base}:stream`,
    /** hash: address → issue requests in second <s> (the per-address limit, counted by the script) */
    rate: (second: number) => `${base}:rl:${second}`,
    idem: (userId: string, key: string) =>
      `${base}:idem:${userId}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`,
  };
}

/** Best-effort per-user index of grants not yet known stored, so checkout can use them at once. */
export const pendingKey = (userId: string) => `cpn:{u:${userId}}:pending`;

// One script decides an issue: replay of an Idempotency-Key, window open, user under the limit,
// stock left; then takes one unit, counts the user and records the grant in the hash and the stream.
// Redis's own clock (TIME) so every api process agrees on the window. Nothing to compensate: the
// unit is taken only when every check passed.
// First of all it counts the request against the per-address limit (RATE_LIMIT_IP_PER_SECOND, per
// address and campaign, KEYS[7] = this second's hash) instead of a separate Redis call per request.
const ISSUE = `
if ARGV[5] ~= '' then
  local n = redis.call('HINCRBY', KEYS[7], ARGV[5], 1)
  if n == 1 and redis.call('PTTL', KEYS[7]) < 0 then redis.call('PEXPIRE', KEYS[7], 2000) end
  if n > tonumber(ARGV[6]) then return {'LIMITED'} end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local useIdem = ARGV[4] == '1'
if useIdem then
  local prev = redis.call('GET', KEYS[6])
  if prev then return {'REPLAY', prev} end
end
local meta = redis.call('HMGET', KEYS[1], 'start', 'end', 'perUser', 'total', 'exp')
if not meta[1] then return {'NOT_LOADED'} end
local result
if now < tonumber(meta[1]) or now >= tonumber(meta[2]) then
  result = 'NOT_ISSUING'
elseif tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0') >= tonumber(meta[3]) then
  result = 'LIMIT_REACHED'
elseif tonumber(redis.call('GET', KEYS[2]) or '0') <= 0 then
  result = 'SOLD_OUT'
else
  local left = redis.call('DECR', KEYS[2])
  local unit = tonumber(meta[4]) - left
  local seq = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
  local grant = ARGV[1] .. '|' .. seq .. '|' .. unit .. '|' .. now
  redis.call('HSET', KEYS[4], ARGV[2], grant)
  redis.call('XADD', KEYS[5], '*', 'c', ARGV[2], 'g', grant)
  redis.call('PEXPIREAT', KEYS[3], meta[5])
  redis.call('PEXPIREAT', KEYS[4], meta[5])
  redis.call('PEXPIREAT', KEYS[5], meta[5])
  result = 'ISSUED:' .. ARGV[2]
end
if useIdem then redis.call('SET', KEYS[6], result, 'PX', ARGV[3]) end
return {result}
`;

// The per-user pending index (its own slot): add the grant and push the set's expiry, one command.
const PENDING = `
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;
const PENDING_TTL_MS = 3 * 24 * 3600 * 1000;

// Loads a campaign's issue state unless it is there already (a live state always wins over a rebuild).
const LOAD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[1], 'start', ARGV[1], 'end', ARGV[2], 'perUser', ARGV[3], 'total', ARGV[4], 'exp', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[6])
redis.call('PEXPIREAT', KEYS[2], ARGV[6])
return 1
`;

// Ends the issue window now (if it ends later), when the campaign's state is loaded.
const STOP = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(redis.call('HGET', KEYS[1], 'end')) > now then redis.call('HSET', KEYS[1], 'end', now) end
return 1
`;

export type IssueOutcome =
  | { kind: 'ISSUED'; couponId: string; replayed: boolean }
  | { kind: 'REFUSED'; reason: IssueRefusal; replayed: boolean }
  | { kind: 'NOT_LOADED' }
  | { kind: 'LIMITED' };

/** The request's address, counted against its per-second limit by the issue script ('' counts nothing). */
export interface IssueAddress {
  ip: string;
  perSecond: number;
}

export interface CampaignLoad {
  campaignId: string;
  issueStartsAt: Date;
  issueEndsAt: Date;
  perUserLimit: number;
  totalQuantity: number;
  stock: number;
  expiresAt: Date;
}

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
const REFUSALS: ReadonlySet<string> = new Set(['SOLD_OUT', 'LIMIT_REACHED', 'NOT_ISSUING']);

export function formatGrantValue(g: Omit<Grant, 'couponId' | 'campaignId'>): string {
  return `${g.userId}|${g.seq}|${g.unit}|${g.issuedAt.getTime()}`;
}

/** Parses "userId|seq|unit|ms" as written by the issue script; null when malformed. */
export function parseGrant(campaignId: string, couponId: string, value: string): Grant | null {
  const [userId, seq, unit, ms] = value.split('|');
  if (userId === undefined || seq === undefined || unit === undefined || ms === undefined) return null;
  const g = {
    couponId,
    campaignId,
    userId,
    seq: Number(seq),
    unit: Number(unit),
    issuedAt: new Date(Number(ms)),
  };
  return Number.isSafeInteger(g.seq) && Number.isSafeInteger(g.unit) && !Number.isNaN(g.issuedAt.getTime())
    ? g
    : null;
}

/** The Redis side of issuance: the hot path (one script call) and the state it keeps per campaign. */
export class IssueState {
  readonly #redis: Redis;
  readonly #issue: LuaScript<string[]>;
  readonly #load: LuaScript<number>;
  readonly #stop: LuaScript<number>;
  readonly #pending: LuaScript<number>;

  constructor(redis: Redis) {
    this.#redis = redis;
    this.#issue = defineLua<string[]>(redis, 'qtCouponIssue', 7, ISSUE);
    this.#load = defineLua<number>(redis, 'qtCouponLoad', 2, LOAD);
    this.#stop = defineLua<number>(redis, 'qtCouponStop', 1, STOP);
    this.#pending = defineLua<number>(redis, 'qtCouponPending', 1, PENDING);
  }

  async issue(
    campaignId: string,
    userId: string,
    couponId: string,
    idempotencyKey?: string,
    from: IssueAddress = { ip: '', perSecond: 0 },
  ): Promise<IssueOutcome> {
    const k = campaignKeys(campaignId);
    const useIdem = idempotencyKey !== undefined;
    const idemKey = useIdem ? k.idem(userId, idempotencyKey) : `${k.meta}:no-idem`;
    const reply = await this.#issue(
      [k.meta, k.stock, k.users, k.grants, k.stream, idemKey, k.rate(Math.floor(Date.now() / 1000))],
      [userId, couponId, IDEMPOTENCY_TTL_MS, useIdem ? '1' : '0', from.ip, from.perSecond],
    );
    const replayed = reply[0] === 'REPLAY';
    const result = replayed ? reply[1] : reply[0];
    if (result === 'NOT_LOADED') return { kind: 'NOT_LOADED' };
    if (result === 'LIMITED') return { kind: 'LIMITED' };
    if (result?.startsWith('ISSUED:')) return { kind: 'ISSUED', couponId: result.slice(7), replayed };
    if (result !== undefined && REFUSALS.has(result))
      return { kind: 'REFUSED', reason: result as IssueRefusal, replayed };
    throw new Error(`unexpected coupon issue script reply ${JSON.stringify(reply)}`);
  }

  /** True when this call loaded the state, false when it was already there. */
  async load(c: CampaignLoad): Promise<boolean> {
    const k = campaignKeys(c.campaignId);
    const loaded = await this.#load(
      [k.meta, k.stock],
      [
        c.issueStartsAt.getTime(),
        c.issueEndsAt.getTime(),
        c.perUserLimit,
        c.totalQuantity,
        Math.max(0, c.stock),
        c.expiresAt.getTime(),
      ],
    );
    return loaded === 1;
  }

  /** Closes the issue window now. */
  async stop(campaignId: string): Promise<void> {
    await this.#stop([campaignKeys(campaignId).meta], []);
  }

  async isLoaded(campaignId: string): Promise<boolean> {
    return (await this.#redis.exists(campaignKeys(campaignId).meta)) === 1;
  }

  /** Units left, null when the state is not in Redis. */
  async remaining(campaignId: string): Promise<number | null> {
    const k = campaignKeys(campaignId);
    const [meta, stock] = await Promise.all([this.#redis.exists(k.meta), this.#redis.get(k.stock)]);
    return meta === 1 && stock !== null ? Number(stock) : null;
  }

  async grantCount(campaignId: string): Promise<number> {
    return this.#redis.hlen(campaignKeys(campaignId).grants);
  }

  async grant(campaignId: string, couponId: string): Promise<Grant | null> {
    const v = await this.#redis.hget(campaignKeys(campaignId).grants, couponId);
    return v === null ? null : parseGrant(campaignId, couponId, v);
  }

  /** Every grant of a campaign, scanned in chunks. */
  async *grants(campaignId: string): AsyncGenerator<Grant[]> {
    const key = campaignKeys(campaignId).grants;
    let cursor = '0';
    do {
      const [next, flat] = await this.#redis.hscan(key, cursor, 'COUNT', 1000);
      cursor = next;
      const batch: Grant[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const g = parseGrant(campaignId, flat[i] as string, flat[i + 1] as string);
        if (g !== null) batch.push(g);
      }
      if (batch.length > 0) yield batch;
    } while (cursor !== '0');
  }

  /**
   * Rewrites grants and per-user counts known to PostgreSQL into Redis before a rebuild loads the
   * meta. Idempotent (HSET of fixed values), so two processes rebuilding at once agree.
   */
  async restoreGrants(campaignId: string, grants: readonly Grant[], expiresAt: Date): Promise<void> {
    const k = campaignKeys(campaignId);
    const perUser = new Map<string, number>();
    for (const g of grants) perUser.set(g.userId, Math.max(perUser.get(g.userId) ?? 0, g.seq));
    for (let i = 0; i < grants.length; i += 1000) {
      const chunk = grants.slice(i, i + 1000);
      await this.#redis.hset(
        k.grants,
        Object.fromEntries(chunk.map((g) => [g.couponId, formatGrantValue(g)])),
      );
    }
    const users = [...perUser.entries()];
    for (let i = 0; i < users.length; i += 1000) {
      await this.#redis.hset(k.users, Object.fromEntries(users.slice(i, i + 1000)));
    }
    await Promise.all([k.grants, k.users].map((key) => this.#redis.pexpireat(key, expiresAt.getTime())));
  }

  async addPending(userId: string, campaignId: string, couponId: string): Promise<void> {
    await this.#pending([pendingKey(userId)], [`${campaignId}:${couponId}`, PENDING_TTL_MS]);
  }

  /** The user's grants that may not be stored yet: [campaignId, couponId] pairs. */
  async pendingOf(userId: string): Promise<Array<{ campaignId: string; couponId: string; member: string }>> {
    const members = await this.#redis.smembers(pendingKey(userId));
    return members.flatMap((member) => {
      const [campaignId, couponId] = member.split(':');
      return campaignId !== undefined && couponId !== undefined ? [{ campaignId, couponId, member }] : [];
    });
  }

  async clearPending(userId: string, members: readonly string[]): Promise<void> {
    if (members.length > 0) await this.#redis.srem(pendingKey(userId), ...members);
  }
}
