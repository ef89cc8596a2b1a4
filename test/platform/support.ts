import {
  Consumer,
  FetchIsolationLevels,
  type Message,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializers,
} from '@platformatic/kafka';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../../src/platform/config.ts';
import { ensureTopics, topicName } from '../../src/platform/kafka.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import type { ConsumerSpec } from '../../src/platform/outbox/consumer.ts';
import { type EventEnvelope, enqueueEvent } from '../../src/platform/outbox/enqueue.ts';
import { createRuntime, type Runtime } from '../../src/platform/runtime.ts';

export const TEST_TOPIC = 'relay.test';

/**
 * Relays own shards per database and consumers join groups per topic prefix, so each relay test gets
 * its own database and topic prefix: relays of other test files in the same run cannot take its shards.
 */
export interface Isolated {
  databaseUrl: string;
  env: Record<string, string>;
  runtime(): Runtime;
  close(): Promise<void>;
}

export async function isolatedEnvironment(tag: string): Promise<Isolated> {
  const runUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/queueticket');
  const dbName = `${runUrl.pathname.slice(1)}_${tag}`;
  const adminUrl = new URL(runUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database ${admin.escapeIdentifier(dbName)}`);
  await admin.end();
  const dbUrl = new URL(runUrl);
  dbUrl.pathname = `/${dbName}`;
  const env = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_MAX: '10',
    KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX ?? 'qt.test.'}${tag}.`,
  };
  const runtimes: Runtime[] = [];
  const runtime = () => {
    const rt = createRuntime(loadConfig(env));
    runtimes.push(rt);
    return rt;
  };
  const setup = runtime();
  await migrateToLatest(setup.db);
  await ensureTopics(setup.kafka, [TEST_TOPIC], 6);
  return {
    databaseUrl: dbUrl.toString(),
    env,
    runtime,
    async close() {
      await Promise.all(runtimes.map((rt) => rt.shutdown()));
      if (process.env.KEEP_TEST_DATA === 'true') return;
      const cleaner = new pg.Client({ connectionString: adminUrl.toString() });
      await cleaner.connect();
      await cleaner.query(`drop database if exists ${cleaner.escapeIdentifier(dbName)} with (force)`);
      await cleaner.end();
    },
  };
}

/** Commits `count` events spread over `keys`, `perTx` events per transaction; returns ids in commit order. */
export async function commitEvents(
  rt: Runtime,
  opts: {
    keys: string[];
    count: number;
    perTx?: number;
    tag?: string;
    /** Events committed before for the same keys: their sequence numbers go on from there. */
    after?: { key: string; seq: number }[];
  },
): Promise<{ eventId: string; key: string; seq: number }[]> {
  const perTx = opts.perTx ?? 50;
  const out: { eventId: string; key: string; seq: number }[] = [];
  const seqByKey = new Map<string, number>();
  for (const e of opts.after ?? []) seqByKey.set(e.key, Math.max(seqByKey.get(e.key) ?? 0, e.seq));
  for (let start = 0; start < opts.count; start += perTx) {
    await rt.db.transaction().execute(async (trx) => {
      for (let i = start; i < Math.min(opts.count, start + perTx); i++) {
        const key = opts.keys[i % opts.keys.length] as string;
        const seq = (seqByKey.get(key) ?? 0) + 1;
        seqByKey.set(key, seq);
        const eventId = await enqueueEvent(trx, {
          topic: TEST_TOPIC,
          key,
          type: 'test.happened',
          payload: { seq, tag: opts.tag ?? '' },
        });
        out.push({ eventId, key, seq });
      }
    });
  }
  return out;
}

export interface ReadBack {
  messages: { envelope: EventEnvelope<{ seq: number; tag: string }>; headers: Map<string, string> }[];
  close(): Promise<void>;
}

/** Reads a topic from the beginning with read_committed isolation (a fresh group, no commits). */
export async function readTopic(rt: Runtime, logical: string, group: string): Promise<ReadBack> {
  const consumer = new Consumer({
    clientId: `${group}-reader`,
    bootstrapBrokers: rt.kafka.brokers,
    groupId: `${rt.kafka.topicPrefix}${group}`,
    deserializers: stringDeserializers,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    autocommit: false,
    maxWaitTime: 200,
  });
  const stream = await consumer.consume({
    topics: [topicName(rt.kafka, logical)],
    mode: MessagesStreamModes.EARLIEST,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    autocommit: false,
  });
  const back: ReadBack = {
    messages: [],
    async close() {
      await stream.close().catch(() => undefined);
      await consumer.close(true).catch(() => undefined);
    },
  };
  stream.on('data', (m: Message<string, string, string, string>) => {
    back.messages.push({ envelope: JSON.parse(m.value), headers: m.headers });
  });
  stream.on('error', () => undefined);
  return back;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function unpublishedCount(rt: Runtime): Promise<number> {
  const { rows } = await rt.pool.query<{ n: number }>(
    'select count(*)::int as n from outbox where published_at is null',
  );
  return rows[0]?.n ?? 0;
}

/** The table consumer tests write their effects to: no unique key, so a double apply would show. */
export async function createEffectsTable(rt: Runtime): Promise<void> {
  await rt.pool.query(`create table if not exists test_effects (
    n bigserial primary key, consumer text not null, event_id uuid not null, key text not null, seq int not null)`);
}

/** A consumer whose effect is one row per applied event; `delayMs` slows it to widen crash windows. */
export function effectsConsumer(
  name: string,
  delayMs = 0,
  failOnce?: Map<string, number>,
  topic = TEST_TOPIC,
): ConsumerSpec {
  return {
    name,
    topics: [topic],
    async handle(event, trx) {
      const fails = failOnce?.get(event.eventId) ?? 0;
      if (fails > 0) {
        failOnce?.set(event.eventId, fails - 1);
        throw new Error(`injected handler failure for ${event.eventId}`);
      }
      const payload = event.payload as { seq: number };
      await sql`insert into test_effects (consumer, event_id, key, seq)
        values (${name}, ${event.eventId}, ${event.key}, ${payload.seq})`.execute(trx);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    },
  };
}

/** Checks the effects of one consumer: each expected event exactly once, in order per key. */
export async function effectsOf(rt: Runtime, consumer: string) {
  const { rows } = await rt.pool.query<{ event_id: string; key: string; seq: number }>(
    'select event_id, key, seq from test_effects where consumer = $1 order by n',
    [consumer],
  );
  return rows;
}

export function assertExactlyOnceInOrder(
  rows: { event_id: string; key: string; seq: number }[],
  expected: { eventId: string; key: string; seq: number }[],
): void {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.event_id, (counts.get(r.event_id) ?? 0) + 1);
  const doubled = [...counts.entries()].filter(([, n]) => n > 1);
  if (doubled.length > 0) throw new Error(`${doubled.length} events applied more than once`);
  const missing = expected.filter((e) => !counts.has(e.eventId));
  if (missing.length > 0) throw new Error(`${missing.length} events never applied`);
  if (rows.length !== expected.length)
    throw new Error(`${rows.length} effects for ${expected.length} events`);
  const last = new Map<string, number>();
  for (const r of rows) {
    if (r.seq !== (last.get(r.key) ?? 0) + 1)
      throw new Error(`key ${r.key}: seq ${r.seq} after ${last.get(r.key)}`);
    last.set(r.key, r.seq);
  }
}
