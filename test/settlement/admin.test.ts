import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import type { EventEnvelope } from '../../src/platform/outbox/enqueue.ts';
import { api, type TestApp } from '../support/harness.ts';
import { DAY, HOUR, type HttpFixture, type SettlementBody, startHttpFixture } from './http-support.ts';
import { approvedEvent, refundedEvent, startSettlement } from './support.ts';

/**
 * The admin side over HTTP: the run's catch-up wait (503 LEDGER_NOT_CAUGHT_UP), reconciliation
 * against payment's and the provider's records, per-seller fee rules, and malformed events.
 * The 2016 window belongs to this file.
 */
let f: HttpFixture;
let t: TestApp;
let admin: BulkAccount;
let sellerA: BulkAccount;
let sellerB: BulkAccount;
const feed = (...events: EventEnvelope[]) => f.feed(...events);
const run = (token: string, periodStart: Date, periodEnd: Date, headers: Record<string, string> = {}) =>
  f.run(token, periodStart, periodEnd, headers);

beforeAll(async () => {
  f = await startHttpFixture('stla');
  ({ t, admin, sellerA, sellerB } = f);
});
afterAll(async () => f.t.close());

describe('settlement administration over HTTP', () => {
  it('waits for the ledger to catch up to the period end, else 503 LEDGER_NOT_CAUGHT_UP', async () => {
    const quick = startSettlement({ catchUpTimeoutMs: 600 });
    try {
      const start = new Date(Date.UTC(2016, 0, 4));
      const sale = approvedEvent({
        sellerId: sellerB.id,
        at: new Date(start.getTime() + HOUR),
        gross: 30_000,
      });
      // the producer committed this event (an outbox row of the payment topic) but it has not reached the ledger
      await sql`insert into outbox (event_id, topic, key, shard, type, payload, created_at, published_at)
                values (${sale.eventId}, 'payment.events', ${sale.key}, 0, ${sale.type}, ${JSON.stringify(sale.payload)}::jsonb,
                        ${new Date(start.getTime() + HOUR + 50)}, now())`.execute(t.rt.db);
      const period = {
        periodStart: start,
        periodEnd: new Date(start.getTime() + DAY),
        trigger: 'API' as const,
      };
      await expect(quick.settlement.runSettlement(period)).rejects.toMatchObject({
        code: 'LEDGER_NOT_CAUGHT_UP',
        kind: 'unavailable',
        extra: { pendingEvents: 1 },
      });
      expect(await quick.settlement.ledgerWatermark(start, period.periodEnd)).toMatchObject({ pending: 1 });
      await feed(sale);
      const res = await run(admin.accessToken, period.periodStart, period.periodEnd);
      expect(res.status).toBe(200);
      expect(res.body.settlements).toEqual([{ id: res.body.created[0], sellerId: sellerB.id }]);
    } finally {
      await quick.rt.shutdown();
    }
  });

  it('reconciles the ledger with payments and the provider and lists every difference', async () => {
    const start = new Date(Date.UTC(2016, 1, 1));
    const at = (h: number) => new Date(start.getTime() + h * HOUR);
    const a = approvedEvent({ sellerId: sellerA.id, at: at(1), gross: 20_000 });
    const b = approvedEvent({
      sellerId: sellerA.id,
      at: at(2),
      gross: 30_000,
      discount: 3_000,
      fundedBy: 'PLATFORM',
    });
    const r = refundedEvent(b, { at: at(3), face: 30_000, discount: 3_000, full: true });
    await feed(a, b, r);
    // The app wires payment's source; unplug it to see the report without one.
    t.modules.settlement.setReconciliationSource(null);
    const unplugged = await api<Record<string, unknown>>(
      t.baseUrl,
      'GET',
      `/api/v1/admin/reconciliation?periodStart=${start.toISOString()}&periodEnd=${at(24).toISOString()}`,
      { token: admin.accessToken },
    );
    expect(unplugged.status).toBe(200);
    expect(unplugged.body).toMatchObject({
      ledger: {
        captured: 47_000,
        refunded: 27_000,
        net: 20_000,
        captures: 2,
        refunds: 1,
        platformDiscountAmount: 0,
      },
      payments: null,
      provider: null,
      sources: { payments: { status: 'UNAVAILABLE' } },
      balanced: false,
    });
    const pa = a.payload as { orderId: string; paymentKey: string };
    const pb = b.payload as { orderId: string; paymentKey: string };
    const pr = r.payload as { refundId: string };
    const move = (
      kind: 'CAPTURE' | 'REFUND',
      ref: string,
      p: { orderId: string; paymentKey: string },
      amount: number,
    ) => ({
      kind,
      ref,
      orderId: p.orderId,
      paymentKey: p.paymentKey,
      amount,
      at: at(1),
    });
    t.modules.settlement.setReconciliationSource({
      recordedMovements: async () => [
        move('CAPTURE', pa.paymentKey, pa, 20_000),
        move('CAPTURE', pb.paymentKey, pb, 27_000),
        move('REFUND', pr.refundId, pb, 27_000),
      ],
      providerMovements: async () => [
        move('CAPTURE', pa.paymentKey, pa, 20_000),
        move('CAPTURE', pb.paymentKey, pb, 27_001),
        move('CAPTURE', 'pk_stray', pa, 5),
      ],
    });
    const report = await api<{
      differences: Record<string, unknown>[];
      balanced: boolean;
      provider: Record<string, number>;
    }>(
      t.baseUrl,
      'GET',
      `/api/v1/admin/reconciliation?periodStart=${start.toISOString()}&periodEnd=${at(24).toISOString()}`,
      { token: admin.accessToken },
    );
    expect(report.body.balanced).toBe(false);
    expect(report.body.provider).toMatchObject({ captured: 47_006, refunded: 0 });
    expect(report.body.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ref: pb.paymentKey,
          ledger: 27_000,
          payments: 27_000,
          provider: 27_001,
          issues: ['AMOUNT_MISMATCH'],
        }),
        expect.objectContaining({
          ref: pr.refundId,
          ledger: 27_000,
          payments: 27_000,
          provider: null,
          issues: ['MISSING_AT_PROVIDER'],
        }),
        expect.objectContaining({
          ref: 'pk_stray',
          ledger: null,
          issues: ['MISSING_IN_LEDGER', 'MISSING_IN_PAYMENTS'],
        }),
      ]),
    );
    expect(report.body.differences).toHaveLength(3);
    expect(
      (
        await api(t.baseUrl, 'GET', '/api/v1/admin/reconciliation?periodStart=x&periodEnd=y', {
          token: admin.accessToken,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await api(
          t.baseUrl,
          'GET',
          `/api/v1/admin/reconciliation?periodStart=${start.toISOString()}&periodEnd=${at(1).toISOString()}`,
          { token: sellerA.accessToken },
        )
      ).status,
    ).toBe(403);
  });

  it('applies per-seller fee rules from the next sale on', async () => {
    const rules = `/api/v1/admin/sellers/${sellerB.id}/fee-rules`;
    expect((await api(t.baseUrl, 'GET', rules, { token: admin.accessToken })).body).toMatchObject({
      pgFeeRateBps: null,
      effective: { pgFeeRateBps: 300, platformFeeRateBps: 500, vatRateBps: 1000 },
    });
    const put = await api(t.baseUrl, 'PUT', rules, {
      token: admin.accessToken,
      body: { pgFeeRateBps: 250, platformFeeRateBps: null },
    });
    expect(put.body).toMatchObject({
      pgFeeRateBps: 250,
      effective: { pgFeeRateBps: 250, platformFeeRateBps: 500 },
    });
    expect(
      (
        await api(t.baseUrl, 'PUT', rules, {
          token: admin.accessToken,
          body: { pgFeeRateBps: 10_001, platformFeeRateBps: null },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await api(t.baseUrl, 'PUT', rules, {
          token: sellerB.accessToken,
          body: { pgFeeRateBps: 0, platformFeeRateBps: 0 },
        })
      ).status,
    ).toBe(403);
    const start = new Date(Date.UTC(2016, 2, 1));
    await feed(approvedEvent({ sellerId: sellerB.id, at: new Date(start.getTime() + HOUR), gross: 12_345 }));
    const res = await run(admin.accessToken, start, new Date(start.getTime() + DAY));
    const s = await api<SettlementBody>(
      t.baseUrl,
      'GET',
      `/api/v1/seller/settlements/${res.body.created[0]}`,
      { token: sellerB.accessToken },
    );
    // PG 2.5 % of 12,345 = 308 (308.6 floored); platform 5 % = 617; VAT 30 + 61
    expect(s.body).toMatchObject({
      pgFeeAmount: 308,
      platformFeeAmount: 617,
      vatAmount: 91,
      payoutAmount: 12_345 - 308 - 617 - 91,
    });
  });

  it('records a malformed payment event as rejected instead of failing the consumer', async () => {
    const bad: EventEnvelope = {
      eventId: randomUUID(),
      type: 'payment.approved',
      key: 'x',
      occurredAt: '',
      payload: { orderId: 'nope' },
    };
    const other: EventEnvelope = {
      eventId: randomUUID(),
      type: 'payment.failed',
      key: randomUUID(),
      occurredAt: '',
      payload: { code: 'X' },
    };
    await feed(bad, other, bad);
    const rows = await sql<{
      status: string;
    }>`select status from settlement_events where event_id in (${bad.eventId}, ${other.eventId}) order by status`.execute(
      t.rt.db,
    );
    expect(rows.rows.map((r) => r.status)).toEqual(['IGNORED', 'REJECTED']);
  });
});
