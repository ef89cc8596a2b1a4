import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config.ts';
import type { PlatformTables } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { HoldJournal } from './hold-journal.ts';
import type { HoldRepository } from './hold-repository.ts';
import type { OrderRepository } from './order-repository.ts';
import type { CatalogPort, CouponPort, QueuePort, RefundPort, SalesGate } from './ports.ts';
import type { HoldBatcher } from './redis/hold-batch.ts';
import type { SeatStore } from './redis/seat-store.ts';
import type { SaleCache } from './sale-cache.ts';
import type { SeatStateLoader } from './seat-state.ts';
import type { BookingDb } from './tables.ts';

/** A user may hold at most this many seats of one schedule at once (besides maxTicketsPerBuyer). */
export const MAX_SEATS_HELD_PER_USER = 8;

/** The resources every booking use case shares (one object, built in index.ts). */
export interface BookingContext {
  db: BookingDb;
  /** For transactions that other modules join (coupon): `tx.withTables<BookingTables>()` inside. */
  platformDb: Kysely<PlatformTables>;
  config: Pick<
    Config,
    'HOLD_TTL_SECONDS' | 'HOLD_MAX_EXTEND_SECONDS' | 'REDIS_KEY_PREFIX' | 'RATE_LIMIT_IP_PER_SECOND'
  >;
  logger: Logger;
  holds: HoldRepository;
  orders: OrderRepository;
  store: SeatStore;
  /** seated holds and post-commit checks, one script call per schedule and event-loop turn */
  holdBatch: HoldBatcher;
  /** holdId → scheduleId of holds placed by this process (immutable pairs): DELETE skips the index read */
  recentHolds: Map<string, string>;
  loader: SeatStateLoader;
  journal: HoldJournal;
  catalog: CatalogPort;
  queue: QueuePort;
  sales: SaleCache;
  ports: { coupon: CouponPort | null; refund: RefundPort | null; salesGate: SalesGate | null };
  stats: BookingStats;
}

export function bookingStats(metrics: Metrics) {
  return {
    holds: metrics.counter('booking_holds_total', 'hold attempts by outcome', ['outcome'] as const),
    holdSeconds: metrics.histogram(
      'booking_hold_duration_seconds',
      'time to place a hold (admission check, Lua, group commit)',
      [],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    ),
    orders: metrics.counter('booking_orders_total', 'order transitions', ['to'] as const),
    swept: metrics.counter('booking_swept_total', 'holds and orders ended by the sweeper', ['what'] as const),
    doubleSaleRefused: metrics.counter(
      'booking_double_sale_refused_total',
      'sales refused by the PostgreSQL unique index (the last defence fired)',
    ),
  };
}
export type BookingStats = ReturnType<typeof bookingStats>;

/** Runs a seat script; when Redis does not have the schedule loaded, loads it and runs it once more. */
export async function withLoaded<T extends { kind: string }>(
  ctx: Pick<BookingContext, 'loader'>,
  scheduleId: string,
  run: () => Promise<T>,
): Promise<T> {
  const first = await run();
  if (first.kind !== 'INIT') return first;
  await ctx.loader.ensure(scheduleId);
  return run();
}
