import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueEvent, OUTBOX_SHARDS } from '../../src/platform/outbox/enqueue.ts';
import { type PublishedBatch, startRelay } from '../../src/platform/outbox/relay.ts';
import type { Runtime } from '../../src/platform/runtime.ts';
import {
  commitEvents,
  type Isolated,
  isolatedEnvironment,
  readTopic,
  TEST_TOPIC,
  unpublishedCount,
  waitFor,
} from './support.ts';

describe('outbox relay', () => {
  let env: Isolated;
  let rt: Runtime;

  beforeAll(async () => {
    env = await isolatedEnvironment('relay');
    rt = env.runtime();
  });
  afterAll(async () => {
    await env.close();
  });

  it('publishes every committed row exactly once, in order per key, and nothing of a rolled-back transaction', async () => {
    const keys = Array.from({ length: 40 }, () => randomUUID());
    const reader = await readTopic(rt, TEST_TOPIC, 'reader-a');
    const stop = startRelay(rt, { batchSize: 200 });
    try {
      // a rolled-back transaction: its rows never exist, so nothing can be published
      const rolledBackId = randomUUID();
      await expect(
        rt.db.transaction().execute(async (trx) => {
          await enqueueEvent(trx, {
            topic: TEST_TOPIC,
            key: keys[0] as string,
            type: 'test.rolledback',
            payload: {},
            eventId: rolledBackId,
          });
          throw new Error('business rule refused');
        }),
      ).rejects.toThrow('business rule refused');

      // committed while the relay runs: 3000 events over 40 keys, in transactions of 50
      const started = Date.now();
      const committed = await commitEvents(rt, { keys, count: 3000, perTx: 50 });
      await waitFor(() => reader.messages.length >= committed.length, 45_000, 'all events on Kafka');
      const elapsed = Date.now() - started;
      await waitFor(async () => (await unpublishedCount(rt)) === 0, 10_000, 'all rows marked');
      // give a duplicate a moment to show up, if there were one
      await new Promise((r) => setTimeout(r, 1000));

      const ids = reader.messages.map((m) => m.envelope.eventId);
      expect(ids.length).toBe(committed.length);
      expect(new Set(ids).size).toBe(committed.length);
      expect(new Set(ids)).toEqual(new Set(committed.map((c) => c.eventId)));
      expect(ids).not.toContain(rolledBackId);

      const lastSeq = new Map<string, number>();
      for (const { envelope, headers } of reader.messages) {
        expect(envelope.type).toBe('test.happened');
        expect(headers.get('event-id')).toBe(envelope.eventId);
        expect(headers.get('event-type')).toBe('test.happened');
        const prev = lastSeq.get(envelope.key) ?? 0;
        expect(envelope.payload.seq).toBe(prev + 1);
        lastSeq.set(envelope.key, envelope.payload.seq);
      }
      expect(lastSeq.size).toBe(keys.length);
      console.info(`relay: ${committed.length} events committed and read back in ${elapsed} ms`);

      const metrics = await rt.metrics.registry.getMetricsAsJSON();
      const published = metrics.find((m) => m.name === 'outbox_published_total');
      expect(published?.values.reduce((s, v) => s + v.value, 0)).toBe(committed.length);
    } finally {
      await stop();
      await reader.close();
    }
  });

  it('publishes a batch larger than the broker takes in one request (one key, 2.4 MB) in several requests', async () => {
    const key = randomUUID();
    const reader = await readTopic(rt, TEST_TOPIC, 'reader-big');
    const stop = startRelay(rt, {
      batchSize: 500,
      maxRequestBytes: Number(process.env.RELAY_TEST_MAX_REQUEST ?? 512 * 1024),
    });
    try {
      const filler = 'x'.repeat(8 * 1024);
      const ids: string[] = [];
      await rt.db.transaction().execute(async (trx) => {
        for (let seq = 1; seq <= 300; seq++) {
          const eventId = randomUUID();
          ids.push(eventId);
          await enqueueEvent(trx, {
            topic: TEST_TOPIC,
            key,
            type: 'test.big',
            payload: { seq, filler },
            eventId,
          });
        }
      });
      await waitFor(
        () => reader.messages.filter((m) => m.envelope.key === key).length >= ids.length,
        30_000,
        'all big events on Kafka',
      );
      const mine = reader.messages.filter((m) => m.envelope.key === key);
      expect(mine.map((m) => m.envelope.eventId)).toEqual(ids);
      await waitFor(async () => (await unpublishedCount(rt)) === 0, 10_000, 'all rows marked');
    } finally {
      await stop();
      await reader.close();
    }
  });

  it('two relays split the shards, never publish a row twice, and one takes over when the other stops', async () => {
    const keys = Array.from({ length: 30 }, () => randomUUID());
    const publishedBy = new Map<string, string[]>();
    const onPublished = (batch: PublishedBatch) => {
      for (const id of batch.eventIds)
        publishedBy.set(id, [...(publishedBy.get(id) ?? []), batch.instanceId]);
    };
    const reader = await readTopic(rt, TEST_TOPIC, 'reader-d');
    const a = startRelay(env.runtime(), { instanceId: 'A', claimIntervalMs: 300, onPublished });
    const b = startRelay(env.runtime(), { instanceId: 'B', claimIntervalMs: 300, onPublished });
    let bStopped = false;
    try {
      await waitFor(
        () => a.ownedShards().length === 4 && b.ownedShards().length === 4,
        10_000,
        'an even split of the shards',
      );
      const union = new Set([...a.ownedShards(), ...b.ownedShards()]);
      expect(union.size).toBe(OUTBOX_SHARDS);

      const first = await commitEvents(rt, { keys, count: 2000, perTx: 40, tag: 'split' });
      await waitFor(() => first.every((e) => publishedBy.has(e.eventId)), 30_000, 'both relays to publish');
      const byA = first.filter((e) => publishedBy.get(e.eventId)?.[0] === 'A').length;
      expect(byA).toBeGreaterThan(0);
      expect(byA).toBeLessThan(first.length);

      // B stops (gracefully: its batch in flight completes); A takes its shards over within seconds
      const stoppedAt = Date.now();
      await b();
      bStopped = true;
      await waitFor(() => a.ownedShards().length === OUTBOX_SHARDS, 5_000, 'A to own every shard');
      const takeoverMs = Date.now() - stoppedAt;
      const second = await commitEvents(rt, { keys, count: 500, perTx: 25, tag: 'split', after: first });
      await waitFor(() => second.every((e) => publishedBy.has(e.eventId)), 20_000, 'A to publish the rest');
      for (const e of second) expect(publishedBy.get(e.eventId)).toEqual(['A']);

      const all = [...first, ...second];
      for (const e of all) expect(publishedBy.get(e.eventId)?.length).toBe(1);
      const mine = () => reader.messages.filter((m) => m.envelope.payload.tag === 'split');
      await waitFor(() => mine().length >= all.length, 20_000, 'every event on Kafka');
      await new Promise((r) => setTimeout(r, 1000));
      expect(mine().length).toBe(all.length);
      const lastSeq = new Map<string, number>();
      for (const { envelope } of mine()) {
        expect(envelope.payload.seq).toBe((lastSeq.get(envelope.key) ?? 0) + 1);
        lastSeq.set(envelope.key, envelope.payload.seq);
      }
      console.info(
        `two relays: ${all.length} events, A published ${byA} of the first ${first.length}, takeover in ${takeoverMs} ms`,
      );
    } finally {
      if (!bStopped) await b();
      await a();
      await reader.close();
    }
  });

  it('a relay whose database sessions die drops its shards at once; they are owned again within seconds', async () => {
    const keys = Array.from({ length: 30 }, () => randomUUID());
    const reader = await readTopic(rt, TEST_TOPIC, 'reader-kill');
    const a = startRelay(env.runtime(), { instanceId: 'A2', claimIntervalMs: 300 });
    const b = startRelay(env.runtime(), { instanceId: 'B2', claimIntervalMs: 300 });
    try {
      await waitFor(() => a.ownedShards().length === 4 && b.ownedShards().length === 4, 10_000, 'a split');
      const writing = commitEvents(rt, { keys, count: 1500, perTx: 10, tag: 'kill' });
      writing.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      // B's sessions die under it (a network cut, a PostgreSQL failover): its locks go with them
      const killedAt = Date.now();
      const { rows } = await rt.pool.query<{ n: number }>(
        "select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name like 'qt-relay-B2-%'",
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
      await waitFor(() => b.ownedShards().length < 4, 2_000, 'B to notice its lost sessions');
      // B reconnects and both claim free shards; never is one shard owned twice
      const covered = () => {
        const owned = [...a.ownedShards(), ...b.ownedShards()];
        return owned.length === OUTBOX_SHARDS && new Set(owned).size === OUTBOX_SHARDS;
      };
      await waitFor(covered, 5_000, 'every shard owned again');
      const takeoverMs = Date.now() - killedAt;
      await waitFor(
        () => b.ownedShards().length === 4 && a.ownedShards().length === 4,
        10_000,
        'an even split',
      );
      const events = await writing;
      await waitFor(async () => (await unpublishedCount(rt)) === 0, 20_000, 'all rows marked');
      const mine = () => reader.messages.filter((m) => m.envelope.payload.tag === 'kill');
      await waitFor(
        () => new Set(mine().map((m) => m.envelope.eventId)).size === events.length,
        20_000,
        'all read',
      );
      // a batch cut off between its Kafka commit and its PG commit may be on Kafka twice; the first
      // occurrences are still in order per key
      const seen = new Set<string>();
      const lastSeq = new Map<string, number>();
      for (const { envelope } of mine()) {
        if (seen.has(envelope.eventId)) continue;
        seen.add(envelope.eventId);
        expect(envelope.payload.seq).toBe((lastSeq.get(envelope.key) ?? 0) + 1);
        lastSeq.set(envelope.key, envelope.payload.seq);
      }
      console.info(
        `session kill: ${events.length} events, ${mine().length} messages, all shards owned again ${takeoverMs} ms after the kill`,
      );
    } finally {
      await b();
      await a();
      await reader.close();
    }
  });
});
