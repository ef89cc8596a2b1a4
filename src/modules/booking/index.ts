import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config.ts';
import type { PlatformTables, Tx } from '../../platform/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import type { Idempotency } from '../../platform/http/idempotency.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { duplicateRedis, type Redis } from '../../platform/redis.ts';
import { describeHold, type ForcedRelease, forceReleaseHold, type HoldDescription } from './admin.ts';
import { bookingConsumers, endSalesOfSchedule } from './consumers.ts';
import { type BookingContext, bookingStats, MAX_SEATS_HELD_PER_USER } from './context.ts';
import { BookingErrors } from './errors.ts';
import { HoldJournal } from './hold-journal.ts';
import { HoldRepository } from './hold-repository.ts';
import { priceHold } from './holds.ts';
import { registerBookingRoutes } from './http/routes.ts';
import { OrderRepository } from './order-repository.ts';
import {
  cancelUnpaidOrder,
  findOrder,
  findOrderByTossOrderId,
  markAwaitingDeposit,
  markOrderPaid,
  markOrderRefunded,
  markPaymentPending,
  markPaymentUnresolvedBack,
} from './payment-hooks.ts';
import type {
  CatalogPort,
  CouponPort,
  CouponQuote,
  HoldSummary,
  OrderForPayment,
  OrderLine,
  PricedDraft,
  QueuePort,
  RefundPort,
  SalesGate,
  SeatStatusSource,
} from './ports.ts';
import { HoldBatcher } from './redis/hold-batch.ts';
import { SeatStore } from './redis/seat-store.ts';
import { SaleCache } from './sale-cache.ts';
import { SeatFeed, type Snapshot } from './seat-feed.ts';
import { SeatStateLoader } from './seat-state.ts';
import { seatStatusSource } from './seat-status.ts';
import { bookingJobs, expireHolds, expireOrders, syncOrders } from './sweeper.ts';
import type { BookingTables } from './tables.ts';

export type {
  CatalogPort,
  CouponPort,
  ForcedRelease,
  HoldDescription,
  HoldSummary,
  OrderForPayment,
  OrderLine,
  PricedDraft,
  QueuePort,
  RefundPort,
  SalesGate,
  SeatStatusSource,
};

export interface BookingDeps {
  db: Kysely<PlatformTables>;
  redis: Redis;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  idempotency: Idempotency;
  catalog: CatalogPort;
  queue: QueuePort;
  /** The coupon module; null until it exists (orders without a coupon still work). */
  coupon?: CouponPort | null;
  /** How long the hot hold path may use a cached ScheduleForSale (default 1 s). */
  scheduleCacheMs?: number;
}

/** A lapsed hold's record stays in Redis this long, so late calls get HOLD_EXPIRED rather than not-found. */
const HOLD_RECORD_KEEP_MS = 3600 * 1000;

