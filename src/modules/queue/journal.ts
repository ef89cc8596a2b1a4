import { TOPICS } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { enqueueEvent } from '../../platform/outbox/enqueue.ts';
import type { EndRow, JoinRow, JournalRepository, SlotRow } from './journal-repository.ts';
import type { QueueStore } from './store.ts';

/** A join waiting to be journaled, with the Redis epoch it was accepted under. */
export interface JournalJoin extends JoinRow {
  epoch: string;
}

const MAX_EVENT_ENTRIES = 1000;
const MAX_BATCH = 20_000;
const MAX_BUFFERED = 2_000_000;

/**
 * The durable journal of the queue (docs/decisions/0011-queue-durability.md). Joins, admissions,
 * retained slots and ended places are buffered in memory and written every `intervalMs` in ONE
 * PostgreSQL transaction per batch, together with their outbox events, so the request path never waits
 * for PostgreSQL. A failed batch is kept and retried; shutdown flushes what is left.
 *
 * After a batch of joins is committed, the journal checks the Redis epoch: if Redis was rebuilt after
 * those joins were accepted (the rebuild could not see them yet), they are re-asserted into Redis.
 */
export class Journal {
  readonly #repo: JournalRepository;
  readonly #store: QueueStore;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #joins: JournalJoin[] = [];
  #slots: SlotRow[] = [];
  #ends: EndRow[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #failures = 0;
  #stopped = false;
  readonly #lag: import('prom-client').Gauge<string>;
  readonly #written: import('prom-client').Counter<string>;

  constructor(deps: {
    repo: JournalRepository;
    store: QueueStore;
    logger: Logger;
    metrics: Metrics;
    intervalMs: number;
  }) {
    this.#repo = deps.repo;
    this.#store = deps.store;
    this.#logger = deps.logger;
    this.#intervalMs = deps.intervalMs;
    this.#lag = deps.metrics.gauge('queue_journal_buffered', 'Queue journal records not yet in PostgreSQL');
    this.#written = deps.metrics.counter('queue_journal_records_total', 'Queue journal records written', [
      'kind',
    ]);
  }

  get buffered(): number {
    return this.#joins.length + this.#slots.length + this.#ends.length;
  }

  join(row: JournalJoin): void {
    this.#joins.push(row);
    this.#schedule();
  }

  slot(row: SlotRow): void {
    this.#slots.push(row);
    this.#schedule();
  }

  end(row: EndRow): void {
    this.#ends.push(row);
    this.#schedule();
  }

  #schedule(): void {
    if (this.buffered > MAX_BUFFERED) {
      this.#logger.error(
        { buffered: this.buffered },
        'queue journal buffer over its bound; dropping oldest joins',
      );
      this.#joins.splice(0, this.#joins.length - MAX_BUFFERED / 2);
    }
    if (this.#timer !== null || this.#stopped) return;
    const delay =
      this.#failures === 0 ? this.#intervalMs : Math.min(5000, this.#intervalMs * 2 ** this.#failures);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, delay);
  }

  /** Writes everything buffered now (waits for a flush in flight first). */
  async flush(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing;
    if (this.buffered === 0) return;
    this.#flushing = this.#flushOnce().finally(() => {
      this.#flushing = null;
    });
    await this.#flushing;
    if (this.buffered > 0) this.#schedule();
  }

  async #flushOnce(): Promise<void> {
    const joins = this.#joins.splice(0, MAX_BATCH);
    const slots = this.#slots.splice(0, MAX_BATCH);
    const ends = this.#ends.splice(0, MAX_BATCH);
    this.#lag.set(this.buffered);
    try {
      await this.#repo.db.transaction().execute(async (trx) => {
        await this.#repo.insertJoins(trx, joins);
        await this.#repo.upsertSlots(trx, mergeSlots(slots));
        await this.#repo.upsertEnds(trx, firstEnds(ends));
        for (const event of batchEvents(joins, slots, ends)) await enqueueEvent(trx, event);
      });
      this.#failures = 0;
      this.#written.inc({ kind: 'join' }, joins.length);
      this.#written.inc({ kind: 'slot' }, slots.length);
      this.#written.inc({ kind: 'end' }, ends.length);
    } catch (err) {
      this.#failures += 1;
      this.#logger.warn(
        { err, records: joins.length + slots.length + ends.length },
        'queue journal batch failed; retrying',
      );
      this.#joins.unshift(...joins);
      this.#slots.unshift(...slots);
      this.#ends.unshift(...ends);
      return;
    }
    await this.#reassert(joins).catch((err: unknown) =>
      this.#logger.warn({ err }, 'queue journal could not re-assert joins after a rebuild'),
    );
  }

  /** Joins accepted under an epoch that is no longer current: a rebuild happened without them. */
  async #reassert(joins: JournalJoin[]): Promise<void> {
    const bySchedule = new Map<string, JournalJoin[]>();
    for (const j of joins) {
      const list = bySchedule.get(j.scheduleId);
      if (list === undefined) bySchedule.set(j.scheduleId, [j]);
      else list.push(j);
    }
    for (const [scheduleId, list] of bySchedule) {
      // one cheap read per schedule and batch; the joins themselves go back to Redis only after a rebuild
      const current = await this.#store.epoch(scheduleId);
      const stale = list.filter((j) => j.epoch !== current);
      if (stale.length === 0) continue;
      const byEpoch = new Map<string, JournalJoin[]>();
      for (const j of stale) {
        const group = byEpoch.get(j.epoch);
        if (group === undefined) byEpoch.set(j.epoch, [j]);
        else group.push(j);
      }
      for (const [epoch, group] of byEpoch) {
        for (let i = 0; i < group.length; i += 1000) {
          const triples = group.slice(i, i + 1000).flatMap((j) => [j.userId, j.ticket, j.preQueue ? 1 : 0]);
          const added = await this.#store.reassert(scheduleId, epoch, triples);
          if (added > 0) this.#logger.warn({ scheduleId, added }, 'queue joins re-asserted after a rebuild');
        }
      }
    }
  }

  /** Stops the timer and writes what is left (retrying a few times). */
  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (let attempt = 0; attempt < 5 && this.buffered > 0; attempt++) {
      await this.flush();
      if (this.buffered > 0) await new Promise((r) => setTimeout(r, 200));
    }
    if (this.buffered > 0)
      this.#logger.error({ buffered: this.buffered }, 'queue journal closed with records unwritten');
  }
}

