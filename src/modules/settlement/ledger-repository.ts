import { sql } from 'kysely';
import type { FeeRates, LineFigures, LineType, RefundedSoFar } from './money.ts';
import type { EventStatus, SettlementExecutor, SettlementTables, SettlementTx } from './tables.ts';

/** Advisory lock class of the settlement ledger (two-int form: class, object). */
const LOCK_CLASS = 0x5e77;
const LEDGER_OBJECT = 1;

/**
 * Writers of ledger lines hold the ledger lock shared; a settlement run holds it exclusive. So a run
 * sees every line whose writer read the set of closed periods before the run closed its period, and
 * every later writer sees the run's period as closed (docs/decisions/0009, "recorded_at").
 */
export async function lockLedgerShared(trx: SettlementTx): Promise<void> {
  await sql`select pg_advisory_xact_lock_shared(${LOCK_CLASS}::int, ${LEDGER_OBJECT}::int)`.execute(trx);
}

export async function lockLedgerExclusive(trx: SettlementTx): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LOCK_CLASS}::int, ${LEDGER_OBJECT}::int)`.execute(trx);
}

/** Serialises the events of one order (sale, its refunds, parked refunds) across transactions. */
export async function lockOrder(trx: SettlementTx, orderId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LOCK_CLASS}::int, hashtext(${orderId}))`.execute(trx);
}

/**
 * The instant a line happening at `at` is recorded at: `at` itself unless a settled period covers it,
 * else the first instant after the chain of settled periods covering it. So a settled period never
 * takes another line and a late line lands in the first period still open.
 */
export async function recordedAtFor(db: SettlementExecutor, at: Date): Promise<Date> {
  let t = at;
  for (let hops = 0; hops < 10_000; hops++) {
    const row = await db
      .selectFrom('settlement_runs')
      .select((eb) => eb.fn.max('period_end').as('end'))
      .where('period_start', '<=', t)
      .where('period_end', '>', t)
      .executeTakeFirst();
    const end = row?.end ?? null;
    if (end === null) return t;
    t = new Date(end);
  }
  throw new Error('settlement runs form an endless chain');
}

export interface EventRecord {
  eventId: string;
  type: string;
  orderId: string | null;
  status: EventStatus;
  reason: string | null;
  occurredAt: Date | null;
  payload: unknown;
}

/** False when the event was already recorded (a redelivery): the caller does nothing more. */
export async function recordEvent(db: SettlementExecutor, e: EventRecord): Promise<boolean> {
  const row = await db
    .insertInto('settlement_events')
    .values({
      event_id: e.eventId,
      type: e.type,
      order_id: e.orderId,
      status: e.status,
      reason: e.reason,
      occurred_at: e.occurredAt,
      payload: JSON.stringify(e.payload ?? null),
    })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function setEventStatus(
  db: SettlementExecutor,
  eventId: string,
  status: EventStatus,
  reason: string | null,
): Promise<void> {
  await db.updateTable('settlement_events').set({ status, reason }).where('event_id', '=', eventId).execute();
}

export async function parkedRefunds(
  db: SettlementExecutor,
  orderId: string,
): Promise<{ eventId: string; payload: unknown }[]> {
  const rows = await db
    .selectFrom('settlement_events')
    .select(['event_id', 'payload'])
    .where('order_id', '=', orderId)
    .where('status', '=', 'PARKED')
    .orderBy('occurred_at')
    .orderBy('event_id')
    .execute();
  return rows.map((r) => ({ eventId: r.event_id, payload: r.payload }));
}

const FIGURE_COLUMNS = [
  'gross_amount',
  'refund_amount',
  'discount_amount',
  'platform_discount_amount',
  'charged_amount',
  'pg_fee_amount',
  'platform_fee_amount',
  'pg_vat_amount',
  'platform_vat_amount',
  'vat_amount',
  'cancellation_fee_amount',
  'payout_amount',
] as const;

type FigureRow = Pick<SettlementTables['settlement_ledger_lines'], (typeof FIGURE_COLUMNS)[number]>;

export function figuresOf(row: FigureRow): LineFigures {
  return {
    grossAmount: row.gross_amount,
    refundAmount: row.refund_amount,
    discountAmount: row.discount_amount,
    platformDiscountAmount: row.platform_discount_amount,
    chargedAmount: row.charged_amount,
    pgFeeAmount: row.pg_fee_amount,
    platformFeeAmount: row.platform_fee_amount,
    pgVatAmount: row.pg_vat_amount,
    platformVatAmount: row.platform_vat_amount,
    vatAmount: row.vat_amount,
    cancellationFeeAmount: row.cancellation_fee_amount,
    payoutAmount: row.payout_amount,
  };
}

export interface SaleLine {
  orderId: string;
  sellerId: string;
  performanceId: string | null;
  paymentKey: string | null;
  figures: LineFigures;
}

export async function findSale(db: SettlementExecutor, orderId: string): Promise<SaleLine | null> {
  const row = await db
    .selectFrom('settlement_ledger_lines')
    .select([...FIGURE_COLUMNS, 'seller_id', 'performance_id', 'payment_key'])
    .where('source_ref', '=', `sale:${orderId}`)
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    orderId,
    sellerId: row.seller_id,
    performanceId: row.performance_id,
    paymentKey: row.payment_key,
    figures: figuresOf(row),
  };
}

