import { defineLua, type LuaScript, type Redis } from '../../../platform/redis.ts';
import {
  CLAIM,
  EXTEND,
  HOLD_STANDING,
  PROLONG,
  RELEASE,
  SEED,
  STANDING_TAKEN,
  SYNC_ORDER,
  UNCLAIM,
} from './scripts.ts';
import type {
  ClaimOutcome,
  ExtendOutcome,
  HoldLimits,
  HoldOutcome,
  NewHold,
  OrderSync,
  ReleasedHold,
  ReleaseMode,
  ReleaseOutcome,
  RequestAddress,
  SeedData,
} from './seat-types.ts';

type Reply = (string | number)[];

const tag = (scheduleId: string) => `seat:{s:${scheduleId}}:`;
export const seatKeys = (scheduleId: string) => {
  const t = tag(scheduleId);
  return { m: `${t}m`, seats: `${t}seats`, st: `${t}st`, stz: `${t}stz`, paid: `${t}paid` };
};
export const holdKey = (scheduleId: string, holdId: string) => `${tag(scheduleId)}h:${holdId}`;
export const userKey = (scheduleId: string, userId: string) => `${tag(scheduleId)}u:${userId}`;
const holdIndexKey = (holdId: string) => `seat:{h:${holdId}}:s`;
/** The schedule's per-address request counts of the current second (counted inside the scripts). */
export const rateKey = (scheduleId: string, nowMs: number) =>
  `${tag(scheduleId)}rl:${Math.floor(nowMs / 1000)}`;
/** Pub/sub channel of a schedule's seat changes; ioredis does not prefix channels, so the prefix is explicit. */
export const seatChannel = (prefix: string, scheduleId: string) => `${prefix}${tag(scheduleId)}ch`;

export type {
  ClaimOutcome,
  ExtendOutcome,
  HoldLimits,
  HoldOutcome,
  NewHold,
  OrderSync,
  ReleasedHold,
  ReleaseMode,
  ReleaseOutcome,
  RequestAddress,
  SeedData,
} from './seat-types.ts';

const noAddress: RequestAddress = { ip: '', perSecond: 0 };

/** Typed access to the seat-state scripts of one Redis (one call = one atomic script). */
export class SeatStore {
  readonly #redis: Redis;
  readonly #keepMs: number;
  readonly #holdStanding: LuaScript<Reply>;
  readonly #release: LuaScript<Reply>;
  readonly #claim: LuaScript<Reply>;
  readonly #unclaim: LuaScript<number>;
  readonly #extend: LuaScript<Reply>;
  readonly #sync: LuaScript<string>;
  readonly #prolong: LuaScript<number>;
  readonly #seed: LuaScript<number>;
  readonly #standingTaken: LuaScript<number>;

  /** `keepMs`: how long a hold's record stays in Redis after it lapses (for precise answers). */
  constructor(redis: Redis, keepMs: number) {
    this.#redis = redis;
    this.#keepMs = keepMs;
    this.#holdStanding = defineLua(redis, 'qtBookHoldStanding', 7, HOLD_STANDING);
    this.#release = defineLua(redis, 'qtBookRelease', 7, RELEASE);
    this.#claim = defineLua(redis, 'qtBookClaim', 4, CLAIM);
    this.#unclaim = defineLua(redis, 'qtBookUnclaim', 1, UNCLAIM);
    this.#extend = defineLua(redis, 'qtBookExtend', 5, EXTEND);
    this.#sync = defineLua(redis, 'qtBookSyncOrder', 7, SYNC_ORDER);
    this.#prolong = defineLua(redis, 'qtBookProlong', 5, PROLONG);
    this.#seed = defineLua(redis, 'qtBookSeed', 1, SEED);
    this.#standingTaken = defineLua(redis, 'qtBookStandingTaken', 3, STANDING_TAKEN);
  }

  get keepMs(): number {
    return this.#keepMs;
  }

