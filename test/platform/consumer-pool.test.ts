import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.ts';
import { createProducer, ensureTopics, topicName } from '../../src/platform/kafka.ts';
import type { ConsumerSpec } from '../../src/platform/outbox/consumer.ts';
import { startConsumers } from '../../src/platform/outbox/consumer-runner.ts';
import { createRuntime, type Runtime } from '../../src/platform/runtime.ts';
import { createEffectsTable, effectsOf, type Isolated, isolatedEnvironment, waitFor } from './support.ts';

/**
 * A consumer whose effects go through other use cases (their own pool connections and transactions)
 * puts them in `before`: run before the inbox transaction opens. Inside `handle` they would hold the
 * inbox transaction's connection while waiting for another: with a pool of one, never done.
 */
describe('consumer effects outside the inbox transaction (ConsumerSpec.before)', () => {
  let env: Isolated;
  let rt: Runtime;

  beforeAll(async () => {
    env = await isolatedEnvironment('cpool');
    await createEffectsTable(env.runtime());
    rt = createRuntime(loadConfig({ ...env.env, DATABASE_POOL_MAX: '1' }));
  });
  afterAll(async () => {
    await rt?.shutdown();
    await env.close();
  });

  it('on a pool of ONE connection every event is applied, and once (a redelivery skips `before`)', async () => {
    const topic = 'relay.test.pool';
    await ensureTopics(rt.kafka, [topic], 2);
    const spec: ConsumerSpec = {
      name: 'pool-one',
      topics: [topic],
      async before(event) {
        // through the pool, as endUnpaidOrder or closeSchedule do
        await sql`insert into test_effects (consumer, event_id, key, seq)
          values ('pool-one', ${event.eventId}, ${event.key}, ${(event.payload as { seq: number }).seq})`.execute(
          rt.db,
        );
      },
      async handle() {},
    };
    const events = Array.from({ length: 60 }, (_, i) => ({
      eventId: randomUUID(),
      type: 'test.happened',
      key: `k${i % 4}`,
      occurredAt: new Date().toISOString(),
      payload: { seq: i },
    }));
    const send = async () => {
      const producer = createProducer(rt.kafka);
      await producer.send({
        messages: events.map((e) => ({
          topic: topicName(rt.kafka, topic),
          key: e.key,
          value: JSON.stringify(e),
        })),
      });
      await producer.close();
    };
    await send();
    await send(); // every event twice: the second copy finds it in the inbox
    const stop = startConsumers(rt, [spec], { batchSize: 16 });
    try {
      await waitFor(
        async () => {
          const { rows } = await env
            .runtime()
            .pool.query<{ n: number }>("select count(*)::int as n from inbox where consumer = 'pool-one'");
          return (rows[0]?.n ?? 0) >= events.length;
        },
        40_000,
        'every event in the inbox (pool of one)',
      );
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await stop();
    }
    const effects = await effectsOf(env.runtime(), 'pool-one');
    expect(new Set(effects.map((e) => e.event_id)).size).toBe(events.length);
    expect(effects.length).toBe(events.length);
  });
});
