import type { Tx } from '../db.ts';
import type { EventEnvelope } from './enqueue.ts';

/**
 * A Kafka consumer of the worker role. The platform runs `handle` inside a PostgreSQL transaction
 * that also records (name, eventId) in the inbox, so a redelivered event is skipped: exactly-once
 * effects on top of at-least-once delivery. The offset is committed after the transaction.
 */
export interface ConsumerSpec {
  /** Consumer group id and inbox consumer name. */
  name: string;
  /** Logical topic names (see TOPICS). */
  topics: string[];
  handle(event: EventEnvelope, trx: Tx): Promise<void>;
  /**
   * Optional: effects that go through their own connections and transactions (other modules' use
   * cases, Redis). Run before the inbox transaction opens, never inside it: a handler that held the
   * inbox transaction's connection while waiting for another pool connection would deadlock the pool
   * under load. At-least-once (skipped once the inbox has the event), so it must be idempotent.
   */
  before?(event: EventEnvelope): Promise<void>;
}
