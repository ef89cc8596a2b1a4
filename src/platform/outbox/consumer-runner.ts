import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  Consumer,
  FetchIsolationLevels,
  type Message,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializers,
} from '@platformatic/kafka';
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import { sql } from 'kysely';
import { topicName } from '../kafka.ts';
import type { Runtime } from '../runtime.ts';
import type { ConsumerSpec } from './consumer.ts';
import type { EventEnvelope } from './enqueue.ts';
import { backoffMs, bounded, counterOnce, gaugeOnce, Waker } from './support.ts';

export interface ConsumerRunnerOptions {
  /** Messages handled in one PostgreSQL transaction (whatever one read of the stream holds, up to this). */
  batchSize?: number;
  /** Longest wait of a fetch for new data. */
  maxWaitTimeMs?: number;
  /** How often consumer lag is measured. */
  lagIntervalMs?: number;
  instanceId?: string;
  /** Group session timeout: how long a dead worker's partitions wait before another worker gets them. */
  sessionTimeoutMs?: number;
}

type KafkaMessage = Message<string, string, string, string>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses the outbox envelope; null for a message that no outbox produced (logged by the caller). */
export function decodeEnvelope(value: string | undefined): EventEnvelope | null {
  if (value === undefined || value === '') return null;
  try {
    const parsed = JSON.parse(value) as Partial<EventEnvelope>;
    if (typeof parsed.eventId !== 'string' || !UUID.test(parsed.eventId)) return null;
    if (typeof parsed.type !== 'string' || typeof parsed.key !== 'string') return null;
    return {
      eventId: parsed.eventId,
      type: parsed.type,
      key: parsed.key,
      occurredAt: typeof parsed.occurredAt === 'string' ? parsed.occurredAt : '',
      payload: parsed.payload,
    };
  } catch {
    return null;
  }
}

/**
 * Runs the worker role's Kafka consumers. Per spec: a consumer group `<topicPrefix><name>`, manual
 * offsets, read-committed. Each batch of messages is one PostgreSQL transaction that records every
 * event id in the inbox (ON CONFLICT DO NOTHING) and calls `handle` only for the ids it newly recorded;
 * the offsets are committed after that transaction. A handler error rolls the batch back, then the
 * batch is redone one message at a time, each retried with backoff until it succeeds or the runner
 * stops (a poison message blocks its partition and is logged; it is never skipped).
 * Returns a stop function that lets the batch in flight finish, commits it and leaves the groups.
 */
