import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/harness.ts';
import {
  type Account,
  admitted,
  basic,
  call,
  checkout,
  createShow,
  eventually,
  expectProblem,
  freeSeats,
  getOrder,
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
  toss as tossOf,
} from './support.ts';

/** API.md "Payments": confirm, declines, retries, expiry, virtual accounts and webhooks. */
let s: System;
let show: Show;
let buyer: Account;
let admission: string;

beforeAll(async () => {
  s = await startSystem('pay', { PAYMENT_RETRY_BASE_MS: '20', PAYMENT_RETRY_CAP_MS: '200' });
  show = await createShow(s, { seatsPerRow: 20, maxTicketsPerBuyer: 40 });
  buyer = await signup(s, 'BUYER');
  admission = await admitted(s, show.scheduleId, buyer);
});
afterAll(async () => s?.close());

let n = 0;
const newOrderId = () => `ct_${Date.now().toString(36)}_${++n}`;
const toss = (method: string, path: string, body?: unknown) => tossOf(s, method, path, body);
const confirm = (who: Account, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call<Record<string, unknown>>(s, who, 'POST', '/api/v1/payments/confirm', body, headers);
/** An order of a fresh buyer (an admission ends when its holder pays). */
async function newOrder(count = 1) {
  const b = await signup(s, 'BUYER');
  const token = await admitted(s, show.scheduleId, b);
  const o = await orderSeats(
    s,
    b,
    show,
    token,
    (await freeSeats(s, show, count)).map((x) => x.id),
  );
  return { b, token, o };
}

describe('POST /api/v1/payments/confirm', () => {
  it('→ 200 {orderId, status:"PAID", approvedAt}; a repeat confirm → 200 with the same body; another buyer → 403', async () => {
    const { b: buyer, o } = await newOrder();
    const { res, paymentKey } = await pay(s, buyer, o);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      orderId: o.tossOrderId,
      status: 'PAID',
      approvedAt: expect.stringMatching(/Z$/),
    });
    const again = await confirm(buyer, { orderId: o.tossOrderId, paymentKey, amount: o.amount });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expect((await getOrder(s, buyer, o.id)).status).toBe('PAID');
    const other = await signup(s, 'BUYER');
    expectProblem(await confirm(other, { orderId: o.tossOrderId, paymentKey, amount: o.amount }), 403);
  });

  it('amount mismatch → 400 AMOUNT_MISMATCH, nothing charged, the order stays PENDING_PAYMENT', async () => {
    const { b: buyer, o } = await newOrder();
    const { paymentKey } = await checkout(s, { orderId: o.tossOrderId, amount: 100 });
    expectProblem(
      await confirm(buyer, { orderId: o.tossOrderId, paymentKey, amount: 100 }),
      400,
      'AMOUNT_MISMATCH',
    );
    expect((await getOrder(s, buyer, o.id)).status).toBe('PENDING_PAYMENT');
    expect((await toss('GET', `/payments/${paymentKey}`)).body.status).not.toBe('DONE');
  });

  it('a final decline → 402 PAYMENT_FAILED with providerCode and providerMessage; the order stays PENDING_PAYMENT and may be paid again', async () => {
    const { b: buyer, o } = await newOrder();
    const declined = await pay(s, buyer, o, { 'TossPayments-Test-Code': 'REJECT_CARD_COMPANY' });
    const p = expectProblem(declined.res, 402, 'PAYMENT_FAILED');
    expect(p).toMatchObject({ providerCode: 'REJECT_CARD_COMPANY', providerMessage: expect.any(String) });
    expect((await getOrder(s, buyer, o.id)).status).toBe('PENDING_PAYMENT');
    const second = await pay(s, buyer, o);
    expect(second.res.status).toBe(200);
    expect((await getOrder(s, buyer, o.id)).status).toBe('PAID');
  });

  it('retryable provider errors are retried under one key: one failure then success → 200, charged once', async () => {
    const { b: buyer, o } = await newOrder();
    const { res, paymentKey } = await pay(s, buyer, o, {
      'TossPayments-Test-Code': 'FAILED_INTERNAL_SYSTEM_PROCESSING',
      'Sandbox-Test-Code-Times': '1',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const provider = await toss('GET', `/payments/orders/${o.tossOrderId}`);
    expect(provider.body).toMatchObject({ paymentKey, status: 'DONE', totalAmount: o.amount });
  });

  it('an unclear outcome (charged, but answered with an error) is resolved by querying the provider: PAID, charged once', async () => {
    const { b: buyer, o } = await newOrder();
    const { res, paymentKey } = await pay(s, buyer, o, {
      'TossPayments-Test-Code': 'UNKNOWN_PAYMENT_ERROR',
      'Sandbox-Test-Code-Times': '1',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await getOrder(s, buyer, o.id)).status).toBe('PAID');
    const ledger = await api<{ payments: { paymentKey: string }[] }>(
      s.baseUrl,
      'GET',
      `/sandbox/toss/admin/ledger?orderId=${o.tossOrderId}`,
      { headers: { authorization: basic(SANDBOX_KEY) } },
    );
    expect(ledger.body.payments.map((p) => p.paymentKey)).toEqual([paymentKey]);
  });

  it('after the order expired → 409 ORDER_EXPIRED, nothing charged', async () => {
    const short = await s.extraApi({ HOLD_TTL_SECONDS: '10' });
    try {
      const seat = (await freeSeats(s, show, 1))[0]?.id;
      const h = await api<{ holdId: string }>(
        short.baseUrl,
        'POST',
        `/api/v1/schedules/${show.scheduleId}/holds`,
        {
          token: buyer.token,
          body: { seatIds: [seat] },
          headers: { 'x-admission-token': admission },
        },
      );
      const o = await api<OrderBody & { expiresAt: string }>(short.baseUrl, 'POST', '/api/v1/orders', {
        token: buyer.token,
        body: { holdId: h.body.holdId },
      });
      expect(o.status, JSON.stringify(o.body)).toBe(201);
      const { paymentKey } = await checkout(s, { orderId: o.body.tossOrderId, amount: o.body.amount });
      await sleep(Math.max(0, new Date(o.body.expiresAt).getTime() - Date.now()) + 500);
      const res = await confirm(buyer, { orderId: o.body.tossOrderId, paymentKey, amount: o.body.amount });
      expectProblem(res, 409, 'ORDER_EXPIRED');
      expect((await toss('GET', `/payments/${paymentKey}`)).body.status).not.toBe('DONE');
      await eventually(
        'the order shows EXPIRED',
        () => getOrder(s, buyer, o.body.id),
        (x) => x.status === 'EXPIRED',
      );
    } finally {
      await short.close();
    }
  });
});

describe('virtual accounts and webhooks', () => {
  async function waiting() {
    const { b: buyer, o } = await newOrder();
    const seat = (await getOrder(s, buyer, o.id)) as OrderBody & { lines: { seatId: number }[] };
    const { paymentKey } = await checkout(s, {
      orderId: o.tossOrderId,
      amount: o.amount,
      method: 'VIRTUAL_ACCOUNT',
    });
    const res = await confirm(buyer, { orderId: o.tossOrderId, paymentKey, amount: o.amount });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ orderId: o.tossOrderId, status: 'WAITING_FOR_DEPOSIT' });
    return { o, paymentKey, seat: seat.lines[0]?.seatId, res, buyer };
  }

  it('confirm may answer WAITING_FOR_DEPOSIT with a deadline; the seat stays held; the deposit webhook makes the order PAID', async () => {
    const { o, paymentKey, seat, res, buyer } = await waiting();
    const due = JSON.stringify(res.body).match(/"dueDate":"([^"]+)"/)?.[1];
    expect(new Date(due ?? '').getTime()).toBeGreaterThan(Date.now());
    expect((await seatMap(s, show.scheduleId)).seats.find((x) => x.id === seat)?.status).toBe('HELD');
    expect((await getOrder(s, buyer, o.id)).status).not.toBe('PAID');
    const deposit = await api(s.baseUrl, 'POST', `/sandbox/toss/virtual-accounts/${paymentKey}/deposit`);
    expect(deposit.status).toBe(200);
    await eventually(
      'the deposit pays the order',
      () => getOrder(s, buyer, o.id),
      (x) => x.status === 'PAID',
    );
  });

  it('a missed deposit deadline makes the order EXPIRED and the seat returns', async () => {
    const bad = await call(s, null, 'POST', '/sandbox/toss/checkout', {
      orderId: newOrderId(),
      amount: 1_000,
      method: 'VIRTUAL_ACCOUNT',
      validHours: 0.5,
    });
    expect(bad.status).toBe(400); // whole hours, as Toss; never a 500
    const settings = (method: string, body?: unknown) =>
      api(s.baseUrl, method, '/sandbox/toss/admin/settings', {
        ...(body === undefined ? {} : { body }),
        headers: { authorization: basic(SANDBOX_KEY) },
      });
    // a 10 s hold and a deposit window of about 14 s: the hold is stretched to the deadline, then lapses
    const short = await s.extraApi({ HOLD_TTL_SECONDS: '10' });
    expect((await settings('PUT', { virtualAccountValidHours: 0.004 })).status).toBe(200);
    try {
      const buyer = await signup(s, 'BUYER');
      const token = await admitted(s, show.scheduleId, buyer);
      const seat = (await freeSeats(s, show, 1))[0]?.id as number;
      const h = await api<{ holdId: string }>(
        short.baseUrl,
        'POST',
        `/api/v1/schedules/${show.scheduleId}/holds`,
        {
          token: buyer.token,
          body: { seatIds: [seat] },
          headers: { 'x-admission-token': token },
        },
      );
      const o = (
        await api<OrderBody>(short.baseUrl, 'POST', '/api/v1/orders', {
          token: buyer.token,
          body: { holdId: h.body.holdId },
        })
      ).body;
      const { paymentKey } = await checkout(s, {
        orderId: o.tossOrderId,
        amount: o.amount,
        method: 'VIRTUAL_ACCOUNT',
      });
      const res = await confirm(buyer, { orderId: o.tossOrderId, paymentKey, amount: o.amount });
      expect(res.body).toMatchObject({ status: 'WAITING_FOR_DEPOSIT' });
      const due = new Date(JSON.stringify(res.body).match(/"dueDate":"([^"]+)"/)?.[1] ?? '');
      await sleep(11_000);
      const kept = await getOrder(s, buyer, o.id);
      expect(['PENDING_PAYMENT', 'PAYMENT_PENDING'], 'the hold lasts until the deposit deadline').toContain(
        kept.status,
      );
      expect((await seatMap(s, show.scheduleId)).seats.find((x) => x.id === seat)?.status).toBe('HELD');
      await sleep(Math.max(0, due.getTime() - Date.now()));
      await eventually(
        'the order expires',
        () => getOrder(s, buyer, o.id),
        (x) => x.status === 'EXPIRED',
        30_000,
      );
      await eventually(
        'the seat returns',
        () => seatMap(s, show.scheduleId),
        (m) => m.seats.find((x) => x.id === seat)?.status === 'AVAILABLE',
      );
    } finally {
      await settings('DELETE');
      await short.close();
    }
  });

  // API.md: "the hold lasts until then … a missed deadline EXPIRED", also when the deadline comes before
  // the hold's own end (the order is not put back to PENDING_PAYMENT to lapse with the hold later).
  it('a deposit deadline shorter than the hold: the missed deadline makes the order EXPIRED', async () => {
    const settings = (method: string, body?: unknown) =>
      api(s.baseUrl, method, '/sandbox/toss/admin/settings', {
        ...(body === undefined ? {} : { body }),
        headers: { authorization: basic(SANDBOX_KEY) },
      });
    expect((await settings('PUT', { virtualAccountValidHours: 0.002 })).status).toBe(200); // about 7 s
    try {
      const { o, buyer, seat } = await waiting();
      expect((await seatMap(s, show.scheduleId)).seats.find((x) => x.id === seat)?.status).toBe('HELD');
      await eventually(
        'the order expires',
        () => getOrder(s, buyer, o.id),
        (x) => x.status === 'EXPIRED',
        30_000,
      );
      await eventually(
        'the seat returns',
        () => seatMap(s, show.scheduleId),
        (m) => m.seats.find((x) => x.id === seat)?.status === 'AVAILABLE',
      );
      const late = await confirm(buyer, { orderId: o.tossOrderId, paymentKey: 'any-key', amount: o.amount });
      expect(late.status).toBe(409);
    } finally {
      await settings('DELETE');
    }
  });

  it('POST /payments/webhooks/toss re-reads the payment from the provider before changing anything', async () => {
    const { o, paymentKey, buyer } = await waiting();
    const forged = await call(s, null, 'POST', '/api/v1/payments/webhooks/toss', {
      eventType: 'PAYMENT_STATUS_CHANGED',
      createdAt: new Date().toISOString(),
      data: { paymentKey, orderId: o.tossOrderId, status: 'DONE', totalAmount: o.amount },
    });
    expect(forged.status).toBeLessThan(300);
    await sleep(1000);
    expect((await getOrder(s, buyer, o.id)).status).not.toBe('PAID');
    const { b: other, o: unpaid } = await newOrder();
    const lie = await call(s, null, 'POST', '/api/v1/payments/webhooks/toss', {
      eventType: 'PAYMENT_STATUS_CHANGED',
      data: { paymentKey: 'never_charged_key', orderId: unpaid.tossOrderId, status: 'DONE' },
    });
    expect(lie.status).toBeLessThan(500);
    await sleep(500);
    expect((await getOrder(s, other, unpaid.id)).status).toBe('PENDING_PAYMENT');
  });
});
