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
  getOrder,
  type HoldBody,
  holdSeats,
  type OrderBody,
  orderSeats,
  pay,
  SANDBOX_KEY,
  type Show,
  type System,
  seatMap,
  signup,
  sleep,
  startSystem,
} from './support.ts';

/** API.md "Seats, holds and orders" (coupons on orders: coupons.test.ts). */
let s: System;
let seller: Account;
let admin: Account;
let show: Show;
let buyer: Account;
let admission: string;

beforeAll(async () => {
  s = await startSystem('book');
  [seller, admin, buyer] = await Promise.all([signup(s, 'SELLER'), adminAccount(s), signup(s, 'BUYER')]);
  show = await createShow(s, { seller, seatsPerRow: 10, standing: 30 });
  admission = await admitted(s, show.scheduleId, buyer);
});
afterAll(async () => s?.close());

const statusOf = async (sh: Show, ids: number[]) => {
  const { seats } = await seatMap(s, sh.scheduleId);
  return ids.map((id) => seats.find((x) => x.id === id)?.status);
};
const release = (who: Account, holdId: string) => call(s, who, 'DELETE', `/api/v1/holds/${holdId}`);
const providerPayment = async (paymentKey: string) =>
  (
    await api<{
      status: string;
      totalAmount: number;
      balanceAmount: number;
      cancels: { cancelAmount: number }[] | null;
    }>(s.baseUrl, 'GET', `/sandbox/toss/v1/payments/${paymentKey}`, {
      headers: { authorization: basic(SANDBOX_KEY) },
    })
  ).body;

async function buyerWithAdmission(sh: Show) {
  const b = await signup(s, 'BUYER');
  return { b, token: await admitted(s, sh.scheduleId, b) };
}

