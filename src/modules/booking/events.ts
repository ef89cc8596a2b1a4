import { randomUUID } from 'node:crypto';
import { type QueryExecutorProvider, sql } from 'kysely';
import { TOPICS } from '../../platform/kafka.ts';
import { enqueueEvent, shardOf } from '../../platform/outbox/enqueue.ts';

/** Events on TOPICS.booking, keyed by scheduleId (docs/contracts.md). */
export type BookingEventType =
  | 'hold.created'
  | 'hold.released'
  | 'hold.expired'
  | 'order.created'
  | 'order.paid'
  | 'order.expired'
  | 'order.cancelled';

export interface HoldEventPayload {
  holdId: string;
  scheduleId: string;
  performanceId: string;
  userId: string;
  seatIds: number[];
  sectionId: string | null;
  quantity: number;
  fence: number;
  expiresAt: string;
  at: string;
}

export interface OrderEventPayload {
  orderId: string;
  tossOrderId: string;
  holdId: string;
  scheduleId: string;
  performanceId: string;
  sellerId: string;
  userId: string;
  status: string;
  subtotal: number;
  discount: number;
  amount: number;
  couponId: string | null;
  seatIds: number[];
  quantity: number;
  reason?: string;
  at: string;
}

export interface BookingEvent {
  type: BookingEventType;
  scheduleId: string;
  payload: HoldEventPayload | OrderEventPayload;
}

export function emit(trx: QueryExecutorProvider, event: BookingEvent): Promise<string> {
  return enqueueEvent(trx, {
    topic: TOPICS.booking,
    key: event.scheduleId,
    type: event.type,
    payload: event.payload,
  });
}

/**
 * Many events in one statement: the same outbox rows `enqueueEvent` writes (one per event, shard by
 * key, one NOTIFY), so a group commit of hundreds of holds costs two statements, not hundreds.
 */
export async function emitMany(trx: QueryExecutorProvider, events: readonly BookingEvent[]): Promise<void> {
  if (events.length === 0) return;
  if (events.length === 1) {
    await emit(trx, events[0] as BookingEvent);
    return;
  }
  const rows = events.map(
    (e) =>
      sql`(${randomUUID()}::uuid, ${TOPICS.booking}, ${e.scheduleId}, ${shardOf(e.scheduleId)}, ${e.type}, ${JSON.stringify(e.payload)}::jsonb)`,
  );
  await sql`insert into outbox (event_id, topic, key, shard, type, payload) values ${sql.join(rows)}`.execute(
    trx,
  );
  await sql`select pg_notify('outbox_new', '')`.execute(trx);
}
