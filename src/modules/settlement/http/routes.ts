import { Type } from 'typebox';
import { Errors } from '../../../platform/errors.ts';
import { type HttpApp, principalOf } from '../../../platform/http/app.ts';
import type { Idempotency } from '../../../platform/http/idempotency.ts';
import { type Calendar, localDate } from '../calendar.ts';
import { linesCsv } from '../csv.ts';
import { feeRatesFor, findFeeRule, upsertFeeRule } from '../ledger-repository.ts';
import type { FeeRates } from '../money.ts';
import { type ReconciliationSource, reconcile } from '../reconciliation.ts';
import { type RunDeps, runSettlement } from '../run.ts';
import type { LineRow, Settlement } from '../settlement-repository.ts';
import type { SettlementDb } from '../tables.ts';
import { advanceSettlement, linesFor, settlementFor, settlementsFor } from '../views.ts';
import {
  FeeRuleBody,
  FeeRuleView,
  IdParams,
  LineView,
  ListQuery,
  ReconciliationQuery,
  ReconciliationView,
  RunBody,
  RunView,
  SellerParams,
  SettlementView,
} from './schemas.ts';

/** Performance titles for the CSV export (catalog plugs in; absent → the column stays empty). */
export interface PerformanceTitleSource {
  titles(performanceIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

export interface SettlementRouteDeps {
  db: SettlementDb;
  idempotency: Idempotency;
  run: RunDeps;
  calendar: Calendar;
  defaults: FeeRates;
  reconciliationSource(): ReconciliationSource | null;
  titleSource(): PerformanceTitleSource | null;
}

const MAX_RECONCILIATION_DAYS = 400;

export function settlementView(s: Settlement) {
  const amount = s.grossAmount - s.refundAmount - s.discountAmount + s.cancellationFeeAmount;
  const supplyAmount = s.pgFeeAmount + s.platformFeeAmount;
  return {
    id: s.id,
    sellerId: s.sellerId,
    periodStart: s.periodStart.toISOString(),
    periodEnd: s.periodEnd.toISOString(),
    grossAmount: s.grossAmount,
    refundAmount: s.refundAmount,
    discountAmount: s.discountAmount,
    pgFeeAmount: s.pgFeeAmount,
    platformFeeAmount: s.platformFeeAmount,
    vatAmount: s.vatAmount,
    cancellationFeeAmount: s.cancellationFeeAmount,
    payoutAmount: s.payoutAmount,
    status: s.status,
    payoutDate: s.payoutDate,
    runId: s.runId,
    lineCount: s.lineCount,
    createdAt: s.createdAt.toISOString(),
    confirmedAt: s.confirmedAt?.toISOString() ?? null,
    paidOutAt: s.paidOutAt?.toISOString() ?? null,
    toss: {
      amount,
      fee: supplyAmount + s.vatAmount,
      supplyAmount,
      vat: s.vatAmount,
      payOutAmount: amount - supplyAmount - s.vatAmount,
      paidOutDate: s.payoutDate,
    },
  };
}

const lineView = (l: LineRow) => ({
  orderId: l.orderId,
  type: l.type,
  recordedAt: l.recordedAt.toISOString(),
  grossAmount: l.grossAmount,
  refundAmount: l.refundAmount,
  discountAmount: l.discountAmount,
  pgFeeAmount: l.pgFeeAmount,
  platformFeeAmount: l.platformFeeAmount,
  vatAmount: l.vatAmount,
  cancellationFeeAmount: l.cancellationFeeAmount,
  payoutAmount: l.payoutAmount,
  occurredAt: l.occurredAt.toISOString(),
  performanceId: l.performanceId,
  paymentKey: l.paymentKey,
  refundId: l.refundId,
  platformDiscountAmount: l.platformDiscountAmount,
});

function period(startText: string, endText: string, field: 'body' | 'querystring') {
  const periodStart = new Date(startText);
  const periodEnd = new Date(endText);
  if (Number.isNaN(periodStart.getTime()))
    throw Errors.validation(`${field}.periodStart`, 'periodStart is not a date-time');
  if (Number.isNaN(periodEnd.getTime()))
    throw Errors.validation(`${field}.periodEnd`, 'periodEnd is not a date-time');
  if (!(periodStart < periodEnd))
    throw Errors.validation(`${field}.periodEnd`, 'periodEnd must be after periodStart');
  return { periodStart, periodEnd };
}

export function registerSettlementRoutes(app: HttpApp, deps: SettlementRouteDeps): void {
  const { db } = deps;
  const admin = { roles: ['ADMIN'] as const };
  const sellerOrAdmin = { roles: ['SELLER', 'ADMIN'] as const };
  const tags = ['settlement'];

  app.post(
    '/api/v1/admin/settlements/run',
    { config: admin, schema: { tags, body: RunBody, response: { 200: RunView } } },
    async (request, reply) =>
      deps.idempotency.run(request, reply, async () => {
        const { periodStart, periodEnd } = period(request.body.periodStart, request.body.periodEnd, 'body');
        const result = await runSettlement(deps.run, { periodStart, periodEnd, trigger: 'API' });
        return {
          statusCode: 200,
          body: {
            runId: result.runId,
            periodStart: result.periodStart.toISOString(),
            periodEnd: result.periodEnd.toISOString(),
            settlements: result.settlements,
            created: result.created,
          },
        };
      }),
  );

  for (const [action, to] of [
    ['confirm', 'CONFIRMED'],
    ['payout', 'PAID_OUT'],
  ] as const) {
    app.post(
      `/api/v1/admin/settlements/:id/${action}`,
      { config: admin, schema: { tags, params: IdParams, response: { 200: SettlementView } } },
      async (request, reply) =>
        deps.idempotency.run(request, reply, async () => ({
          statusCode: 200,
          body: settlementView(await advanceSettlement(db, request.params.id, to, deps.run.now())),
        })),
    );
  }

  app.get(
    '/api/v1/seller/settlements',
    {
      config: sellerOrAdmin,
      schema: { tags, querystring: ListQuery, response: { 200: Type.Array(SettlementView) } },
    },
    async (request) => (await settlementsFor(db, principalOf(request), request.query)).map(settlementView),
  );

  app.get(
    '/api/v1/seller/settlements/:id',
    { config: sellerOrAdmin, schema: { tags, params: IdParams, response: { 200: SettlementView } } },
    async (request) => settlementView(await settlementFor(db, principalOf(request), request.params.id)),
  );

  app.get(
    '/api/v1/seller/settlements/:id/lines',
    { config: sellerOrAdmin, schema: { tags, params: IdParams, response: { 200: Type.Array(LineView) } } },
    async (request) => (await linesFor(db, principalOf(request), request.params.id)).lines.map(lineView),
  );

  app.get(
    '/api/v1/seller/settlements/:id/lines.csv',
    { config: sellerOrAdmin, schema: { tags, params: IdParams } },
    async (request, reply) => {
      const { settlement, lines } = await linesFor(db, principalOf(request), request.params.id);
      const ids = [...new Set(lines.flatMap((l) => (l.performanceId === null ? [] : [l.performanceId])))];
      const source = deps.titleSource();
      const titles =
        source === null || ids.length === 0 ? new Map<string, string>() : await source.titles(ids);
      const day = localDate(settlement.periodStart, deps.calendar);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="settlement-${day}-${settlement.id}.csv"`)
        .send(linesCsv(lines, titles, (at) => localDate(at, deps.calendar)));
    },
  );

  app.get(
    '/api/v1/admin/reconciliation',
    {
      config: admin,
      schema: { tags, querystring: ReconciliationQuery, response: { 200: ReconciliationView } },
    },
    async (request) => {
      const { periodStart, periodEnd } = period(
        request.query.periodStart,
        request.query.periodEnd,
        'querystring',
      );
      if (periodEnd.getTime() - periodStart.getTime() > MAX_RECONCILIATION_DAYS * 86_400_000) {
        throw Errors.validation(
          'querystring.periodEnd',
          `a report covers at most ${MAX_RECONCILIATION_DAYS} days`,
        );
      }
      const report = await reconcile(db, deps.reconciliationSource(), periodStart, periodEnd);
      return {
        ...report,
        periodStart: report.periodStart.toISOString(),
        periodEnd: report.periodEnd.toISOString(),
      };
    },
  );

  app.get(
    '/api/v1/admin/sellers/:sellerId/fee-rules',
    { config: admin, schema: { tags, params: SellerParams, response: { 200: FeeRuleView } } },
    async (request) => feeRuleView(db, request.params.sellerId, deps.defaults),
  );

  app.put(
    '/api/v1/admin/sellers/:sellerId/fee-rules',
    {
      config: admin,
      schema: { tags, params: SellerParams, body: FeeRuleBody, response: { 200: FeeRuleView } },
    },
    async (request) => {
      await upsertFeeRule(db, { sellerId: request.params.sellerId, ...request.body });
      return feeRuleView(db, request.params.sellerId, deps.defaults);
    },
  );
}

async function feeRuleView(db: SettlementDb, sellerId: string, defaults: FeeRates) {
  const rule = await findFeeRule(db, sellerId);
  return {
    sellerId,
    pgFeeRateBps: rule?.pgFeeRateBps ?? null,
    platformFeeRateBps: rule?.platformFeeRateBps ?? null,
    effective: await feeRatesFor(db, sellerId, defaults),
  };
}
