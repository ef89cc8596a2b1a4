import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config.ts';
import type { PlatformTables } from '../../platform/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import type { RateLimiter } from '../../platform/http/rate-limit.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { duplicateRedis, type Redis } from '../../platform/redis.ts';
import type { TokenService } from '../../platform/tokens.ts';
import { Admitter, type AdmitterMetrics, type AdmitterOptions } from './admitter.ts';
import { QueueBatcher } from './batcher.ts';
import { queueConsumers } from './consumers.ts';
import { registerQueueRoutes } from './http/routes.ts';
import { Journal } from './journal.ts';
import { JournalRepository } from './journal-repository.ts';
import { queueKeys } from './keys.ts';
import { LeaseClient } from './lease.ts';
import type { QueueCatalog, SalesGate } from './ports.ts';
import { QueueBootstrap } from './rebuild.ts';
import {
  channelName,
  checkAdmissionToken,
  closeSchedule,
  type QueueResources,
  releaseAdmission,
  retainAdmission,
  verifyAdmission,
} from './service.ts';
import { queueStats } from './settings.ts';
import { type CloseReason, QueueStore } from './store.ts';
import { QueueStreamHub } from './stream.ts';
import type { QueueTables } from './tables.ts';

export type { Admitter, AdmitterOptions } from './admitter.ts';
export { DRAW_ALGORITHM, drawOrder, replayMatches, seededShuffle } from './draw.ts';
export type { QueueCatalog, QueueScheduleView, SalesGate } from './ports.ts';
export type { CloseReason, QueueState } from './store.ts';

export interface QueueDeps {
  db: Kysely<PlatformTables>;
  redis: Redis;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  tokens: TokenService;
  rateLimiter: RateLimiter;
  /** catalog's exported reads (getScheduleForSale, getPerformanceOwner). */
  catalog: QueueCatalog;
  onShutdown?: (name: string, close: () => Promise<void>) => void;
  /** Journal batch period (default 50 ms). */
  journalIntervalMs?: number;
  /** Wait before a rebuild reads the journal, so batches in flight land (default 250 ms). */
  rebuildSettleMs?: number;
  /** SSE round period (default 1000 ms). */
  streamTickMs?: number;
}

/**
 * The waiting room (docs/contracts.md, queue): fair order in Redis, admission by a leased admitter,
 * live positions over SSE, a durable journal in PostgreSQL to rebuild from.
 */
