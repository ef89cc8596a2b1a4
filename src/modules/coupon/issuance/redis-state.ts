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
    /**
     * hash: address → issue requests in second <s>, and `u:<userId>` → the account's (the per-address
     * and per-account limits, counted by the script; same slot as the rest of the campaign)
     */
    rate: (second: number) => `${base}:rl:${second}`,
    idem: (userId: string, key: string) =>
      `${base}:idem:${userId}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`,
  };
}

/** Best-effort per-user index of grants not yet known stored, so checkout can use them at once. */
export const pendingKey = (userId: string) => `cpn:{u:${userId}}:pending`;

// One script decides issues: replay of an Idempotency-Key, window open, user under the limit, stock
// left; then takes one unit, counts the user and records the grant in the hash and the stream. Redis's
// own clock (TIME) so every api process agrees on the window. Nothing to compensate: the unit is taken
// only when every check passed. First of all each request is counted against the per-address limit
// (RATE_LIMIT_IP_PER_SECOND, per address and campaign; KEYS[6] = this second's hash) and against the
// per-account limit (RATE_LIMIT_COUPON_ISSUE_ACCOUNT_PER_SECOND, per account and campaign, field
// `u:<userId>` of the same hash) instead of a separate Redis call per request. A request with ip ''
// is not counted (a retry after NOT_LOADED, counted by its first call; or an internal caller).
// The issue requests of one campaign that reached this process in one event-loop turn come as ONE call
// (IssueState.issue batches them), each decided in arrival order exactly as if it came alone: the
// client-library work, the socket writes and Redis's per-call cost are shared by the batch.
// KEYS meta stock users grants stream rl [idem]; ARGV idemTtlMs ipLimit userLimit, then per request: userId
// couponId ip idemKeyIndex (0: no Idempotency-Key; 7 for the single request that has one). Answers, per request: ISSUED:<couponId> |
// SOLD_OUT | LIMIT_REACHED | NOT_ISSUING | NOT_LOADED | LIMITED | REPLAY|<earlier answer>.
const ISSUE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local meta = redis.call('HMGET', KEYS[1], 'start', 'end', 'perUser', 'total', 'exp')
local loaded = meta[1] ~= false
local open = loaded and now >= tonumber(meta[1]) and now < tonumber(meta[2])
local ipLimit = tonumber(ARGV[2])
local userLimit = tonumber(ARGV[3])
local granted = false
local out = {}
for b = 4, #ARGV, 4 do
  local user, coupon, ip, idem = ARGV[b], ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3])
  local result = false
  if ip ~= '' then
    local n = redis.call('HINCRBY', KEYS[6], ip, 1)
    if n == 1 and redis.call('PTTL', KEYS[6]) < 0 then redis.call('PEXPIRE', KEYS[6], 2000) end
    local u = redis.call('HINCRBY', KEYS[6], 'u:' .. user, 1)
    if n > ipLimit or u > userLimit then result = 'LIMITED' end
  end
  if not result and idem > 0 then
    local prev = redis.call('GET', KEYS[idem])
    if prev then result = 'REPLAY|' .. prev end
  end
  if not result and not loaded then result = 'NOT_LOADED' end
  if not result then
    if not open then
      result = 'NOT_ISSUING'
    elseif tonumber(redis.call('HGET', KEYS[3], user) or '0') >= tonumber(meta[3]) then
      result = 'LIMIT_REACHED'
    elseif tonumber(redis.call('GET', KEYS[2]) or '0') <= 0 then
      result = 'SOLD_OUT'
    else
      local left = redis.call('DECR', KEYS[2])
      local unit = tonumber(meta[4]) - left
      local seq = redis.call('HINCRBY', KEYS[3], user, 1)
      local grant = user .. '|' .. seq .. '|' .. unit .. '|' .. now
      redis.call('HSET', KEYS[4], coupon, grant)
      redis.call('XADD', KEYS[5], '*', 'c', coupon, 'g', grant)
      granted = true
      result = 'ISSUED:' .. coupon
    end
    if idem > 0 then redis.call('SET', KEYS[idem], result, 'PX', ARGV[1]) end
  end
  out[#out + 1] = result
end
if granted then
  redis.call('PEXPIREAT', KEYS[3], meta[5])
  redis.call('PEXPIREAT', KEYS[4], meta[5])
  redis.call('PEXPIREAT', KEYS[5], meta[5])
end
return out
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

/** One issue request: its address is counted against the per-second limit by the script ('' counts nothing). */
export interface IssueRequest {
  userId: string;
  couponId: string;
  idempotencyKey: string | undefined;
  ip: string;
}

interface Waiting {
  req: IssueRequest;
  resolve: (o: IssueOutcome) => void;
  reject: (e: unknown) => void;
}

/** Requests per script call: a call runs alone in Redis, so it stays short (~10 commands a request). */
const MAX_BATCH = 200;

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

function outcomeOf(answer: string | undefined): IssueOutcome {
  const replayed = answer?.startsWith('REPLAY|') === true;
  const result = replayed ? answer?.slice(7) : answer;
  if (result === 'NOT_LOADED') return { kind: 'NOT_LOADED' };
  if (result === 'LIMITED') return { kind: 'LIMITED' };
  if (result?.startsWith('ISSUED:')) return { kind: 'ISSUED', couponId: result.slice(7), replayed };
  if (result !== undefined && REFUSALS.has(result))
    return { kind: 'REFUSED', reason: result as IssueRefusal, replayed };
  throw new Error(`unexpected coupon issue script answer ${JSON.stringify(answer)}`);
}

/** The Redis side of issuance: the hot path (one script call) and the state it keeps per campaign. */
export class IssueState {
  readonly #redis: Redis;
  readonly #issue: LuaScript<string[]>;
  /** The same script for one request carrying an Idempotency-Key (its key is KEYS[7]). */
  readonly #issueKeyed: LuaScript<string[]>;
  readonly #load: LuaScript<number>;
  readonly #stop: LuaScript<number>;
  readonly #pending: LuaScript<number>;
  readonly #ipPerSecond: number;
  readonly #accountPerSecond: number;
  #waiting = new Map<string, Waiting[]>();
  #scheduled = false;

  /**
   * `ipPerSecond`: RATE_LIMIT_IP_PER_SECOND, counted per address and campaign by the issue script;
   * `accountPerSecond`: RATE_LIMIT_COUPON_ISSUE_ACCOUNT_PER_SECOND, per account and campaign, likewise.
   */
  constructor(
    redis: Redis,
    ipPerSecond = Number.MAX_SAFE_INTEGER,
    accountPerSecond = Number.MAX_SAFE_INTEGER,
    /**
     * The connection of the batched issue script: one without auto-pipelining (each call already
     * carries the turn's requests; the shared client would build a pipeline object per call, copying
     * every defined script onto it). The pending-index writes stay on `redis`, with this process's reads.
     */
    batchRedis: Redis = redis,
  ) {
    this.#redis = redis;
    this.#ipPerSecond = ipPerSecond;
    this.#accountPerSecond = accountPerSecond;
    this.#issue = defineLua<string[]>(batchRedis, 'qtCouponIssueMany', 6, ISSUE);
    this.#issueKeyed = defineLua<string[]>(redis, 'qtCouponIssueKeyed', 7, ISSUE);
    this.#load = defineLua<number>(redis, 'qtCouponLoad', 2, LOAD);
    this.#stop = defineLua<number>(redis, 'qtCouponStop', 1, STOP);
    this.#pending = defineLua<number>(redis, 'qtCouponPending', 1, PENDING);
  }

  /**
   * Decides one issue request. Requests for one campaign made in the same event-loop turn go to Redis
   * together, as one script call flushed with setImmediate (no added wait beyond the current turn),
   * each decided in arrival order.
   */
  issue(campaignId: string, req: IssueRequest): Promise<IssueOutcome> {
    // A request with an Idempotency-Key (a retry, rare) goes alone: a script's key count is fixed.
    if (req.idempotencyKey !== undefined) return this.#issueAlone(campaignId, req, req.idempotencyKey);
    return new Promise((resolve, reject) => {
      let queue = this.#waiting.get(campaignId);
      if (queue === undefined) {
        queue = [];
        this.#waiting.set(campaignId, queue);
      }
      queue.push({ req, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const waiting = this.#waiting;
    this.#waiting = new Map();
    this.#scheduled = false;
    for (const [campaignId, queue] of waiting) {
      for (let i = 0; i < queue.length; i += MAX_BATCH) {
        const batch = queue.slice(i, i + MAX_BATCH);
        this.#issueMany(campaignId, batch).then(
          (outcomes) => {
            for (let j = 0; j < batch.length; j++) batch[j]?.resolve(outcomes[j] as IssueOutcome);
          },
          (err: unknown) => {
            for (const w of batch) w.reject(err);
          },
        );
      }
    }
  }

  async #issueMany(campaignId: string, batch: readonly Waiting[]): Promise<IssueOutcome[]> {
    const k = campaignKeys(campaignId);
    const keys = [k.meta, k.stock, k.users, k.grants, k.stream, k.rate(Math.floor(Date.now() / 1000))];
    const args: (string | number)[] = [IDEMPOTENCY_TTL_MS, this.#ipPerSecond, this.#accountPerSecond];
    for (const { req } of batch) args.push(req.userId, req.couponId, req.ip, 0);
    const reply = await this.#issue(keys, args);
    return batch.map((_, i) => outcomeOf(reply[i]));
  }

  async #issueAlone(campaignId: string, req: IssueRequest, idempotencyKey: string): Promise<IssueOutcome> {
    const k = campaignKeys(campaignId);
    const reply = await this.#issueKeyed(
      [
        k.meta,
        k.stock,
        k.users,
        k.grants,
        k.stream,
        k.rate(Math.floor(Date.now() / 1000)),
        k.idem(req.userId, idempotencyKey),
      ],
      [IDEMPOTENCY_TTL_MS, this.#ipPerSecond, this.#accountPerSecond, req.userId, req.couponId, req.ip, 7],
    );
    return outcomeOf(reply[0]);
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