describe('holds', () => {
  it('201 {holdId, seatIds, expiresAt} (hold TTL 600 s by default); seats turn HELD; DELETE → 204 and they return at once', async () => {
    const seats = (await freeSeats(s, show, 2)).map((x) => x.id);
    const h = await holdSeats(s, buyer, show.scheduleId, admission, { seatIds: seats });
    expect(h.status, JSON.stringify(h.body)).toBe(201);
    expect(h.body).toMatchObject({ holdId: expect.any(String), seatIds: seats });
    const ttl = new Date(h.body.expiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect(await statusOf(show, seats)).toEqual(['HELD', 'HELD']);
    expect((await release(buyer, h.body.holdId)).status).toBe(204);
    expect(await statusOf(show, seats)).toEqual(['AVAILABLE', 'AVAILABLE']);
  });

  it('1–8 seats: 0 or 9 → 400 VALIDATION_FAILED naming seatIds', async () => {
    const ids = show.seats.map((x) => x.id);
    for (const seatIds of [[], ids.slice(0, 9)]) {
      const res = await holdSeats(s, buyer, show.scheduleId, admission, { seatIds });
      expect(JSON.stringify(expectProblem(res, 400, 'VALIDATION_FAILED'))).toContain('seatIds');
    }
  });

  it('all or nothing: 409 SEATS_UNAVAILABLE with unavailableSeatIds, and nothing of the request is held', async () => {
    const other = await buyerWithAdmission(show);
    const [taken, free] = (await freeSeats(s, show, 2)).map((x) => x.id) as [number, number];
    const first = await holdSeats(s, other.b, show.scheduleId, other.token, { seatIds: [taken] });
    expect(first.status).toBe(201);
    const res = await holdSeats(s, buyer, show.scheduleId, admission, { seatIds: [free, taken] });
    expect(expectProblem(res, 409, 'SEATS_UNAVAILABLE').unavailableSeatIds).toEqual([taken]);
    expect(await statusOf(show, [free, taken])).toEqual(['AVAILABLE', 'HELD']);
    await release(other.b, first.body.holdId);
  });

  it('no, bad or foreign admission token → 403 ADMISSION_REQUIRED', async () => {
    const seat = (await freeSeats(s, show, 1))[0]?.id;
    expectProblem(
      await holdSeats(s, buyer, show.scheduleId, undefined, { seatIds: [seat] }),
      403,
      'ADMISSION_REQUIRED',
    );
    expectProblem(
      await holdSeats(s, buyer, show.scheduleId, 'forged', { seatIds: [seat] }),
      403,
      'ADMISSION_REQUIRED',
    );
    const another = await createShow(s, { seller });
    expectProblem(
      await holdSeats(s, buyer, another.scheduleId, admission, { seatIds: [another.seats[0]?.id] }),
      403,
      'ADMISSION_REQUIRED',
    );
    const stranger = await signup(s, 'BUYER');
    expectProblem(
      await holdSeats(s, stranger, show.scheduleId, admission, { seatIds: [seat] }),
      403,
      'ADMISSION_REQUIRED',
    );
  });

  it('a standing section is held by count {sectionId, quantity}', async () => {
    const pit = show.standing[0];
    if (pit === undefined) throw new Error('no standing section');
    const h = await holdSeats(s, buyer, show.scheduleId, admission, {
      sectionId: pit.sectionId,
      quantity: 3,
    });
    expect(h.status, JSON.stringify(h.body)).toBe(201);
    expect(h.body).toMatchObject({ holdId: expect.any(String), expiresAt: expect.any(String) });
    const map = await call<{ standing: { sectionId: string; available: number }[] }>(
      s,
      null,
      'GET',
      `/api/v1/schedules/${show.scheduleId}/seats`,
    );
    expect(map.body.standing.find((x) => x.sectionId === pit.sectionId)?.available).toBe(pit.capacity - 3);
    const o = await call<OrderBody>(s, buyer, 'POST', '/api/v1/orders', { holdId: h.body.holdId });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    expect(o.body.subtotal).toBe(3 * 70_000);
    expect((await call(s, buyer, 'POST', `/api/v1/orders/${o.body.id}/cancel`, {})).body).toMatchObject({
      status: 'CANCELLED',
    });
    // sold as numbered entries
    const fan = await buyerWithAdmission(show);
    const paid = await orderSeats(s, fan.b, show, fan.token, []).catch(() => null);
    expect(paid).toBeNull(); // 1–8 seats or a section: an empty hold is refused
    const h2 = await holdSeats(s, fan.b, show.scheduleId, fan.token, {
      sectionId: pit.sectionId,
      quantity: 2,
    });
    const o2 = await call<OrderBody>(s, fan.b, 'POST', '/api/v1/orders', { holdId: h2.body.holdId });
    expect((await pay(s, fan.b, o2.body)).res.status).toBe(200);
    const lines = (
      await call<{ lines: { entryNumber: number | null }[] }>(s, fan.b, 'GET', `/api/v1/orders/${o2.body.id}`)
    ).body.lines;
    const entries = lines.map((l) => l.entryNumber);
    expect(entries.every((e) => Number.isInteger(e))).toBe(true);
    expect(new Set(entries).size).toBe(2);
  });

  it('over maxTicketsPerBuyer (default 4, per performance, across holds and paid orders) → 409 TICKET_LIMIT', async () => {
    const two = await createShow(s, { seller, schedules: 2 });
    const detail = await call<{ maxTicketsPerBuyer: number }>(
      s,
      null,
      'GET',
      `/api/v1/performances/${two.performanceId}`,
    );
    expect(detail.body.maxTicketsPerBuyer).toBe(4);
    const b = await buyerWithAdmission(two);
    const seats = two.seats.slice(0, 5).map((x) => x.id);
    expectProblem(await holdSeats(s, b.b, two.scheduleId, b.token, { seatIds: seats }), 409, 'TICKET_LIMIT');
    const o = await orderSeats(s, b.b, two, b.token, seats.slice(0, 3));
    expect((await pay(s, b.b, o)).res.status).toBe(200);
    // the other night of the same performance: 3 bought + 1 held = 4, a fifth is over the limit
    const other = two.scheduleIds[1] as string;
    const token2 = await admitted(s, other, b.b);
    const h = await holdSeats(s, b.b, other, token2, { seatIds: [seats[3]] });
    expect(h.status, JSON.stringify(h.body)).toBe(201);
    expectProblem(await holdSeats(s, b.b, other, token2, { seatIds: [seats[4]] }), 409, 'TICKET_LIMIT');
    await release(b.b, h.body.holdId);
  });

  it('a hold lapses after the hold TTL and its seats return', async () => {
    const short = await s.extraApi({ HOLD_TTL_SECONDS: '10' });
    try {
      const b = await buyerWithAdmission(show);
      const seat = (await freeSeats(s, show, 1))[0]?.id as number;
      const h = await api<HoldBody>(short.baseUrl, 'POST', `/api/v1/schedules/${show.scheduleId}/holds`, {
        token: b.b.token,
        body: { seatIds: [seat] },
        headers: { 'x-admission-token': b.token },
      });
      expect(h.status, JSON.stringify(h.body)).toBe(201);
      expect(new Date(h.body.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(10_000);
      await sleep(Math.max(0, new Date(h.body.expiresAt).getTime() - Date.now()));
      await eventually(
        'the lapsed seat returns',
        () => statusOf(show, [seat]),
        (st) => st[0] === 'AVAILABLE',
        15_000,
      );
      const o = await call<OrderBody>(s, b.b, 'POST', '/api/v1/orders', { holdId: h.body.holdId });
      expect(o.status).toBeGreaterThanOrEqual(400);
      expect(o.status).toBeLessThan(500);
    } finally {
      await short.close();
    }
  });
});

describe('orders', () => {
  let order: OrderBody;
  let seats: number[];

  it('POST /orders {holdId} → 201 {id, status PENDING_PAYMENT, subtotal, discount, amount, couponId, tossOrderId}', async () => {
    seats = (await freeSeats(s, show, 2, 'VIP')).map((x) => x.id);
    const h = await holdSeats(s, buyer, show.scheduleId, admission, { seatIds: seats });
    const res = await call<OrderBody>(s, buyer, 'POST', '/api/v1/orders', { holdId: h.body.holdId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      status: 'PENDING_PAYMENT',
      subtotal: 300_000,
      discount: 0,
      amount: 300_000,
      couponId: null,
    });
    expect(res.body.tossOrderId).toMatch(/^[A-Za-z0-9_-]{6,64}$/);
    order = res.body;
  });

  it('couponId "BEST" with no usable coupon orders without one; the quote shows no options', async () => {
    const seat = (await freeSeats(s, show, 1))[0]?.id;
    const b = await buyerWithAdmission(show);
    const h = await holdSeats(s, b.b, show.scheduleId, b.token, { seatIds: [seat] });
    const q = await call(s, b.b, 'GET', `/api/v1/holds/${h.body.holdId}/quote`);
    expect(q.status).toBe(200);
    expect(q.body).toEqual({ subtotal: expect.any(Number), options: [], best: null });
    const o = await call<OrderBody>(s, b.b, 'POST', '/api/v1/orders', {
      holdId: h.body.holdId,
      couponId: 'BEST',
    });
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ couponId: null, discount: 0, amount: o.body.subtotal });
    await call(s, b.b, 'POST', `/api/v1/orders/${o.body.id}/cancel`, {});
  });

  it('GET /orders/{id}: owner, the performance seller and ADMIN; others 403. GET /me/orders lists it', async () => {
    for (const who of [buyer, seller, admin])
      expect((await call(s, who, 'GET', `/api/v1/orders/${order.id}`)).status).toBe(200);
    expectProblem(await call(s, await signup(s, 'BUYER'), 'GET', `/api/v1/orders/${order.id}`), 403);
    expectProblem(await call(s, await signup(s, 'SELLER'), 'GET', `/api/v1/orders/${order.id}`), 403);
    const mine = await call<OrderBody[]>(s, buyer, 'GET', '/api/v1/me/orders');
    expect(mine.status).toBe(200);
    expect(mine.body.map((o) => o.id)).toContain(order.id);
  });

  it('cancel unpaid → 200 CANCELLED, seats return at once', async () => {
    const res = await call<OrderBody>(s, buyer, 'POST', `/api/v1/orders/${order.id}/cancel`, {
      reason: 'changed my mind',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: order.id, status: 'CANCELLED' });
    expect(await statusOf(show, seats)).toEqual(['AVAILABLE', 'AVAILABLE']);
  });

  it('paid: partial cancel → PARTIALLY_REFUNDED (listed seats back), then the rest → REFUNDED', async () => {
    const b = await buyerWithAdmission(show);
    const picked = (await freeSeats(s, show, 3, 'Floor')).map((x) => x.id);
    const o = await orderSeats(s, b.b, show, b.token, picked);
    const { res, paymentKey } = await pay(s, b.b, o);
    expect(res.status).toBe(200);
    expect(await statusOf(show, picked)).toEqual(['SOLD', 'SOLD', 'SOLD']);
    const one = await call<OrderBody>(s, b.b, 'POST', `/api/v1/orders/${o.id}/cancel`, {
      seatIds: [picked[0]],
    });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body.status).toBe('PARTIALLY_REFUNDED');
    await eventually(
      'the refunded seat returns',
      () => statusOf(show, picked),
      (st) => st.join() === 'AVAILABLE,SOLD,SOLD',
    );
    expect((await providerPayment(paymentKey)).balanceAmount).toBe(200_000);
    await sleep(1100); // Toss: one cancel per payment per second
    const rest = await call<OrderBody>(s, b.b, 'POST', `/api/v1/orders/${o.id}/cancel`, {});
    expect(rest.body.status).toBe('REFUNDED');
    await eventually(
      'the refunded seats return',
      () => statusOf(show, picked),
      (st) => st.every((x) => x === 'AVAILABLE'),
    );
    expect(await providerPayment(paymentKey)).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
  });
});

