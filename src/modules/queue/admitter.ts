import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Gauge } from 'prom-client';
import { isAppError } from '../../platform/errors.ts';
import { drawOrder, newSeed } from './draw.ts';
import { fenceKey, LIVE_SET, leaseKey } from './keys.ts';
import type { LeaseClient } from './lease.ts';
import { closeSchedule, isHalted, publish, type QueueResources } from './service.ts';
import { type AdmitOutcome, FencedError } from './store.ts';

export interface AdmitterMetrics {
  waiting: Gauge<'schedule_id'>;
  active: Gauge<'schedule_id'>;
  admittedPerSecond: Gauge<'schedule_id'>;
  leader: Gauge<'schedule_id'>;
}

export interface AdmitterOptions {
  /** Admission tick: ten a second admits rate/10 each (smooth, not in lumps). */
  tickMs?: number;
  /** Lease time to live; a crashed leader is replaced after at most this plus one discovery period. */
  leaseTtlMs?: number;
  /** How often leases are renewed and free ones taken. */
  discoverMs?: number;
  /** How often PostgreSQL is asked for live queues (the Redis list may have been lost). */
  pgDiscoverMs?: number;
  owner?: string;
  /** Which live queues this admitter may lead (default all); lets admitters be sharded. */
  accept?: (scheduleId: string) => boolean;
}

interface Leadership {
  scheduleId: string;
  token: string;
  timer: NodeJS.Timeout | null;
  tick: Promise<void> | null;
  drawing: boolean;
  closing: boolean;
  windowStart: number;
  windowCount: number;
  ewma: number;
}

const MAX_PER_TICK = 1000;

/**
 * The admitter role: for every live queue, one process holds a lease (fencing token) and ticks every
 * 100 ms: free lapsed slots, admit the next users within the rate and the active cap (atomically, in
 * Lua, checking the fencing token), sign their admission tokens, tell the streams, journal it all.
 * It also runs the pre-queue draw at opening and closes the queue when sales close.
 */
export class Admitter {
  readonly #r: QueueResources;
  readonly #lease: LeaseClient;
  readonly #metrics: AdmitterMetrics;
  readonly #tickMs: number;
  readonly #leaseTtlMs: number;
  readonly #discoverMs: number;
  readonly #pgDiscoverMs: number;
  readonly owner: string;
  readonly #accept: (scheduleId: string) => boolean;
  readonly #leading = new Map<string, Leadership>();
  #discoverTimer: NodeJS.Timeout | null = null;
  #discovering: Promise<void> | null = null;
  #lastPgDiscover = 0;
  #stopped = false;

  constructor(
    r: QueueResources,
    lease: LeaseClient,
    metrics: AdmitterMetrics,
    options: AdmitterOptions = {},
  ) {
    this.#r = r;
    this.#lease = lease;
    this.#metrics = metrics;
    this.#tickMs = options.tickMs ?? 100;
    this.#leaseTtlMs = options.leaseTtlMs ?? 3000;
    this.#discoverMs = options.discoverMs ?? 1000;
    this.#pgDiscoverMs = options.pgDiscoverMs ?? 10_000;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#accept = options.accept ?? (() => true);
  }

