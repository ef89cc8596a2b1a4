import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Errors } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { Redis } from '../../platform/redis.ts';
import type { DrawRecord } from './draw.ts';
import type { JournalRepository, PlaceRow } from './journal-repository.ts';
import { LIVE_SET, queueKeys } from './keys.ts';
import type { QueueCatalog } from './ports.ts';
import type { CloseReason, QueueStore } from './store.ts';

/** New ticket numbers after a rebuild start this far above the journal's highest (joins in flight). */
export const REBUILD_TICKET_GAP = 10_000;
const LOCK_TTL_MS = 30_000;
const WAIT_FOR_OTHER_MS = 20_000;
const NOT_FOUND_CACHE_MS = 5_000;

/**
 * Opens a schedule's queue in Redis, or rebuilds it from the journal when Redis lost it: one code path,
 * since a queue that was never opened simply has an empty journal. One process rebuilds (a lock key);
 * the others wait for the meta hash to appear. Before reading the journal of a queue that had entries,
 * it waits `settleMs` so the other processes' journal batches of joins accepted just before Redis lost
 * its data are committed (the journal re-asserts any that still arrive later).
 */
export class QueueBootstrap {
  readonly #redis: Redis;
  readonly #store: QueueStore;
  readonly #repo: JournalRepository;
  readonly #catalog: () => QueueCatalog;
  readonly #logger: Logger;
  readonly #settleMs: number;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #notFound = new Map<string, number>();
  readonly #rebuilds: import('prom-client').Counter<string>;

