import type { LuaScript, Redis } from '../../../platform/redis.ts';
import { COMMON } from './scripts.ts';
import { holdKey, rateKey, seatKeys, userKey } from './seat-store.ts';
import type { HoldOutcome, ReleasedHold, ReleaseOutcome } from './seat-types.ts';
import { TurnBatcher } from './turn-batcher.ts';

/*
 * The seated holds of one schedule that reach this process in one event-loop turn go to Redis as ONE
 * script call (flushed with setImmediate: no wait beyond the current turn), each decided in arrival
 * order exactly as if it came alone, with its own answer; and the post-commit checks of one group
 * commit likewise. Same shape as coupon issue (decision 0007) and the queue's join (decision 0012):
 * the client library's per-command work, the socket writes and Redis's per-call cost are shared.
 *
 * HOLD_MANY also checks each buyer's admission slot (the queue's active set, same hash tag
 * `{s:<scheduleId>}`, so the same Cluster slot) in the same atomic step as the hold: one round trip
 * fewer than asking the queue first, and no gap between the check and the hold.
 */

/**
 * KEYS m seats paid rl qm qa, then per request h:<holdId> u:<userId>. ARGV now perUser keepMs ipLimit
 * performanceId, then per request: holdId userId exp cap admissionExp ip slot(1: check the admission
 * slot) maxTickets n seat×n. Answers one string: INIT (schedule not loaded, nothing done), or per
 * request, joined by ';': OK,<fence> | TAKEN,<seat>,… | LIMIT,<held> | LIMITED | NOADMIT | NOQUEUE.
 * Per request: the slot check, the per-address limit, every seat free (absent, or held by a lapsed hold,
 * not sold), the buyer's caps, then the writes: seats (`holdId|expiry|fence`, a fencing version per hold),
 * the hold record and the buyer's index. A request refused for its admission is not counted against the
 * per-address limit (as when the queue refused it first). One version bump and one PUBLISH per call.
 */
const HOLD_MANY = `${COMMON}
local m, seats, paid, rl, qm, qa = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local exat = redis.call('HGET', m, 'exat')
if not exat then return 'INIT' end
local now, perUser, keepMs, ipLimit, perf = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local qnow
local out, changed = {}, {}
local a, k = 6, 7
while a <= #ARGV do
  local holdId, userId, exp, cap, ax, ip, slot = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6]
  local maxTickets, n = tonumber(ARGV[a + 7]), tonumber(ARGV[a + 8])
  local hk, uk = KEYS[k], KEYS[k + 1]
  local first = a + 9
  a = first + n
  k = k + 2
  local r
  if slot == '1' then
    if not qnow then
      local t = redis.call('TIME')
      qnow = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
    local e = redis.call('ZSCORE', qa, userId)
    if not e or tonumber(e) <= qnow then
      if redis.call('EXISTS', qm) == 0 then r = 'NOQUEUE' else r = 'NOADMIT' end
    end
  end
  if not r and overIpLimit(rl, ip, ipLimit) then r = 'LIMITED' end
  if not r then
    local ids = {}
    for i = 1, n do ids[i] = ARGV[first + i - 1] end
    local vals = redis.call('HMGET', seats, unpack(ids))
    local bad = {}
    for i = 1, n do
      local v = vals[i]
      if v then
        if string.sub(v, 1, 2) == 'S|' then
          bad[#bad + 1] = ids[i]
        else
          local e = tonumber(string.match(v, '^[^|]*|(%d+)|'))
          if e == nil or e > now then bad[#bad + 1] = ids[i] end
        end
      end
    end
    if #bad > 0 then
      r = 'TAKEN,' .. table.concat(bad, ',')
    else
      redis.call('ZREMRANGEBYSCORE', uk, '-inf', now)
      local held = 0
      for _, mem in ipairs(redis.call('ZRANGE', uk, 0, -1)) do held = held + tonumber(string.match(mem, '|(%d+)$')) end
      local bought = tonumber(redis.call('HGET', paid, userId) or '0')
      if held + n > perUser or held + bought + n > maxTickets then
        r = 'LIMIT,' .. tostring(held + bought)
      else
        local fence = string.format('%d', redis.call('HINCRBY', m, 'fence', 1))
        local v = holdId .. '|' .. exp .. '|' .. fence
        local kv = {}
        for i = 1, n do kv[#kv + 1] = ids[i]; kv[#kv + 1] = v end
        redis.call('HSET', seats, unpack(kv))
        local csv = table.concat(ids, ',')
        redis.call('HSET', hk, 'u', userId, 'k', 'S', 'seats', csv, 'n', n, 'e', exp, 'cap', cap, 'f', fence, 'st', 'H', 'p', perf, 'ax', ax)
        redis.call('PEXPIREAT', hk, tonumber(exp) + keepMs)
        redis.call('ZADD', uk, exp, holdId .. '|' .. n)
        keep(uk, tonumber(exp) + keepMs)
        changed[#changed + 1] = csv
        r = 'OK,' .. fence
      end
    end
  end
  out[#out + 1] = r
end
if #changed > 0 then
  keep(seats, tonumber(exat))
  redis.call('HINCRBY', m, 'v', #changed)
  redis.call('PUBLISH', chan(m), 'H|' .. table.concat(changed, ','))
end
return table.concat(out, ';')
`;

