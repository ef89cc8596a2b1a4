import { createBookingModule } from '../modules/booking/index.ts';
import { createCatalogModule } from '../modules/catalog/index.ts';
import { createCouponModule } from '../modules/coupon/index.ts';
import { createIdentityModule } from '../modules/identity/index.ts';
import { createOpsModule } from '../modules/ops/index.ts';
import { createPaymentModule } from '../modules/payment/index.ts';
import { createQueueModule } from '../modules/queue/index.ts';
import { createSettlementModule, titleSourceFrom } from '../modules/settlement/index.ts';
import type { ModuleParts } from '../platform/module.ts';
import type { Runtime } from '../platform/runtime.ts';

/**
 * Wires every module by hand, in dependency order. Each module gets only what it needs; modules
 * reach each other only through what these factories return.
 */
export function createModules(rt: Runtime) {
  const identity = createIdentityModule({
    db: rt.db,
    config: rt.config,
    logger: rt.logger,
    tokens: rt.tokens,
    rateLimiter: rt.rateLimiter,
  });
  const catalog = createCatalogModule({
    db: rt.db,
    logger: rt.logger,
    metrics: rt.metrics,
    idempotency: rt.idempotency,
    accounts: identity,
  });
  const queue = createQueueModule({
    db: rt.db,
    redis: rt.redis,
    config: rt.config,
    logger: rt.logger,
    metrics: rt.metrics,
    tokens: rt.tokens,
    rateLimiter: rt.rateLimiter,
    catalog,
    onShutdown: rt.onShutdown,
  });
  const coupon = createCouponModule({
    db: rt.db,
    redis: rt.redis,
    logger: rt.logger,
    metrics: rt.metrics,
    kafka: rt.kafka,
    idempotency: rt.idempotency,
    catalog,
    onShutdown: rt.onShutdown,
    ipPerSecond: rt.config.RATE_LIMIT_IP_PER_SECOND,
    accountPerSecond: rt.config.RATE_LIMIT_COUPON_ISSUE_ACCOUNT_PER_SECOND,
  });
  const booking = createBookingModule({
    db: rt.db,
    redis: rt.redis,
    config: rt.config,
    logger: rt.logger,
    metrics: rt.metrics,
    idempotency: rt.idempotency,
    catalog,
    queue,
    coupon,
  });
  catalog.setSeatStatusSource(booking.seatStatusSource);
  const payment = createPaymentModule({
    db: rt.db,
    config: rt.config,
    logger: rt.logger,
    metrics: rt.metrics,
    idempotency: rt.idempotency,
    booking,
    catalog,
  });
  booking.setRefundPort(payment.refundPort);
  const settlement = createSettlementModule({
    db: rt.db,
    logger: rt.logger,
    metrics: rt.metrics,
    idempotency: rt.idempotency,
  });
  settlement.setPerformanceTitleSource(titleSourceFrom((id) => catalog.listSchedulesOfPerformance(id)));
  settlement.setReconciliationSource(payment.reconciliationSource);
  const ops = createOpsModule({
    db: rt.db,
    redis: rt.redis,
    logger: rt.logger,
    metrics: rt.metrics,
    onShutdown: rt.onShutdown,
    identity,
    catalog,
    booking,
    coupon,
    payment,
    settlement,
  });
  queue.setSalesGate(ops.salesGate);
  booking.setSalesGate(ops.salesGate);
  return { identity, catalog, queue, coupon, booking, payment, settlement, ops };
}

export type Modules = ReturnType<typeof createModules>;

/** Every module's contributions (routes, consumers, jobs) for the roles to collect. */
export function moduleParts(modules: Modules): ModuleParts[] {
  return Object.values(modules);
}
