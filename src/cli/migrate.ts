import pg from 'pg';
import { loadConfig } from '../platform/config.ts';
import { createDb } from '../platform/db.ts';
import { ensureTopics, kafkaSettings, TOPICS } from '../platform/kafka.ts';
import { migrateToLatest } from '../platform/migrate.ts';

/** Creates the database if missing, applies migrations, creates Kafka topics. Safe to rerun. */
const config = loadConfig();
await ensureDatabase(config.DATABASE_URL);
const { db } = createDb(config.DATABASE_URL, 2);
try {
  const applied = await migrateToLatest(db);
  console.log(applied.length === 0 ? 'migrate: up to date' : `migrate: applied ${applied.join(', ')}`);
} finally {
  await db.destroy();
}
if (process.argv.includes('--topics')) {
  await ensureTopics(kafkaSettings(config), Object.values(TOPICS));
  console.log(
    `topics: ${Object.values(TOPICS)
      .map((t) => config.KAFKA_TOPIC_PREFIX + t)
      .join(', ')}`,
  );
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
