import { setTimeout as delay } from 'node:timers/promises';
import { Errors } from '../../platform/errors.ts';
import { TOPICS } from '../../platform/kafka.ts';
import { type Calendar, payoutDate } from './calendar.ts';
import { SettlementErrors } from './errors.ts';
import { insertLine, lockLedgerExclusive, recordedAtFor } from './ledger-repository.ts';
import { carryForwardFigures } from './money.ts';
import {
  assignLines,
  claimRun,
  findRun,
  insertSettlement,
  pendingPaymentEvents,
  settlementsHoldingPeriod,
  type Totals,
  totalsOfSettlementLines,
  unsettledTotalsBySeller,
} from './settlement-repository.ts';
import type { SettlementDb, SettlementTx } from './tables.ts';

export interface RunDeps {
  db: SettlementDb;
  calendar: Calendar;
  payoutBusinessDays: number;
  catchUpTimeoutMs: number;
  catchUpGraceMs: number;
  now(): Date;
  log: { info(obj: object, msg: string): void };
  observed(outcome: 'created' | 'unchanged', settlements: number, seconds: number): void;
}

export interface RunInput {
  periodStart: Date;
  periodEnd: Date;
  trigger: 'API' | 'SCHEDULE';
}

export interface RunResult {
  runId: string;
  periodStart: Date;
  periodEnd: Date;
  /** Every settlement holding a line recorded in the period (this run's and earlier runs'). */
  settlements: { id: string; sellerId: string }[];
  /** Settlements this call created (empty on a rerun). */
  created: string[];
}

/** How far before the period start the watermark looks for payment events not yet in the ledger. */
const WATERMARK_LOOKBACK_MS = 86_400_000;

/**
 * The ledger watermark: the instant up to which every payment event is in the ledger. It is the
 * creation time of the oldest payment-topic outbox row the ledger has not received, capped at
 * now − grace (an outbox row becomes visible only when its transaction commits).
 */
export async function ledgerWatermark(
  deps: RunDeps,
  from: Date,
  upTo: Date,
): Promise<{ watermark: Date; pending: number }> {
  const now = deps.now();
  const graceCap = new Date(now.getTime() - deps.catchUpGraceMs);
  const { pending, oldest } = await pendingPaymentEvents(deps.db, TOPICS.payment, from, upTo);
  const watermark = oldest !== null && oldest < graceCap ? oldest : graceCap;
  return { watermark, pending };
}

/** Waits (bounded) until the watermark reaches `periodEnd`; else 503 LEDGER_NOT_CAUGHT_UP. */
export async function waitForLedger(deps: RunDeps, periodStart: Date, periodEnd: Date): Promise<void> {
  const from = new Date(periodStart.getTime() - WATERMARK_LOOKBACK_MS);
  const deadline = Date.now() + deps.catchUpTimeoutMs;
  for (;;) {
    const { watermark, pending } = await ledgerWatermark(deps, from, periodEnd);
    if (watermark >= periodEnd) return;
    if (Date.now() >= deadline) throw SettlementErrors.ledgerNotCaughtUp(periodEnd, watermark, pending);
    await delay(Math.min(250, Math.max(10, deadline - Date.now())));
  }
}

/**
 * Settles [periodStart, periodEnd): one settlement per seller with unsettled lines recorded in the
 * period. Idempotent: the run holds the ledger lock exclusively, so it sees every line a writer
 * recorded in the period and no writer records there afterwards; a rerun finds nothing unsettled,
 * creates nothing and answers the same ids. A negative payout is carried forward: a CARRY_FORWARD
 * line brings the settlement to 0 and its twin, unsettled, opens the seller's next settlement.
 */
