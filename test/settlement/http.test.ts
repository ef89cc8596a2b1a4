import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import type { EventEnvelope } from '../../src/platform/outbox/enqueue.ts';
import { api, type TestApp } from '../support/harness.ts';
import {
  DAY,
  HOUR,
  type HttpFixture,
  type LineBody,
  type SettlementBody,
  startHttpFixture,
} from './http-support.ts';
import { approvedEvent, refundedEvent } from './support.ts';

/**
 * The settlement API over HTTP (ledger fed through the handler): a worked example to the won with a
 * partial refund and a carried-forward debt, reruns, seller isolation, CSV, statuses, validation.
 * The 2015 window belongs to this file.
 */
/** KST midnight starting 2015-03-02 (a Monday) plus n days. */
const kstDay = (n: number) => new Date(Date.UTC(2015, 2, 2) - 9 * HOUR + n * DAY);
let f: HttpFixture;
let t: TestApp;
let admin: BulkAccount;
let sellerA: BulkAccount;
let sellerB: BulkAccount;
let buyer: BulkAccount;
const feed = (...events: EventEnvelope[]) => f.feed(...events);
const run = (token: string, periodStart: Date, periodEnd: Date, headers: Record<string, string> = {}) =>
  f.run(token, periodStart, periodEnd, headers);

beforeAll(async () => {
  f = await startHttpFixture('stl');
  ({ t, admin, sellerA, sellerB, buyer } = f);
});
afterAll(async () => f.t.close());

