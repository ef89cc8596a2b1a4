import { randomUUID } from 'node:crypto';
import { type QueryExecutorProvider, sql } from 'kysely';

export const OUTBOX_SHARDS = 8;

export interface DomainEvent<P = unknown> {
  /** Logical topic name without the deployment prefix, e.g. `payment.events`. */
  topic: string;
  /** Aggregate id: the Kafka message key, so events of one aggregate stay in order. */
  key: string;
  /** Event type, e.g. `payment.approved`. */
  type: string;
  payload: P;
  eventId?: string;
}

/**
 * Records an event in the outbox inside the caller's transaction: it is published if and only if the
 * transaction commits. Returns the event id that consumers dedupe on.
 */
export async function enqueueEvent(executor: QueryExecutorProvider, event: DomainEvent): Promise<string> {
  const eventId = event.eventId ?? randomUUID();
  await sql`
    insert into outbox (event_id, topic, key, shard, type, payload)
    values (${eventId}, ${event.topic}, ${event.key}, ${shardOf(event.key)}, ${event.type}, ${JSON.stringify(event.payload)}::jsonb)
  `.execute(executor);
  await sql`select pg_notify('outbox_new', '')`.execute(executor);
  return eventId;
}

/** Stable FNV-1a hash of the key: one shard, hence one relay, per key. */
export function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % OUTBOX_SHARDS;
}

/** The envelope every event has on Kafka (message value, JSON). */
export interface EventEnvelope<P = unknown> {
  eventId: string;
  type: string;
  key: string;
  occurredAt: string;
  payload: P;
}