/** Seats, holds, orders and expiry (docs/contracts.md, booking section; docs/decisions/0006-holds.md). */
export function createBookingModule(deps: BookingDeps) {
  const db = deps.db.withTables<BookingTables>();
  const holds = new HoldRepository(db);
  const orders = new OrderRepository(db);
  const store = new SeatStore(deps.redis, HOLD_RECORD_KEEP_MS);
  const logger = deps.logger.child({ module: 'booking' });
  // The batched hold / release / post-commit scripts on a connection of their own without auto-pipelining
  // (each is already one call per schedule and turn; the shared client would build a pipeline object per
  // call, copying every defined script onto it). Opened on first use, closed with the shared client.
  const batchRedis = duplicateRedis(deps.redis, { enableAutoPipelining: false, lazyConnect: true });
  batchRedis.on('error', (err: Error) => logger.warn({ err }, 'booking batch redis connection error'));
  deps.redis.once('end', () => batchRedis.disconnect());
  const ctx: BookingContext = {
    db,
    platformDb: deps.db,
    config: deps.config,
    logger,
    holds,
    orders,
    store,
    holdBatch: new HoldBatcher(
      batchRedis,
      HOLD_RECORD_KEEP_MS,
      MAX_SEATS_HELD_PER_USER,
      deps.config.RATE_LIMIT_IP_PER_SECOND,
    ),
    recentHolds: new Map(),
    loader: new SeatStateLoader(store, holds, orders, deps.catalog, logger),
    journal: new HoldJournal(db, logger, deps.metrics),
    catalog: deps.catalog,
    queue: deps.queue,
    sales: new SaleCache(deps.catalog, deps.scheduleCacheMs ?? 1000),
    ports: { coupon: deps.coupon ?? null, refund: null, salesGate: null },
    stats: bookingStats(deps.metrics),
  };
  const feed = new SeatFeed(deps.redis, deps.config.REDIS_KEY_PREFIX, logger, deps.metrics);
  const status = seatStatusSource(ctx);

  // One snapshot read per schedule per second serves every (re)connecting stream client.
  const snapshots = new Map<string, { at: number; value: ReturnType<Snapshot> }>();
  const snapshot =
    (scheduleId: string): Snapshot =>
    () => {
      const hit = snapshots.get(scheduleId);
      if (hit !== undefined && Date.now() - hit.at < 1000) return hit.value;
      const value = status.unavailableSeats(scheduleId);
      snapshots.set(scheduleId, { at: Date.now(), value });
      if (snapshots.size > 1000) snapshots.delete(snapshots.keys().next().value ?? '');
      value.catch(() => snapshots.delete(scheduleId));
      return value;
    };

  async function getHoldSummary(holdId: string, userId: string): Promise<HoldSummary | null> {
    const hold = await holds.find(holdId);
    if (hold === null || hold.userId !== userId) return null;
    if (hold.status !== 'ACTIVE' && hold.status !== 'ORDERED') return null;
    const lines = await priceHold(ctx, hold);
    return {
      holdId: hold.id,
      userId: hold.userId,
      scheduleId: hold.scheduleId,
      performanceId: hold.performanceId,
      sellerId: hold.sellerId,
      lines,
      subtotal: lines.reduce((sum, l) => sum + l.price, 0),
      expiresAt: hold.expiresAt,
    };
  }

  async function quote(userId: string, holdId: string): Promise<CouponQuote> {
    const summary = await getHoldSummary(holdId, userId);
    if (summary === null) throw BookingErrors.holdNotFound();
    const coupon = ctx.ports.coupon;
    if (coupon === null) return { subtotal: summary.subtotal, options: [], best: null };
    const { holdId: _h, expiresAt: _e, ...draft } = summary;
    return coupon.quote(draft);
  }

  return {
    registerRoutes: (app: HttpApp) =>
      registerBookingRoutes(app, { ctx, idempotency: deps.idempotency, feed, snapshot, quote }),
    jobs: () => bookingJobs(ctx),
    consumers: () => bookingConsumers(ctx),

    /** catalog.setSeatStatusSource(booking.seatStatusSource) in src/roles/modules.ts. */
    seatStatusSource: status,

    getHoldSummary,
    findOrder: (orderId: string): Promise<OrderForPayment | null> => findOrder(ctx, orderId),
    findOrderByTossOrderId: (tossOrderId: string): Promise<OrderForPayment | null> =>
      findOrderByTossOrderId(ctx, tossOrderId),
    markPaymentPending: (orderId: string) => markPaymentPending(ctx, orderId),
    markPaymentUnresolvedBack: (orderId: string) => markPaymentUnresolvedBack(ctx, orderId),
    markOrderPaid: (trx: Tx, orderId: string, paidAt: Date) => markOrderPaid(ctx, trx, orderId, paidAt),
    markOrderRefunded: (trx: Tx, orderId: string, seatIds: number[] | 'ALL', at: Date) =>
      markOrderRefunded(ctx, trx, orderId, seatIds, at),
    /** Virtual account: keep the order, its hold and seats until the deposit deadline. */
    markAwaitingDeposit: (orderId: string, dueDate: Date) => markAwaitingDeposit(ctx, orderId, dueDate),
    /** Ends an unpaid (or payment-pending) order now, e.g. after SEAT_ALREADY_SOLD was refunded. */
    cancelUnpaidOrder: (orderId: string, reason: string) => cancelUnpaidOrder(ctx, orderId, reason),
    /** Payment plugs in its refunds (null unplugs: paid cancels answer 409 REFUND_UNAVAILABLE). */
    setRefundPort(port: RefundPort | null): void {
      ctx.ports.refund = port;
    },
    setCouponPort(port: CouponPort): void {
      ctx.ports.coupon = port;
    },
    /** Ops plugs in its sales kill switch: halted performances get no new holds or orders. */
    setSalesGate(gate: SalesGate | null): void {
      ctx.ports.salesGate = gate;
    },
    /** Ops: a hold with its order (lookup by id), and an operator's release of it. */
    describeHold: (holdId: string): Promise<HoldDescription | null> => describeHold(ctx, holdId),
    forceReleaseHold: (holdId: string, reason: string): Promise<ForcedRelease> =>
      forceReleaseHold(ctx, holdId, reason),

    /** The sweeper's steps, callable directly (tests, operations). */
    sweeper: {
      expireHolds: (now?: Date) => expireHolds(ctx, now),
      expireOrders: (now?: Date) => expireOrders(ctx, now),
      /** Also closes the queue of a schedule whose last seat / place was just sold (SOLD_OUT). */
      syncOrders: () => syncOrders(ctx),
      /** What the `performance.cancelled` consumer does for one schedule. */
      endSalesOfSchedule: (scheduleId: string, reason: string) => endSalesOfSchedule(ctx, scheduleId, reason),
    },
  };
}

export type BookingModule = ReturnType<typeof createBookingModule>;
