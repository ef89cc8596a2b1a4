/** Reads every committed message of a run's topics from the beginning (for the invariant checker). */
import { randomUUID } from 'node:crypto';
import {
  Consumer,
  FetchIsolationLevels,
  MessagesStreamModes,
  stringDeserializers,
} from '@platformatic/kafka';
import { createAdmin } from '../../src/platform/kafka.ts';

export interface KafkaEvent {
  topic: string;
  eventId: string;
  type: string;
  key: string;
  payload: Record<string, unknown>;
}

export interface KafkaSnapshot {
  events: KafkaEvent[];
  /** messages that were not a JSON envelope */
  malformed: number;
  complete: boolean;
}

/** Consumes the topics (with this prefix) until nothing new came for `idleMs`, at most `maxMs`. */
export async function readTopics(
  brokers: string[],
  topicPrefix: string,
  idleMs = 2500,
  maxMs = 45_000,
): Promise<KafkaSnapshot> {
  const admin = createAdmin({ brokers, clientId: 'qt-bench-inv', topicPrefix });
  let topics: string[];
  try {
    topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
  } finally {
    await admin.close().catch(() => undefined);
  }
  const events: KafkaEvent[] = [];
  let malformed = 0;
  if (topics.length === 0) return { events, malformed, complete: true };
  const consumer = new Consumer({
    clientId: `qt-bench-inv-${randomUUID().slice(0, 8)}`,
    bootstrapBrokers: brokers,
    groupId: `qt-bench-inv-${randomUUID()}`,
    deserializers: stringDeserializers,
    autocommit: false,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxWaitTime: 300,
    timeout: 15_000,
  });
  let complete = false;
  try {
    const stream = await consumer.consume({ topics, autocommit: false, mode: MessagesStreamModes.EARLIEST });
    const started = Date.now();
    let last = Date.now();
    stream.on('data', (m) => {
      last = Date.now();
      try {
        const env = JSON.parse(String(m.value)) as {
          eventId?: string;
          type?: string;
          key?: string;
          payload?: Record<string, unknown>;
        };
        if (typeof env.eventId !== 'string') throw new Error('no event id');
        events.push({
          topic: m.topic.slice(topicPrefix.length),
          eventId: env.eventId,
          type: env.type ?? '',
          key: env.key ?? String(m.key ?? ''),
          payload: env.payload ?? {},
        });
      } catch {
        malformed++;
      }
    });
    // first messages need the group join: give it a few seconds before idleness counts
    await new Promise((r) => setTimeout(r, 3000));
    while (Date.now() - started < maxMs) {
      if (Date.now() - last >= idleMs) {
        complete = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await stream.close().catch(() => undefined);
  } finally {
    await consumer.close(true).catch(() => undefined);
  }
  return { events, malformed, complete };
}
