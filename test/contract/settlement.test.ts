import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  adminAccount,
  admitted,
  call,
  createShow,
  DAY,
  eventually,
  expectProblem,
  type OrderBody,
  orderSeats,
  pay,
  type Show,
  type System,
  signup,
  sleep,
  startSystem,
} from './support.ts';

/** API.md "Settlement": runs, statuses, lists, lines, CSV and the money on real sales and refunds. */
let s: System;
let admin: Account;
let sellerA: Account;
let sellerB: Account;
let showA: Show;
let showB: Show;
const MONEY = [
  'grossAmount',
  'refundAmount',
  'discountAmount',
  'pgFeeAmount',
  'platformFeeAmount',
  'vatAmount',
  'cancellationFeeAmount',
  'payoutAmount',
] as const;
type Figures = Record<(typeof MONEY)[number], number>;
type Line = Figures & { orderId: string | null; type: string; recordedAt: string };
type Settlement = Figures & {
  id: string;
  sellerId: string;
  periodStart: string;
  periodEnd: string;
  status: string;
  payoutDate: string | null;
};
interface Rates {
  pgFeeRateBps: number;
  platformFeeRateBps: number;
  vatRateBps: number;
}

const run = (who: Account, periodStart: Date, periodEnd: Date) =>
  call<{ settlements: { id: string; sellerId: string }[] }>(s, who, 'POST', '/api/v1/admin/settlements/run', {
    periodStart: periodStart.toISOString(),
    periodEnd: periodEnd.toISOString(),
  });
