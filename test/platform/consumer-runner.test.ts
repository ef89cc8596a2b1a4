import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, ensureTopics, topicName } from '../../src/platform/kafka.ts';
import { startConsumers } from '../../src/platform/outbox/consumer-runner.ts';
import type { EventEnvelope } from '../../src/platform/outbox/enqueue.ts';
import { startRelay } from '../../src/platform/outbox/relay.ts';
import type { Runtime } from '../../src/platform/runtime.ts';
import {
  assertExactlyOnceInOrder,
  commitEvents,
  createEffectsTable,
  effectsConsumer,
  effectsOf,
  type Isolated,
  isolatedEnvironment,
  waitFor,
} from './support.ts';

async function metricValue(rt: Runtime, name: string, consumer: string): Promise<number> {
  const metric = (await rt.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => v.labels.consumer === consumer)?.value ?? 0;
}

describe('consumer runner', () => {
  let env: Isolated;
  let rt: Runtime;

  beforeAll(async () => {
    env = await isolatedEnvironment('consumer');
    rt = env.runtime();
    await createEffectsTable(rt);
  });
  afterAll(async () => {
    await env.close();
  });

  it('applies each event once when Kafka delivers duplicates, and retries a failing handler', async () => {
    const keys = Array.from({ length: 10 }, () => randomUUID());
    const events: { eventId: string; key: string; seq: number; envelope: EventEnvelope }[] = [];
    for (let i = 0; i < 400; i++) {
      const key = keys[i % keys.length] as string;
      const seq = Math.floor(i / keys.length) + 1;
      const eventId = randomUUID();
      const envelope = {
        eventId,
        type: 'test.happened',
        key,
        occurredAt: new Date().toISOString(),
        payload: { seq },
      };
      events.push({ eventId, key, seq, envelope });
    }
    // the stream: every event, the first 20 twice in a row (duplicates inside one batch), then 150
    // earlier events again later on (redelivery after a relay crash), and one message that is no envelope
    const stream: { key: string; value: string }[] = [];
    events.forEach((e, i) => {
      stream.push({ key: e.key, value: JSON.stringify(e.envelope) });
      if (i < 20) stream.push({ key: e.key, value: JSON.stringify(e.envelope) });
    });
    for (let i = 0; i < 150; i++) {
      const e = events[(i * 7) % 300] as (typeof events)[number];
      stream.push({ key: e.key, value: JSON.stringify(e.envelope) });
    }
    stream.push({ key: keys[0] as string, value: 'not an envelope' });
    const duplicates = stream.length - events.length - 1;

    // a topic of its own, so the next test's consumer group does not read these
    const topic = 'relay.test.dups';
    await ensureTopics(rt.kafka, [topic], 3);
    const producer = createProducer(rt.kafka);
    await producer.send({
      messages: stream.map((m) => ({ topic: topicName(rt.kafka, topic), key: m.key, value: m.value })),
    });
    await producer.close();

    // three events fail twice before they succeed: the batch rolls back and is redone one by one
    const failing = new Map(events.slice(100, 103).map((e) => [e.eventId, 2]));
    const stop = startConsumers(rt, [effectsConsumer('dups', 0, failing, topic)], { batchSize: 64 });
    try {
      await waitFor(
        async () => (await metricValue(rt, 'consumer_events_duplicate_total', 'dups')) >= duplicates,
        30_000,
        'every copy consumed',
      );
      assertExactlyOnceInOrder(await effectsOf(rt, 'dups'), events);
      expect(await metricValue(rt, 'consumer_events_applied_total', 'dups')).toBe(events.length);
      expect(await metricValue(rt, 'consumer_events_duplicate_total', 'dups')).toBe(duplicates);
      expect(await metricValue(rt, 'consumer_handler_errors_total', 'dups')).toBeGreaterThanOrEqual(3);
      expect(await metricValue(rt, 'consumer_invalid_messages_total', 'dups')).toBe(1);
      expect([...failing.values()]).toEqual([0, 0, 0]);
      const { rows } = await rt.pool.query<{ n: number }>(
        "select count(*)::int as n from inbox where consumer = 'dups'",
      );
      expect(rows[0]?.n).toBe(events.length);
    } finally {
      await stop();
    }
  });

  it('ends with every event applied exactly once after a killed worker, a stop mid-stream and a restart', async () => {
    const keys = Array.from({ length: 20 }, () => randomUUID());
    const stopRelay = startRelay(rt, { claimIntervalMs: 500 });
    try {
      const committed = await commitEvents(rt, { keys, count: 2000, perTx: 100 });
      const applied = async () => (await effectsOf(rt, 'restart')).length;

      // 1. a worker process dies by SIGKILL mid-stream (effects committed, some offsets not)
      const child = spawn(
        process.execPath,
        [new URL('./fixtures/consumer-child.ts', import.meta.url).pathname],
        {
          env: { ...env.env, CONSUMER_NAME: 'restart', LOG_LEVEL: 'silent' },
          stdio: 'inherit',
        },
      );
      await waitFor(async () => (await applied()) >= 300, 30_000, 'the child to apply some events');
      child.kill('SIGKILL');
      await once(child, 'exit');
      const afterKill = await applied();

      // 2. an in-process worker picks up, then stops gracefully mid-stream
      const stop1 = startConsumers(rt, [effectsConsumer('restart', 1)], { batchSize: 50 });
      await waitFor(
        async () => (await applied()) >= afterKill + 400,
        40_000,
        'the second worker to progress',
      );
      await stop1();
      const afterStop = await applied();
      await new Promise((r) => setTimeout(r, 1000));
      expect(await applied()).toBe(afterStop); // stopped means stopped
      expect(afterStop).toBeLessThan(committed.length);

      // 3. restart: the rest arrives, nothing twice, order per key kept
      const stop2 = startConsumers(rt, [effectsConsumer('restart')]);
      try {
        await waitFor(async () => (await applied()) >= committed.length, 40_000, 'every event applied');
        await new Promise((r) => setTimeout(r, 1000));
        assertExactlyOnceInOrder(await effectsOf(rt, 'restart'), committed);
        console.info(
          `consumer restart: killed after ${afterKill}, stopped after ${afterStop}, ${committed.length} applied once each`,
        );
      } finally {
        await stop2();
      }
    } finally {
      await stopRelay();
    }
  });
});