/** What the order's REFUND lines reversed so far, as positive magnitudes. */
export async function refundedSoFar(db: SettlementExecutor, orderId: string): Promise<RefundedSoFar> {
  const row = await db
    .selectFrom('settlement_ledger_lines')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('refund_amount'), sql<number>`0`).as('face'),
      eb.fn.coalesce(eb.fn.sum<number>('discount_amount'), sql<number>`0`).as('sd'),
      eb.fn.coalesce(eb.fn.sum<number>('platform_discount_amount'), sql<number>`0`).as('pd'),
      eb.fn.coalesce(eb.fn.sum<number>('pg_fee_amount'), sql<number>`0`).as('pg'),
      eb.fn.coalesce(eb.fn.sum<number>('platform_fee_amount'), sql<number>`0`).as('pf'),
      eb.fn.coalesce(eb.fn.sum<number>('pg_vat_amount'), sql<number>`0`).as('pgv'),
      eb.fn.coalesce(eb.fn.sum<number>('platform_vat_amount'), sql<number>`0`).as('pfv'),
      eb.fn.coalesce(eb.fn.max(sql<number>`completes_order::int`), sql<number>`0`).as('complete'),
    ])
    .where('order_id', '=', orderId)
    .where('type', '=', 'REFUND')
    .executeTakeFirstOrThrow();
  const n = (v: unknown) => Number(v);
  return {
    faceValue: n(row.face),
    sellerDiscount: -n(row.sd),
    platformDiscount: -n(row.pd),
    pgFee: -n(row.pg),
    platformFee: -n(row.pf),
    pgVat: -n(row.pgv),
    platformVat: -n(row.pfv),
    complete: n(row.complete) === 1,
  };
}

export interface NewLine {
  type: LineType;
  sourceRef: string;
  sourceEventId: string | null;
  orderId: string | null;
  sellerId: string;
  performanceId: string | null;
  paymentKey: string | null;
  refundId: string | null;
  occurredAt: Date;
  recordedAt: Date;
  figures: LineFigures;
  rates: FeeRates | null;
  completesOrder: boolean;
  settlementId: string | null;
}

/** False when a line for the same source already exists (the unique source_ref / source_event_id). */
export async function insertLine(db: SettlementExecutor, line: NewLine): Promise<boolean> {
  const f = line.figures;
  const row = await db
    .insertInto('settlement_ledger_lines')
    .values({
      type: line.type,
      source_ref: line.sourceRef,
      source_event_id: line.sourceEventId,
      order_id: line.orderId,
      seller_id: line.sellerId,
      performance_id: line.performanceId,
      payment_key: line.paymentKey,
      refund_id: line.refundId,
      occurred_at: line.occurredAt,
      recorded_at: line.recordedAt,
      gross_amount: f.grossAmount,
      refund_amount: f.refundAmount,
      discount_amount: f.discountAmount,
      platform_discount_amount: f.platformDiscountAmount,
      charged_amount: f.chargedAmount,
      pg_fee_amount: f.pgFeeAmount,
      platform_fee_amount: f.platformFeeAmount,
      pg_vat_amount: f.pgVatAmount,
      platform_vat_amount: f.platformVatAmount,
      vat_amount: f.vatAmount,
      cancellation_fee_amount: f.cancellationFeeAmount,
      payout_amount: f.payoutAmount,
      pg_fee_rate_bps: line.rates?.pgFeeRateBps ?? null,
      platform_fee_rate_bps: line.rates?.platformFeeRateBps ?? null,
      vat_rate_bps: line.rates?.vatRateBps ?? null,
      completes_order: line.completesOrder,
      settlement_id: line.settlementId,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The seller's rates: its override per rate where set, else the configured default. */
export async function feeRatesFor(
  db: SettlementExecutor,
  sellerId: string,
  defaults: FeeRates,
): Promise<FeeRates> {
  const rule = await db
    .selectFrom('seller_fee_rules')
    .select(['pg_fee_rate_bps', 'platform_fee_rate_bps'])
    .where('seller_id', '=', sellerId)
    .executeTakeFirst();
  return {
    pgFeeRateBps: rule?.pg_fee_rate_bps ?? defaults.pgFeeRateBps,
    platformFeeRateBps: rule?.platform_fee_rate_bps ?? defaults.platformFeeRateBps,
    vatRateBps: defaults.vatRateBps,
  };
}

export interface FeeRule {
  sellerId: string;
  pgFeeRateBps: number | null;
  platformFeeRateBps: number | null;
}

export async function upsertFeeRule(db: SettlementExecutor, rule: FeeRule): Promise<void> {
  await db
    .insertInto('seller_fee_rules')
    .values({
      seller_id: rule.sellerId,
      pg_fee_rate_bps: rule.pgFeeRateBps,
      platform_fee_rate_bps: rule.platformFeeRateBps,
    })
    .onConflict((oc) =>
      oc.column('seller_id').doUpdateSet({
        pg_fee_rate_bps: rule.pgFeeRateBps,
        platform_fee_rate_bps: rule.platformFeeRateBps,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

export async function findFeeRule(db: SettlementExecutor, sellerId: string): Promise<FeeRule | null> {
  const row = await db
    .selectFrom('seller_fee_rules')
    .select(['pg_fee_rate_bps', 'platform_fee_rate_bps'])
    .where('seller_id', '=', sellerId)
    .executeTakeFirst();
  return row === undefined
    ? null
    : { sellerId, pgFeeRateBps: row.pg_fee_rate_bps, platformFeeRateBps: row.platform_fee_rate_bps };
}
