import { sql } from 'kysely';
import type { SettlementExecutor } from './tables.ts';

/** One money movement at the PG: a capture (paymentKey) or a refund (its transactionKey / refundId). */
export interface ReconciliationMovement {
  kind: 'CAPTURE' | 'REFUND';
  /** CAPTURE: the paymentKey; REFUND: the refund's id (Toss cancel transactionKey, = payment.refunded refundId). */
  ref: string;
  orderId: string;
  paymentKey: string;
  /** Positive won: charged, or returned to the buyer. */
  amount: number;
  at: Date;
}

/**
 * The port through which the payment module tells reconciliation what it recorded and what the
 * provider (the Toss sandbox, or Toss) reports, each for movements that happened in [start, end).
 * Settlement never reads payment's tables; src/roles/modules.ts plugs payment's implementation in.
 */
export interface ReconciliationSource {
  recordedMovements(periodStart: Date, periodEnd: Date): Promise<ReconciliationMovement[]>;
  providerMovements(periodStart: Date, periodEnd: Date): Promise<ReconciliationMovement[]>;
}

export interface SideTotals {
  captured: number;
  refunded: number;
  net: number;
  captures: number;
  refunds: number;
}

export type SourceState = { status: 'OK' } | { status: 'UNAVAILABLE' | 'ERROR'; detail: string };

export interface Difference {
  kind: 'CAPTURE' | 'REFUND';
  ref: string;
  orderId: string;
  ledger: number | null;
  payments: number | null;
  provider: number | null;
  issues: string[];
}

export interface ReconciliationReport {
  periodStart: Date;
  periodEnd: Date;
  ledger: SideTotals & {
    pgFeeAmount: number;
    platformFeeAmount: number;
    vatAmount: number;
    discountAmount: number;
    platformDiscountAmount: number;
    payoutAmount: number;
    unsettledLines: number;
    parkedRefunds: number;
    rejectedEvents: number;
  };
  payments: SideTotals | null;
  provider: SideTotals | null;
  sources: { payments: SourceState; provider: SourceState };
  differences: Difference[];
  differencesTruncated: boolean;
  balanced: boolean;
}

const MAX_DIFFERENCES = 1000;

function totalsOf(movements: readonly ReconciliationMovement[]): SideTotals {
  let captured = 0;
  let refunded = 0;
  let captures = 0;
  let refunds = 0;
  for (const m of movements) {
    if (m.kind === 'CAPTURE') {
      captured += m.amount;
      captures++;
    } else {
      refunded += m.amount;
      refunds++;
    }
  }
  return { captured, refunded, net: captured - refunded, captures, refunds };
}

async function ledgerMovements(
  db: SettlementExecutor,
  start: Date,
  end: Date,
): Promise<ReconciliationMovement[]> {
  const rows = await db
    .selectFrom('settlement_ledger_lines')
    .select(['type', 'order_id', 'payment_key', 'refund_id', 'charged_amount', 'occurred_at', 'source_ref'])
    .where('type', 'in', ['SALE', 'REFUND'])
    .where('occurred_at', '>=', start)
    .where('occurred_at', '<', end)
    .execute();
  return rows.map((r) => ({
    kind: r.type === 'SALE' ? ('CAPTURE' as const) : ('REFUND' as const),
    ref: (r.type === 'SALE' ? r.payment_key : r.refund_id) ?? r.source_ref,
    orderId: r.order_id ?? '',
    paymentKey: r.payment_key ?? '',
    amount: r.type === 'SALE' ? r.charged_amount : -r.charged_amount,
    at: r.occurred_at,
  }));
}