  constructor(deps: {
    redis: Redis;
    store: QueueStore;
    repo: JournalRepository;
    catalog: () => QueueCatalog;
    logger: Logger;
    metrics: Metrics;
    settleMs: number;
  }) {
    this.#redis = deps.redis;
    this.#store = deps.store;
    this.#repo = deps.repo;
    this.#catalog = deps.catalog;
    this.#logger = deps.logger;
    this.#settleMs = deps.settleMs;
    this.#rebuilds = deps.metrics.counter(
      'queue_rebuilds_total',
      'Queues opened in Redis from the journal (first open or after Redis lost them)',
      ['kind'],
    );
  }

  /** Makes sure the queue keys exist; NOT_FOUND for an unknown schedule. */
  ensure(scheduleId: string): Promise<void> {
    const seen = this.#notFound.get(scheduleId);
    if (seen !== undefined && seen > Date.now()) return Promise.reject(Errors.notFound('schedule'));
    let running = this.#inFlight.get(scheduleId);
    if (running === undefined) {
      running = this.#ensure(scheduleId).finally(() => this.#inFlight.delete(scheduleId));
      this.#inFlight.set(scheduleId, running);
    }
    return running;
  }

  async #ensure(scheduleId: string): Promise<void> {
    const [meta, , , , , , , , , rb] = queueKeys(scheduleId) as [string, ...string[]];
    const lock = randomUUID();
    const got = await this.#redis.set(rb as string, lock, 'PX', LOCK_TTL_MS, 'NX');
    if (got !== 'OK') {
      const deadline = Date.now() + WAIT_FOR_OTHER_MS;
      while (Date.now() < deadline) {
        if ((await this.#redis.exists(meta)) === 1) return;
        if ((await this.#redis.exists(rb as string)) === 0) return this.#ensure(scheduleId);
        await delay(50);
      }
      throw Errors.unavailable('QUEUE_REBUILDING', 'the queue is being restored; retry shortly');
    }
    try {
      if ((await this.#redis.exists(meta)) === 1) return;
      await this.#rebuild(scheduleId, lock);
    } finally {
      // release only our own lock (RESTORE_META deletes it on success)
      const current = await this.#redis.get(rb as string);
      if (current === lock) await this.#redis.del(rb as string);
    }
  }

  async #rebuild(scheduleId: string, lock: string): Promise<void> {
    const started = Date.now();
    const schedule = await this.#catalog().getScheduleForSale(scheduleId);
    if (schedule === null || schedule.status === 'DELETED') {
      this.#notFound.set(scheduleId, Date.now() + NOT_FOUND_CACHE_MS);
      throw Errors.notFound('schedule');
    }
    const settings = await this.#repo.getSettings(scheduleId);
    const hadJournal = await this.#repo.hasEntries(scheduleId);
    if (hadJournal) await delay(this.#settleMs);
    const [places, draw] = await Promise.all([
      this.#repo.loadPlaces(scheduleId),
      this.#repo.getDraw(scheduleId),
    ]);
    const now = Date.now();
    const plan = restorePlan(places, draw, now);
    for (let i = 0; i < plan.groups.length; i += 2000) {
      const r = await this.#store.restoreEntries(scheduleId, lock, plan.groups.slice(i, i + 2000));
      if (r !== 1) throw Errors.unavailable('QUEUE_REBUILDING', 'the queue rebuild lost its lock; retry');
    }
    let closed: CloseReason | null = settings?.closedReason ?? null;
    if (closed === null && schedule.status === 'CANCELLED') closed = 'CANCELLED';
    const epoch = randomUUID();
    const meta: Record<string, string | number> = {
      seq: plan.maxTicket + (hadJournal ? REBUILD_TICKET_GAP : 0),
      opensAt: schedule.salesOpenAt.getTime(),
      closesAt: schedule.salesCloseAt.getTime(),
      rate: settings?.admitPerSecond ?? schedule.queue.admitPerSecond,
      maxActive: settings?.maxActive ?? schedule.queue.maxActive,
      ttl: schedule.queue.admissionTtlSeconds,
      paused: settings?.paused === true ? '1' : '0',
      drawn: draw !== null ? '1' : '0',
      admitted: plan.admittedTotal,
      lw: plan.leftWhileWaiting,
      mrate: '0',
      ...(closed === null ? {} : { closed }),
      init: epoch,
    };
    const r = await this.#store.restoreMeta(scheduleId, lock, meta);
    if (r !== 1) throw Errors.unavailable('QUEUE_REBUILDING', 'the queue rebuild lost its lock; retry');
    await this.#redis.sadd(LIVE_SET, scheduleId);
    await this.#repo.markLive(scheduleId, true);
    this.#rebuilds.inc({ kind: hadJournal ? 'rebuild' : 'open' });
    const log = hadJournal ? this.#logger.warn.bind(this.#logger) : this.#logger.info.bind(this.#logger);
    log(
      {
        scheduleId,
        waiting: plan.waiting,
        pre: plan.pre,
        active: plan.active,
        ms: Date.now() - started,
        epoch,
      },
      hadJournal ? 'queue rebuilt in Redis from the journal' : 'queue opened',
    );
  }
}

export interface RestorePlan {
  /** Groups of four for RESTORE_ENTRIES: kind, user, ticket, score-or-status. */
  groups: (string | number)[];
  maxTicket: number;
  waiting: number;
  pre: number;
  active: number;
  admittedTotal: number;
  leftWhileWaiting: number;
}

/**
 * From the journal (newest place per user) and the draw, the Redis contents: waiting users scored
 * exactly as before (draw index for drawn pre-queue users, ticket number otherwise), so relative order
 * is kept; live admissions with their expiry; ended places with their status.
 */
export function restorePlan(places: PlaceRow[], draw: DrawRecord | null, now: number): RestorePlan {
  const drawIndex = new Map<number, number>();
  draw?.resultTickets.forEach((t, i) => {
    drawIndex.set(t, i + 1);
  });
  const plan: RestorePlan = {
    groups: [],
    maxTicket: 0,
    waiting: 0,
    pre: 0,
    active: 0,
    admittedTotal: 0,
    leftWhileWaiting: 0,
  };
  const seenUsers = new Set<string>();
  for (const p of places) {
    seenUsers.add(p.userId);
    plan.maxTicket = Math.max(plan.maxTicket, p.ticket);
    if (p.admittedAt !== null) plan.admittedTotal += 1;
    if (p.status === 'WAITING' || p.status === 'CLOSED') {
      if (p.preQueue && draw === null) {
        plan.groups.push('p', p.userId, p.ticket, p.ticket);
        plan.pre += 1;
      } else {
        const score = p.preQueue ? (drawIndex.get(p.ticket) ?? p.ticket + 0.5) : p.ticket;
        plan.groups.push('w', p.userId, p.ticket, score);
        plan.waiting += 1;
      }
    } else if (p.status === 'ADMITTED') {
      const expiry = p.expiresAt?.getTime() ?? 0;
      if (expiry > now) {
        plan.groups.push('a', p.userId, p.ticket, expiry);
        plan.active += 1;
      } else plan.groups.push('x', p.userId, p.ticket, 'EXPIRED');
    } else {
      if (p.status === 'LEFT' && p.admittedAt === null) plan.leftWhileWaiting += 1;
      plan.groups.push('x', p.userId, p.ticket, p.status);
    }
  }
  // drawn users whose join had not reached the journal yet keep their drawn place
  if (draw !== null) {
    draw.participantTickets.forEach((ticket, i) => {
      const userId = draw.participantUsers[i];
      plan.maxTicket = Math.max(plan.maxTicket, ticket);
      if (userId === undefined || seenUsers.has(userId)) return;
      plan.groups.push('w', userId, ticket, drawIndex.get(ticket) ?? ticket + 0.5);
      plan.waiting += 1;
    });
  }
  return plan;
}
