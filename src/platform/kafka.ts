import { Admin, Producer, type ProducerOptions, stringSerializers } from '@platformatic/kafka';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  topicPrefix: string;
  /** Replicas of every topic ensureTopics creates (1 on a single broker; 3 on a 3-broker cluster). */
  replicationFactor?: number;
}

export function kafkaSettings(config: {
  KAFKA_BROKERS: string;
  KAFKA_CLIENT_ID: string;
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_REPLICATION_FACTOR?: number | string;
}): KafkaSettings {
  return {
    brokers: config.KAFKA_BROKERS.split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    clientId: config.KAFKA_CLIENT_ID,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    replicationFactor: Number(config.KAFKA_REPLICATION_FACTOR ?? 1) || 1,
  };
}

/** The deployment (or test run) prefix keeps topics of different runs apart on one broker. */
export const topicName = (settings: KafkaSettings, logical: string) => `${settings.topicPrefix}${logical}`;

/** Every logical topic the system uses; modules publish only to these (through the outbox). */
export const TOPICS = {
  catalog: 'catalog.events',
  queue: 'queue.events',
  booking: 'booking.events',
  couponIssues: 'coupon.issues',
  payment: 'payment.events',
  notifications: 'notification.events',
} as const;

export function createAdmin(settings: KafkaSettings): Admin {
  return new Admin({
    clientId: `${settings.clientId}-admin`,
    bootstrapBrokers: settings.brokers,
    timeout: 5000,
    retries: 2,
  });
}

export async function ensureTopics(
  settings: KafkaSettings,
  logicalNames: readonly string[],
  partitions = 6,
): Promise<void> {
  const admin = createAdmin(settings);
  try {
    const wanted = logicalNames.map((n) => topicName(settings, n));
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t));
    const replicas = settings.replicationFactor ?? 1;
    // With 3 replicas a write (acks=all, see createProducer) needs 2 of them in sync: one broker may be
    // down and nothing acknowledged is lost. With 2, one in sync; with 1, the broker default.
    const configs =
      replicas > 1 ? [{ name: 'min.insync.replicas', value: String(Math.min(2, replicas - 1)) }] : [];
    if (missing.length > 0) await admin.createTopics({ topics: missing, partitions, replicas, configs });
  } finally {
    await admin.close();
  }
}

/** Readiness: the broker answers a metadata request. */
export async function pingKafka(admin: Admin): Promise<void> {
  await admin.metadata({ topics: [] });
}

/**
 * Every producer is idempotent: @platformatic/kafka then forces acks=all (-1), one request in flight
 * and retries, so a send is acknowledged only once min.insync.replicas have it. The outbox relay adds a
 * transactionalId (transactions imply idempotence).
 */
export function createProducer(
  settings: KafkaSettings,
  extra: Partial<ProducerOptions<string, string, string, string>> = {},
): Producer<string, string, string, string> {
  return new Producer({
    clientId: settings.clientId,
    bootstrapBrokers: settings.brokers,
    serializers: stringSerializers,
    idempotent: true,
    ...extra,
  });
}