async function ledgerFigures(db: SettlementExecutor, start: Date, end: Date) {
  const figures = await db
    .selectFrom('settlement_ledger_lines')
    .select([
      sql<number>`coalesce(sum(pg_fee_amount), 0)::bigint`.as('pg'),
      sql<number>`coalesce(sum(platform_fee_amount), 0)::bigint`.as('pf'),
      sql<number>`coalesce(sum(vat_amount), 0)::bigint`.as('vat'),
      sql<number>`coalesce(sum(discount_amount), 0)::bigint`.as('sd'),
      sql<number>`coalesce(sum(platform_discount_amount), 0)::bigint`.as('pd'),
      sql<number>`coalesce(sum(payout_amount), 0)::bigint`.as('payout'),
      sql<number>`count(*) filter (where settlement_id is null)::int`.as('unsettled'),
    ])
    .where('type', 'in', ['SALE', 'REFUND'])
    .where('occurred_at', '>=', start)
    .where('occurred_at', '<', end)
    .executeTakeFirstOrThrow();
  const events = await db
    .selectFrom('settlement_events')
    .select([
      sql<number>`count(*) filter (where status = 'PARKED')::int`.as('parked'),
      sql<number>`count(*) filter (where status = 'REJECTED')::int`.as('rejected'),
    ])
    .where((eb) =>
      eb.or([
        eb.and([eb('occurred_at', '>=', start), eb('occurred_at', '<', end)]),
        eb.and([eb('occurred_at', 'is', null), eb('received_at', '>=', start), eb('received_at', '<', end)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return {
    pgFeeAmount: Number(figures.pg),
    platformFeeAmount: Number(figures.pf),
    vatAmount: Number(figures.vat),
    discountAmount: Number(figures.sd),
    platformDiscountAmount: Number(figures.pd),
    payoutAmount: Number(figures.payout),
    unsettledLines: Number(figures.unsettled),
    parkedRefunds: Number(events.parked),
    rejectedEvents: Number(events.rejected),
  };
}

async function fromSource(
  source: ReconciliationSource | null,
  read: (s: ReconciliationSource) => Promise<ReconciliationMovement[]>,
): Promise<{ movements: ReconciliationMovement[] | null; state: SourceState }> {
  if (source === null) {
    return {
      movements: null,
      state: { status: 'UNAVAILABLE', detail: 'no reconciliation source is plugged in' },
    };
  }
  try {
    return { movements: await read(source), state: { status: 'OK' } };
  } catch (err) {
    return {
      movements: null,
      state: { status: 'ERROR', detail: err instanceof Error ? err.message : String(err) },
    };
  }
}

/** Sums per (kind, ref): a movement reported twice by one side shows as an amount mismatch. */
function byRef(movements: readonly ReconciliationMovement[] | null) {
  if (movements === null) return null;
  const map = new Map<string, { m: ReconciliationMovement; amount: number }>();
  for (const m of movements) {
    const key = `${m.kind}:${m.ref}`;
    const seen = map.get(key);
    if (seen === undefined) map.set(key, { m, amount: m.amount });
    else seen.amount += m.amount;
  }
  return map;
}

/**
 * Ledger totals vs the payments recorded vs the provider's records for movements that happened in
 * [start, end) (by the money's own time, not by settlement period), and every movement on which
 * the available sides disagree.
 */
export async function reconcile(
  db: SettlementExecutor,
  source: ReconciliationSource | null,
  periodStart: Date,
  periodEnd: Date,
): Promise<ReconciliationReport> {
  const [ledger, figures, payments, provider] = await Promise.all([
    ledgerMovements(db, periodStart, periodEnd),
    ledgerFigures(db, periodStart, periodEnd),
    fromSource(source, (s) => s.recordedMovements(periodStart, periodEnd)),
    fromSource(source, (s) => s.providerMovements(periodStart, periodEnd)),
  ]);
  const sides = {
    ledger: byRef(ledger),
    payments: byRef(payments.movements),
    provider: byRef(provider.movements),
  };
  const keys = new Set<string>();
  for (const side of Object.values(sides)) for (const key of side?.keys() ?? []) keys.add(key);
  const differences: Difference[] = [];
  let differing = 0;
  for (const key of [...keys].sort()) {
    const found = {
      ledger: sides.ledger?.get(key),
      payments: sides.payments?.get(key),
      provider: sides.provider?.get(key),
    };
    const issues: string[] = [];
    if (found.ledger === undefined) issues.push('MISSING_IN_LEDGER');
    if (sides.payments !== null && found.payments === undefined) issues.push('MISSING_IN_PAYMENTS');
    if (sides.provider !== null && found.provider === undefined) issues.push('MISSING_AT_PROVIDER');
    const amounts = [found.ledger, found.payments, found.provider]
      .filter((f) => f !== undefined)
      .map((f) => f.amount);
    if (amounts.some((a) => a !== amounts[0])) issues.push('AMOUNT_MISMATCH');
    if (issues.length === 0) continue;
    differing++;
    if (differences.length >= MAX_DIFFERENCES) continue;
    const any = (found.ledger ?? found.payments ?? found.provider)?.m;
    differences.push({
      kind: any?.kind ?? 'CAPTURE',
      ref: any?.ref ?? key,
      orderId: any?.orderId ?? '',
      ledger: found.ledger?.amount ?? null,
      payments: found.payments?.amount ?? null,
      provider: found.provider?.amount ?? null,
      issues,
    });
  }
  return {
    periodStart,
    periodEnd,
    ledger: { ...totalsOf(ledger), ...figures },
    payments: payments.movements === null ? null : totalsOf(payments.movements),
    provider: provider.movements === null ? null : totalsOf(provider.movements),
    sources: { payments: payments.state, provider: provider.state },
    differences,
    differencesTruncated: differing > differences.length,
    balanced:
      differing === 0 &&
      payments.state.status === 'OK' &&
      provider.state.status === 'OK' &&
      figures.parkedRefunds === 0 &&
      figures.rejectedEvents === 0,
  };
}
