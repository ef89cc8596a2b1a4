import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/harness.ts';
import {
  type Account,
  adminAccount,
  admitted,
  basic,
  call,
  createShow,
  DAY,
  eventually,
  expectProblem,
  freeSeats,
  type HoldBody,
  holdSeats,
  type OrderBody,
  orderSeats,
  pay,
  SANDBOX_KEY,
  type Show,
  type System,
  signup,
  sleep,
  startSystem,
} from './support.ts';

/** API.md "Coupons" and the coupon parts of "Seats, holds and orders". */
let s: System;
let seller: Account;
let otherSeller: Account;
let admin: Account;
let show: Show;

beforeAll(async () => {
  s = await startSystem('cpn');
  [seller, otherSeller, admin] = await Promise.all([
    signup(s, 'SELLER'),
    signup(s, 'SELLER'),
    adminAccount(s),
  ]);
  show = await createShow(s, { seller, seatsPerRow: 20, prices: { R: 99_999 } });
});
afterAll(async () => s?.close());

interface MyCoupon {
  id: string;
  campaignId: string;
  kind: string;
  value: number;
  status: string;
  validUntil: string;
}

function campaign(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Contract coupon',
    kind: 'FIXED',
    value: 5_000,
    performanceId: show.performanceId,
    totalQuantity: 100,
    perUserLimit: 1,
    issueStartsAt: new Date(Date.now() - 60_000).toISOString(),
    issueEndsAt: new Date(Date.now() + DAY).toISOString(),
    validUntil: new Date(Date.now() + 30 * DAY).toISOString(),
    ...overrides,
  };
}
async function newCampaign(who: Account, overrides: Record<string, unknown> = {}) {
  const res = await call<{ id: string }>(s, who, 'POST', '/api/v1/coupon-campaigns', campaign(overrides));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}
const issue = (campaignId: string, b: Account, headers: Record<string, string> = {}) =>
  call<{ status: string; couponId: string }>(
    s,
    b,
    'POST',
    `/api/v1/coupon-campaigns/${campaignId}/issue`,
    undefined,
    headers,
  );
const myCoupons = (b: Account) => call<MyCoupon[]>(s, b, 'GET', '/api/v1/me/coupons').then((r) => r.body);
/**
 * Issues and waits until the coupon is listed: a 202 is "accepted", and since the pending index left the
 * 202's path a coupon is occasionally not visible for a few milliseconds (see the skipped test below).
 */
async function issued(campaignId: string, b: Account) {
  const res = await issue(campaignId, b);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await eventually(
    'the issued coupon is listed',
    () => myCoupons(b),
    (l) => l.some((c) => c.id === res.body.couponId),
  );
  return res.body.couponId;
}
const couponStatus = async (b: Account, id: string) => (await myCoupons(b)).find((c) => c.id === id)?.status;
const waitCoupon = (b: Account, id: string, status: string) =>
  eventually(
    `coupon ${status}`,
    () => couponStatus(b, id),
    (st) => st === status,
  );
const quote = (b: Account, holdId: string) =>
  call<{
    subtotal: number;
    options: { couponId: string; discount: number }[];
    best: { couponId: string; discount: number } | null;
  }>(s, b, 'GET', `/api/v1/holds/${holdId}/quote`);
async function buyerIn(sh: Show = show) {
  const b = await signup(s, 'BUYER');
  return { b, token: await admitted(s, sh.scheduleId, b) };
}
const floorSeats = async (n: number) => (await freeSeats(s, show, n, 'Floor')).map((x) => x.id);