function mergeSlots(rows: SlotRow[]): SlotRow[] {
  const merged = new Map<string, SlotRow>();
  for (const r of rows) {
    const key = `${r.scheduleId}:${r.ticket}`;
    const prev = merged.get(key);
    if (prev === undefined) merged.set(key, { ...r });
    else {
      prev.admittedAt = prev.admittedAt ?? r.admittedAt;
      prev.expiresAt = Math.max(prev.expiresAt, r.expiresAt);
    }
  }
  return [...merged.values()];
}

function firstEnds(rows: EndRow[]): EndRow[] {
  const first = new Map<string, EndRow>();
  for (const r of rows) {
    const key = `${r.scheduleId}:${r.ticket}`;
    if (!first.has(key)) first.set(key, r);
  }
  return [...first.values()];
}

interface BatchEvent {
  topic: string;
  key: string;
  type: string;
  payload: unknown;
}

/**
 * Queue events leave through the outbox, one event per schedule, type and batch (up to 1000 entries):
 * `queue.joined`, `queue.admitted`, `queue.expired`, `queue.left` (see docs/contracts.md).
 */
function batchEvents(joins: JoinRow[], slots: SlotRow[], ends: EndRow[]): BatchEvent[] {
  const events: BatchEvent[] = [];
  const push = <T extends { scheduleId: string }>(type: string, rows: T[], entry: (r: T) => unknown) => {
    const bySchedule = new Map<string, T[]>();
    for (const r of rows) {
      const list = bySchedule.get(r.scheduleId);
      if (list === undefined) bySchedule.set(r.scheduleId, [r]);
      else list.push(r);
    }
    for (const [scheduleId, list] of bySchedule) {
      for (let i = 0; i < list.length; i += MAX_EVENT_ENTRIES) {
        events.push({
          topic: TOPICS.queue,
          key: scheduleId,
          type,
          payload: { scheduleId, entries: list.slice(i, i + MAX_EVENT_ENTRIES).map(entry) },
        });
      }
    }
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  push('queue.joined', joins, (r) => ({
    userId: r.userId,
    ticketNumber: r.ticket,
    preQueue: r.preQueue,
    joinedAt: iso(r.at),
  }));
  push(
    'queue.admitted',
    slots.filter((s) => s.admittedAt !== null),
    (r) => ({
      userId: r.userId,
      ticketNumber: r.ticket,
      admittedAt: iso(r.admittedAt ?? 0),
      expiresAt: iso(r.expiresAt),
    }),
  );
  push(
    'queue.expired',
    ends.filter((e) => e.status === 'EXPIRED'),
    (r) => ({ userId: r.userId, ticketNumber: r.ticket, expiredAt: iso(r.at) }),
  );
  push(
    'queue.left',
    ends.filter((e) => e.status === 'LEFT' || e.status === 'PAID'),
    (r) => ({ userId: r.userId, ticketNumber: r.ticket, reason: r.status, leftAt: iso(r.at) }),
  );
  return events;
}
