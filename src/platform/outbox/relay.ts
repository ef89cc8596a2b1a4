import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { MessageToProduce, Producer } from '@platformatic/kafka';
import pg from 'pg';
import { createProducer, topicName } from '../kafka.ts';
import type { Runtime } from '../runtime.ts';
import { type EventEnvelope, OUTBOX_SHARDS } from './enqueue.ts';
import { backoffMs, bounded, counterOnce, gaugeOnce, histogramOnce, Waker } from './support.ts';

/** First key of the two-int advisory lock `(RELAY_LOCK_CLASS, shard)` that marks a shard's owner. */
export const RELAY_LOCK_CLASS = 0x0b7b0c01;
/** `(RELAY_MEMBER_CLASS, random)`: held by every live relay, so relays can count each other. */
export const RELAY_MEMBER_CLASS = 0x0b7b0c02;
/** A shard nobody took for this many claim ticks is taken even beyond the fair share. */
const ORPHAN_TICKS = 3;

export interface RelayOptions {
  /** Names this process in logs and Kafka client ids; random by default. */
  instanceId?: string;
  /** Rows per Kafka transaction. */
  batchSize?: number;
  /** Bytes of keys, values and headers per produce request within a batch's transaction (default 512 KiB). */
  maxRequestBytes?: number;
  /** Poll fallback when no NOTIFY arrives. */
  pollIntervalMs?: number;
  /** How often unowned shards are re-tried (takeover time after another relay dies). */
  claimIntervalMs?: number;
  /** Kafka client timeout, also sent as the transaction timeout. */
  kafkaTimeoutMs?: number;
  /**
   * Fault-injection seam for tests: runs after the Kafka transaction committed and before the rows are
   * marked published. Throwing (or killing the process) here is the crash window the inbox covers.
   */
  afterKafkaCommit?: (batch: PublishedBatch) => void | Promise<void>;
  /** Called after a batch is marked published in PostgreSQL (observability, tests). */
  onPublished?: (batch: PublishedBatch) => void;
}

export interface PublishedBatch {
  instanceId: string;
  shard: number;
  eventIds: string[];
}

/** Stops the relay (waits for the batch in flight, releases its shards); also tells what it owns. */
export type RelayStop = (() => Promise<void>) & { ownedShards(): number[]; instanceId: string };

type OutboxRow = {
  id: number;
  event_id: string;
  topic: string;
  key: string;
  type: string;
  payload: unknown;
  headers: Record<string, unknown> | null;
  created_at: Date;
};

const SELECT_BATCH = `
  select id, event_id, topic, key, type, payload, headers, created_at
  from outbox
  where published_at is null and shard = $1
  order by id
  limit $2
  for update skip locked`;

interface ShardWorker {
  shard: number;
  /** Session that holds the shard's advisory lock and runs its batches: losing it loses both together. */
  client: pg.Client;
  producer: Producer<string, string, string, string> | undefined;
  waker: Waker;
  lost: boolean;
  done: Promise<void>;
}

/**
 * The relay role: publishes committed outbox rows to Kafka. Work is split into OUTBOX_SHARDS shards by
 * key; a relay owns a shard while it holds a PostgreSQL session advisory lock on it, so exactly one relay
 * publishes a key at a time (order per key). Each owned shard runs its own loop: claim a batch
 * (`FOR UPDATE SKIP LOCKED`), publish it in one Kafka transaction, mark the rows, commit. A crash between
 * the Kafka commit and the PostgreSQL commit republishes the batch; consumers dedupe by event id.
 *
 * Balance: every relay holds a membership lock; each claim tick a relay counts the members, keeps at most
 * its fair share `ceil(shards / members)` (handing extra shards back after their batch in flight) and
 * claims free shards up to that share. A shard left free for ORPHAN_TICKS ticks is taken by anyone, so
 * a dead relay's shards are taken over within a few claim intervals at worst, one interval usually.
 */