/**
 * A buyer's DELETE of holds (RELEASE in mode USER, batched). KEYS m seats st stz rl, then per request
 * h:<holdId> u:<userId>; ARGV ipLimit, then per request holdId userId ip. Answers one string, per
 * request joined by ';': OK|user|kind|seats|section|n|expiry|fence|performance|admissionExp|freed |
 * GONE | ORDERED|orderId | LIMITED. Only seat entries still carrying the hold id are freed (fencing).
 */
const RELEASE_MANY = `${COMMON}
local m, seats, st, stz, rl = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ipLimit = ARGV[1]
local out, freedAll = {}, {}
local changed = 0
local k = 6
for a = 2, #ARGV, 3 do
  local holdId, userId, ip = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local hk, uk = KEYS[k], KEYS[k + 1]
  k = k + 2
  local r
  if overIpLimit(rl, ip, ipLimit) then r = 'LIMITED' end
  local h
  if not r then
    h = redis.call('HMGET', hk, 'u', 'k', 'seats', 'sec', 'n', 'e', 'st', 'o', 'f', 'p', 'ax')
    if not h[1] or h[1] ~= userId then r = 'GONE'
    elseif h[7] == 'O' then r = 'ORDERED|' .. (h[8] or '') end
  end
  if not r then
    local freed = {}
    if h[2] == 'S' then
      freeOwnSeats(seats, holdId, h[3], freed)
      for _, seat in ipairs(freed) do freedAll[#freedAll + 1] = seat end
    elseif redis.call('ZREM', stz, holdId .. '|' .. h[4] .. '|' .. h[5]) == 1 then
      redis.call('HINCRBY', st, h[4] .. ':h', -tonumber(h[5]))
      redis.call('PUBLISH', chan(m), 'T|' .. h[4] .. '|')
    end
    redis.call('ZREM', uk, holdId .. '|' .. h[5])
    redis.call('DEL', hk)
    changed = changed + 1
    r = table.concat({'OK', h[1], h[2], h[3] or '', h[4] or '', h[5], h[6], h[9] or '0', h[10] or '', h[11] or '', table.concat(freed, ',')}, '|')
  end
  out[#out + 1] = r
end
if changed > 0 then redis.call('HINCRBY', m, 'v', changed) end
if #freedAll > 0 then redis.call('PUBLISH', chan(m), 'A|' .. table.concat(freedAll, ',')) end
return table.concat(out, ';')
`;

/** KEYS h:<holdId>… of one schedule → one character per hold: 1 still in Redis, 0 gone. */
const CONFIRM_MANY = `
local out = {}
for i = 1, #KEYS do out[i] = redis.call('EXISTS', KEYS[i]) end
return table.concat(out)
`;

