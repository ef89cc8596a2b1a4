import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PlatformTables, Tx } from '../../platform/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import type { Idempotency } from '../../platform/http/idempotency.ts';
import type { JobSpec } from '../../platform/jobs.ts';
import type { KafkaSettings } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { ConsumerSpec } from '../../platform/outbox/consumer.ts';
import { counterOnce } from '../../platform/outbox/support.ts';
import { duplicateRedis, type Redis } from '../../platform/redis.ts';
import { CampaignRepository } from './campaign-repository.ts';
import * as checkout from './checkout.ts';
import { CouponRepository } from './coupon-repository.ts';
import { describeById } from './describe.ts';
import { registerCouponRoutes } from './http/routes.ts';
import { cancellationConsumer } from './issuance/cancellation-consumer.ts';
import { type GrantPublisher, GrantRelay, kafkaGrantPublisher } from './issuance/grant-relay.ts';
import { REBUILD_HORIZON_MS } from './issuance/loader.ts';
import { GrantReconciler } from './issuance/reconciler.ts';
import { IssueState } from './issuance/redis-state.ts';
import { storeConsumer } from './issuance/store-consumer.ts';
import { KINDS } from './kinds/registry.ts';
import type { PricedDraft } from './pricing.ts';
import type { CouponCatalogPort, CouponResources } from './resources.ts';
import type { CouponTables } from './tables.ts';

export type { Quote, Reservation } from './checkout.ts';
export type { CouponDescription } from './describe.ts';
export type { CouponKind } from './kinds/kind.ts';
export type { PricedDraft, PricedLine } from './pricing.ts';
export type { CouponCatalogPort } from './resources.ts';

export interface CouponOptions {
  /** How often the relay moves grants from Redis streams to Kafka (default 50 ms). */
  relayIntervalMs?: number;
  /** How often the reconciler compares Redis grants with stored coupons (default 10 s). */
  reconcileIntervalMs?: number;
  /** Grants younger than this are left to the Kafka path by the reconciler (default 10 s). */
  reconcileGraceMs?: number;
  /** A failed publish is retried once its stream entry has been idle this long (default 5 s). */
  relayClaimIdleMs?: number;
  /** Longest wait for Kafka to take a batch of grants (default 10 s). */
  relaySendTimeoutMs?: number;
}

export interface CouponDeps {
  db: Kysely<PlatformTables>;
  redis: Redis;
  logger: Logger;
  metrics: Metrics;
  kafka: KafkaSettings;
  idempotency: Idempotency;
  catalog: CouponCatalogPort;
  onShutdown(name: string, close: () => Promise<void>): void;
  options?: CouponOptions;
  /** Where the relay publishes grants (default: Kafka `coupon.issues`). */
  publisher?: GrantPublisher;
  /**
   * Requests per second one address may make (RATE_LIMIT_IP_PER_SECOND). The issue route counts it in
   * its own script (per address and campaign) instead of the platform's separate call; default: no limit.
   */
  ipPerSecond?: number;
  /** RATE_LIMIT_COUPON_ISSUE_ACCOUNT_PER_SECOND: issue requests per account and campaign per second. */
  accountPerSecond?: number;
}

/**
 * Coupons (docs/contracts.md, coupon): campaigns, the kinds registry, first-come-first-served issuance
 * (Redis decides, Kafka carries, PostgreSQL keeps), and the checkout seam booking calls.
 */
