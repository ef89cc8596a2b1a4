import type { Logger } from '../../../platform/logger.ts';
import type { Metrics } from '../../../platform/metrics.ts';
import { counterOnce, gaugeOnce } from '../../../platform/outbox/support.ts';
import type { AuditEntry, AuditRepository } from './repository.ts';

export interface AuditWriterOptions {
  /** Rows per INSERT (default 100). */
  batchSize?: number;
  /** How long an entry may wait for companions before it is written (default 200 ms). */
  intervalMs?: number;
  /** Entries kept in memory while PostgreSQL refuses them (default 20,000). */
  maxBuffered?: number;
  /** Backoff after a failed write: base and cap (defaults 500 ms, 10 s). */
  retryBaseMs?: number;
  retryCapMs?: number;
}

/**
 * Writes audit entries in small batches off the request path: `record` only appends to a buffer, a
 * timer (or a full batch) starts one writer at a time. A failed write is retried with capped backoff
 * and counted (`ops_audit_write_failures_total`, a warning in the log). Nothing disappears quietly:
 * an entry pushed out of a full buffer, or still unwritten at shutdown, is logged at error level with
 * its content (the log is shipped and kept) and counted in `ops_audit_entries_total{outcome="dropped"}`.
 */
export class AuditWriter {
  readonly #repo: AuditRepository;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #maxBuffered: number;
  readonly #retryBaseMs: number;
  readonly #retryCapMs: number;
  readonly #entries;
  readonly #failures;
  readonly #buffered;
  #buffer: AuditEntry[] = [];
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<boolean> | null = null;
  #failedInRow = 0;
  #inFlight = 0;
  #closed = false;

  constructor(repo: AuditRepository, logger: Logger, metrics: Metrics, options: AuditWriterOptions = {}) {
    this.#repo = repo;
    this.#logger = logger;
    this.#batchSize = options.batchSize ?? 100;
    this.#intervalMs = options.intervalMs ?? 200;
    this.#maxBuffered = options.maxBuffered ?? 20_000;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#retryCapMs = options.retryCapMs ?? 10_000;
    this.#entries = counterOnce(metrics, 'ops_audit_entries_total', 'Audit entries by outcome', ['outcome']);
    this.#failures = counterOnce(metrics, 'ops_audit_write_failures_total', 'Failed audit batch writes', []);
    this.#buffered = gaugeOnce(metrics, 'ops_audit_buffered', 'Audit entries waiting to be written', []);
  }

  /** Entries not written yet (buffered or in a write now). */
  get pending(): number {
    return this.#buffer.length + this.#inFlight;
  }

  record(entry: AuditEntry): void {
    if (this.#closed) {
      // A request finishing after shutdown began: the database may be gone already.
      this.#entries.inc({ outcome: 'dropped' });
      this.#logger.error({ audit: entry }, 'audit entry after shutdown: kept only in this log line');
      return;
    }
    if (this.#buffer.length >= this.#maxBuffered) {
      const dropped = this.#buffer.shift();
      this.#entries.inc({ outcome: 'dropped' });
      this.#logger.error(
        { audit: dropped, buffered: this.#buffer.length },
        'audit buffer full (PostgreSQL refuses writes): oldest entry kept only in this log line',
      );
    }
    this.#buffer.push(entry);
    this.#buffered.set(this.#buffer.length);
    const full = this.#buffer.length >= this.#batchSize && this.#failedInRow === 0;
    this.#schedule(full ? 0 : this.#intervalMs);
  }

  /** Writes everything buffered now; true when nothing is left. */
  async flush(): Promise<boolean> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#running !== null) await this.#running;
    return this.#drain();
  }

  /** Shutdown: a last flush (one retry); what still cannot be written goes to the error log. */
  async close(): Promise<void> {
    this.#closed = true;
    if ((await this.flush()) || (await this.flush())) return;
    const left = this.#buffer;
    this.#buffer = [];
    this.#buffered.set(0);
    this.#entries.inc({ outcome: 'dropped' }, left.length);
    this.#logger.error(
      { audit: left, count: left.length },
      'audit entries not written at shutdown: kept only in this log line',
    );
  }

  #schedule(delayMs: number): void {
    if (this.#running !== null) return; // the running writer loops until the buffer is empty
    if (this.#timer !== null) {
      if (delayMs > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#drain();
    }, delayMs);
    this.#timer.unref();
  }

  #drain(): Promise<boolean> {
    if (this.#running !== null) return this.#running;
    const run = this.#writeAll().finally(() => {
      this.#running = null;
      this.#buffered.set(this.#buffer.length);
      if (this.#buffer.length > 0) {
        const backoff =
          this.#failedInRow === 0
            ? this.#intervalMs
            : Math.min(this.#retryCapMs, this.#retryBaseMs * 2 ** (this.#failedInRow - 1));
        this.#schedule(backoff);
      }
    });
    this.#running = run;
    return run;
  }

  async #writeAll(): Promise<boolean> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#batchSize);
      this.#inFlight = batch.length;
      try {
        await this.#repo.insertMany(batch);
        this.#inFlight = 0;
        this.#entries.inc({ outcome: 'written' }, batch.length);
        this.#failedInRow = 0;
      } catch (err) {
        this.#inFlight = 0;
        this.#buffer.unshift(...batch);
        this.#failedInRow += 1;
        this.#failures.inc();
        this.#logger.warn(
          { err, pending: this.#buffer.length, failedInRow: this.#failedInRow },
          'audit write failed; retrying with backoff',
        );
        return false;
      }
    }
    return true;
  }
}
