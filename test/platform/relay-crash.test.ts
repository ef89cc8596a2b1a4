import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsumers } from '../../src/platform/outbox/consumer-runner.ts';
import type { PublishedBatch } from '../../src/platform/outbox/relay.ts';
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
  readTopic,
  TEST_TOPIC,
  unpublishedCount,
  waitFor,
} from './support.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

describe('outbox relay killed between the Kafka commit and marking the rows', () => {
  let env: Isolated;
  let rt: Runtime;

  beforeAll(async () => {
    env = await isolatedEnvironment('crash');
    rt = env.runtime();
    await createEffectsTable(rt);
  });
  afterAll(async () => {
    await env.close();
  });

  it('republishes after a restart and consumers still apply every event exactly once', async () => {
    const keys = Array.from({ length: 25 }, () => randomUUID());
    const committed = await commitEvents(rt, { keys, count: 1500, perTx: 100 });

    // a relay in a child process publishes, then dies by SIGKILL right after its third Kafka commit
    const report = join(tmpdir(), `qt-crash-${randomUUID()}.json`);
    const child = spawn(process.execPath, [fixture('relay-child.ts')], {
      env: {
        ...env.env,
        KILL_AFTER_BATCHES: '3',
        RELAY_BATCH_SIZE: '100',
        CRASH_REPORT: report,
        LOG_LEVEL: 'silent',
      },
      stdio: 'inherit',
    });
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    const killed = JSON.parse(readFileSync(report, 'utf8')) as PublishedBatch;
    // a shard with fewer rows than the batch size publishes a smaller batch
    expect(killed.eventIds.length).toBeGreaterThan(0);
    // the batch reached Kafka but its rows are still unpublished in PostgreSQL
    const { rows } = await rt.pool.query<{ n: number }>(
      'select count(*)::int as n from outbox where published_at is null and event_id = any($1::uuid[])',
      [killed.eventIds],
    );
    expect(rows[0]?.n).toBe(killed.eventIds.length);

    // restart: a new relay takes over (same per-shard transactional ids fence the dead producers)
    const reader = await readTopic(rt, TEST_TOPIC, 'crash-reader');
    const stopRelay = startRelay(rt, { claimIntervalMs: 500 });
    const stopConsumers = startConsumers(rt, [effectsConsumer('crash-effects')]);
    try {
      await waitFor(async () => (await unpublishedCount(rt)) === 0, 30_000, 'relay to drain the outbox');
      await waitFor(
        async () => {
          return (await effectsOf(rt, 'crash-effects')).length >= committed.length;
        },
        30_000,
        'consumer to apply every event',
      );
      await waitFor(
        () => reader.messages.length >= committed.length + killed.eventIds.length,
        20_000,
        'reader to see all',
      );
      await new Promise((r) => setTimeout(r, 1500));

      // Kafka holds the killed batch twice (allowed); the effects hold every event once, in order per key
      const onKafka = new Map<string, number>();
      for (const m of reader.messages) {
        onKafka.set(m.envelope.eventId, (onKafka.get(m.envelope.eventId) ?? 0) + 1);
      }
      for (const id of killed.eventIds) expect(onKafka.get(id)).toBe(2);
      expect(onKafka.size).toBe(committed.length);
      assertExactlyOnceInOrder(await effectsOf(rt, 'crash-effects'), committed);
      console.info(
        `crash: ${committed.length} events, ${reader.messages.length} messages on Kafka, ${committed.length} effects`,
      );
    } finally {
      await stopConsumers();
      await stopRelay();
      await reader.close();
    }
  });
});