export function createCouponModule(deps: CouponDeps) {
  const db = deps.db.withTables<CouponTables>();
  const o = deps.options ?? {};
  const logger = deps.logger.child({ module: 'coupon' });
  const issuedCounter = counterOnce(deps.metrics, 'coupon_issue_total', 'Coupon issue requests by result', [
    'result',
  ]);
  const storedCounter = counterOnce(
    deps.metrics,
    'coupon_grants_stored_total',
    'Coupon grants reaching PostgreSQL',
    ['by', 'outcome'],
  );
  const relayedCounter = counterOnce(
    deps.metrics,
    'coupon_grants_relayed_total',
    'Coupon grants published to Kafka',
    [],
  );
  // the batched issue script's own connection (IssueState), opened on first use
  const issueRedis = duplicateRedis(deps.redis, { enableAutoPipelining: false, lazyConnect: true });
  issueRedis.on('error', (err: Error) => logger.warn({ err }, 'coupon issue redis connection error'));
  deps.onShutdown('coupon-issue-redis', async () => {
    if (issueRedis.status === 'ready') await issueRedis.quit().catch(() => issueRedis.disconnect());
    else issueRedis.disconnect();
  });
  const r: CouponResources = {
    db,
    campaigns: new CampaignRepository(db),
    coupons: new CouponRepository(db),
    state: new IssueState(deps.redis, deps.ipPerSecond, deps.accountPerSecond, issueRedis),
    kinds: KINDS,
    catalog: deps.catalog,
    logger,
    counters: {
      issued: (result) => issuedCounter.inc({ result }),
      stored: (by, outcome, n = 1) => storedCounter.inc({ by, outcome }, n),
    },
  };

  const publisher = deps.publisher ?? kafkaGrantPublisher(deps.kafka, o.relaySendTimeoutMs ?? 10_000);
  deps.onShutdown('coupon-relay-producer', () => publisher.close());
  const relay = new GrantRelay({
    redis: deps.redis,
    publisher,
    logger,
    consumerName: `relay-${randomUUID().slice(0, 8)}`,
    claimIdleMs: o.relayClaimIdleMs ?? 5000,
  });
  const reconciler = new GrantReconciler({
    db,
    state: r.state,
    coupons: r.coupons,
    logger,
    graceMs: o.reconcileGraceMs ?? 10_000,
  });

  // Campaigns whose grants may still be travelling, re-read at most once a second.
  let active: { at: number; ids: string[] } = { at: 0, ids: [] };
  const activeCampaigns = async (): Promise<string[]> => {
    if (Date.now() - active.at > 1000) {
      const campaigns = await r.campaigns.listRecentlyIssuing(new Date(), REBUILD_HORIZON_MS);
      active = { at: Date.now(), ids: campaigns.map((c) => c.id) };
    }
    return active.ids;
  };

  return {
    registerRoutes: (app: HttpApp) => registerCouponRoutes(app, r, deps.idempotency),
    consumers: (): ConsumerSpec[] => [
      storeConsumer({ coupons: r.coupons, logger, counters: r.counters }),
      cancellationConsumer(r),
    ],
    jobs: (): JobSpec[] => [
      {
        name: 'coupon-grant-relay',
        intervalMs: o.relayIntervalMs ?? 50,
        run: async () => {
          const n = await relay.run(await activeCampaigns());
          if (n > 0) relayedCounter.inc(n);
        },
      },
      {
        name: 'coupon-reconciler',
        intervalMs: o.reconcileIntervalMs ?? 10_000,
        run: async () => {
          for (const id of await activeCampaigns()) {
            const result = await reconciler.reconcile(id);
            if (result.repaired > 0) r.counters.stored('RECONCILER', 'STORED', result.repaired);
          }
        },
      },
    ],

    /** Every usable coupon of the buyer for this draft, and the best (docs/contracts.md). */
    quote: (draft: PricedDraft) => checkout.quote(r, draft),
    reserveForOrder: (
      trx: Tx,
      input: { userId: string; orderId: string; couponId: string | 'BEST'; draft: PricedDraft },
    ) => checkout.reserveForOrder(r, trx, input),
    markUsed: (trx: Tx, orderId: string) => checkout.markUsed(r, trx, orderId),
    releaseForOrder: (trx: Tx, orderId: string) => checkout.releaseForOrder(r, trx, orderId),

    /** Operations (ops lookup): a campaign or a coupon by id, null when the id is neither. */
    describeById: (id: string) => describeById(r, id),
    /** Operations and tests: one reconciler pass over one campaign. */
    reconcileCampaign: (campaignId: string, graceMs?: number) => reconciler.reconcile(campaignId, graceMs),
    /** Operations and tests: one relay pass over the given campaigns (default: the active ones). */
    relayGrants: async (campaignIds?: string[]) => relay.run(campaignIds ?? (await activeCampaigns())),
  };
}

export type CouponModule = ReturnType<typeof createCouponModule>;
