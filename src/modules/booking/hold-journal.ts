import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { type BookingEvent, emitMany } from './events.ts';
import type { HoldRepository, NewHoldRow } from './hold-repository.ts';
import type { BookingTables } from './tables.ts';

type Db = Kysely<PlatformTables & BookingTables>;

export type JournalOp =
  | { kind: 'insert'; row: NewHoldRow; event: BookingEvent }
  | { kind: 'end'; holdId: string; status: 'RELEASED' | 'EXPIRED'; at: Date; event: BookingEvent }
  | { kind: 'extend'; holdId: string; expiresAt: Date };

interface Pending {
  op: JournalOp;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 2;

/**
 * Group commit of hold changes: what the Redis scripts decided is written to PostgreSQL (row +
 * outbox event) in shared transactions, and each caller's promise settles when its row is committed.
 * While a batch is in flight the next one fills, so under load one commit carries hundreds of holds
 * and a hold costs a fraction of a transaction; an idle system commits each hold at once (no timer).
 * A failing batch is retried op by op so one bad row cannot fail its neighbours.
 */
export class HoldJournal {
  readonly #db: Db;
  readonly #holds: HoldRepository;
  readonly #logger: Logger;
  readonly #batchSize: ReturnType<Metrics['histogram']>;
  #queue: Pending[] = [];
  #inFlight = 0;

  constructor(db: Db, holds: HoldRepository, logger: Logger, metrics: Metrics) {
    this.#db = db;
    this.#holds = holds;
    this.#logger = logger;
    this.#batchSize = metrics.histogram(
      'booking_hold_journal_batch_size',
      'hold changes per PostgreSQL commit (group commit)',
      [],
      [1, 2, 5, 10, 25, 50, 100, 250, 500],
    );
  }

  write(op: JournalOp): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < MAX_IN_FLIGHT && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      this.#inFlight++;
      void this.#commit(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    this.#batchSize.observe(batch.length);
    try {
      await this.#db.transaction().execute((trx) =>
        this.#apply(
          trx,
          batch.map((p) => p.op),
        ),
      );
      for (const p of batch) p.resolve();
      return;
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      this.#logger.warn({ err: error, size: batch.length }, 'hold journal batch failed; retrying one by one');
    }
    for (const p of batch) {
      try {
        await this.#db.transaction().execute((trx) => this.#apply(trx, [p.op]));
        p.resolve();
      } catch (error) {
        p.reject(error);
      }
    }
  }

  async #apply(trx: Db, ops: readonly JournalOp[]): Promise<void> {
    const inserts: NewHoldRow[] = [];
    const events: BookingEvent[] = [];
    const released: string[] = [];
    const expired: string[] = [];
    let at = new Date(0);
    for (const op of ops) {
      if (op.kind === 'insert') {
        inserts.push(op.row);
        events.push(op.event);
      } else if (op.kind === 'end') {
        (op.status === 'RELEASED' ? released : expired).push(op.holdId);
        if (op.at > at) at = op.at;
        events.push(op.event);
      }
    }
    await this.#holds.insertMany(trx, inserts);
    for (const op of ops) if (op.kind === 'extend') await this.#holds.setExpiry(trx, op.holdId, op.expiresAt);
    await this.#holds.endMany(trx, released, 'RELEASED', at);
    await this.#holds.endMany(trx, expired, 'EXPIRED', at);
    await emitMany(trx, events);
  }
}
