/**
 * The Toss-compatible sandbox alone: `node src/modules/payment/sandbox/standalone.ts`.
 * Env: DATABASE_URL (its state lives in the sandbox_* tables; migrations are applied first),
 * SANDBOX_HOST (127.0.0.1), SANDBOX_PORT (8090), SANDBOX_* fault settings, SANDBOX_WEBHOOK_URL.
 * Point QueueTicket at it with TOSS_API_BASE=http://127.0.0.1:8090/sandbox/toss.
 */
import { createDb } from '../../../platform/db.ts';
import { createLogger } from '../../../platform/logger.ts';
import { migrateToLatest } from '../../../platform/migrate.ts';
import { startSandboxServer } from './server.ts';
import type { SandboxTables } from './tables.ts';

const env = process.env;
const logger = createLogger(env.LOG_LEVEL ?? 'info', 'toss-sandbox');
const { db } = createDb(env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/queueticket', 10);

try {
  await migrateToLatest(db);
  const server = await startSandboxServer({
    db: db.withTables<SandboxTables>(),
    logger,
    host: env.SANDBOX_HOST ?? '127.0.0.1',
    port: Number(env.SANDBOX_PORT ?? 8090),
  });
  logger.info({ url: server.url }, 'Toss sandbox listening');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void server
        .close()
        .then(() => db.destroy())
        .then(() => process.exit(0));
    });
  }
} catch (err) {
  logger.fatal({ err }, 'sandbox start-up failed');
  await db.destroy();
  process.exit(1);
}
