import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/platform/db.ts';
import { purgeExpired } from '../../src/platform/retention.ts';

let db: Db;
let destroy: () => Promise<void>;
beforeAll(() => {
  const created = createDb(process.env.DATABASE_URL ?? '', 2);
  db = created.db;
  destroy = () => created.db.destroy();
});
afterAll(async () => destroy());

describe('retention', () => {
  it('deletes only what is past its retention: published old outbox rows, old inbox rows, idempotency keys past 24 h', async () => {
    const now = new Date('2030-01-10T00:00:00Z');
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
    const tag = randomUUID();
    const outboxRow = (publishedAt: Date | null, createdAt: Date) => ({
      event_id: randomUUID(),
      topic: `retention-${tag}`,
      key: 'k',
      shard: 0,
      type: 't',
      payload: '{}',
      created_at: createdAt,
      published_at: publishedAt,
    });
    const rows = [
      outboxRow(daysAgo(5), daysAgo(5)),
      outboxRow(daysAgo(1), daysAgo(1)),
      outboxRow(null, daysAgo(9)),
    ];
    for (const r of rows) {
      await sql`insert into outbox (event_id, topic, key, shard, type, payload, created_at, published_at)
        values (${r.event_id}, ${r.topic}, ${r.key}, ${r.shard}, ${r.type}, ${r.payload}::jsonb, ${r.created_at}, ${r.published_at})`.execute(
        db,
      );
    }
    const consumer = `retention-${tag}`;
    await sql`insert into inbox (consumer, event_id, processed_at) values
      (${consumer}, ${randomUUID()}, ${daysAgo(20)}), (${consumer}, ${randomUUID()}, ${daysAgo(2)})`.execute(
      db,
    );
    await sql`insert into idempotency_keys (scope, idem_key, request_hash, state, created_at) values
      (${consumer}, 'old', 'h', 'DONE', ${daysAgo(2)}), (${consumer}, 'new', 'h', 'DONE', ${new Date(now.getTime() - 3_600_000)})`.execute(
      db,
    );

    const deleted = await purgeExpired(db, { outboxDays: 3, inboxDays: 14, idempotencyHours: 24 }, now);
    expect(deleted.outbox).toBeGreaterThanOrEqual(1);

    const outboxLeft = await sql<{
      published_at: Date | null;
    }>`select published_at from outbox where topic = ${`retention-${tag}`} order by id`.execute(db);
    // The unpublished row stays however old it is: deleting it would lose an event.
    expect(outboxLeft.rows.map((r) => r.published_at === null)).toEqual([false, true]);
    const inboxLeft = await sql<{
      n: number;
    }>`select count(*)::int as n from inbox where consumer = ${consumer}`.execute(db);
    expect(inboxLeft.rows[0]?.n).toBe(1);
    const keysLeft = await sql<{
      idem_key: string;
    }>`select idem_key from idempotency_keys where scope = ${consumer}`.execute(db);
    expect(keysLeft.rows.map((r) => r.idem_key)).toEqual(['new']);
  });
});
