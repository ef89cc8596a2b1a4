import type { Logger } from '../../../platform/logger.ts';
import type { SalesRedisCopy } from './redis-copy.ts';
import type { HaltSnapshot, SalesSwitchRepository } from './repository.ts';

/** Why sales of a schedule are stopped by an operator. */
export interface SalesHalt {
  performanceId: string;
  reason: string;
  since: string;
}

export interface GateOptions {
  /** Snapshots older than this are re-read; none older than twice this is used (default 500 ms → ≤ 1 s). */
  maxAgeMs?: number;
  /** schedule → performance entries kept (default 10,000; the mapping never changes). */
  maxSchedules?: number;
}

interface Snapshot {
  at: number;
  halts: Map<string, SalesHalt>;
}

/**
 * The kill-switch check of the hot paths (queue join and poll, holds, orders, the admitter): a
 * per-process snapshot of the halted performances, re-read from Redis (one HGETALL of a small hash)
 * when it is older than `maxAgeMs`, never used when older than 2 × `maxAgeMs` (1 s by default). With nothing halted — the usual case — an answer is a map size
 * check, synchronous. A schedule's performance is asked of catalog once and remembered. If Redis has
 * no copy, PostgreSQL's record is read and copied back; if Redis fails, PostgreSQL answers.
 */
export class SalesGate {
  readonly #copy: SalesRedisCopy;
  readonly #repo: SalesSwitchRepository;
  readonly #performanceOf: (scheduleId: string) => Promise<string | null>;
  readonly #logger: Logger;
  readonly #maxAgeMs: number;
  readonly #maxSchedules: number;
  readonly #schedules = new Map<string, string | null>();
  #snapshot: Snapshot | null = null;
  #refreshing: Promise<Snapshot> | null = null;
  #lastWarnAt = 0;

  constructor(deps: {
    copy: SalesRedisCopy;
    repo: SalesSwitchRepository;
    performanceOf: (scheduleId: string) => Promise<string | null>;
    logger: Logger;
    options?: GateOptions;
  }) {
    this.#copy = deps.copy;
    this.#repo = deps.repo;
    this.#performanceOf = deps.performanceOf;
    this.#logger = deps.logger;
    this.#maxAgeMs = deps.options?.maxAgeMs ?? 500;
    this.#maxSchedules = deps.options?.maxSchedules ?? 10_000;
  }

  /** The halt of the schedule's performance, or null; synchronous when the snapshot is fresh. */
  haltOf(scheduleId: string): SalesHalt | null | Promise<SalesHalt | null> {
    const snap = this.#fresh();
    if (snap instanceof Promise) return snap.then((s) => this.#lookup(s, scheduleId));
    return this.#lookup(snap, scheduleId);
  }

  /** The halt of one performance (fresh snapshot). */
  async haltOfPerformance(performanceId: string): Promise<SalesHalt | null> {
    const snap = await this.#fresh();
    return snap.halts.get(performanceId) ?? null;
  }

  /** Forget the snapshot: the next check re-reads (this process changed the switch). */
  invalidate(): void {
    this.#snapshot = null;
  }

  #lookup(s: Snapshot, scheduleId: string): SalesHalt | null | Promise<SalesHalt | null> {
    if (s.halts.size === 0) return null;
    const known = this.#schedules.get(scheduleId);
    if (known !== undefined) return known === null ? null : (s.halts.get(known) ?? null);
    return this.#performanceOf(scheduleId).then((performanceId) => {
      if (this.#schedules.size >= this.#maxSchedules) {
        const oldest = this.#schedules.keys().next().value;
        if (oldest !== undefined) this.#schedules.delete(oldest);
      }
      this.#schedules.set(scheduleId, performanceId);
      return performanceId === null ? null : (s.halts.get(performanceId) ?? null);
    });
  }

  /**
   * Fresh (younger than maxAgeMs): as is. Up to twice that: as is, while a re-read starts in the
   * background, so the hot path rarely waits for Redis. Older or none: wait for the re-read.
   */
  #fresh(): Snapshot | Promise<Snapshot> {
    const snap = this.#snapshot;
    const age = snap === null ? Number.POSITIVE_INFINITY : Date.now() - snap.at;
    if (snap !== null && age < this.#maxAgeMs) return snap;
    if (snap !== null && age < 2 * this.#maxAgeMs) {
      void this.#refresh();
      return snap;
    }
    return this.#refresh();
  }

  #refresh(): Promise<Snapshot> {
    if (this.#refreshing !== null) return this.#refreshing;
    const started = Date.now();
    const run = this.#read()
      .then((state) => {
        const snap: Snapshot = { at: started, halts: toMap(state) };
        this.#snapshot = snap;
        return snap;
      })
      .catch((err: unknown) => {
        // Redis and PostgreSQL both failed: keep answering from what was known (or nothing halted).
        if (Date.now() - this.#lastWarnAt > 10_000) {
          this.#lastWarnAt = Date.now();
          this.#logger.warn({ err }, 'sales kill switch state unreadable; using the last known state');
        }
        return this.#snapshot ?? { at: 0, halts: new Map<string, SalesHalt>() };
      })
      .finally(() => {
        this.#refreshing = null;
      });
    this.#refreshing = run;
    return run;
  }

  async #read(): Promise<HaltSnapshot> {
    let copy: HaltSnapshot | null;
    try {
      copy = await this.#copy.read();
    } catch (err) {
      this.#logger.debug({ err }, 'sales switch copy unreadable in Redis; reading PostgreSQL');
      return this.#repo.snapshot();
    }
    if (copy !== null) return copy;
    const record = await this.#repo.snapshot();
    await this.#copy.write(record).catch(() => undefined);
    return record;
  }
}

function toMap(state: HaltSnapshot): Map<string, SalesHalt> {
  return new Map(
    state.halts.map((h) => [
      h.performanceId,
      { performanceId: h.performanceId, reason: h.reason, since: h.changedAt.toISOString() },
    ]),
  );
}