/** One seated hold request; `checkSlot` false when the queue already verified the slot (after a rebuild). */
export interface HoldRequest {
  holdId: string;
  userId: string;
  expMs: number;
  capMs: number;
  admissionExpMs: number | null;
  ip: string;
  checkSlot: boolean;
  maxTickets: number;
  seatIds: readonly number[];
}

/** A buyer's release of its own hold (DELETE /holds/{id}). */
export interface ReleaseRequest {
  holdId: string;
  userId: string;
  ip: string;
}

export type BatchedHoldOutcome = HoldOutcome | { kind: 'NOADMIT' } | { kind: 'NOQUEUE' };

/** The schedule-wide part of a batch: keys and the hold-record fields every request shares. */
export interface HoldScope {
  scheduleId: string;
  performanceId: string;
  /** the queue's keys for the slot check (booking's QueuePort.admissionSlotKeys) */
  slotKeys: { meta: string; active: string } | null;
}

/** Requests per script call: a call runs alone in Redis, so it stays short (~12 commands a request). */
const MAX_BATCH = 100;

export class HoldBatcher {
  readonly #holdMany: LuaScript<string>;
  readonly #confirmMany: LuaScript<string>;
  readonly #releaseMany: LuaScript<string>;
  readonly #keepMs: number;
  readonly #perUserCap: number;
  readonly #ipPerSecond: number;
  readonly #holds: TurnBatcher<HoldScope, HoldRequest, BatchedHoldOutcome>;
  readonly #confirms: TurnBatcher<{ scheduleId: string }, string, boolean>;
  readonly #releases: TurnBatcher<{ scheduleId: string }, ReleaseRequest, ReleaseOutcome>;

  constructor(redis: Redis, keepMs: number, perUserCap: number, ipPerSecond: number) {
    this.#holdMany = defineBatchLua<string>(redis, 'qtBookHoldMany', HOLD_MANY);
    this.#confirmMany = defineBatchLua<string>(redis, 'qtBookConfirmMany', CONFIRM_MANY);
    this.#releaseMany = defineBatchLua<string>(redis, 'qtBookReleaseMany', RELEASE_MANY);
    this.#keepMs = keepMs;
    this.#perUserCap = perUserCap;
    this.#ipPerSecond = ipPerSecond;
    this.#holds = new TurnBatcher((scope, reqs) => this.#runHolds(scope, reqs), MAX_BATCH);
    this.#confirms = new TurnBatcher((scope, ids) => this.#runConfirms(scope.scheduleId, ids), 500);
    this.#releases = new TurnBatcher((scope, reqs) => this.#runReleases(scope.scheduleId, reqs), MAX_BATCH);
  }

  /** Decides one seated hold (with the admission slot check when `req.checkSlot`). */
  hold(scope: HoldScope, req: HoldRequest): Promise<BatchedHoldOutcome> {
    return this.#holds.add(scope, req);
  }

  /** After the hold's commit: whether Redis still has it (a reload may have missed the row). */
  confirm(scheduleId: string, holdId: string): Promise<boolean> {
    return this.#confirms.add({ scheduleId }, holdId);
  }

  /** The owner's release (RELEASE in mode USER): seats back at once, fenced by the hold id. */
  release(scheduleId: string, req: ReleaseRequest): Promise<ReleaseOutcome> {
    return this.#releases.add({ scheduleId }, req);
  }

