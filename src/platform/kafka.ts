import { Admin, Producer, type ProducerOptions, stringSerializers } from '@platformatic/kafka';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  topicPrefix: string;
}

export function kafkaSettings(config: {
  KAFKA_BROKERS: string;
  KAFKA_CLIENT_ID: string;
  KAFKA_TOPIC_PREFIX: string;
}): KafkaSettings {
  return {
    brokers: config.KAFKA_BROKERS.split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    clientId: config.KAFKA_CLIENT_ID,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
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
    if (missing.length > 0) await admin.createTopics({ topics: missing, partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Readiness: the broker answers a metadata request. */
export async function pingKafka(admin: Admin): Promise<void> {
  await admin.metadata({ topics: [] });
}

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
