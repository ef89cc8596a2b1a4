import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb } from '../../src/platform/db.ts';
import { createAdmin, ensureTopics, kafkaSettings, TOPICS } from '../../src/platform/kafka.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { createRedis, unlinkMatching } from '../../src/platform/redis.ts';

/**
 * One run = one fresh database, one Redis key prefix, one Kafka topic prefix, so concurrent runs
 * (two developers, CI) never see each other's data. Test files share them and isolate by their own ids.
 */
export default async function setup() {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const base = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const dbName = `qt_test_${runId}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  await admin.query(`create database ${admin.escapeIdentifier(dbName)}`);
  await admin.end();

  process.env.NODE_ENV = 'test';
  process.env.DATABASE_URL = `${base}/${dbName}`;
  process.env.REDIS_KEY_PREFIX = `qt:test:${runId}:`;
  const topicPrefix = `qt.t${runId}.`;
  process.env.KAFKA_TOPIC_PREFIX = topicPrefix;
  process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
  process.env.DEMO_DATA = 'false';
  // Many test apps share one PostgreSQL (max_connections 100): small pools per app.
  process.env.DATABASE_POOL_MAX ??= '8';
  // Every test client is 127.0.0.1 and shares one per-IP bucket across concurrently running files
  // (and the in-process sandbox calls come from there too); tests of the per-IP limit set their own.
  process.env.RATE_LIMIT_IP_PER_SECOND ??= '100000';

  const { db } = createDb(process.env.DATABASE_URL, 2);
  await migrateToLatest(db);
  await db.destroy();
  await ensureTopics(
    kafkaSettings({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      KAFKA_CLIENT_ID: 'qt-test',
      KAFKA_TOPIC_PREFIX: process.env.KAFKA_TOPIC_PREFIX,
    }),
    Object.values(TOPICS),
  );

  return async () => {
    if (process.env.KEEP_TEST_DATA === 'true') return;
    const cleaner = new pg.Client({ connectionString: `${base}/postgres` });
    await cleaner.connect();
    await cleaner.query(`drop database if exists ${cleaner.escapeIdentifier(dbName)} with (force)`);
    await cleaner.end();
    await deleteRunTopics(topicPrefix);
    // the run's keys on the Redis server, and on the cluster when the run used one (REDIS_CLUSTER_NODES;
    // test/cluster cleans its own keys)
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    for (const nodes of ['', ...(process.env.REDIS_CLUSTER_NODES ? [process.env.REDIS_CLUSTER_NODES] : [])]) {
      const redis = createRedis(url, '', nodes);
      await unlinkMatching(redis, `qt:test:${runId}:*`);
      await redis.quit();
    }
  };
}

/**
 * Every run creates its own topics (and test files create more under the same prefix): delete them so
 * the shared broker does not pile up thousands of partitions, which slows its next start to minutes.
 */
async function deleteRunTopics(prefix: string): Promise<void> {
  const admin = createAdmin(
    kafkaSettings({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      KAFKA_CLIENT_ID: 'qt-test',
      KAFKA_TOPIC_PREFIX: prefix,
    }),
  );
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch {
    // best effort: a broker that went away takes its topics' fate with it
  } finally {
    await admin.close();
  }
}