  async #runReleases(scheduleId: string, reqs: readonly ReleaseRequest[]): Promise<ReleaseOutcome[]> {
    const k = seatKeys(scheduleId);
    const keys = [k.m, k.seats, k.st, k.stz, rateKey(scheduleId, Date.now())];
    const args: (string | number)[] = [this.#ipPerSecond];
    for (const r of reqs) {
      keys.push(holdKey(scheduleId, r.holdId), userKey(scheduleId, r.userId));
      args.push(r.holdId, r.userId, r.ip);
    }
    const parts = (await this.#releaseMany(keys, args)).split(';');
    return reqs.map((_, i) => parseRelease(parts[i] ?? ''));
  }

  async #runHolds(scope: HoldScope, reqs: readonly HoldRequest[]): Promise<BatchedHoldOutcome[]> {
    const s = scope.scheduleId;
    const nowMs = Date.now();
    const k = seatKeys(s);
    const keys = [
      k.m,
      k.seats,
      k.paid,
      rateKey(s, nowMs),
      scope.slotKeys?.meta ?? k.m,
      scope.slotKeys?.active ?? k.m,
    ];
    const args: (string | number)[] = [
      nowMs,
      this.#perUserCap,
      this.#keepMs,
      this.#ipPerSecond,
      scope.performanceId,
    ];
    for (const r of reqs) {
      keys.push(holdKey(s, r.holdId), userKey(s, r.userId));
      args.push(
        r.holdId,
        r.userId,
        r.expMs,
        r.capMs,
        r.admissionExpMs ?? '',
        r.ip,
        r.checkSlot && scope.slotKeys !== null ? 1 : 0,
        r.maxTickets,
        r.seatIds.length,
      );
      for (const id of r.seatIds) args.push(id);
    }
    const reply = await this.#holdMany(keys, args);
    if (reply === 'INIT') return reqs.map(() => ({ kind: 'INIT' }));
    const parts = reply.split(';');
    return reqs.map((_, i) => parseOutcome(parts[i] ?? ''));
  }

  async #runConfirms(scheduleId: string, holdIds: readonly string[]): Promise<boolean[]> {
    const flags = await this.#confirmMany(
      holdIds.map((id) => holdKey(scheduleId, id)),
      [],
    );
    return holdIds.map((_, i) => flags.charCodeAt(i) === 49);
  }
}

/**
 * platform's defineLua for a script whose number of keys varies per call (each request of a batch names
 * its own keys, all declared in KEYS, all under the schedule's hash tag): ioredis then takes the count
 * as the first argument (EVALSHA sha numkeys key… arg…), and a cluster client routes by those keys.
 */
function defineBatchLua<R>(redis: Redis, name: string, lua: string): LuaScript<R> {
  redis.defineCommand(name, { lua });
  const command = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<R>>)[name];
  if (command === undefined) throw new Error(`lua script ${name} was not defined`);
  return (keys, args) => command.call(redis, keys.length, ...keys, ...args);
}

function parseRelease(part: string): ReleaseOutcome {
  if (part === 'LIMITED' || part === 'GONE') return { kind: part };
  const f = part.split('|');
  if (f[0] === 'ORDERED') return { kind: 'ORDERED', orderId: f[1] ?? '' };
  if (f[0] !== 'OK') throw new Error(`unexpected release script answer ${JSON.stringify(part)}`);
  const [, u = '', k, seats = '', sec = '', n, e, fence, p = '', ax = '', freed = ''] = f;
  const hold: ReleasedHold = {
    userId: u,
    kind: k === 'T' ? 'T' : 'S',
    seatIds: seats === '' ? [] : seats.split(',').map(Number),
    sectionId: sec === '' ? null : sec,
    quantity: Number(n),
    expiresAtMs: Number(e),
    fence: Number(fence),
    performanceId: p,
    admissionExpiresAtMs: ax === '' ? null : Number(ax),
  };
  return { kind: 'OK', hold, freedSeatIds: freed === '' ? [] : freed.split(',').map(Number) };
}

function parseOutcome(part: string): BatchedHoldOutcome {
  const comma = part.indexOf(',');
  const kind = comma < 0 ? part : part.slice(0, comma);
  switch (kind) {
    case 'OK':
      return { kind, fence: Number(part.slice(comma + 1)) };
    case 'TAKEN':
      return {
        kind,
        seatIds: part
          .slice(comma + 1)
          .split(',')
          .map(Number),
      };
    case 'LIMIT':
      return { kind, current: Number(part.slice(comma + 1)) };
    case 'LIMITED':
    case 'NOADMIT':
    case 'NOQUEUE':
      return { kind };
    default:
      throw new Error(`unexpected hold script answer ${JSON.stringify(part)}`);
  }
}
