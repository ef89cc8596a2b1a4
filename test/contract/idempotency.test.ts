import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/harness.ts';
import {
  type Account,
  admitted,
  basic,
  call,
  checkout,
  createShow,
  DAY,
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

/**
 * API.md "Conventions": Idempotency-Key on every write that creates or charges something (holds,
 * orders, payment confirm, cancel, coupon issue), scoped to (user, method, concrete path).
 */
let s: System;
let show: Show;

beforeAll(async () => {
  s = await startSystem('idem', { PAYMENT_RETRY_BASE_MS: '10', PAYMENT_RETRY_CAP_MS: '50' });
  show = await createShow(s, { seatsPerRow: 30 });
});
afterAll(async () => s?.close());

let keys = 0;
const newKey = () => `ct-${Date.now().toString(36)}-${++keys}`;
const idem = (key: string) => ({ 'Idempotency-Key': key });
async function admittedBuyer() {
  const b = await signup(s, 'BUYER');
  return { b, token: await admitted(s, show.scheduleId, b) };
}
const seats = async (n: number) => (await freeSeats(s, show, n)).map((x) => x.id);
const myOrders = async (b: Account) => (await call<OrderBody[]>(s, b, 'GET', '/api/v1/me/orders')).body;

describe('Idempotency-Key', () => {
  it('holds: same key and body → the first response; another body → 409 IDEMPOTENCY_KEY_REUSED; another user is not affected', async () => {
    const { b, token } = await admittedBuyer();
    const [x, y] = await seats(2);
    const key = newKey();
    const first = await holdSeats(s, b, show.scheduleId, token, { seatIds: [x] }, idem(key));
    expect(first.status).toBe(201);
    const again = await holdSeats(s, b, show.scheduleId, token, { seatIds: [x] }, idem(key));
    expect([again.status, again.body]).toEqual([201, first.body]);
    expectProblem(
      await holdSeats(s, b, show.scheduleId, token, { seatIds: [y] }, idem(key)),
      409,
      'IDEMPOTENCY_KEY_REUSED',
    );
    const other = await admittedBuyer();
    const theirs = await holdSeats(s, other.b, show.scheduleId, other.token, { seatIds: [y] }, idem(key));
    expect(theirs.status).toBe(201);
    expect(theirs.body.holdId).not.toBe(first.body.holdId);
  });

  it('a 4xx answer is kept too: the repeat gets the first refusal even once the seat is free', async () => {
    const { b, token } = await admittedBuyer();
    const other = await admittedBuyer();
    const [x] = await seats(1);
    const blocker = await holdSeats(s, other.b, show.scheduleId, other.token, { seatIds: [x] });
    const key = newKey();
    const refused = await holdSeats(s, b, show.scheduleId, token, { seatIds: [x] }, idem(key));
    expectProblem(refused, 409, 'SEATS_UNAVAILABLE');
    await call(s, other.b, 'DELETE', `/api/v1/holds/${blocker.body.holdId}`);
    const again = await holdSeats(s, b, show.scheduleId, token, { seatIds: [x] }, idem(key));
    expect([again.status, again.body]).toEqual([409, refused.body]);
  });

  it('keys are 1–300 characters (301 → 400)', async () => {
    const { b, token } = await admittedBuyer();
    const [x] = await seats(1);
    const long = await holdSeats(s, b, show.scheduleId, token, { seatIds: [x] }, idem('k'.repeat(301)));
    expectProblem(long, 400, 'VALIDATION_FAILED');
    const ok = await holdSeats(s, b, show.scheduleId, token, { seatIds: [x] }, idem('k'.repeat(300)));
    expect(ok.status).toBe(201);
  });

  it('orders: one order per key, even for simultaneous duplicates (replay or 409 IDEMPOTENCY_KEY_IN_USE)', async () => {
    const { b, token } = await admittedBuyer();
    const h = await holdSeats(s, b, show.scheduleId, token, { seatIds: await seats(1) });
    const key = newKey();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        call<OrderBody>(s, b, 'POST', '/api/v1/orders', { holdId: h.body.holdId }, idem(key)),
      ),
    );
    const created = answers.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, 409, 'IDEMPOTENCY_KEY_IN_USE');
    const replay = await call<OrderBody>(
      s,
      b,
      'POST',
      '/api/v1/orders',
      { holdId: h.body.holdId },
      idem(key),
    );
    expect(replay.body).toEqual(created[0]?.body);
    expect((await myOrders(b)).length).toBe(1);
    expectProblem(
      await call(s, b, 'POST', '/api/v1/orders', { holdId: h.body.holdId, couponId: 'BEST' }, idem(key)),
      409,
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('payment confirm: replayed under the same key; another body → 409; a 5xx is not stored and the retry runs', async () => {
    const { b, token } = await admittedBuyer();
    const o = await orderSeats(s, b, show, token, await seats(1));
    // the provider fails every attempt of the first confirm (5 = 1 + PAYMENT_RETRY_MAX), then recovers
    const { paymentKey } = await checkout(
      s,
      { orderId: o.tossOrderId, amount: o.amount },
      { 'TossPayments-Test-Code': 'FAILED_INTERNAL_SYSTEM_PROCESSING', 'Sandbox-Test-Code-Times': '5' },
    );
    const body = { orderId: o.tossOrderId, paymentKey, amount: o.amount };
    const key = newKey();
    const failed = await call(s, b, 'POST', '/api/v1/payments/confirm', body, idem(key));
    expect(failed.status, JSON.stringify(failed.body)).toBeGreaterThanOrEqual(500);
    const ok = await call(s, b, 'POST', '/api/v1/payments/confirm', body, idem(key));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const replay = await call(s, b, 'POST', '/api/v1/payments/confirm', body, idem(key));
    expect([replay.status, replay.body]).toEqual([200, ok.body]);
    expectProblem(
      await call(s, b, 'POST', '/api/v1/payments/confirm', { ...body, amount: o.amount + 1 }, idem(key)),
      409,
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('a duplicate while the first is still running → 409 IDEMPOTENCY_KEY_IN_USE (slow provider), then the replay', async () => {
    const { b, token } = await admittedBuyer();
    const o = await orderSeats(s, b, show, token, await seats(1));
    const settings = (method: string, body?: unknown) =>
      api(s.baseUrl, method, '/sandbox/toss/admin/settings', {
        ...(body === undefined ? {} : { body }),
        headers: { authorization: basic(SANDBOX_KEY) },
      });
    const { paymentKey } = await checkout(s, { orderId: o.tossOrderId, amount: o.amount });
    expect((await settings('PUT', { latencyMs: 1500 })).status).toBe(200);
    try {
      const body = { orderId: o.tossOrderId, paymentKey, amount: o.amount };
      const key = newKey();
      const first = call(s, b, 'POST', '/api/v1/payments/confirm', body, idem(key));
      await sleep(400);
      const duplicate = await call(s, b, 'POST', '/api/v1/payments/confirm', body, idem(key));
      expectProblem(duplicate, 409, 'IDEMPOTENCY_KEY_IN_USE');
      const done = await first;
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      const replay = await call(s, b, 'POST', '/api/v1/payments/confirm', body, idem(key));
      expect([replay.status, replay.body]).toEqual([200, done.body]);
    } finally {
      await settings('DELETE');
    }
  });

  it('cancel: replayed under the same key (refunded once); another body → 409', async () => {
    const { b, token } = await admittedBuyer();
    const o = await orderSeats(s, b, show, token, await seats(2));
    const o2 = await orderSeats(s, b, show, token, await seats(1)); // before paying: paying ends the admission
    expect((await pay(s, b, o)).res.status).toBe(200);
    const key = newKey();
    const path = `/api/v1/orders/${o.id}/cancel`;
    const first = await call<OrderBody>(s, b, 'POST', path, { reason: 'full' }, idem(key));
    expect(first.body.status).toBe('REFUNDED');
    const again = await call<OrderBody>(s, b, 'POST', path, { reason: 'full' }, idem(key));
    expect([again.status, again.body]).toEqual([200, first.body]);
    expectProblem(
      await call(s, b, 'POST', path, { reason: 'other' }, idem(key)),
      409,
      'IDEMPOTENCY_KEY_REUSED',
    );
    // the same key on another path is another request
    const other = await call<OrderBody>(
      s,
      b,
      'POST',
      `/api/v1/orders/${o2.id}/cancel`,
      { reason: 'full' },
      idem(key),
    );
    expect(other.body).toMatchObject({ id: o2.id, status: 'CANCELLED' });
  });

  it('coupon issue: the same key returns the same coupon and uses the per-user limit once', async () => {
    const seller = await signup(s, 'SELLER');
    const own = await createShow(s, { seller });
    const created = await call<{ id: string }>(s, seller, 'POST', '/api/v1/coupon-campaigns', {
      name: 'Idempotent',
      kind: 'FIXED',
      value: 1_000,
      performanceId: own.performanceId,
      totalQuantity: 10,
      perUserLimit: 2,
      issueStartsAt: new Date(Date.now() - 60_000).toISOString(),
      issueEndsAt: new Date(Date.now() + DAY).toISOString(),
      validUntil: new Date(Date.now() + 2 * DAY).toISOString(),
    });
    const path = `/api/v1/coupon-campaigns/${created.body.id}/issue`;
    const b = await signup(s, 'BUYER');
    const key = newKey();
    const first = await call<{ couponId: string }>(s, b, 'POST', path, undefined, idem(key));
    expect(first.status).toBe(202);
    const again = await call<{ couponId: string }>(s, b, 'POST', path, undefined, idem(key));
    expect([again.status, again.body]).toEqual([202, first.body]);
    const second = await call<{ couponId: string }>(s, b, 'POST', path, undefined, idem(newKey()));
    expect(second.status).toBe(202);
    expect(second.body.couponId).not.toBe(first.body.couponId);
    expectProblem(await call(s, b, 'POST', path, undefined, idem(newKey())), 409, 'LIMIT_REACHED');
    const other = await signup(s, 'BUYER');
    const theirs = await call<{ couponId: string }>(s, other, 'POST', path, undefined, idem(key));
    expect(theirs.status).toBe(202);
    expect(theirs.body.couponId).not.toBe(first.body.couponId);
  });

  it('holds: simultaneous duplicates hold once', async () => {
    const { b, token } = await admittedBuyer();
    const key = newKey();
    const [x] = await seats(1);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => holdSeats(s, b, show.scheduleId, token, { seatIds: [x] }, idem(key))),
    );
    const ok = answers.filter((r) => r.status === 201);
    expect(new Set(ok.map((r) => (r.body as HoldBody).holdId)).size).toBe(1);
    for (const r of answers.filter((a) => a.status !== 201)) expectProblem(r, 409, 'IDEMPOTENCY_KEY_IN_USE');
  });
});
