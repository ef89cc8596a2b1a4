import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import {
  createSettlementModule,
  loadSettlementConfig,
  type SettlementConfig,
} from '../../src/modules/settlement/index.ts';
import { loadConfig } from '../../src/platform/config.ts';
import type { EventEnvelope } from '../../src/platform/outbox/enqueue.ts';
import { createRuntime, type Runtime } from '../../src/platform/runtime.ts';

export type SettlementModule = ReturnType<typeof createSettlementModule>;

export function settlementConfig(overrides: Partial<SettlementConfig> = {}): SettlementConfig {
  return { ...loadSettlementConfig({}), catchUpGraceMs: 0, catchUpTimeoutMs: 2000, ...overrides };
}

/** A settlement module on an existing runtime (its own config and, optionally, its own clock). */
export function settlementOn(
  rt: Runtime,
  overrides: Partial<SettlementConfig> = {},
  now?: () => Date,
): SettlementModule {
  return createSettlementModule({
    db: rt.db,
    logger: rt.logger,
    metrics: rt.metrics,
    idempotency: rt.idempotency,
    config: settlementConfig(overrides),
    ...(now === undefined ? {} : { now }),
  });
}

export function startSettlement(overrides: Partial<SettlementConfig> = {}): {
  rt: Runtime;
  settlement: SettlementModule;
} {
  const rt = createRuntime(loadConfig({ ...process.env, DATABASE_POOL_MAX: '8' }));
  return { rt, settlement: settlementOn(rt, overrides) };
}

/** Feeds events as the consumer runner would: each in a transaction of its own. */
export async function feed(
  rt: Runtime,
  settlement: SettlementModule,
  events: readonly EventEnvelope[],
): Promise<void> {
  for (const event of events) {
    await rt.db.transaction().execute((trx) => settlement.handlePaymentEvent(event, trx));
  }
}

/** Feeds with `lanes` transactions at once (events of one order may race each other). */
export async function feedConcurrently(
  rt: Runtime,
  settlement: SettlementModule,
  events: readonly EventEnvelope[],
  lanes: number,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (;;) {
        const event = events[next++];
        if (event === undefined) return;
        await rt.db.transaction().execute((trx) => settlement.handlePaymentEvent(event, trx));
      }
    }),
  );
}

export interface LineSnapshot {
  id: number;
  type: string;
  order_id: string | null;
  seller_id: string;
  settlement_id: string | null;
  recorded_at: Date;
  gross_amount: number;
  refund_amount: number;
  discount_amount: number;
  platform_discount_amount: number;
  charged_amount: number;
  pg_fee_amount: number;
  platform_fee_amount: number;
  vat_amount: number;
  cancellation_fee_amount: number;
  payout_amount: number;
}

export interface SettlementSnapshot {
  id: string;
  seller_id: string;
  run_id: string;
  period_start: Date;
  period_end: Date;
  gross_amount: number;
  refund_amount: number;
  discount_amount: number;
  pg_fee_amount: number;
  platform_fee_amount: number;
  vat_amount: number;
  cancellation_fee_amount: number;
  payout_amount: number;
  line_count: number;
  status: string;
}

export async function snapshot(rt: Runtime, sellerIds: readonly string[]) {
  const lines = await sql<LineSnapshot>`
    select id, type, order_id, seller_id, settlement_id, recorded_at, gross_amount, refund_amount, discount_amount,
           platform_discount_amount, charged_amount, pg_fee_amount, platform_fee_amount, vat_amount,
           cancellation_fee_amount, payout_amount
    from settlement_ledger_lines where seller_id = any(${sellerIds}::uuid[]) order by id`.execute(rt.db);
  const settlements = await sql<SettlementSnapshot>`
    select id, seller_id, run_id, period_start, period_end, gross_amount, refund_amount, discount_amount,
           pg_fee_amount, platform_fee_amount, vat_amount, cancellation_fee_amount, payout_amount, line_count, status
    from settlements where seller_id = any(${sellerIds}::uuid[]) order by id`.execute(rt.db);
  return { lines: lines.rows, settlements: settlements.rows };
}

export const FIGURES = [
  'gross_amount',
  'refund_amount',
  'discount_amount',
  'pg_fee_amount',
  'platform_fee_amount',
  'vat_amount',
  'cancellation_fee_amount',
  'payout_amount',
] as const;

export const formula = (f: Record<(typeof FIGURES)[number], number>) =>
  f.gross_amount -
  f.refund_amount -
  f.discount_amount -
  f.pg_fee_amount -
  f.platform_fee_amount -
  f.vat_amount +
  f.cancellation_fee_amount;

export function approvedEvent(p: {
  orderId?: string;
  sellerId: string;
  performanceId?: string;
  at: Date;
  gross: number;
  discount?: number;
  fundedBy?: 'SELLER' | 'PLATFORM' | null;
  paymentKey?: string;
}): EventEnvelope {
  const orderId = p.orderId ?? randomUUID();
  const discount = p.discount ?? 0;
  return {
    eventId: randomUUID(),
    type: 'payment.approved',
    key: orderId,
    occurredAt: p.at.toISOString(),
    payload: {
      orderId,
      tossOrderId: `qt_${orderId.slice(0, 8)}`,
      paymentKey: p.paymentKey ?? `pk_${orderId.replaceAll('-', '')}`,
      sellerId: p.sellerId,
      performanceId: p.performanceId ?? randomUUID(),
      scheduleId: randomUUID(),
      buyerId: randomUUID(),
      approvedAt: p.at.toISOString(),
      grossAmount: p.gross,
      discountAmount: discount,
      discountFundedBy: p.fundedBy ?? (discount > 0 ? 'SELLER' : null),
      amount: p.gross - discount,
      method: 'CARD',
    },
  };
}

export function refundedEvent(
  sale: EventEnvelope,
  p: { at: Date; face: number; discount?: number; fee?: number; full?: boolean; refundId?: string },
): EventEnvelope {
  const s = sale.payload as { orderId: string; paymentKey: string; sellerId: string; performanceId: string };
  const discount = p.discount ?? 0;
  const fee = p.fee ?? 0;
  return {
    eventId: randomUUID(),
    type: 'payment.refunded',
    key: s.orderId,
    occurredAt: p.at.toISOString(),
    payload: {
      orderId: s.orderId,
      paymentKey: s.paymentKey,
      refundId: p.refundId ?? `tx_${randomUUID()}`,
      sellerId: s.sellerId,
      performanceId: s.performanceId,
      refundedAt: p.at.toISOString(),
      refundFaceValue: p.face,
      refundDiscount: discount,
      refundAmount: p.face - discount - fee,
      cancellationFee: fee,
      full: p.full ?? false,
    },
  };
}