export async function runSettlement(deps: RunDeps, input: RunInput): Promise<RunResult> {
  const { periodStart, periodEnd } = input;
  if (!(periodStart < periodEnd))
    throw Errors.validation('body.periodEnd', 'periodEnd must be after periodStart');
  if (periodEnd > deps.now())
    throw Errors.validation('body.periodEnd', 'periodEnd must not be in the future');
  const started = performance.now();

  const closed = await findRun(deps.db, periodStart, periodEnd);
  if (closed === null) await waitForLedger(deps, periodStart, periodEnd);

  const result = await deps.db.transaction().execute(async (trx) => {
    await lockLedgerExclusive(trx);
    const run = await claimRun(trx, periodStart, periodEnd, input.trigger);
    const created: string[] = [];
    const groups = await unsettledGroups(trx, periodStart, periodEnd);
    for (const group of groups) {
      const { sellerId, totals, lastRecordedAt } = group;
      const carried = totals.payoutAmount < 0 ? -totals.payoutAmount : 0;
      const header: Totals = {
        ...totals,
        grossAmount: totals.grossAmount + carried,
        payoutAmount: totals.payoutAmount + carried,
        lineCount: totals.lineCount + (carried > 0 ? 1 : 0),
      };
      const settlementId = await insertSettlement(trx, {
        ...header,
        runId: run.id,
        sellerId,
        periodStart,
        periodEnd,
        payoutDate: payoutDate(periodEnd, deps.payoutBusinessDays, deps.calendar),
      });
      const assigned = await assignLines(trx, settlementId, sellerId, periodStart, periodEnd);
      if (assigned !== totals.lineCount) throw new Error('settlement lines changed under the ledger lock');
      if (carried > 0) await carryForward(trx, settlementId, sellerId, carried, lastRecordedAt, periodEnd);
      const check = await totalsOfSettlementLines(trx, settlementId);
      if (!sameTotals(check, header)) {
        throw new Error(`settlement ${settlementId} does not sum to its lines`);
      }
      created.push(settlementId);
    }
    return {
      runId: run.id,
      created,
      settlements: await settlementsHoldingPeriod(trx, periodStart, periodEnd),
    };
  });
  const seconds = (performance.now() - started) / 1000;
  deps.observed(result.created.length > 0 ? 'created' : 'unchanged', result.created.length, seconds);
  if (result.created.length > 0) {
    deps.log.info(
      { runId: result.runId, periodStart, periodEnd, created: result.created.length, trigger: input.trigger },
      'settlement run stored',
    );
  }
  return { ...result, periodStart, periodEnd };
}

async function unsettledGroups(trx: SettlementTx, start: Date, end: Date) {
  const rows = await unsettledTotalsBySeller(trx, start, end);
  return rows.map(({ sellerId, lastRecordedAt, ...totals }) => ({ sellerId, lastRecordedAt, totals }));
}

/**
 * The pair of CARRY_FORWARD lines: +amount inside the settlement it leaves (recorded with its last
 * line, so inside the period) and −amount unsettled at the first open instant from the period end on,
 * where the seller's next run takes it.
 */
async function carryForward(
  trx: SettlementTx,
  settlementId: string,
  sellerId: string,
  amount: number,
  lastRecordedAt: Date,
  periodEnd: Date,
): Promise<void> {
  const common = {
    type: 'CARRY_FORWARD' as const,
    sourceEventId: null,
    orderId: null,
    sellerId,
    performanceId: null,
    paymentKey: null,
    refundId: null,
    rates: null,
    completesOrder: false,
  };
  await insertLine(trx, {
    ...common,
    sourceRef: `cf-out:${settlementId}`,
    occurredAt: lastRecordedAt,
    recordedAt: lastRecordedAt,
    figures: carryForwardFigures(amount),
    settlementId,
  });
  const opensAt = await recordedAtFor(trx, periodEnd);
  await insertLine(trx, {
    ...common,
    sourceRef: `cf-in:${settlementId}`,
    occurredAt: periodEnd,
    recordedAt: opensAt,
    figures: carryForwardFigures(-amount),
    settlementId: null,
  });
}

const TOTAL_KEYS = [
  'grossAmount',
  'refundAmount',
  'discountAmount',
  'pgFeeAmount',
  'platformFeeAmount',
  'vatAmount',
  'cancellationFeeAmount',
  'payoutAmount',
  'lineCount',
] as const satisfies readonly (keyof Totals)[];

const sameTotals = (a: Totals, b: Totals) => TOTAL_KEYS.every((k) => a[k] === b[k]);
