import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueEvent } from '../../src/platform/outbox/enqueue.ts';
import { startRelay } from '../../src/platform/outbox/relay.ts';
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
});
