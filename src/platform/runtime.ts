import type { Kysely } from 'kysely';
import type pg from 'pg';
import { type Config, enabledRoles } from './config.ts';
import { createDb, type PlatformTables } from './db.ts';
import { Idempotency } from './http/idempotency.ts';
import { RateLimiter } from './http/rate-limit.ts';
import { type KafkaSettings, kafkaSettings } from './kafka.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createRedis, type Redis } from './redis.ts';
import { TokenService } from './tokens.ts';

type Closer = { name: string; close: () => Promise<void> };

/** The shared resources of one process. Built once in main.ts (or a test), handed to every module. */
export interface Runtime {
  config: Config;
  roles: Set<string>;
  logger: Logger;
  metrics: Metrics;
  db: Kysely<PlatformTables>;
  pool: pg.Pool;
  redis: Redis;
  tokens: TokenService;
  rateLimiter: RateLimiter;
  idempotency: Idempotency;
  kafka: KafkaSettings;
  /** True from the start of shutdown: readiness fails so load balancers stop sending traffic. */
  readonly draining: boolean;
  /** Registers a closer; shutdown runs them in reverse order of registration. */
  onShutdown(name: string, close: () => Promise<void>): void;
  shutdown(): Promise<void>;
}

export function createRuntime(config: Config, logger: Logger = createLogger(config.LOG_LEVEL)): Runtime {
  const { db, pool } = createDb(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  const redis = createRedis(config.REDIS_URL, config.REDIS_KEY_PREFIX, config.REDIS_CLUSTER_NODES);
  redis.on('error', (err: Error) => logger.warn({ err }, 'redis connection error'));
  const closers: Closer[] = [
    { name: 'postgres', close: () => db.destroy() },
    { name: 'redis', close: async () => void (await redis.quit().catch(() => redis.disconnect())) },
  ];
  let shuttingDown: Promise<void> | null = null;
  let draining = false;
  return {
    config,
    roles: enabledRoles(config),
    logger,
    metrics: createMetrics(),
    db,
    pool,
    redis,
    tokens: new TokenService(config.JWT_SECRET, config.ACCESS_TOKEN_TTL_SECONDS),
    rateLimiter: new RateLimiter(redis),
    idempotency: new Idempotency(db),
    kafka: kafkaSettings(config),
    get draining() {
      return draining;
    },
    onShutdown(name, close) {
      closers.push({ name, close });
    },
    shutdown() {
      shuttingDown ??= (async () => {
        draining = true;
        if (config.SHUTDOWN_DRAIN_MS > 0) {
          logger.info({ drainMs: config.SHUTDOWN_DRAIN_MS }, 'draining: readiness fails, still serving');
          await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DRAIN_MS));
        }
        for (const closer of [...closers].reverse()) {
          try {
            await closer.close();
          } catch (err) {
            logger.warn({ err, closer: closer.name }, 'error while closing');
          }
        }
      })();
      return shuttingDown;
    },
  };
}
