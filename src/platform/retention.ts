import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { JobSpec } from './jobs.ts';

export interface RetentionPolicy {
  /** Published outbox rows are kept this long for audit and replay, then deleted. */
  outboxDays: number;
  /** Inbox rows must outlive any redelivery (Kafka retention is 7 days), so keep them longer. */
  inboxDays: number;
  /** Idempotency keys are a 24 h promise (API.md). */
  idempotencyHours: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { outboxDays: 3, inboxDays: 14, idempotencyHours: 24 };

const BATCH = 5000;

/** Deletes in bounded batches so a long backlog never holds locks for long. Returns rows deleted per table. */
export async function purgeExpired(db: Db, policy: RetentionPolicy = DEFAULT_RETENTION, now = new Date()) {
  const day = 24 * 3600 * 1000;
  const outbox = await deleteBatches(
    db,
    sql`
    delete from outbox where id in (
      select id from outbox where published_at is not null and published_at < ${new Date(now.getTime() - policy.outboxDays * day)}
      limit ${BATCH})`,
  );
  const inbox = await deleteBatches(
    db,
    sql`
    delete from inbox where ctid in (
      select ctid from inbox where processed_at < ${new Date(now.getTime() - policy.inboxDays * day)} limit ${BATCH})`,
  );
  const idempotency = await deleteBatches(
    db,
    sql`
    delete from idempotency_keys where ctid in (
      select ctid from idempotency_keys
      where created_at < ${new Date(now.getTime() - policy.idempotencyHours * 3600 * 1000)} limit ${BATCH})`,
  );
  return { outbox, inbox, idempotency };
}

async function deleteBatches(db: Db, statement: ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await statement.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    total += deleted;
    if (deleted < BATCH) return total;
  }
}

export function retentionJob(db: Db, policy: RetentionPolicy = DEFAULT_RETENTION): JobSpec {
  return {
    name: 'platform-retention',
    intervalMs: 10 * 60 * 1000,
    run: async () => void (await purgeExpired(db, policy)),
  };
}