  async holdStanding(
    s: NewHold,
    section: { sectionId: string; quantity: number; capacity: number },
    limits: HoldLimits,
    from: RequestAddress = noAddress,
  ): Promise<HoldOutcome> {
    const k = seatKeys(s.scheduleId);
    const reply = await this.#holdStanding(
      [
        k.m,
        k.st,
        k.stz,
        holdKey(s.scheduleId, s.holdId),
        userKey(s.scheduleId, s.userId),
        k.paid,
        rateKey(s.scheduleId, s.nowMs),
      ],
      [
        s.holdId,
        s.userId,
        s.nowMs,
        s.expMs,
        s.capMs,
        limits.perUserCap,
        limits.maxTickets,
        this.#keepMs,
        section.sectionId,
        section.quantity,
        section.capacity,
        s.performanceId,
        s.admissionExpMs ?? '',
        from.ip,
        from.perSecond,
      ],
    );
    return holdOutcome(reply);
  }

  async release(
    scheduleId: string,
    holdId: string,
    userId: string,
    mode: ReleaseMode,
    nowMs = Date.now(),
    from: RequestAddress = noAddress,
  ): Promise<ReleaseOutcome> {
    const k = seatKeys(scheduleId);
    const reply = await this.#release(
      [
        k.m,
        k.seats,
        k.st,
        k.stz,
        holdKey(scheduleId, holdId),
        userKey(scheduleId, userId),
        rateKey(scheduleId, nowMs),
      ],
      [holdId, userId, mode, nowMs, from.ip, from.perSecond],
    );
    const kind = String(reply[0]);
    if (kind === 'OK') {
      const [, u, k, seats, sec, n, e, f, p, ax] = reply.map(String);
      const hold: ReleasedHold = {
        userId: u ?? '',
        kind: k === 'T' ? 'T' : 'S',
        seatIds: seats === undefined || seats === '' ? [] : seats.split(',').map(Number),
        sectionId: sec === undefined || sec === '' ? null : sec,
        quantity: Number(n),
        expiresAtMs: Number(e),
        fence: Number(f),
        performanceId: p ?? '',
        admissionExpiresAtMs: ax === undefined || ax === '' ? null : Number(ax),
      };
      return { kind, hold, freedSeatIds: reply.slice(10).map(Number) };
    }
    if (kind === 'ORDERED') return { kind, orderId: String(reply[1]) };
    if (kind === 'LIVE' || kind === 'LIMITED') return { kind };
    return { kind: 'GONE' };
  }

  async claim(
    scheduleId: string,
    holdId: string,
    userId: string,
    orderId: string,
    nowMs = Date.now(),
  ): Promise<ClaimOutcome> {
    const k = seatKeys(scheduleId);
    const reply = await this.#claim(
      [k.m, k.seats, k.stz, holdKey(scheduleId, holdId)],
      [holdId, userId, nowMs, orderId],
    );
    const kind = String(reply[0]);
    if (kind === 'OK') return { kind, expiresAtMs: Number(reply[1]) };
    if (kind === 'ORDERED') return { kind, orderId: String(reply[1]) };
    return { kind: kind as 'INIT' | 'GONE' | 'EXPIRED' | 'LOST' };
  }

  async unclaim(scheduleId: string, holdId: string, orderId: string): Promise<void> {
    await this.#unclaim([holdKey(scheduleId, holdId)], [orderId]);
  }

  async extend(
    scheduleId: string,
    holdId: string,
    userId: string,
    addMs: number,
    nowMs = Date.now(),
  ): Promise<ExtendOutcome> {
    const k = seatKeys(scheduleId);
    const reply = await this.#extend(
      [k.m, k.seats, k.stz, holdKey(scheduleId, holdId), userKey(scheduleId, userId)],
      [holdId, userId, nowMs, addMs, this.#keepMs],
    );
    const kind = String(reply[0]);
    if (kind === 'OK') return { kind, expiresAtMs: Number(reply[1]) };
    if (kind === 'CAP') return { kind, capMs: Number(reply[1]) };
    return { kind: kind as 'GONE' | 'ORDERED' | 'EXPIRED' | 'LOST' };
  }

  /** Keeps an ordered hold until `untilMs` (never shortens); false when Redis no longer has it. */
  async prolong(scheduleId: string, holdId: string, userId: string, untilMs: number): Promise<boolean> {
    const k = seatKeys(scheduleId);
    const done = await this.#prolong(
      [k.m, k.seats, k.stz, holdKey(scheduleId, holdId), userKey(scheduleId, userId)],
      [holdId, Math.floor(untilMs), this.#keepMs],
    );
    await this.#redis.pexpireat(holdIndexKey(holdId), Math.floor(untilMs) + this.#keepMs, 'GT');
    return done === 1;
  }

  /** False when the schedule is not loaded (the caller seeds and retries). */
  async syncOrder(o: OrderSync): Promise<boolean> {
    const k = seatKeys(o.scheduleId);
    const reply = await this.#sync(
      [k.m, k.seats, k.st, k.stz, holdKey(o.scheduleId, o.holdId), userKey(o.scheduleId, o.userId), k.paid],
      [
        o.orderId,
        o.holdId,
        o.userId,
        o.holdQuantity,
        o.paidCount,
        o.sectionId ?? '',
        o.sectionSold,
        o.soldSeatIds.length,
        ...o.soldSeatIds,
        ...o.freedSeatIds,
      ],
    );
    return reply === 'OK';
  }

  /** True when this call loaded the schedule, false when it was already loaded. */
  async seed(scheduleId: string, data: SeedData, nowMs = Date.now()): Promise<boolean> {
    return (await this.#seed([seatKeys(scheduleId).m], [JSON.stringify(data), nowMs])) === 1;
  }

  /** Moves whenever a seat or standing count of the schedule changes in Redis (catalog's cache key). */
  async version(scheduleId: string): Promise<string> {
    const [v, init] = await this.#redis.hmget(seatKeys(scheduleId).m, 'v', 'init');
    return init === null ? `unloaded:${Date.now()}` : `${init}:${v ?? 0}`;
  }

  async scheduleOfHold(holdId: string): Promise<string | null> {
    return this.#redis.get(holdIndexKey(holdId));
  }

  /**
   * After the hold's commit: the hold → schedule index (own hash tag, so a release needs no PostgreSQL
   * read). Not awaited: it is queued on the connection before the 201 leaves. The index of a hold found
   * missing afterwards is harmless: DELETE then finds no hold in that schedule and reads the record.
   */
  indexHold(scheduleId: string, holdId: string, capMs: number): void {
    this.#redis.set(holdIndexKey(holdId), scheduleId, 'PXAT', capMs + this.#keepMs).catch(() => undefined);
  }

  async isLoaded(scheduleId: string): Promise<boolean> {
    return (await this.#redis.hexists(seatKeys(scheduleId).m, 'exat')) === 1;
  }

  /** Seats not AVAILABLE in Redis now (lapsed holds count as free); null when the schedule is not loaded. */
  async unavailable(scheduleId: string, nowMs = Date.now()): Promise<Map<number, 'HELD' | 'SOLD'> | null> {
    const k = seatKeys(scheduleId);
    const [loaded, all] = await Promise.all([this.#redis.hexists(k.m, 'exat'), this.#redis.hgetall(k.seats)]);
    if (loaded !== 1) return null;
    const out = new Map<number, 'HELD' | 'SOLD'>();
    for (const [seat, value] of Object.entries(all)) {
      if (value.startsWith('S|')) out.set(Number(seat), 'SOLD');
      else if (Number(value.split('|')[1]) > nowMs) out.set(Number(seat), 'HELD');
    }
    return out;
  }

  /** Held + sold entries of a standing section; null when the schedule is not loaded. */
  async standingTaken(scheduleId: string, sectionId: string, nowMs = Date.now()): Promise<number | null> {
    const k = seatKeys(scheduleId);
    const n = await this.#standingTaken([k.m, k.st, k.stz], [nowMs, sectionId]);
    return n < 0 ? null : n;
  }

  /**
   * Tickets the user holds right now (live holds, also those inside an unpaid order) on these schedules:
   * the hold script sees only its own schedule's, so placeHold subtracts the other nights' from
   * maxTicketsPerBuyer. A schedule not loaded counts 0 (its holds lapse or reload with it).
   */
  async liveHeldCount(scheduleIds: readonly string[], userId: string, nowMs = Date.now()): Promise<number> {
    const lists = await Promise.all(
      scheduleIds.map((id) => this.#redis.zrangebyscore(userKey(id, userId), `(${nowMs}`, '+inf')),
    );
    let n = 0;
    for (const members of lists) for (const m of members) n += Number(m.slice(m.lastIndexOf('|') + 1)) || 0;
    return n;
  }

  /** Best effort: the user's paid count for another schedule of the same performance. */
  async setPaidCount(scheduleId: string, userId: string, count: number): Promise<void> {
    const k = seatKeys(scheduleId);
    if ((await this.#redis.hexists(k.m, 'exat')) === 1) await this.#redis.hset(k.paid, userId, count);
  }
}

function holdOutcome(reply: Reply): HoldOutcome {
  const kind = String(reply[0]);
  switch (kind) {
    case 'OK':
      return { kind, fence: Number(reply[1]) };
    case 'TAKEN':
      return { kind, seatIds: reply.slice(1).map(Number) };
    case 'FULL':
      return { kind, available: Number(reply[1]) };
    case 'LIMIT':
      return { kind, current: Number(reply[1]) };
    case 'LIMITED':
      return { kind };
    default:
      return { kind: 'INIT' };
  }
}