/** Every date-like string is ISO-8601 UTC (`Z`); every money field is an integer. */
function checkConventions(value: unknown, path = '$'): void {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) expect(value, path).toMatch(/Z$/);
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      checkConventions(v, `${path}[${i}]`);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (/(amount|price|subtotal|discount)$/i.test(k) && v !== null)
        expect(Number.isInteger(v), `${path}.${k}`).toBe(true);
      checkConventions(v, `${path}.${k}`);
    }
  }
}

it('times are ISO-8601 UTC strings and money is integer KRW, across holds, orders, queue and catalog', async () => {
  const b = await buyerWithAdmission(show);
  const h = await holdSeats(s, b.b, show.scheduleId, b.token, {
    seatIds: [(await freeSeats(s, show, 1))[0]?.id],
  });
  const o = await call<OrderBody>(s, b.b, 'POST', '/api/v1/orders', { holdId: h.body.holdId });
  const bodies = [
    h.body,
    o.body,
    (await call(s, b.b, 'GET', `/api/v1/orders/${o.body.id}`)).body,
    (await call(s, b.b, 'GET', '/api/v1/me/orders')).body,
    (await call(s, b.b, 'GET', `/api/v1/schedules/${show.scheduleId}/queue/me`)).body,
    (await call(s, null, 'GET', `/api/v1/performances/${show.performanceId}`)).body,
    (await call(s, null, 'GET', '/api/v1/performances')).body,
    (await call(s, b.b, 'GET', `/api/v1/holds/${h.body.holdId}/quote`)).body,
  ];
  for (const body of bodies) checkConventions(body);
  await call(s, b.b, 'POST', `/api/v1/orders/${o.body.id}/cancel`, {});
});