describe('campaigns', () => {
  it('PERCENTAGE and FIXED are registered kinds; an unknown kind or a percent over 100 → 400', async () => {
    const kinds = await call<{ name: string }[]>(s, null, 'GET', '/api/v1/coupon-kinds');
    expect(kinds.body.map((k) => k.name)).toEqual(expect.arrayContaining(['PERCENTAGE', 'FIXED']));
    const unknown = await call(s, seller, 'POST', '/api/v1/coupon-campaigns', campaign({ kind: 'MYSTERY' }));
    expect(JSON.stringify(expectProblem(unknown, 400, 'VALIDATION_FAILED'))).toContain('kind');
    const over = await call(
      s,
      seller,
      'POST',
      '/api/v1/coupon-campaigns',
      campaign({ kind: 'PERCENTAGE', value: 101 }),
    );
    expect(JSON.stringify(expectProblem(over, 400, 'VALIDATION_FAILED'))).toContain('value');
  });

  it('a SELLER names one of its own performances (else 403) and funds it; an ADMIN may cover all performances (PLATFORM)', async () => {
    const id = await newCampaign(seller);
    const view = await call(s, null, 'GET', `/api/v1/coupon-campaigns/${id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id, fundedBy: 'SELLER', issuedCount: 0, remaining: 100 });
    expectProblem(await call(s, otherSeller, 'POST', '/api/v1/coupon-campaigns', campaign()), 403);
    const { performanceId: _omit, ...platformWide } = campaign();
    expectProblem(await call(s, seller, 'POST', '/api/v1/coupon-campaigns', platformWide), 403);
    expectProblem(
      await call(s, await signup(s, 'BUYER'), 'POST', '/api/v1/coupon-campaigns', campaign()),
      403,
    );
    const adminOwn = await call<{ id: string }>(s, admin, 'POST', '/api/v1/coupon-campaigns', platformWide);
    expect(adminOwn.status).toBe(201);
    const platform = await call(s, null, 'GET', `/api/v1/coupon-campaigns/${adminOwn.body.id}`);
    expect(platform.body).toMatchObject({ fundedBy: 'PLATFORM', remaining: 100 });
    const adminOnSeller = await call<{ id: string }>(
      s,
      admin,
      'POST',
      '/api/v1/coupon-campaigns',
      campaign(),
    );
    expect(adminOnSeller.status).toBe(201);
    const adminView = await call(s, null, 'GET', `/api/v1/coupon-campaigns/${adminOnSeller.body.id}`);
    expect(adminView.body).toMatchObject({ fundedBy: 'PLATFORM' });
  });

  it('issue → 202 {status:"ISSUED", couponId}; LIMIT_REACHED, SOLD_OUT and NOT_ISSUING → 409', async () => {
    const id = await newCampaign(seller, { totalQuantity: 1 });
    const [a, b] = [await signup(s, 'BUYER'), await signup(s, 'BUYER')];
    const first = await issue(id, a);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ status: 'ISSUED', couponId: expect.any(String) });
    expectProblem(await issue(id, a), 409, 'LIMIT_REACHED');
    expectProblem(await issue(id, b), 409, 'SOLD_OUT');
    const later = await newCampaign(seller, {
      issueStartsAt: new Date(Date.now() + DAY).toISOString(),
      issueEndsAt: new Date(Date.now() + 2 * DAY).toISOString(),
    });
    expectProblem(await issue(later, b), 409, 'NOT_ISSUING');
    const view = await call(s, null, 'GET', `/api/v1/coupon-campaigns/${id}`);
    expect(view.body).toMatchObject({ issuedCount: 1, remaining: 0 });
  });

  it('never more than totalQuantity under simultaneous requests, and every 202 becomes a stored coupon', async () => {
    const id = await newCampaign(seller, { totalQuantity: 10, perUserLimit: 2 });
    const crowd = await Promise.all(Array.from({ length: 30 }, () => signup(s, 'BUYER')));
    const answers = await Promise.all(crowd.flatMap((b) => [issue(id, b), issue(id, b)]));
    const won = answers.filter((r) => r.status === 202);
    expect(won).toHaveLength(10);
    for (const r of answers.filter((x) => x.status !== 202))
      expect(['SOLD_OUT', 'LIMIT_REACHED']).toContain((r.body as { code?: string }).code);
    expect((await call(s, null, 'GET', `/api/v1/coupon-campaigns/${id}`)).body).toMatchObject({
      issuedCount: 10,
      remaining: 0,
    });
    const ids = new Set(won.map((r) => r.body.couponId));
    const stored = await eventually(
      'every issued coupon stored',
      async () => (await Promise.all(crowd.map(myCoupons))).flat().filter((c) => c.campaignId === id),
      (list) => list.length >= 10,
    );
    expect(new Set(stored.map((c) => c.id))).toEqual(ids);
  });
});

describe('my coupons, quotes and orders', () => {
  it('GET /me/coupons → [{id, campaignId, kind, value, status, validUntil}]: AVAILABLE → RESERVED (pending order) → USED (paid)', async () => {
    const id = await newCampaign(seller, { kind: 'PERCENTAGE', value: 10 });
    const { b, token } = await buyerIn();
    const couponId = await issued(id, b);
    const mine = await myCoupons(b);
    expect(mine).toEqual([
      expect.objectContaining({
        id: couponId,
        campaignId: id,
        kind: 'PERCENTAGE',
        value: 10,
        status: 'AVAILABLE',
        validUntil: expect.any(String),
      }),
    ]);
    const o = await orderSeats(s, b, show, token, await floorSeats(1), couponId);
    expect(o).toMatchObject({ couponId, subtotal: 99_999, discount: 9_999, amount: 90_000 });
    expect(await couponStatus(b, couponId)).toBe('RESERVED');
    expect((await pay(s, b, o)).res.status).toBe(200);
    await waitCoupon(b, couponId, 'USED');
  });

  it('EXPIRED once validUntil has passed', async () => {
    const b = await signup(s, 'BUYER');
    const validUntil = Date.now() + 4000;
    const id = await newCampaign(seller, {
      issueEndsAt: new Date(validUntil - 500).toISOString(),
      validUntil: new Date(validUntil).toISOString(),
    });
    const couponId = await issued(id, b);
    expect(await couponStatus(b, couponId)).toBe('AVAILABLE');
    await sleep(Math.max(0, validUntil - Date.now()) + 500);
    await waitCoupon(b, couponId, 'EXPIRED');
  });

  it('quote {subtotal, options, best}: floored to the won, never above the subtotal, largest discount wins, ties to the earliest validUntil', async () => {
    const { b, token } = await buyerIn();
    const pct = await issued(await newCampaign(seller, { kind: 'PERCENTAGE', value: 33 }), b);
    const huge = await issued(await newCampaign(seller, { value: 500_000 }), b);
    const h = await holdSeats(s, b, show.scheduleId, token, { seatIds: await floorSeats(1) });
    const q = await quote(b, h.body.holdId);
    expect(q.status).toBe(200);
    expect(q.body.subtotal).toBe(99_999);
    const byId = new Map(q.body.options.map((o) => [o.couponId, o.discount]));
    expect(byId.get(pct)).toBe(32_999); // 33 % of 99,999 = 32,999.67 → floored
    expect(byId.get(huge)).toBe(99_999); // never more than the subtotal
    expect(q.body.best).toEqual({ couponId: huge, discount: 99_999 });

    const { b: b2, token: t2 } = await buyerIn();
    const lateValid = await issued(
      await newCampaign(seller, { validUntil: new Date(Date.now() + 20 * DAY).toISOString() }),
      b2,
    );
    const earlyValid = await issued(
      await newCampaign(seller, { validUntil: new Date(Date.now() + 10 * DAY).toISOString() }),
      b2,
    );
    const small = await issued(await newCampaign(seller, { value: 1_000 }), b2);
    const h2 = await holdSeats(s, b2, show.scheduleId, t2, { seatIds: await floorSeats(1) });
    const q2 = await quote(b2, h2.body.holdId);
    expect(q2.body.options).toHaveLength(3);
    expect(q2.body.options.find((o) => o.couponId === small)?.discount).toBe(1_000);
    expect(q2.body.best).toEqual({ couponId: earlyValid, discount: 5_000 });
    expect(lateValid).not.toBe(earlyValid);
    const o = await call<OrderBody>(s, b2, 'POST', '/api/v1/orders', {
      holdId: h2.body.holdId,
      couponId: 'BEST',
    });
    expect(o.body).toMatchObject({ couponId: earlyValid, discount: 5_000, amount: 94_999 });
    await call(s, b2, 'POST', `/api/v1/orders/${o.body.id}/cancel`, {});
  });

  it('minSpend and another performance make a coupon unusable; an ADMIN coupon without performance works everywhere', async () => {
    const { b, token } = await buyerIn();
    const rich = await issued(await newCampaign(seller, { minSpend: 200_000 }), b);
    const elsewhere = await createShow(s, { seller });
    const wrongShow = await issued(await newCampaign(seller, { performanceId: elsewhere.performanceId }), b);
    const { performanceId: _p, ...everywhere } = campaign({ value: 2_000 });
    const created = await call<{ id: string }>(s, admin, 'POST', '/api/v1/coupon-campaigns', everywhere);
    const platform = await issued(created.body.id, b);
    const h = await holdSeats(s, b, show.scheduleId, token, { seatIds: await floorSeats(1) });
    const q = await quote(b, h.body.holdId);
    const ids = q.body.options.map((o) => o.couponId);
    expect(ids).toContain(platform);
    expect(ids).not.toContain(rich);
    expect(ids).not.toContain(wrongShow);
    await call(s, b, 'DELETE', `/api/v1/holds/${h.body.holdId}`);
  });

  it('an unpaid cancel returns the coupon at once; a full refund returns it, a partial one does not', async () => {
    const id = await newCampaign(seller, { value: 10_000, perUserLimit: 3 });
    const { b, token } = await buyerIn();
    const c1 = await issued(id, b);
    const o1 = await orderSeats(s, b, show, token, await floorSeats(1), c1);
    await call(s, b, 'POST', `/api/v1/orders/${o1.id}/cancel`, {});
    expect(await couponStatus(b, c1)).toBe('AVAILABLE');

    // paid with a discount: one of two seats refunded pro rata (discount spread over the seats)
    const seats = await floorSeats(2);
    const o2 = await orderSeats(s, b, show, token, seats, c1);
    expect(o2).toMatchObject({ subtotal: 199_998, discount: 10_000, amount: 189_998 });
    const { res, paymentKey } = await pay(s, b, o2);
    expect(res.status).toBe(200);
    const partial = await call<OrderBody>(s, b, 'POST', `/api/v1/orders/${o2.id}/cancel`, {
      seatIds: [seats[0]],
    });
    expect(partial.body.status).toBe('PARTIALLY_REFUNDED');
    const provider = async () =>
      (
        await api<{ balanceAmount: number }>(s.baseUrl, 'GET', `/sandbox/toss/v1/payments/${paymentKey}`, {
          headers: { authorization: basic(SANDBOX_KEY) },
        })
      ).body;
    expect((await provider()).balanceAmount).toBe(189_998 - (99_999 - 5_000));
    await sleep(1500);
    expect(await couponStatus(b, c1)).toBe('USED');
    await sleep(1100 - 500);
    const rest = await call<OrderBody>(s, b, 'POST', `/api/v1/orders/${o2.id}/cancel`, {});
    expect(rest.body.status).toBe('REFUNDED');
    expect((await provider()).balanceAmount).toBe(0);
    await waitCoupon(b, c1, 'AVAILABLE');
  });

  it('a full refund does not return a coupon whose validUntil has passed', async () => {
    const { b, token } = await buyerIn();
    const validUntil = Date.now() + 6000;
    const id = await newCampaign(seller, {
      issueEndsAt: new Date(validUntil - 1000).toISOString(),
      validUntil: new Date(validUntil).toISOString(),
    });
    const c = await issued(id, b);
    const o = await orderSeats(s, b, show, token, await floorSeats(1), c);
    expect((await pay(s, b, o)).res.status).toBe(200);
    await sleep(Math.max(0, validUntil - Date.now()) + 500);
    const refunded = await call<OrderBody>(s, b, 'POST', `/api/v1/orders/${o.id}/cancel`, {});
    expect(refunded.body.status).toBe('REFUNDED');
    await sleep(1500);
    expect(await couponStatus(b, c)).not.toBe('AVAILABLE');
  });

  // API.md: "every 202 becomes a stored coupon" and GET /me/coupons lists the buyer's coupons: one just
  // granted (stored by the Kafka consumer a moment later) is listed and quoted at once, under its id.
  it('a coupon is listed and quoted right after its 202 (read your own writes)', async () => {
    const id = await newCampaign(seller, { totalQuantity: 100 });
    let missing = 0;
    for (let i = 0; i < 25; i++) {
      const { b, token } = await buyerIn();
      const h = await holdSeats(s, b, show.scheduleId, token, { seatIds: await floorSeats(1) });
      const res = await issue(id, b);
      const [q, mine] = await Promise.all([quote(b, h.body.holdId), myCoupons(b)]);
      if (!q.body.options.some((o) => o.couponId === res.body.couponId)) missing++;
      if (!mine.some((c) => c.id === res.body.couponId)) missing++;
      await call(s, b, 'DELETE', `/api/v1/holds/${h.body.holdId}`);
    }
    expect(missing).toBe(0);
  });

  it('one coupon per order: a RESERVED coupon cannot go on a second order', async () => {
    const { b, token } = await buyerIn();
    const c = await issued(await newCampaign(seller), b);
    await orderSeats(s, b, show, token, await floorSeats(1), c);
    const h = await holdSeats(s, b, show.scheduleId, token, { seatIds: await floorSeats(1) });
    const second = await call(s, b, 'POST', '/api/v1/orders', {
      holdId: (h.body as HoldBody).holdId,
      couponId: c,
    });
    expect(second.status).toBe(409);
  });
});