const lines = async (who: Account, id: string) => {
  const res = await call<Line[]>(s, who, 'GET', `/api/v1/seller/settlements/${id}/lines`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const settlementsOf = async (who: Account, query = '') =>
  (await call<Settlement[]>(s, who, 'GET', `/api/v1/seller/settlements${query}`)).body;
const effectiveRates = async (sellerId: string) =>
  (await call<{ effective: Rates }>(s, admin, 'GET', `/api/v1/admin/sellers/${sellerId}/fee-rules`)).body
    .effective;
const floorBps = (amount: number, bps: number) => Math.floor((amount * bps) / 10_000);
const payoutOf = (f: Figures) =>
  f.grossAmount -
  f.refundAmount -
  f.discountAmount -
  f.pgFeeAmount -
  f.platformFeeAmount -
  f.vatAmount +
  f.cancellationFeeAmount;

/** The payout formula holds on every line and on the header, and the header is the sum of its lines. */
async function reconciles(who: Account, id: string) {
  const ls = await lines(who, id);
  for (const l of ls) expect(l.payoutAmount, JSON.stringify(l)).toBe(payoutOf(l));
  const header = (await settlementsOf(who)).find((x) => x.id === id) as Settlement;
  for (const k of MONEY) expect(header[k], k).toBe(ls.reduce((n, l) => n + l[k], 0));
  expect(header.payoutAmount).toBe(payoutOf(header));
}

async function buy(show: Show, seatIds: number[], couponCampaign?: string) {
  const b = await signup(s, 'BUYER');
  let couponId: string | undefined;
  if (couponCampaign !== undefined) {
    const issued = await call<{ couponId: string }>(
      s,
      b,
      'POST',
      `/api/v1/coupon-campaigns/${couponCampaign}/issue`,
    );
    couponId = issued.body.couponId;
    // a 202 is "accepted": wait until the coupon is listed before using it (see coupons.test.ts)
    await eventually(
      'the coupon is listed',
      () => call<{ id: string }[]>(s, b, 'GET', '/api/v1/me/coupons'),
      (r) => r.body.some((c) => c.id === couponId),
    );
  }
  const token = await admitted(s, show.scheduleId, b);
  const o = await orderSeats(s, b, show, token, seatIds, couponId);
  expect((await pay(s, b, o)).res.status).toBe(200);
  return { b, o };
}
async function campaign(who: Account, body: Record<string, unknown>) {
  const res = await call<{ id: string }>(s, who, 'POST', '/api/v1/coupon-campaigns', {
    name: 'Settlement coupon',
    kind: 'FIXED',
    totalQuantity: 10,
    perUserLimit: 1,
    issueStartsAt: new Date(Date.now() - 60_000).toISOString(),
    issueEndsAt: new Date(Date.now() + DAY).toISOString(),
    validUntil: new Date(Date.now() + 10 * DAY).toISOString(),
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

beforeAll(async () => {
  s = await startSystem('stl');
  [admin, sellerA, sellerB] = await Promise.all([adminAccount(s), signup(s, 'SELLER'), signup(s, 'SELLER')]);
  [showA, showB] = await Promise.all([
    createShow(s, {
      seller: sellerA,
      startsAt: new Date(Date.now() + 5 * DAY),
      cancellationPolicy: { deadlineHoursBeforeStart: 24, fees: [{ daysBeforeStart: 7, percent: 10 }] },
    }),
    createShow(s, { seller: sellerB }),
  ]);
});
afterAll(async () => s?.close());

describe('settlement', () => {
  let t0: Date;
  let t1: Date;
  let orderA: OrderBody;
  let orderB: OrderBody;
  let buyerA: Account;
  const ids: { a?: string; b?: string } = {};

  it('fee rates: non-zero documented defaults, overridable per seller', async () => {
    const defaults = await effectiveRates(sellerA.id);
    expect(defaults.pgFeeRateBps).toBeGreaterThan(0);
    expect(defaults.platformFeeRateBps).toBeGreaterThan(0);
    const put = await call(s, admin, 'PUT', `/api/v1/admin/sellers/${sellerB.id}/fee-rules`, {
      pgFeeRateBps: 250,
      platformFeeRateBps: 700,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(await effectiveRates(sellerB.id)).toMatchObject({ pgFeeRateBps: 250, platformFeeRateBps: 700 });
  });

  it('run (ADMIN) {periodStart, periodEnd} → 200 {settlements:[{id, sellerId}]}, one per seller with lines in [start, end)', async () => {
    t0 = new Date(Date.now() - 1000);
    const sellerCoupon = await campaign(sellerA, { value: 10_000, performanceId: showA.performanceId });
    const platformCoupon = await campaign(admin, { value: 5_000 });
    const a = await buy(showA, [showA.seats[0]?.id as number, showA.seats[1]?.id as number], sellerCoupon);
    ({ b: buyerA, o: orderA } = a);
    orderB = (await buy(showB, [showB.seats[0]?.id as number], platformCoupon)).o;
    expect(orderA).toMatchObject({ subtotal: 300_000, discount: 10_000, amount: 290_000 });
    expect(orderB).toMatchObject({ subtotal: 150_000, discount: 5_000, amount: 145_000 });
    await sleep(1100);
    const partial = await call(s, buyerA, 'POST', `/api/v1/orders/${orderA.id}/cancel`, {
      seatIds: [showA.seats[0]?.id],
    });
    expect(partial.body).toMatchObject({ status: 'PARTIALLY_REFUNDED' });
    t1 = new Date(Date.now() + 10);
    await sleep(50);

    const res = await run(admin, t0, t1);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const bySeller = new Map(res.body.settlements.map((x) => [x.sellerId, x.id]));
    expect([...bySeller.keys()].sort()).toEqual([sellerA.id, sellerB.id].sort());
    ids.a = bySeller.get(sellerA.id);
    ids.b = bySeller.get(sellerB.id);
  });

  it('the money: SALE and REFUND lines as API.md defines them; payout formula on every line and header; headers sum lines', async () => {
    const ratesA = await effectiveRates(sellerA.id);
    const a = await lines(sellerA, ids.a as string);
    const sale = a.find((l) => l.type === 'SALE') as Line;
    const refund = a.find((l) => l.type === 'REFUND') as Line;
    const pgA = floorBps(290_000, ratesA.pgFeeRateBps);
    const platA = floorBps(300_000 - 10_000, ratesA.platformFeeRateBps);
    expect(sale).toMatchObject({
      orderId: orderA.id,
      grossAmount: 300_000,
      refundAmount: 0,
      discountAmount: 10_000,
    });
    expect([sale.pgFeeAmount, sale.platformFeeAmount]).toEqual([pgA, platA]);
    expect(sale.vatAmount).toBeGreaterThanOrEqual(
      floorBps(pgA, ratesA.vatRateBps) + floorBps(platA, ratesA.vatRateBps),
    );
    expect(sale.vatAmount).toBeLessThanOrEqual(floorBps(pgA + platA, ratesA.vatRateBps));
    // one of two equal seats back: half the discount, fees and VAT reversed, the 10 % fee kept for the seller
    expect(refund).toMatchObject({
      orderId: orderA.id,
      grossAmount: 0,
      refundAmount: 150_000,
      discountAmount: -5_000,
    });
    expect(refund.pgFeeAmount).toBe(-Math.floor(pgA / 2));
    expect(refund.platformFeeAmount).toBe(-Math.floor(platA / 2));
    expect(refund.vatAmount).toBeLessThanOrEqual(0);
    expect(refund.cancellationFeeAmount).toBe(14_500);

    const b = await lines(sellerB, ids.b as string);
    expect(b).toHaveLength(1);
    // a platform-funded coupon never reduces the payout; sellerB's own rates apply
    expect(b[0]).toMatchObject({
      type: 'SALE',
      grossAmount: 150_000,
      discountAmount: 0,
      pgFeeAmount: floorBps(145_000, 250),
      platformFeeAmount: floorBps(150_000, 700),
    });

    await reconciles(sellerA, ids.a as string);
    await reconciles(sellerB, ids.b as string);
  });

  it('lists (SELLER own, ADMIN all or ?sellerId=), fields, CSV of the same lines, statuses CALCULATED → CONFIRMED → PAID_OUT', async () => {
    const mine = await settlementsOf(sellerA);
    expect(mine.map((x) => x.sellerId)).toEqual(mine.map(() => sellerA.id));
    expect(mine[0]).toMatchObject({
      id: ids.a,
      sellerId: sellerA.id,
      periodStart: t0.toISOString(),
      periodEnd: t1.toISOString(),
      status: 'CALCULATED',
    });
    expect(mine[0]).toHaveProperty('payoutDate');
    const all = await settlementsOf(admin);
    expect(all.map((x) => x.id)).toEqual(expect.arrayContaining([ids.a, ids.b]));
    expect((await settlementsOf(admin, `?sellerId=${sellerB.id}`)).map((x) => x.id)).toEqual([ids.b]);
    expect([403, 404]).toContain(
      (await call(s, sellerB, 'GET', `/api/v1/seller/settlements/${ids.a}/lines`)).status,
    );

    const csv = await fetch(`${s.baseUrl}/api/v1/seller/settlements/${ids.a}/lines.csv`, {
      headers: { authorization: `Bearer ${sellerA.token}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type') ?? '').toMatch(/^text\/csv/);
    const rows = (await csv.text()).trim().split(/\r?\n/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('payoutAmount');
    expect(rows.slice(1).every((r) => r.includes(orderA.id))).toBe(true);

    expectProblem(await call(s, admin, 'POST', `/api/v1/admin/settlements/${ids.b}/payout`), 409);
    const confirmed = await call(s, admin, 'POST', `/api/v1/admin/settlements/${ids.b}/confirm`);
    expect(confirmed.body).toMatchObject({ id: ids.b, status: 'CONFIRMED' });
    const paid = await call(s, admin, 'POST', `/api/v1/admin/settlements/${ids.b}/payout`);
    expect(paid.body).toMatchObject({ id: ids.b, status: 'PAID_OUT' });
    expectProblem(await call(s, sellerB, 'POST', `/api/v1/admin/settlements/${ids.a}/confirm`), 403);
  });

  it('rerunning the period returns the same ids; an overlapping period never counts a line twice', async () => {
    const again = await run(admin, t0, t1);
    expect(new Set(again.body.settlements.map((x) => x.id))).toEqual(new Set([ids.a, ids.b]));
    const wider = await run(admin, new Date(t0.getTime() - 3600_000), t1);
    expect(new Set(wider.body.settlements.map((x) => x.id))).toEqual(new Set([ids.a, ids.b]));
    const ls = await lines(sellerA, ids.a as string);
    expect(ls).toHaveLength(2);
    expect((await settlementsOf(admin)).filter((x) => x.sellerId === sellerA.id)).toHaveLength(1);
  });

  it('a negative payout is carried forward into the next settlement (CARRY_FORWARD)', async () => {
    const rest = await call(s, buyerA, 'POST', `/api/v1/orders/${orderA.id}/cancel`, {});
    expect(rest.body).toMatchObject({ status: 'REFUNDED' });
    const t2 = new Date(Date.now() + 10);
    await sleep(50);
    const second = await run(admin, t1, t2);
    const debtId = second.body.settlements.find((x) => x.sellerId === sellerA.id)?.id as string;
    const debt = (await settlementsOf(sellerA)).find((x) => x.id === debtId) as Settlement;
    const debtLines = await lines(sellerA, debtId);
    expect(debtLines.map((l) => l.type).sort()).toEqual(['CARRY_FORWARD', 'REFUND']);
    expect(debt.payoutAmount).toBe(0);
    const carried = debtLines.find((l) => l.type === 'CARRY_FORWARD') as Line;
    expect(carried.payoutAmount).toBeGreaterThan(0);
    await reconciles(sellerA, debtId);

    await buy(showA, [showA.seats[2]?.id as number]);
    const t3 = new Date(Date.now() + 10);
    await sleep(50);
    const third = await run(admin, t2, t3);
    const nextId = third.body.settlements.find((x) => x.sellerId === sellerA.id)?.id as string;
    const next = await lines(sellerA, nextId);
    expect(next.map((l) => l.type).sort()).toEqual(['CARRY_FORWARD', 'SALE']);
    expect(next.find((l) => l.type === 'CARRY_FORWARD')?.payoutAmount).toBe(-carried.payoutAmount);
    await reconciles(sellerA, nextId);
  });

  it('periodEnd after now → 400; periodEnd not after periodStart → 400; only ADMIN runs (403)', async () => {
    const now = Date.now();
    expectProblem(
      await run(admin, new Date(now - 3600_000), new Date(now + 3600_000)),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await run(admin, new Date(now - 1000), new Date(now - 2000)), 400, 'VALIDATION_FAILED');
    expectProblem(await run(sellerA, new Date(now - 3600_000), new Date(now - 1000)), 403);
  });
});
