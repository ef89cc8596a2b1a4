import { sql } from 'kysely';
import type { SettlementExecutor, SettlementStatus, SettlementTx } from './tables.ts';

export interface Totals {
  grossAmount: number;
  refundAmount: number;
  discountAmount: number;
  pgFeeAmount: number;
  platformFeeAmount: number;
  vatAmount: number;
  cancellationFeeAmount: number;
  payoutAmount: number;
  lineCount: number;
}

export interface Settlement extends Totals {
  id: string;
  runId: string;
  sellerId: string;
  periodStart: Date;
  periodEnd: Date;
  status: SettlementStatus;
  payoutDate: string;
  createdAt: Date;
  confirmedAt: Date | null;
  paidOutAt: Date | null;
}

export interface RunRow {
  id: string;
  periodStart: Date;
  periodEnd: Date;
}

export async function findRun(db: SettlementExecutor, start: Date, end: Date): Promise<RunRow | null> {
  const row = await db
    .selectFrom('settlement_runs')
    .select(['id', 'period_start', 'period_end'])
    .where('period_start', '=', start)
    .where('period_end', '=', end)
    .executeTakeFirst();
  return row === undefined ? null : { id: row.id, periodStart: row.period_start, periodEnd: row.period_end };
}

/** The run of this exact period, created if new; `created` tells which. */
export async function claimRun(
  trx: SettlementTx,
  start: Date,
  end: Date,
  trigger: 'API' | 'SCHEDULE',
): Promise<{ id: string; created: boolean }> {
  const inserted = await trx
    .insertInto('settlement_runs')
    .values({ period_start: start, period_end: end, trigger })
    .onConflict((oc) => oc.columns(['period_start', 'period_end']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted !== undefined) return { id: inserted.id, created: true };
  const existing = await findRun(trx, start, end);
  if (existing === null) throw new Error('settlement run vanished');
  return { id: existing.id, created: false };
}

const sumOf = (column: string) => sql<number>`coalesce(sum(${sql.ref(column)}), 0)::bigint`;

const TOTAL_SELECTION = [
  sumOf('gross_amount').as('gross_amount'),
  sumOf('refund_amount').as('refund_amount'),
  sumOf('discount_amount').as('discount_amount'),
  sumOf('pg_fee_amount').as('pg_fee_amount'),
  sumOf('platform_fee_amount').as('platform_fee_amount'),
  sumOf('vat_amount').as('vat_amount'),
  sumOf('cancellation_fee_amount').as('cancellation_fee_amount'),
  sumOf('payout_amount').as('payout_amount'),
  sql<number>`count(*)::int`.as('line_count'),
] as const;

type TotalRow = {
  gross_amount: number;
  refund_amount: number;
  discount_amount: number;
  pg_fee_amount: number;
  platform_fee_amount: number;
  vat_amount: number;
  cancellation_fee_amount: number;
  payout_amount: number;
  line_count: number;
};

const totalsOf = (r: TotalRow): Totals => ({
  grossAmount: Number(r.gross_amount),
  refundAmount: Number(r.refund_amount),
  discountAmount: Number(r.discount_amount),
  pgFeeAmount: Number(r.pg_fee_amount),
  platformFeeAmount: Number(r.platform_fee_amount),
  vatAmount: Number(r.vat_amount),
  cancellationFeeAmount: Number(r.cancellation_fee_amount),
  payoutAmount: Number(r.payout_amount),
  lineCount: Number(r.line_count),
});

/** Per seller: the totals of the lines recorded in [start, end) that no settlement holds. */
export async function unsettledTotalsBySeller(
  trx: SettlementTx,
  start: Date,
  end: Date,
): Promise<(Totals & { sellerId: string; lastRecordedAt: Date })[]> {
  const rows = await trx
    .selectFrom('settlement_ledger_lines')
    .select(['seller_id', ...TOTAL_SELECTION, sql<Date>`max(recorded_at)`.as('last_recorded_at')])
    .where('settlement_id', 'is', null)
    .where('recorded_at', '>=', start)
    .where('recorded_at', '<', end)
    .groupBy('seller_id')
    .orderBy('seller_id')
    .execute();
  return rows.map((r) => ({
    sellerId: r.seller_id,
    lastRecordedAt: new Date(r.last_recorded_at),
    ...totalsOf(r),
  }));
}

export async function insertSettlement(
  trx: SettlementTx,
  s: Totals & { runId: string; sellerId: string; periodStart: Date; periodEnd: Date; payoutDate: string },
): Promise<string> {
  const row = await trx
    .insertInto('settlements')
    .values({
      run_id: s.runId,
      seller_id: s.sellerId,
      period_start: s.periodStart,
      period_end: s.periodEnd,
      gross_amount: s.grossAmount,
      refund_amount: s.refundAmount,
      discount_amount: s.discountAmount,
      pg_fee_amount: s.pgFeeAmount,
      platform_fee_amount: s.platformFeeAmount,
      vat_amount: s.vatAmount,
      cancellation_fee_amount: s.cancellationFeeAmount,
      payout_amount: s.payoutAmount,
      line_count: s.lineCount,
      payout_date: s.payoutDate,
      confirmed_at: null,
      paid_out_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Moves the seller's unsettled lines of [start, end) into the settlement; returns how many. */
export async function assignLines(
  trx: SettlementTx,
  settlementId: string,
  sellerId: string,
  start: Date,
  end: Date,
): Promise<number> {
  const result = await trx
    .updateTable('settlement_ledger_lines')
    .set({ settlement_id: settlementId })
    .where('settlement_id', 'is', null)
    .where('seller_id', '=', sellerId)
    .where('recorded_at', '>=', start)
    .where('recorded_at', '<', end)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function totalsOfSettlementLines(db: SettlementExecutor, settlementId: string): Promise<Totals> {
  const row = await db
    .selectFrom('settlement_ledger_lines')
    .select([...TOTAL_SELECTION])
    .where('settlement_id', '=', settlementId)
    .executeTakeFirstOrThrow();
  return totalsOf(row);
}

/** Every settlement holding a line recorded in [start, end): what a run of that period answers. */
export async function settlementsHoldingPeriod(
  db: SettlementExecutor,
  start: Date,
  end: Date,
): Promise<{ id: string; sellerId: string }[]> {
  const rows = await db
    .selectFrom('settlements as s')
    .select(['s.id', 's.seller_id'])
    // a settlement's lines lie inside its own period, so only overlapping periods can qualify
    .where('s.period_start', '<', end)
    .where('s.period_end', '>', start)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('settlement_ledger_lines as l')
          .select(sql`1`.as('one'))
          .whereRef('l.settlement_id', '=', 's.id')
          .where('l.recorded_at', '>=', start)
          .where('l.recorded_at', '<', end),
      ),
    )
    .orderBy('s.period_start')
    .orderBy('s.seller_id')
    .orderBy('s.id')
    .execute();
  return rows.map((r) => ({ id: r.id, sellerId: r.seller_id }));
}

const SETTLEMENT_COLUMNS = [
  'id',
  'run_id',
  'seller_id',
  'period_start',
  'period_end',
  'gross_amount',
  'refund_amount',
  'discount_amount',
  'pg_fee_amount',
  'platform_fee_amount',
  'vat_amount',
  'cancellation_fee_amount',
  'payout_amount',
  'line_count',
  'status',
  'created_at',
  'confirmed_at',
  'paid_out_at',
] as const;

type SettlementRow = TotalRow & {
  id: string;
  run_id: string;
  seller_id: string;
  period_start: Date;
  period_end: Date;
  status: SettlementStatus;
  payout_date: string;
  created_at: Date;
  confirmed_at: Date | null;
  paid_out_at: Date | null;
};

const payoutDateText = sql<string>`to_char(payout_date, 'YYYY-MM-DD')`.as('payout_date');

function settlementOf(r: SettlementRow): Settlement {
  return {
    id: r.id,
    runId: r.run_id,
    sellerId: r.seller_id,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    status: r.status,
    payoutDate: r.payout_date,
    createdAt: r.created_at,
    confirmedAt: r.confirmed_at,
    paidOutAt: r.paid_out_at,
    ...totalsOf(r),
  };
}

export async function findSettlement(db: SettlementExecutor, id: string): Promise<Settlement | null> {
  const row = await db
    .selectFrom('settlements')
    .select([...SETTLEMENT_COLUMNS, payoutDateText])
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? null : settlementOf(row);
}

export interface SettlementFilter {
  sellerId?: string | undefined;
  status?: SettlementStatus | undefined;
  limit: number;
  offset: number;
}

export async function listSettlements(
  db: SettlementExecutor,
  filter: SettlementFilter,
): Promise<Settlement[]> {
  let q = db.selectFrom('settlements').select([...SETTLEMENT_COLUMNS, payoutDateText]);
  if (filter.sellerId !== undefined) q = q.where('seller_id', '=', filter.sellerId);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  const rows = await q
    .orderBy('period_start', 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(filter.limit)
    .offset(filter.offset)
    .execute();
  return rows.map(settlementOf);
}

/** Conditional status move; null when the settlement is not in `from` (the caller tells why). */
export async function moveStatus(
  db: SettlementExecutor,
  id: string,
  from: SettlementStatus,
  to: SettlementStatus,
  at: Date,
): Promise<Settlement | null> {
  const row = await db
    .updateTable('settlements')
    .set(to === 'CONFIRMED' ? { status: to, confirmed_at: at } : { status: to, paid_out_at: at })
    .where('id', '=', id)
    .where('status', '=', from)
    .returning([...SETTLEMENT_COLUMNS, payoutDateText])
    .executeTakeFirst();
  return row === undefined ? null : settlementOf(row);
}

export interface LineRow {
  id: number;
  orderId: string | null;
  type: 'SALE' | 'REFUND' | 'CARRY_FORWARD';
  performanceId: string | null;
  paymentKey: string | null;
  refundId: string | null;
  occurredAt: Date;
  recordedAt: Date;
  grossAmount: number;
  refundAmount: number;
  discountAmount: number;
  platformDiscountAmount: number;
  pgFeeAmount: number;
  platformFeeAmount: number;
  vatAmount: number;
  cancellationFeeAmount: number;
  payoutAmount: number;
}

export async function linesOf(db: SettlementExecutor, settlementId: string): Promise<LineRow[]> {
  const rows = await db
    .selectFrom('settlement_ledger_lines')
    .selectAll()
    .where('settlement_id', '=', settlementId)
    .orderBy('recorded_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    orderId: r.order_id,
    type: r.type,
    performanceId: r.performance_id,
    paymentKey: r.payment_key,
    refundId: r.refund_id,
    occurredAt: r.occurred_at,
    recordedAt: r.recorded_at,
    grossAmount: r.gross_amount,
    refundAmount: r.refund_amount,
    discountAmount: r.discount_amount,
    platformDiscountAmount: r.platform_discount_amount,
    pgFeeAmount: r.pg_fee_amount,
    platformFeeAmount: r.platform_fee_amount,
    vatAmount: r.vat_amount,
    cancellationFeeAmount: r.cancellation_fee_amount,
    payoutAmount: r.payout_amount,
  }));
}

/**
 * The ledger's side of the run watermark: payment-topic outbox rows created in [from, before) that the
 * ledger has not received yet (unpublished, in Kafka, or in a consumer's hands).
 */
export async function pendingPaymentEvents(
  db: SettlementExecutor,
  topic: string,
  from: Date,
  before: Date,
): Promise<{ pending: number; oldest: Date | null }> {
  const row = await db
    .selectFrom('outbox as o')
    .select([sql<number>`count(*)::int`.as('pending'), sql<Date | null>`min(o.created_at)`.as('oldest')])
    .where('o.topic', '=', topic)
    .where('o.created_at', '>=', from)
    .where('o.created_at', '<', before)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('settlement_events as e')
            .select(sql`1`.as('one'))
            .whereRef('e.event_id', '=', 'o.event_id'),
        ),
      ),
    )
    .executeTakeFirstOrThrow();
  return { pending: Number(row.pending), oldest: row.oldest === null ? null : new Date(row.oldest) };
}