export function startConsumers(
  rt: Runtime,
  specs: readonly ConsumerSpec[],
  options: ConsumerRunnerOptions = {},
): () => Promise<void> {
  const batchSize = options.batchSize ?? 200;
  const instanceId = options.instanceId ?? randomUUID().slice(0, 8);
  const log = rt.logger.child({ component: 'consumer-runner', runner: instanceId });
  const halt = new AbortController();
  const metrics = {
    applied: counterOnce(rt.metrics, 'consumer_events_applied_total', 'Events handled (first delivery)', [
      'consumer',
    ]),
    duplicates: counterOnce(
      rt.metrics,
      'consumer_events_duplicate_total',
      'Redelivered events skipped by the inbox',
      ['consumer'],
    ),
    errors: counterOnce(rt.metrics, 'consumer_handler_errors_total', 'Handler failures (retried)', [
      'consumer',
    ]),
    invalid: counterOnce(rt.metrics, 'consumer_invalid_messages_total', 'Messages that are no envelope', [
      'consumer',
    ]),
    lag: gaugeOnce(rt.metrics, 'kafka_consumer_lag', 'Messages not yet committed by the group', [
      'group',
      'topic',
    ]),
  };

  /** Inbox + handlers for a list of envelopes in one transaction; returns how many were applied. */
  const applyAll = async (spec: ConsumerSpec, envelopes: EventEnvelope[]): Promise<number> => {
    const before = spec.before?.bind(spec);
    if (before !== undefined) {
      // Outside any transaction (see ConsumerSpec.before); events already in the inbox are skipped.
      const seen = await sql<{ event_id: string }>`
        select event_id from inbox where consumer = ${spec.name}
          and event_id = any(${envelopes.map((e) => e.eventId)}::uuid[])`.execute(rt.db);
      const done = new Set(seen.rows.map((r) => r.event_id));
      for (const envelope of envelopes) {
        if (done.has(envelope.eventId)) continue;
        done.add(envelope.eventId);
        await before(envelope);
      }
    }
    return rt.db.transaction().execute(async (trx) => {
      const ids = envelopes.map((e) => e.eventId);
      const inserted = await sql<{ event_id: string }>`
        insert into inbox (consumer, event_id)
        select ${spec.name}, id from unnest(${ids}::uuid[]) as id
        on conflict do nothing
        returning event_id`.execute(trx);
      const fresh = new Set(inserted.rows.map((r) => r.event_id));
      let applied = 0;
      for (const envelope of envelopes) {
        // delete: a duplicate of the same event later in this batch is skipped too
        if (!fresh.delete(envelope.eventId)) continue;
        await spec.handle(envelope, trx);
        applied++;
      }
      return applied;
    });
  };

  const record = (spec: ConsumerSpec, total: number, applied: number) => {
    metrics.applied.inc({ consumer: spec.name }, applied);
    if (total > applied) metrics.duplicates.inc({ consumer: spec.name }, total - applied);
  };

  const retryPolicy = retry(handleAll, {
    maxAttempts: Number.POSITIVE_INFINITY,
    backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 30_000 }),
  });

  /** Returns the messages whose effects are committed (a prefix of `batch`, all of it unless stopping). */
  const processBatch = async (spec: ConsumerSpec, batch: KafkaMessage[]): Promise<KafkaMessage[]> => {
    const decoded: { message: KafkaMessage; envelope: EventEnvelope }[] = [];
    for (const message of batch) {
      const envelope = decodeEnvelope(message.value);
      if (envelope === null) {
        metrics.invalid.inc({ consumer: spec.name });
        log.error(
          {
            consumer: spec.name,
            topic: message.topic,
            partition: message.partition,
            offset: `${message.offset}`,
          },
          'message is not an event envelope; skipped',
        );
      } else decoded.push({ message, envelope });
    }
    if (decoded.length === 0) return batch;
    try {
      record(
        spec,
        decoded.length,
        await applyAll(
          spec,
          decoded.map((d) => d.envelope),
        ),
      );
      return batch;
    } catch (err) {
      metrics.errors.inc({ consumer: spec.name });
      log.warn(
        { err, consumer: spec.name, size: decoded.length },
        'batch failed; redoing it one event at a time',
      );
    }
    for (let i = 0; i < decoded.length; i++) {
      const item = decoded[i] as (typeof decoded)[number];
      try {
        const applied = await retryPolicy.execute(async ({ attempt }) => {
          try {
            return await applyAll(spec, [item.envelope]);
          } catch (err) {
            metrics.errors.inc({ consumer: spec.name });
            log.error(
              { err, consumer: spec.name, eventId: item.envelope.eventId, type: item.envelope.type, attempt },
              'event handler failed; retrying',
            );
            throw err;
          }
        }, halt.signal);
        record(spec, 1, applied);
      } catch {
        // stopped while retrying: everything before this message is done
        const stopAt = batch.indexOf(item.message);
        return batch.slice(0, stopAt);
      }
    }
    return batch;
  };

  const commitOffsets = async (spec: ConsumerSpec, done: KafkaMessage[]) => {
    const last = new Map<string, KafkaMessage>();
    for (const m of done) last.set(`${m.topic}:${m.partition}`, m);
    try {
      await Promise.all([...last.values()].map((m) => m.commit()));
    } catch (err) {
      // After a rebalance the new owner re-reads these; the inbox makes that harmless.
      log.warn({ err, consumer: spec.name }, 'offset commit failed');
    }
  };

  const runOne = async (spec: ConsumerSpec) => {
    const groupId = `${rt.kafka.topicPrefix}${spec.name}`;
    const topics = spec.topics.map((t) => topicName(rt.kafka, t));
    let attempt = 0;
    while (!halt.signal.aborted) {
      const consumer = new Consumer({
        clientId: `${rt.kafka.clientId}-${spec.name}-${instanceId}`,
        bootstrapBrokers: rt.kafka.brokers,
        groupId,
        deserializers: stringDeserializers,
        autocommit: false,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
        maxWaitTime: options.maxWaitTimeMs ?? 500,
        timeout: 30_000,
        sessionTimeout: options.sessionTimeoutMs ?? 10_000,
        heartbeatInterval: 3_000,
      });
      consumer.on('consumer:lag', (lag) => {
        for (const [topic, partitions] of lag) {
          const total = partitions.reduce((sum, n) => (n > 0n ? sum + n : sum), 0n);
          metrics.lag.set({ group: groupId, topic }, Number(total));
        }
      });
      consumer.on('consumer:lag:error', (err) => log.debug({ err, consumer: spec.name }, 'lag probe failed'));
      try {
        const stream = await consumer.consume({
          topics,
          autocommit: false,
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        });
        let streamError: Error | undefined;
        stream.on('error', (err) => {
          streamError = err;
        });
        const nextBatch = batchReader(stream, halt.signal);
        consumer.startLagMonitoring({ topics }, options.lagIntervalMs ?? 10_000);
        log.info({ consumer: spec.name, groupId, topics }, 'consumer started');
        attempt = 0;
        for (;;) {
          const batch = await nextBatch(batchSize);
          if (batch === null) break;
          const done = await processBatch(spec, batch);
          if (done.length > 0) await commitOffsets(spec, done);
          if (halt.signal.aborted) break;
        }
        if (streamError !== undefined) throw streamError;
        if (!halt.signal.aborted) throw new Error('message stream ended');
        await bounded(stream.close(), 5_000).catch(() => undefined);
      } catch (err) {
        if (!halt.signal.aborted) {
          attempt++;
          log.error({ err, consumer: spec.name, attempt }, 'consumer failed; restarting');
        }
      } finally {
        consumer.stopLagMonitoring();
        await bounded(consumer.close(true), 5_000).catch((err: unknown) =>
          log.warn({ err }, 'consumer close failed'),
        );
      }
      if (!halt.signal.aborted) {
        await delay(backoffMs(attempt), undefined, { signal: halt.signal }).catch(() => undefined);
      }
    }
    log.info({ consumer: spec.name }, 'consumer stopped');
  };

  const running = specs.map((spec) => runOne(spec));
  return async () => {
    halt.abort();
    await Promise.all(running);
  };
}

type MessageStream = import('@platformatic/kafka').MessagesStream<string, string, string, string>;

/**
 * Pull-mode batches from a MessagesStream. The 'readable' listener stays attached for the stream's life:
 * with no 'readable' (or 'data') listener the stream counts as unconsumed and stops fetching.
 */
function batchReader(stream: MessageStream, signal: AbortSignal) {
  const waker = new Waker();
  const wake = () => waker.wake();
  stream.on('readable', wake);
  stream.on('end', wake);
  stream.on('close', wake);
  stream.on('error', wake);
  signal.addEventListener('abort', wake, { once: true });
  /** Waits for messages and returns what the buffer holds (up to `max`); null when stopping or ended. */
  return async (max: number): Promise<KafkaMessage[] | null> => {
    for (;;) {
      if (signal.aborted) return null;
      const batch: KafkaMessage[] = [];
      while (batch.length < max) {
        const next = stream.read() as KafkaMessage | null;
        if (next === null) break;
        batch.push(next);
      }
      if (batch.length > 0) return batch;
      if (stream.readableEnded || stream.destroyed) return null;
      await waker.sleep(1_000);
    }
  };
}