describe('cancellation policy (buyer-initiated refunds)', () => {
  it('after the deadline → 409 CANCELLATION_CLOSED (nothing refunded); an ADMIN still refunds in full', async () => {
    const late = await createShow(s, {
      seller,
      startsAt: new Date(Date.now() + 2 * DAY),
      cancellationPolicy: { deadlineHoursBeforeStart: 72 },
    });
    const b = await buyerWithAdmission(late);
    const o = await orderSeats(s, b.b, late, b.token, [late.seats[0]?.id as number]);
    const { paymentKey } = await pay(s, b.b, o);
    expectProblem(
      await call(s, b.b, 'POST', `/api/v1/orders/${o.id}/cancel`, {}),
      409,
      'CANCELLATION_CLOSED',
    );
    expect((await getOrder(s, b.b, o.id)).status).toBe('PAID');
    expect((await providerPayment(paymentKey)).balanceAmount).toBe(o.amount);
    const byAdmin = await call<OrderBody>(s, admin, 'POST', `/api/v1/orders/${o.id}/cancel`, {
      reason: 'goodwill',
    });
    expect(byAdmin.body.status).toBe('REFUNDED');
    expect((await providerPayment(paymentKey)).balanceAmount).toBe(0);
  });

  it('a fee bracket keeps its percent from what the buyer gets back; default policy: no fee', async () => {
    const feeShow = await createShow(s, {
      seller,
      startsAt: new Date(Date.now() + 5 * DAY),
      cancellationPolicy: {
        deadlineHoursBeforeStart: 24,
        fees: [
          { daysBeforeStart: 7, percent: 10 },
          { daysBeforeStart: 3, percent: 20 },
        ],
      },
    });
    const b = await buyerWithAdmission(feeShow);
    const o = await orderSeats(s, b.b, feeShow, b.token, [feeShow.seats[0]?.id as number]);
    const { paymentKey } = await pay(s, b.b, o);
    const res = await call<OrderBody>(s, b.b, 'POST', `/api/v1/orders/${o.id}/cancel`, {});
    expect(res.body.status).toBe('REFUNDED');
    const provider = await providerPayment(paymentKey);
    expect(provider.cancels?.reduce((n, c) => n + c.cancelAmount, 0)).toBe(135_000); // 150,000 − 10 %
    expect(provider.balanceAmount).toBe(15_000);

    const b2 = await buyerWithAdmission(show);
    const o2 = await orderSeats(s, b2.b, show, b2.token, [(await freeSeats(s, show, 1))[0]?.id as number]);
    const paid2 = await pay(s, b2.b, o2);
    await call(s, b2.b, 'POST', `/api/v1/orders/${o2.id}/cancel`, {});
    expect((await providerPayment(paid2.paymentKey)).balanceAmount).toBe(0);
  });
});