export function createQueueModule(deps: QueueDeps) {
  const repo = new JournalRepository(deps.db.withTables<QueueTables>());
  // the batched join / poll scripts on a connection of their own (store.ts), opened on first use
  const batchRedis = duplicateRedis(deps.redis, { enableAutoPipelining: false, lazyConnect: true });
  batchRedis.on('error', (err: Error) => deps.logger.warn({ err }, 'queue batch redis connection error'));
  const store = new QueueStore(deps.redis, batchRedis);
  const journal = new Journal({
    repo,
    store,
    logger: deps.logger,
    metrics: deps.metrics,
    intervalMs: deps.journalIntervalMs ?? 50,
  });
  const catalog = () => deps.catalog;
  const bootstrap = new QueueBootstrap({
    redis: deps.redis,
    store,
    repo,
    catalog,
    logger: deps.logger,
    metrics: deps.metrics,
    settleMs: deps.rebuildSettleMs ?? 250,
  });
  const batchSizes = deps.metrics.histogram(
    'queue_batch_requests',
    'Joins or polls answered by one batched script call',
    ['kind'],
    [1, 2, 5, 10, 20, 50, 100, 200, 500],
  );
  const r: QueueResources = {
    redis: deps.redis,
    store,
    batcher: new QueueBatcher(
      store,
      {
        accountPerSecond: deps.config.RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND,
        ipPerSecond: deps.config.RATE_LIMIT_IP_PER_SECOND,
      },
      {
        onCallbackError: (err) => deps.logger.error({ err }, 'queue batch callback failed'),
        observeBatch: (kind, size) => batchSizes.labels(kind).observe(size),
      },
    ),
    bootstrap,
    journal,
    repo,
    tokens: deps.tokens,
    logger: deps.logger,
    channel: channelName(deps.config.REDIS_KEY_PREFIX),
    salesGate: null,
  };
  const hub = new QueueStreamHub(r, deps.metrics, { tickMs: deps.streamTickMs ?? 1000 });
  const lease = new LeaseClient(deps.redis);
  let admitterMetrics: AdmitterMetrics | null = null;
  const metricsOfAdmitter = (): AdmitterMetrics => {
    const labels = ['schedule_id'] as const;
    admitterMetrics ??= {
      waiting: deps.metrics.gauge('queue_waiting', 'Users waiting (incl. pre-queue) per schedule', labels),
      active: deps.metrics.gauge('queue_active', 'Live admission slots per schedule', labels),
      admittedPerSecond: deps.metrics.gauge(
        'queue_admitted_per_second',
        'Measured admissions per second per schedule',
        labels,
      ),
      leader: deps.metrics.gauge('queue_admitter_leader', '1 where this process leads the schedule', labels),
    };
    return admitterMetrics;
  };
  const createAdmitter = (options?: AdmitterOptions) => new Admitter(r, lease, metricsOfAdmitter(), options);
  deps.onShutdown?.('queue', async () => {
    await hub.close();
    await journal.close();
    if (batchRedis.status === 'ready') await batchRedis.quit().catch(() => batchRedis.disconnect());
    else batchRedis.disconnect();
  });

  return {
    registerRoutes: (app: HttpApp) => {
      registerQueueRoutes(app, {
        resources: r,
        hub,
        catalog,
        rateLimiter: deps.rateLimiter,
        accountPerSecond: deps.config.RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND,
      });
      // before the server closes: the streams end with a jittered reconnect hint (see hub.drain)
      app.addHook('preClose', async () => void (await hub.drain()));
    },
    consumers: () => queueConsumers(r, catalog),

    verifyAdmission: (token: string, scheduleId: string, userId: string): Promise<boolean> =>
      verifyAdmission(r, token, scheduleId, userId),
    /** verifyAdmission's token half, synchronous: the token's expiry (ms) when valid for user and schedule. */
    checkAdmissionToken: (
      token: string,
      scheduleId: string,
      userId: string,
    ): { expiresAtMs: number } | null => checkAdmissionToken(r, token, scheduleId, userId),
    /**
     * verifyAdmission's slot half as keys another module's script may read atomically (same hash tag
     * `{s:<scheduleId>}`): `meta` exists while the queue is in Redis; `active` scores each admitted
     * user by the slot's expiry (ms, Redis clock). A live slot: score > now; no meta: rebuild first
     * (call verifyAdmission).
     */
    admissionSlotKeys: (scheduleId: string): { meta: string; active: string } => {
      const [meta = '', , , , active = ''] = queueKeys(scheduleId);
      return { meta, active };
    },
    retainAdmission: (scheduleId: string, userId: string, untilMs: number): Promise<void> =>
      retainAdmission(r, scheduleId, userId, untilMs),
    releaseAdmission: (
      scheduleId: string,
      userId: string,
      reason: 'PAID' | 'EXPIRED' | 'LEFT',
    ): Promise<void> => releaseAdmission(r, scheduleId, userId, reason),
    closeSchedule: (scheduleId: string, reason: CloseReason): Promise<void> =>
      closeSchedule(r, scheduleId, reason),
    /** Ops plugs in its sales kill switch (joins 409 SALES_PAUSED, waiters see paused, no admissions). */
    setSalesGate(gate: SalesGate | null): void {
      r.salesGate = gate;
    },

    /** The admitter role (src/roles/admitter.ts); tests create several to exercise failover. */
    createAdmitter,
    /** Opens the queue in Redis, or rebuilds it from the journal when its keys are missing. */
    ensureQueue: (scheduleId: string): Promise<void> => bootstrap.ensure(scheduleId),
    stats: (scheduleId: string) => queueStats(r, scheduleId),
    /** Writes the journal buffer now (tests, shutdown). */
    flushJournal: (): Promise<void> => journal.flush(),
    streamConnections: (): number => hub.connections,
  };
}

export type QueueModule = ReturnType<typeof createQueueModule>;