  get leading(): string[] {
    return [...this.#leading.keys()];
  }

  start(): void {
    const loop = async () => {
      if (this.#stopped) return;
      this.#discovering = this.#discover().catch((err: unknown) =>
        this.#r.logger.warn({ err }, 'admitter discovery failed'),
      );
      await this.#discovering;
      this.#discovering = null;
      if (!this.#stopped) this.#discoverTimer = setTimeout(loop, this.#discoverMs);
    };
    void loop();
  }

  /**
   * Stops ticking. With `release` (graceful shutdown) the leases are given up so a standby takes over
   * at once; without it (a crash, in tests) they run out on their own.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    if (this.#discoverTimer !== null) clearTimeout(this.#discoverTimer);
    await this.#discovering;
    const all = [...this.#leading.values()];
    await Promise.all(all.map((l) => this.#drop(l, options.release ?? true)));
  }

  async #discover(): Promise<void> {
    const ids = new Set(await this.#r.redis.smembers(LIVE_SET));
    if (Date.now() - this.#lastPgDiscover >= this.#pgDiscoverMs) {
      this.#lastPgDiscover = Date.now();
      const fromPg = await this.#r.repo.liveSchedules();
      const missing = fromPg.filter((id) => !ids.has(id));
      if (missing.length > 0) await this.#r.redis.sadd(LIVE_SET, ...missing);
      for (const id of fromPg) ids.add(id);
    }
    for (const l of this.#leading.values()) {
      if (!(await this.#lease.renew(leaseKey(l.scheduleId), l.token, this.#leaseTtlMs))) {
        this.#r.logger.warn({ scheduleId: l.scheduleId, owner: this.owner }, 'admitter lost its lease');
        await this.#drop(l, false);
      }
    }
    for (const scheduleId of ids) {
      if (this.#stopped || this.#leading.has(scheduleId) || !this.#accept(scheduleId)) continue;
      const token = await this.#lease.acquire(
        leaseKey(scheduleId),
        fenceKey(scheduleId),
        this.owner,
        this.#leaseTtlMs,
      );
      if (token !== null) this.#lead(scheduleId, token);
    }
  }

  #lead(scheduleId: string, token: string): void {
    const l: Leadership = {
      scheduleId,
      token,
      timer: null,
      tick: null,
      drawing: false,
      closing: false,
      windowStart: Date.now(),
      windowCount: 0,
      ewma: 0,
    };
    this.#leading.set(scheduleId, l);
    this.#metrics.leader.set({ schedule_id: scheduleId }, 1);
    this.#r.logger.info({ scheduleId, owner: this.owner, token }, 'admitter leads this queue');
    const loop = async () => {
      if (this.#leading.get(scheduleId) !== l) return;
      l.tick = this.#tick(l).catch((err: unknown) => {
        if (err instanceof FencedError) {
          this.#r.logger.warn({ scheduleId, owner: this.owner }, 'admitter fenced out');
          void this.#drop(l, false);
          return;
        }
        this.#r.logger.warn({ err, scheduleId }, 'admission tick failed');
      });
      await l.tick;
      l.tick = null;
      if (this.#leading.get(scheduleId) === l) l.timer = setTimeout(loop, this.#tickMs);
    };
    void loop();
  }

  async #drop(l: Leadership, release: boolean): Promise<void> {
    if (this.#leading.get(l.scheduleId) !== l) return;
    this.#leading.delete(l.scheduleId);
    if (l.timer !== null) clearTimeout(l.timer);
    await l.tick;
    for (const g of Object.values(this.#metrics)) g.remove({ schedule_id: l.scheduleId });
    if (release) await this.#lease.release(leaseKey(l.scheduleId), l.token).catch(() => {});
  }

  async #tick(l: Leadership): Promise<void> {
    const { scheduleId } = l;
    // Sales halted by an operator: lapsed slots are still freed, nobody new is admitted.
    const halted = await isHalted(this.#r, scheduleId);
    const out = await this.#r.store.admit(scheduleId, l.token, l.ewma, halted ? 0 : MAX_PER_TICK);
    if (out === null) {
      await this.#r.bootstrap.ensure(scheduleId).catch((err: unknown) => {
        if (!isAppError(err) || err.code !== 'NOT_FOUND') throw err;
        this.#r.logger.warn({ scheduleId }, 'admitter found no such schedule; retiring its queue');
        return this.#retire(l);
      });
      return;
    }
    this.#record(l, out);
    if (out.admitted.length > 0) await this.#issueTokens(scheduleId, out);
    if (out.needsDraw && !l.drawing) {
      l.drawing = true;
      void this.#draw(l)
        .catch((err: unknown) => {
          if (!(err instanceof FencedError))
            this.#r.logger.error({ err, scheduleId }, 'pre-queue draw failed');
        })
        .finally(() => {
          l.drawing = false;
        });
    }
    if (out.pastClose && !l.closing) {
      l.closing = true;
      await closeSchedule(this.#r, scheduleId, 'SALES_CLOSED').finally(() => {
        l.closing = false;
      });
    }
    if ((out.closed || out.pastClose) && out.active === 0) await this.#retire(l);
  }

  #record(l: Leadership, out: AdmitOutcome): void {
    const { scheduleId } = l;
    for (const e of out.expired) {
      this.#r.journal.end({ scheduleId, userId: e.userId, ticket: e.ticket, status: 'EXPIRED', at: out.now });
    }
    for (const a of out.admitted) {
      this.#r.journal.slot({
        scheduleId,
        userId: a.userId,
        ticket: a.ticket,
        admittedAt: out.now,
        expiresAt: a.expiresAtMs,
      });
    }
    l.windowCount += out.admitted.length;
    const elapsed = out.now - l.windowStart;
    if (elapsed >= 1000) {
      const instant = (l.windowCount * 1000) / elapsed;
      l.ewma = l.ewma === 0 ? instant : 0.6 * l.ewma + 0.4 * instant;
      l.windowStart = out.now;
      l.windowCount = 0;
    }
    const labels = { schedule_id: scheduleId };
    this.#metrics.waiting.set(labels, out.waiting + out.preQueue);
    this.#metrics.active.set(labels, out.active);
    this.#metrics.admittedPerSecond.set(labels, l.ewma);
  }

  async #issueTokens(scheduleId: string, out: AdmitOutcome): Promise<void> {
    await Promise.all(
      out.admitted.map(async (a) => {
        const ttl = Math.max(1, Math.ceil((a.expiresAtMs - out.now) / 1000));
        const token = await this.#r.tokens.sign({ sch: scheduleId }, a.userId, 'admission', ttl);
        await this.#r.store.putToken(scheduleId, a.userId, `${token}|${Date.now() + ttl * 1000}`);
      }),
    );
    publish(this.#r, { s: scheduleId, k: 'admitted', users: out.admitted.map((a) => a.userId) });
  }

  /**
   * The pre-queue draw: recorded in PostgreSQL first (seed, participants, order; a second leader
   * finds and reuses it), then applied to Redis front first, then marked done.
   */
  async #draw(l: Leadership): Promise<void> {
    const { scheduleId } = l;
    const begin = await this.#r.store.drawBegin(scheduleId, l.token);
    if (begin === null || begin === 'DONE' || begin === 'EARLY') return;
    const record =
      (await this.#r.repo.getDraw(scheduleId)) ??
      (await this.#r.repo.recordDraw(scheduleId, drawOrder(begin, newSeed())));
    const userOf = new Map<number, string>();
    record.participantTickets.forEach((t, i) => {
      userOf.set(t, record.participantUsers[i] ?? '');
    });
    const pairs: (string | number)[] = [];
    record.resultTickets.forEach((t, i) => {
      pairs.push(userOf.get(t) ?? '', i + 1);
    });
    let moved = 0;
    for (let i = 0; i < pairs.length; i += 2000) {
      moved += await this.#r.store.drawApply(scheduleId, l.token, pairs.slice(i, i + 2000));
    }
    const stragglers = await this.#r.store.drawFinish(scheduleId, l.token);
    this.#r.logger.info(
      { scheduleId, participants: record.participantTickets.length, moved, stragglers, seed: record.seed },
      'pre-queue drawn',
    );
    publish(this.#r, { s: scheduleId, k: 'changed' });
  }

  /** A closed queue with no live admission needs no leader: forget it until someone opens it again. */
  async #retire(l: Leadership): Promise<void> {
    await this.#r.redis.srem(LIVE_SET, l.scheduleId);
    await this.#r.repo.markLive(l.scheduleId, false);
    this.#r.logger.info({ scheduleId: l.scheduleId }, 'queue retired by the admitter');
    void this.#drop(l, true);
  }
}