export function startRelay(rt: Runtime, options: RelayOptions = {}): RelayStop {
  const instanceId = options.instanceId ?? randomUUID().slice(0, 8);
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollIntervalMs ?? 500;
  const claimMs = options.claimIntervalMs ?? 2_000;
  const kafkaTimeout = options.kafkaTimeoutMs ?? 30_000;
  const maxRequestBytes = options.maxRequestBytes ?? 512 * 1024;
  const log = rt.logger.child({ component: 'outbox-relay', relay: instanceId });
  const metrics = {
    published: counterOnce(rt.metrics, 'outbox_published_total', 'Outbox events published to Kafka', [
      'topic',
    ]),
    failures: counterOnce(rt.metrics, 'outbox_publish_failures_total', 'Failed outbox batches', ['shard']),
    lag: gaugeOnce(rt.metrics, 'outbox_lag_seconds', 'Age of the oldest unpublished outbox row', ['shard']),
    owned: gaugeOnce(rt.metrics, 'outbox_relay_owned_shards', 'Outbox shards this process owns', []),
    batch: histogramOnce(
      rt.metrics,
      'outbox_batch_seconds',
      'Claim, publish and mark one batch',
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
  };

  const workers = new Map<number, ShardWorker>();
  let stopped = false;
  const halt = new AbortController();
  let listener: pg.Client | undefined;
  let probe: pg.Client | undefined;
  let claimTimer: NodeJS.Timeout | undefined;
  let claiming: Promise<void> = Promise.resolve();
  const memberKey = randomInt(1, 2 ** 31 - 1);
  const freeTicks = new Map<number, number>();

  const connect = async (purpose: string): Promise<pg.Client> => {
    const client = new pg.Client({
      connectionString: rt.config.DATABASE_URL,
      application_name: `qt-relay-${instanceId}-${purpose}`,
    });
    client.on('error', (err) => log.warn({ err, purpose }, 'relay connection error'));
    await client.connect();
    return client;
  };

  const ensureListener = async () => {
    if (listener !== undefined) return;
    const client = await connect('listen');
    client.on('notification', () => {
      for (const w of workers.values()) w.waker.wake();
    });
    client.on('end', () => {
      if (listener === client) listener = undefined;
    });
    await client.query('select pg_advisory_lock($1, $2)', [RELAY_MEMBER_CLASS, memberKey]);
    await client.query('listen outbox_new');
    listener = client;
  };

  const resetProducer = async (w: ShardWorker) => {
    const producer = w.producer;
    w.producer = undefined;
    if (producer === undefined) return;
    await bounded(producer.close(true), 5_000).catch((err: unknown) =>
      log.warn({ err }, 'producer close failed'),
    );
  };

  // Stable per shard across relay instances: a relay taking over a shard re-inits this id, which fences
  // the previous owner's producer (a zombie) and aborts its open transaction.
  const transactionalId = (shard: number) =>
    `${rt.kafka.topicPrefix}${rt.kafka.clientId}.relay.shard-${shard}`;

  const publish = async (w: ShardWorker, rows: OutboxRow[]) => {
    w.producer ??= createProducer(rt.kafka, {
      clientId: `${rt.kafka.clientId}-relay-${instanceId}-s${w.shard}`,
      transactionalId: transactionalId(w.shard),
      timeout: kafkaTimeout,
      retries: 5,
    });
    const messages: MessageToProduce<string, string, string, string>[] = rows.map((row) => {
      const envelope: EventEnvelope = {
        eventId: row.event_id,
        type: row.type,
        key: row.key,
        occurredAt: row.created_at.toISOString(),
        payload: row.payload,
      };
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(row.headers ?? {})) headers[k] = String(v);
      headers['event-id'] = row.event_id;
      headers['event-type'] = row.type;
      return {
        topic: topicName(rt.kafka, row.topic),
        key: row.key,
        value: JSON.stringify(envelope),
        headers,
      };
    });
    try {
      // -1/-1 = "no previous producer": @platformatic/kafka 2.12 otherwise sends producer id 0, epoch 0 in
      // the first InitProducerId, which the broker answers PRODUCER_FENCED for any transactional id that
      // was used before (a restarted relay, a takeover). Only the first transaction of a producer inits.
      const tx = await w.producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
      try {
        // one transaction, several produce requests: a whole batch on one key (one partition) can be
        // larger than the broker's message.max.bytes (1 MiB by default), which it refuses every retry
        for (const chunk of chunksByBytes(messages, maxRequestBytes)) await tx.send({ messages: chunk });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => undefined);
        throw err;
      }
    } catch (err) {
      // A fresh producer re-inits the transactional id: bumps the epoch and aborts anything left open.
      await resetProducer(w);
      throw err;
    }
  };

  /** One batch of one shard; returns how many rows it published. */
  const runBatch = async (w: ShardWorker): Promise<number> => {
    const client = w.client;
    const endTimer = metrics.batch.startTimer();
    await client.query('begin');
    try {
      const { rows } = await client.query<OutboxRow>(SELECT_BATCH, [w.shard, batchSize]);
      if (rows.length === 0) {
        await client.query('commit');
        return 0;
      }
      await publish(w, rows);
      const batch: PublishedBatch = { instanceId, shard: w.shard, eventIds: rows.map((r) => r.event_id) };
      await options.afterKafkaCommit?.(batch);
      await client.query('update outbox set published_at = now() where id = any($1::bigint[])', [
        rows.map((r) => r.id),
      ]);
      await client.query('commit');
      endTimer();
      for (const row of rows) metrics.published.inc({ topic: row.topic });
      options.onPublished?.(batch);
      return rows.length;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  };

  const runShard = async (w: ShardWorker) => {
    let failures = 0;
    while (!stopped && !w.lost) {
      try {
        const n = await runBatch(w);
        failures = 0;
        if (n >= batchSize) continue;
        await w.waker.sleep(pollMs);
      } catch (err) {
        if (stopped || w.lost) break;
        failures++;
        metrics.failures.inc({ shard: String(w.shard) });
        // the Kafka client reports per-partition failures inside an AggregateError: name them
        const causes = err instanceof AggregateError ? err.errors.map((e: unknown) => String(e)) : undefined;
        log.error({ err, causes, shard: w.shard, attempt: failures }, 'outbox batch failed; will retry');
        await delay(backoffMs(failures, 10_000), undefined, { signal: halt.signal }).catch(() => undefined);
      }
    }
  };

  const startWorker = (shard: number, client: pg.Client) => {
    const w: ShardWorker = {
      shard,
      client,
      producer: undefined,
      waker: new Waker(),
      lost: false,
      done: Promise.resolve(),
    };
    const lose = () => {
      if (!w.lost && !stopped) log.warn({ shard }, 'lost the shard lock session; shard released');
      w.lost = true;
      w.waker.wake();
    };
    client.on('error', lose);
    client.on('end', lose);
    workers.set(shard, w);
    metrics.owned.set(workers.size);
    log.info({ shard }, 'owns outbox shard');
    w.done = runShard(w).finally(async () => {
      await resetProducer(w);
      // Ending the session releases the advisory lock (and any row lock) at once.
      await client.end().catch(() => undefined);
      if (workers.get(shard) === w) workers.delete(shard);
      metrics.owned.set(workers.size);
    });
  };

  /** Live relays on this database and the shards someone holds, from pg_locks. */
  const survey = async (client: pg.Client) => {
    const { rows } = await client.query<{ classid: number; objid: number }>(
      `select classid::int8 as classid, objid::int8 as objid from pg_locks
       where locktype = 'advisory' and granted and objsubid = 2 and classid in ($1::int8::oid, $2::int8::oid)
         and database = (select oid from pg_database where datname = current_database())`,
      [RELAY_LOCK_CLASS, RELAY_MEMBER_CLASS],
    );
    const members = rows.filter((r) => r.classid === RELAY_MEMBER_CLASS).length;
    const held = new Set(rows.filter((r) => r.classid === RELAY_LOCK_CLASS).map((r) => r.objid));
    return { members: Math.max(1, members), held };
  };

  const release = (w: ShardWorker) => {
    log.info({ shard: w.shard }, 'hands outbox shard back (over fair share)');
    w.lost = true;
    w.waker.wake();
  };

  const balance = async () => {
    if (listener === undefined) return;
    const { members, held } = await survey(listener);
    const share = Math.ceil(OUTBOX_SHARDS / members);
    const mine = [...workers.values()].filter((w) => !w.lost).sort((a, b) => a.shard - b.shard);
    for (const w of mine.slice(share)) release(w);
    let owned = Math.min(mine.length, share);
    for (let shard = 0; shard < OUTBOX_SHARDS; shard++) {
      if (held.has(shard)) freeTicks.delete(shard);
      else freeTicks.set(shard, (freeTicks.get(shard) ?? 0) + 1);
    }
    for (let shard = 0; shard < OUTBOX_SHARDS && !stopped; shard++) {
      if (workers.has(shard) || held.has(shard)) continue;
      if (owned >= share && (freeTicks.get(shard) ?? 0) < ORPHAN_TICKS) continue;
      if (await tryClaim(shard)) owned++;
    }
  };

  const tryClaim = async (shard: number): Promise<boolean> => {
    probe ??= await connect('probe');
    const { rows } = await probe.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', [
      RELAY_LOCK_CLASS,
      shard,
    ]);
    if (rows[0]?.ok !== true) return false;
    freeTicks.delete(shard);
    startWorker(shard, probe);
    probe = undefined;
    return true;
  };

  const updateLag = async () => {
    const { rows } = await rt.pool.query<{ shard: number; age: number }>(
      `select shard, extract(epoch from now() - min(created_at))::float8 as age
       from outbox where published_at is null group by shard`,
    );
    const ages = new Map(rows.map((r) => [r.shard, r.age]));
    for (let shard = 0; shard < OUTBOX_SHARDS; shard++) {
      metrics.lag.set({ shard: String(shard) }, ages.get(shard) ?? 0);
    }
  };

  const tick = async () => {
    try {
      await ensureListener();
      await balance();
      await updateLag();
    } catch (err) {
      if (!stopped) log.warn({ err }, 'relay claim tick failed');
      await probe?.end().catch(() => undefined);
      probe = undefined;
    }
    if (!stopped) {
      claimTimer = setTimeout(() => {
        claiming = tick();
      }, claimMs);
    }
  };

  claiming = tick();
  log.info({ batchSize, pollMs, claimMs }, 'outbox relay started');

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    halt.abort();
    clearTimeout(claimTimer);
    await claiming;
    for (const w of workers.values()) w.waker.wake();
    await Promise.all([...workers.values()].map((w) => w.done));
    await Promise.all([listener?.end(), probe?.end()].map((p) => p?.catch(() => undefined)));
    log.info('outbox relay stopped');
  };
  return Object.assign(stop, {
    instanceId,
    ownedShards: () => [...workers.entries()].filter(([, w]) => !w.lost).map(([s]) => s),
  });
}

type Produced = MessageToProduce<string, string, string, string>;

/** Consecutive runs of messages whose keys, values and headers add up to at most `maxBytes` (at least one each). */
export function chunksByBytes(messages: readonly Produced[], maxBytes: number): Produced[][] {
  const chunks: Produced[][] = [];
  let current: Produced[] = [];
  let bytes = 0;
  for (const m of messages) {
    let size = Buffer.byteLength(m.value ?? '') + Buffer.byteLength(m.key ?? '');
    for (const [k, v] of Object.entries(m.headers ?? {}))
      size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