describe('settlement over HTTP', () => {
  const ids: { s0?: string; s1?: string; s2?: string; b0?: string } = {};
  const sale1 = () =>
    approvedEvent({
      sellerId: sellerA.id,
      at: new Date(kstDay(0).getTime() + 2 * HOUR),
      gross: 100_000,
      discount: 10_000,
    });
  let first: EventEnvelope;

  it('settles a sale, a partial refund a day later and a carried-forward debt to the won', async () => {
    first = sale1();
    const refund = refundedEvent(first, {
      at: new Date(kstDay(1).getTime() + 3 * HOUR),
      face: 40_000,
      discount: 4_000,
      fee: 3_600,
    });
    const sale2 = approvedEvent({
      sellerId: sellerA.id,
      at: new Date(kstDay(2).getTime() + 5 * HOUR),
      gross: 50_000,
    });
    const other = approvedEvent({
      sellerId: sellerB.id,
      at: new Date(kstDay(0).getTime() + 1 * HOUR),
      gross: 10_000,
    });
    // the refund first, a duplicate, and the rest out of order: the ledger sorts it out
    await feed(refund, sale2, first, refund, other, first);

    const day0 = await run(admin.accessToken, kstDay(0), kstDay(1));
    expect(day0.status).toBe(200);
    expect(day0.body.settlements).toHaveLength(2);
    ids.s0 = day0.body.settlements.find((s) => s.sellerId === sellerA.id)?.id;
    ids.b0 = day0.body.settlements.find((s) => s.sellerId === sellerB.id)?.id;
    const day1 = await run(admin.accessToken, kstDay(1), kstDay(2));
    ids.s1 = day1.body.settlements[0]?.id;
    const day2 = await run(admin.accessToken, kstDay(2), kstDay(3));
    ids.s2 = day2.body.settlements[0]?.id;
    expect(day1.body.settlements).toEqual([{ id: ids.s1, sellerId: sellerA.id }]);
    expect(day2.body.settlements).toEqual([{ id: ids.s2, sellerId: sellerA.id }]);

    const get = (id: string | undefined) =>
      api<SettlementBody>(t.baseUrl, 'GET', `/api/v1/seller/settlements/${id}`, {
        token: sellerA.accessToken,
      });
    // SALE 100,000 face, 10,000 seller discount, 90,000 charged:
    // PG 3 % of 90,000 = 2,700; platform 5 % of 90,000 = 4,500; VAT 270 + 450 = 720
    expect((await get(ids.s0)).body).toMatchObject({
      grossAmount: 100_000,
      refundAmount: 0,
      discountAmount: 10_000,
      pgFeeAmount: 2_700,
      platformFeeAmount: 4_500,
      vatAmount: 720,
      cancellationFeeAmount: 0,
      payoutAmount: 82_080,
      status: 'CALCULATED',
      payoutDate: '2015-03-05', // Monday + 3 business days
      periodStart: kstDay(0).toISOString(),
      periodEnd: kstDay(1).toISOString(),
      toss: {
        amount: 90_000,
        supplyAmount: 7_200,
        vat: 720,
        fee: 7_920,
        payOutAmount: 82_080,
        paidOutDate: '2015-03-05',
      },
    });
    // REFUND of 40 % of the face: −4,000 discount, −1,080 PG, −1,800 platform, −288 VAT, 3,600 kept
    // → −29,232, carried forward: the day closes at 0
    expect((await get(ids.s1)).body).toMatchObject({
      grossAmount: 29_232,
      refundAmount: 40_000,
      discountAmount: -4_000,
      pgFeeAmount: -1_080,
      platformFeeAmount: -1_800,
      vatAmount: -288,
      cancellationFeeAmount: 3_600,
      payoutAmount: 0,
      payoutDate: '2015-03-06',
    });
    const lines1 = await api<LineBody[]>(t.baseUrl, 'GET', `/api/v1/seller/settlements/${ids.s1}/lines`, {
      token: sellerA.accessToken,
    });
    expect(lines1.body.map((l) => [l.type, l.payoutAmount])).toEqual([
      ['REFUND', -29_232],
      ['CARRY_FORWARD', 29_232],
    ]);
    // the next day: the debt opens the settlement, then a 50,000 sale (1,500 + 2,500 + 400)
    expect((await get(ids.s2)).body).toMatchObject({
      grossAmount: 20_768,
      payoutAmount: 16_368,
      payoutDate: '2015-03-09',
    });
    const lines2 = await api<LineBody[]>(t.baseUrl, 'GET', `/api/v1/seller/settlements/${ids.s2}/lines`, {
      token: sellerA.accessToken,
    });
    expect(lines2.body.map((l) => [l.type, l.recordedAt, l.payoutAmount])).toEqual([
      ['CARRY_FORWARD', kstDay(2).toISOString(), -29_232],
      ['SALE', new Date(kstDay(2).getTime() + 5 * HOUR).toISOString(), 45_600],
    ]);
    for (const l of [...lines1.body, ...lines2.body]) {
      const f = l as unknown as Record<
        | 'grossAmount'
        | 'refundAmount'
        | 'discountAmount'
        | 'pgFeeAmount'
        | 'platformFeeAmount'
        | 'vatAmount'
        | 'cancellationFeeAmount'
        | 'payoutAmount',
        number
      >;
      expect(f.payoutAmount).toBe(
        f.grossAmount -
          f.refundAmount -
          f.discountAmount -
          f.pgFeeAmount -
          f.platformFeeAmount -
          f.vatAmount +
          f.cancellationFeeAmount,
      );
    }
  });

  it('reruns and overlapping periods change nothing and answer the same ids', async () => {
    const again = await run(admin.accessToken, kstDay(1), kstDay(2));
    expect(again.status).toBe(200);
    expect(again.body.settlements).toEqual([{ id: ids.s1, sellerId: sellerA.id }]);
    expect(again.body.created).toEqual([]);
    const span = await run(admin.accessToken, kstDay(0), kstDay(3));
    expect(span.body.created).toEqual([]);
    expect(span.body.settlements.map((s) => s.id).sort()).toEqual([ids.s0, ids.s1, ids.s2, ids.b0].sort());
    // a refund arriving now for the closed day 1 lands in the first open period, as a new line
    await feed(
      refundedEvent(first, { at: new Date(kstDay(1).getTime() + 4 * HOUR), face: 10_000, discount: 1_000 }),
    );
    expect((await run(admin.accessToken, kstDay(1), kstDay(2))).body.settlements).toEqual([
      { id: ids.s1, sellerId: sellerA.id },
    ]);
    const later = await run(admin.accessToken, kstDay(3), kstDay(4));
    expect(later.body.created).toHaveLength(1);
    const lines = await api<LineBody[]>(
      t.baseUrl,
      'GET',
      `/api/v1/seller/settlements/${later.body.created[0]}/lines`,
      {
        token: admin.accessToken,
      },
    );
    // recorded at the first open instant (day 3); 10 % more of the face: 270 + 450 + 27 + 45 of fees back
    // and 1,000 of discount → −8,208, itself carried forward
    expect(lines.body.map((l) => [l.type, l.recordedAt, l.payoutAmount])).toEqual([
      ['REFUND', kstDay(3).toISOString(), -8_208],
      ['CARRY_FORWARD', kstDay(3).toISOString(), 8_208],
    ]);
  });

  it('keeps sellers apart: never another seller’s settlement (403)', async () => {
    const mine = await api<SettlementBody[]>(t.baseUrl, 'GET', '/api/v1/seller/settlements', {
      token: sellerA.accessToken,
    });
    expect(mine.status).toBe(200);
    expect(mine.body.length).toBeGreaterThanOrEqual(3);
    expect(mine.body.every((s) => s.sellerId === sellerA.id)).toBe(true);
    const theirs = await api<SettlementBody[]>(t.baseUrl, 'GET', '/api/v1/seller/settlements', {
      token: sellerB.accessToken,
    });
    expect(theirs.body.map((s) => s.id)).toEqual([ids.b0]);
    for (const path of [
      `/api/v1/seller/settlements/${ids.s0}`,
      `/api/v1/seller/settlements/${ids.s0}/lines`,
      `/api/v1/seller/settlements/${ids.s0}/lines.csv`,
    ]) {
      const res = await api(t.baseUrl, 'GET', path, { token: sellerB.accessToken });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN' });
      expect((await api(t.baseUrl, 'GET', path, { token: buyer.accessToken })).status).toBe(403);
      expect((await api(t.baseUrl, 'GET', path)).status).toBe(401);
    }
    const peek = await api(t.baseUrl, 'GET', `/api/v1/seller/settlements?sellerId=${sellerA.id}`, {
      token: sellerB.accessToken,
    });
    expect(peek.status).toBe(403);
    const asAdmin = await api<SettlementBody[]>(
      t.baseUrl,
      'GET',
      `/api/v1/seller/settlements?sellerId=${sellerB.id}`,
      {
        token: admin.accessToken,
      },
    );
    expect(asAdmin.body.map((s) => s.id)).toEqual([ids.b0]);
    const missing = await api(t.baseUrl, 'GET', `/api/v1/seller/settlements/${randomUUID()}/lines`, {
      token: sellerA.accessToken,
    });
    expect(missing.status).toBe(404);
    const bad = await api(t.baseUrl, 'GET', '/api/v1/seller/settlements/not-a-uuid', {
      token: sellerA.accessToken,
    });
    expect(bad.status).toBe(400);
  });

  it('exports lines as CSV: UTF-8 with BOM, Korean titles, no formulas', async () => {
    t.modules.settlement.setPerformanceTitleSource({
      titles: async (ids) => new Map(ids.map((id) => [id, '=아이유 콘서트, "서울"'])),
    });
    const res = await fetch(`${t.baseUrl}/api/v1/seller/settlements/${ids.s1}/lines.csv`, {
      headers: { authorization: `Bearer ${sellerA.accessToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain('attachment; filename="settlement-2015-03-03-');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(1);
    const rows = text.trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'orderId,type,recordedAt,soldDate,performanceId,performanceTitle,grossAmount,refundAmount,discountAmount,pgFeeAmount,platformFeeAmount,vatAmount,cancellationFeeAmount,payoutAmount',
    );
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain(`"'=아이유 콘서트, ""서울"""`);
    expect(rows[1]).toMatch(
      /,REFUND,2015-03-02T18:00:00.000Z,2015-03-03,.*,0,40000,-4000,-1080,-1800,-288,3600,-29232$/,
    );
    expect(rows[2]).toMatch(/^,CARRY_FORWARD,.*,29232,0,0,0,0,0,0,29232$/);
  });

  it('moves CALCULATED → CONFIRMED → PAID_OUT and refuses any other move with 409', async () => {
    const path = (action: string) => `/api/v1/admin/settlements/${ids.s0}/${action}`;
    expect((await api(t.baseUrl, 'POST', path('payout'), { token: admin.accessToken })).body).toMatchObject({
      code: 'INVALID_SETTLEMENT_TRANSITION',
      status: 409,
    });
    expect((await api(t.baseUrl, 'POST', path('confirm'), { token: sellerA.accessToken })).status).toBe(403);
    const confirmed = await api<SettlementBody>(t.baseUrl, 'POST', path('confirm'), {
      token: admin.accessToken,
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('CONFIRMED');
    expect(confirmed.body.confirmedAt).not.toBeNull();
    expect((await api(t.baseUrl, 'POST', path('confirm'), { token: admin.accessToken })).status).toBe(409);
    const paid = await api<SettlementBody>(t.baseUrl, 'POST', path('payout'), { token: admin.accessToken });
    expect(paid.body).toMatchObject({ status: 'PAID_OUT', payoutAmount: 82_080 });
    expect((await api(t.baseUrl, 'POST', path('payout'), { token: admin.accessToken })).status).toBe(409);
    const missing = await api(t.baseUrl, 'POST', `/api/v1/admin/settlements/${randomUUID()}/confirm`, {
      token: admin.accessToken,
    });
    expect(missing.status).toBe(404);
  });

  it('validates a run: roles before the body, half-open periods that have ended', async () => {
    expect((await api(t.baseUrl, 'POST', '/api/v1/admin/settlements/run', { body: {} })).status).toBe(401);
    expect(
      (
        await api(t.baseUrl, 'POST', '/api/v1/admin/settlements/run', {
          token: sellerA.accessToken,
          body: {},
        })
      ).status,
    ).toBe(403);
    const missing = await api(t.baseUrl, 'POST', '/api/v1/admin/settlements/run', {
      token: admin.accessToken,
      body: { periodStart: kstDay(0).toISOString() },
    });
    expect(missing.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(missing.body.field).toContain('periodEnd');
    const future = await run(admin.accessToken, new Date(Date.now() - DAY), new Date(Date.now() + HOUR));
    expect(future.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field: 'body.periodEnd' });
    const backwards = await run(admin.accessToken, kstDay(2), kstDay(1));
    expect(backwards.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field: 'body.periodEnd' });
    const garbage = await api(t.baseUrl, 'POST', '/api/v1/admin/settlements/run', {
      token: admin.accessToken,
      body: { periodStart: 'yesterday', periodEnd: 42 },
    });
    expect(garbage.status).toBe(400);
  });

  it('replays a run under the same Idempotency-Key', async () => {
    const key = { 'idempotency-key': `stl-${randomUUID()}` };
    const a = await run(admin.accessToken, kstDay(10), kstDay(11), key);
    const b = await run(admin.accessToken, kstDay(10), kstDay(11), key);
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    const other = await run(admin.accessToken, kstDay(11), kstDay(12), key);
    expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('settles each line once when many runs of the same and overlapping periods race', async () => {
    const day = (n: number) => kstDay(100 + n); // mid-June 2015
    const sales = [0, 1, 2, 3].flatMap((d) =>
      [sellerA, sellerB].map((s) =>
        approvedEvent({ sellerId: s.id, at: new Date(day(d).getTime() + 3 * HOUR), gross: 11_000 + d }),
      ),
    );
    await feed(...sales);
    const periods = [
      [0, 1],
      [0, 2],
      [1, 3],
      [0, 4],
      [2, 4],
      [0, 1],
      [3, 4],
      [1, 2],
    ] as const;
    const answers = await Promise.all(
      [...periods, ...periods].map(([a, b]) => run(admin.accessToken, day(a), day(b))),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const created = answers.flatMap((r) => r.body.created);
    expect(new Set(created).size).toBe(created.length);
    // every sale in exactly one settlement of its seller, and the same answer for the same period
    const held = new Map<string, string>();
    for (const id of created) {
      const lines = await api<LineBody[]>(t.baseUrl, 'GET', `/api/v1/seller/settlements/${id}/lines`, {
        token: admin.accessToken,
      });
      for (const l of lines.body) {
        expect(held.has(String(l.orderId))).toBe(false);
        held.set(String(l.orderId), id);
      }
    }
    expect(held.size).toBe(sales.length);
    periods.forEach((_, i) => {
      const first = answers[i]?.body.settlements.map((x) => x.id).sort();
      const second = answers[i + periods.length]?.body.settlements.map((x) => x.id).sort();
      expect(second).toEqual(first);
    });
  });
});
