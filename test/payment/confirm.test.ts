import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/harness.ts';
import {
  attempts,
  confirm,
  outboxEvents,
  type PaymentTestApp,
  paymentRows,
  providerLedger,
  sandboxPayment,
  startPaymentApp,
} from './support/app.ts';
import { checkout, setFaults, waitFor } from './support/sandbox.ts';

let t: PaymentTestApp;
beforeAll(async () => {
  t = await startPaymentApp({
    PAYMENT_RETRY_BASE_MS: '20',
    PAYMENT_RETRY_CAP_MS: '200',
    TOSS_TIMEOUT_MS: '3000',
  });
  await setFaults(t.sandboxUrl, t.secretKey, { webhookUrl: '' });
});
afterAll(async () => t.close());

async function newOrder(prices = [10000, 20000], discount = 0) {
  const buyer = await t.buyer();
  const order = await t.booking.createOrder({ userId: buyer.userId, prices, discount });
  return { buyer, order };
}

describe('POST /api/v1/payments/confirm', () => {
  it('confirms: 200 PAID, the order PAID, one charge, one payment.approved with the contract payload', async () => {
    const { buyer, order } = await newOrder([10000, 20000], 3000);
    const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: order.amount });
    const res = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 27000 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ orderId: order.tossOrderId, status: 'PAID', approvedAt: expect.any(String) });
    expect((await t.booking.findOrder(order.id))?.status).toBe('PAID');

    const ledger = await providerLedger(t, order.tossOrderId);
    expect(ledger).toEqual([
      expect.objectContaining({ paymentKey, status: 'DONE', totalAmount: 27000, balanceAmount: 27000 }),
    ]);
    const events = await outboxEvents(t, order.id, 'payment.approved');
    expect(events).toHaveLength(1);
    expect(events[0]?.topic).toBe('payment.events');
    expect(events[0]?.payload).toEqual({
      orderId: order.id,
      tossOrderId: order.tossOrderId,
      paymentKey,
      sellerId: order.sellerId,
      performanceId: order.performanceId,
      scheduleId: order.scheduleId,
      buyerId: buyer.userId,
      approvedAt: res.body.approvedAt,
      grossAmount: 30000,
      discountAmount: 3000,
      discountFundedBy: 'SELLER',
      amount: 27000,
      method: 'CARD',
    });
    expect(await attempts(t, order.id)).toEqual([{ kind: 'CONFIRM', outcome: 'SUCCESS', code: null }]);

    // A repeat confirm of the paid order answers the same body, charging nothing more.
    const again = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 27000 });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expect(await providerLedger(t, order.tossOrderId)).toHaveLength(1);
    expect(await outboxEvents(t, order.id, 'payment.approved')).toHaveLength(1);
  });

  it('refuses a tampered amount with 400 AMOUNT_MISMATCH and charges nothing', async () => {
    const { buyer, order } = await newOrder([50000]);
    const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: 100 });
    const res = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 100 });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('AMOUNT_MISMATCH');
    expect((await t.booking.findOrder(order.id))?.status).toBe('PENDING_PAYMENT');
    expect((await sandboxPayment(t, paymentKey)).body.status).toBe('IN_PROGRESS');
    // Authorised for 100 but confirmed for the right amount: the provider refuses, still nothing charged.
    const honest = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 50000 });
    expect(honest.status).toBe(402);
    expect(honest.body.code).toBe('PAYMENT_FAILED');
    expect(await providerLedger(t, order.tossOrderId)).toHaveLength(0);
    expect((await t.booking.findOrder(order.id))?.status).toBe('PENDING_PAYMENT');
    expect((await attempts(t, order.id))[0]).toEqual({
      kind: 'REJECTED',
      outcome: 'REJECTED',
      code: 'AMOUNT_MISMATCH',
    });
  });

  it('checks token, owner and order: 401, 403, 404, 400 on bad input', async () => {
    const { order } = await newOrder([1000]);
    const stranger = await t.buyer();
    const body = { orderId: order.tossOrderId, paymentKey: 'pk', amount: 1000 };
    expect((await api(t.baseUrl, 'POST', '/api/v1/payments/confirm', { body })).status).toBe(401);
    const other = await confirm(t, stranger.token, body);
    expect([other.status, other.body.code]).toEqual([403, 'FORBIDDEN']);
    const missing = await confirm(t, stranger.token, { ...body, orderId: 'no-such-order' });
    expect([missing.status, missing.body.code]).toEqual([404, 'ORDER_NOT_FOUND']);
    for (const bad of [
      { ...body, amount: -1 },
      { ...body, orderId: 'x' },
      { orderId: order.tossOrderId },
      { ...body, amount: 1.5 },
    ]) {
      const res = await confirm(t, stranger.token, bad as typeof body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('refuses an expired order with 409 ORDER_EXPIRED, nothing charged', async () => {
    const buyer = await t.buyer();
    const order = await t.booking.createOrder({ userId: buyer.userId, prices: [3000], expiresInMs: -1000 });
    const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: 3000 });
    const res = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 3000 });
    expect([res.status, res.body.code]).toEqual([409, 'ORDER_EXPIRED']);
    expect(await providerLedger(t, order.tossOrderId)).toHaveLength(0);
  });

  it('answers a decline with 402 PAYMENT_FAILED + provider code; the order stays payable with another card', async () => {
    const { buyer, order } = await newOrder([8000]);
    const declined = await checkout(
      t.sandboxUrl,
      { orderId: order.tossOrderId, amount: 8000 },
      { 'TossPayments-Test-Code': 'REJECT_CARD_PAYMENT' },
    );
    const res = await confirm(t, buyer.token, {
      orderId: order.tossOrderId,
      paymentKey: declined,
      amount: 8000,
    });
    expect(res.status).toBe(402);
    expect(res.body).toMatchObject({
      code: 'PAYMENT_FAILED',
      providerCode: 'REJECT_CARD_PAYMENT',
      providerMessage: expect.any(String),
    });
    expect((await t.booking.findOrder(order.id))?.status).toBe('PENDING_PAYMENT');
    expect(await outboxEvents(t, order.id, 'payment.failed')).toHaveLength(1);
    expect((await attempts(t, order.id)).map((a) => a.outcome)).toEqual(['FINAL']);

    const card2 = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: 8000 });
    const ok = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey: card2, amount: 8000 });
    expect(ok.status).toBe(200);
    expect((await paymentRows(t, order.id)).map((p) => p.status)).toEqual(['FAILED', 'DONE']);
  });

  it('retries retryable errors under one idempotency key and succeeds', async () => {
    const { buyer, order } = await newOrder([5000]);
    const paymentKey = await checkout(
      t.sandboxUrl,
      { orderId: order.tossOrderId, amount: 5000 },
      { 'TossPayments-Test-Code': 'PROVIDER_ERROR', 'Sandbox-Test-Code-Times': '2' },
    );
    const res = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 5000 });
    expect(res.status).toBe(200);
    expect((await attempts(t, order.id)).map((a) => `${a.kind}:${a.outcome}`)).toEqual([
      'CONFIRM:RETRYABLE',
      'CONFIRM:RETRYABLE',
      'CONFIRM:SUCCESS',
    ]);
    const keys = await t.rt.db
      .selectFrom('payment_attempts' as never)
      .select('idempotency_key' as never)
      .where('order_id' as never, '=', order.id as never)
      .execute();
    expect(new Set(keys.map((k) => (k as { idempotency_key: string }).idempotency_key)).size).toBe(1);
  });

  it('queries the payment after an unclear outcome instead of confirming blindly', async () => {
    const { buyer, order } = await newOrder([6000]);
    const paymentKey = await checkout(
      t.sandboxUrl,
      { orderId: order.tossOrderId, amount: 6000 },
      { 'TossPayments-Test-Code': 'UNKNOWN_PAYMENT_ERROR', 'Sandbox-Test-Code-Times': '1' },
    );
    const res = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 6000 });
    expect(res.status).toBe(200);
    expect((await attempts(t, order.id)).map((a) => `${a.kind}:${a.outcome}`)).toEqual([
      'CONFIRM:UNCLEAR',
      'QUERY:SUCCESS',
    ]);
    expect(await providerLedger(t, order.tossOrderId)).toHaveLength(1);
  });

  it('a process killed between the provider success and our commit: recovery makes the order PAID', async () => {
    const { buyer, order } = await newOrder([12000]);
    const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: 12000 });
    t.payment.testHooks.afterProviderSuccess = () => {
      throw new Error('simulated crash after the provider charged');
    };
    try {
      const res = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 12000 });
      expect(res.status).toBe(500);
    } finally {
      t.payment.testHooks.afterProviderSuccess = null;
    }
    expect((await t.booking.findOrder(order.id))?.status).toBe('PAYMENT_PENDING');
    expect((await sandboxPayment(t, paymentKey)).body.status).toBe('DONE');
    // While the dead request's lease runs, another confirm does not barge in.
    const busy = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 12000 });
    expect([busy.status, busy.body.code]).toEqual([409, 'PAYMENT_IN_PROGRESS']);

    const recovered = await t.payment.recoverOnce({
      asOf: new Date(Date.now() + 3600_000),
      orderIds: [order.id],
    });
    expect(recovered.payments).toBeGreaterThanOrEqual(1);
    expect((await t.booking.findOrder(order.id))?.status).toBe('PAID');
    expect(await outboxEvents(t, order.id, 'payment.approved')).toHaveLength(1);
    expect(await providerLedger(t, order.tossOrderId)).toHaveLength(1);
    const again = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 12000 });
    expect(again.status).toBe(200);
  });

  it('refunds automatically when the seat was sold meanwhile (SEAT_ALREADY_SOLD)', async () => {
    const a = await t.buyer();
    const b = await t.buyer();
    const seat = 900_000_000 + Math.floor(Math.random() * 1e8);
    const common = { prices: [7000], seatIds: [seat], scheduleId: crypto.randomUUID() };
    const first = await t.booking.createOrder({ userId: a.userId, ...common });
    const second = await t.booking.createOrder({ userId: b.userId, ...common });
    const pk1 = await checkout(t.sandboxUrl, { orderId: first.tossOrderId, amount: 7000 });
    expect(
      (await confirm(t, a.token, { orderId: first.tossOrderId, paymentKey: pk1, amount: 7000 })).status,
    ).toBe(200);
    const pk2 = await checkout(t.sandboxUrl, { orderId: second.tossOrderId, amount: 7000 });
    const res = await confirm(t, b.token, { orderId: second.tossOrderId, paymentKey: pk2, amount: 7000 });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'SEAT_ALREADY_SOLD', refunded: true });
    expect(await providerLedger(t, second.tossOrderId)).toEqual([
      expect.objectContaining({ status: 'CANCELED', totalAmount: 7000, balanceAmount: 0 }),
    ]);
    expect((await t.booking.findOrder(second.id))?.status).toBe('CANCELLED');
    expect((await paymentRows(t, second.id)).map((p) => p.status)).toEqual(['VOIDED']);
    expect(await outboxEvents(t, second.id, 'payment.approved')).toHaveLength(0);
  });

  it('lets exactly one of many concurrent confirms charge', async () => {
    const { buyer, order } = await newOrder([4000]);
    const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: 4000 });
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 4000 }),
      ),
    );
    for (const r of results) expect([200, 409]).toContain(r.status);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await t.booking.findOrder(order.id))?.status === 'PAID');
    expect(await providerLedger(t, order.tossOrderId)).toHaveLength(1);
    expect(await outboxEvents(t, order.id, 'payment.approved')).toHaveLength(1);
  });

  it('replays its own Idempotency-Key', async () => {
    const { buyer, order } = await newOrder([2500]);
    const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: 2500 });
    const body = { orderId: order.tossOrderId, paymentKey, amount: 2500 };
    const first = await confirm(t, buyer.token, body, { 'idempotency-key': `k-${order.id}` });
    const second = await confirm(t, buyer.token, body, { 'idempotency-key': `k-${order.id}` });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('shows the attempt history to the buyer', async () => {
    const { buyer, order } = await newOrder([2500]);
    const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: 2500 });
    await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 2500 });
    const res = await api(t.baseUrl, 'GET', `/api/v1/payments/orders/${order.id}/attempts`, {
      token: buyer.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.attempts).toEqual([
      expect.objectContaining({ kind: 'CONFIRM', outcome: 'SUCCESS', attempt: 1 }),
    ]);
    const stranger = await t.buyer();
    expect(
      (await api(t.baseUrl, 'GET', `/api/v1/payments/orders/${order.id}/attempts`, { token: stranger.token }))
        .status,
    ).toBe(403);
  });
});

describe('virtual accounts and the Toss webhook', () => {
  it('waits for the deposit; the deposit webhook makes the order PAID, a missed deadline expires it', async () => {
    await setFaults(t.sandboxUrl, t.secretKey, { webhookUrl: 'auto' });
    try {
      const { buyer, order } = await newOrder([15000]);
      const paymentKey = await checkout(t.sandboxUrl, {
        orderId: order.tossOrderId,
        amount: 15000,
        method: 'VIRTUAL_ACCOUNT',
        validHours: 1,
      });
      const res = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: 15000 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        orderId: order.tossOrderId,
        status: 'WAITING_FOR_DEPOSIT',
        approvedAt: null,
        dueDate: expect.any(String),
        virtualAccount: { accountNumber: expect.any(String) },
      });
      expect((await t.booking.findOrder(order.id))?.status).toBe('PAYMENT_PENDING');
      expect(
        (await api(t.baseUrl, 'POST', `/sandbox/toss/virtual-accounts/${paymentKey}/deposit`)).status,
      ).toBe(200);
      await waitFor(async () => (await t.booking.findOrder(order.id))?.status === 'PAID');
      expect(await outboxEvents(t, order.id, 'payment.approved')).toEqual([
        expect.objectContaining({
          payload: expect.objectContaining({ method: 'VIRTUAL_ACCOUNT', amount: 15000 }),
        }),
      ]);

      const late = await newOrder([9000]);
      const pk2 = await checkout(t.sandboxUrl, {
        orderId: late.order.tossOrderId,
        amount: 9000,
        method: 'VIRTUAL_ACCOUNT',
      });
      expect(
        (
          await confirm(t, late.buyer.token, {
            orderId: late.order.tossOrderId,
            paymentKey: pk2,
            amount: 9000,
          })
        ).status,
      ).toBe(200);
      await t.booking.setExpiry(late.order.id, new Date(Date.now() - 1000));
      const exp = await fetch(`${t.sandboxUrl}/virtual-accounts/${pk2}/expire`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${t.secretKey}:`).toString('base64')}` },
      });
      expect(exp.status).toBe(200);
      await waitFor(async () => (await paymentRows(t, late.order.id))[0]?.status === 'EXPIRED');
      await t.booking.expireLapsed([late.order.id]);
      expect((await t.booking.findOrder(late.order.id))?.status).toBe('EXPIRED');
      expect(await outboxEvents(t, late.order.id, 'payment.approved')).toHaveLength(0);
    } finally {
      await setFaults(t.sandboxUrl, t.secretKey, { webhookUrl: '' });
    }
  });

  it('re-reads the payment instead of trusting the body; unknown payments are acknowledged', async () => {
    const { buyer, order } = await newOrder([3000]);
    const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: 3000 });
    // A forged "DONE" for a payment never confirmed changes nothing.
    await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey: 'nope-nope', amount: 3000 });
    const forged = await api(t.baseUrl, 'POST', '/api/v1/payments/webhooks/toss', {
      body: {
        eventType: 'PAYMENT_STATUS_CHANGED',
        data: { paymentKey, orderId: order.tossOrderId, status: 'DONE' },
      },
    });
    expect(forged.status).toBe(200);
    expect(forged.body).toEqual({ received: true, handled: false });
    expect((await t.booking.findOrder(order.id))?.status).toBe('PENDING_PAYMENT');
    const empty = await api(t.baseUrl, 'POST', '/api/v1/payments/webhooks/toss', {
      body: { eventType: 'X' },
    });
    expect(empty.status).toBe(400);
  });
});

describe('bad input never answers 500', () => {
  it('answers 4xx to arbitrary JSON on every payment and sandbox write', async () => {
    const { default: fc } = await import('fast-check');
    const buyer = await t.buyer();
    const auth = `Basic ${Buffer.from(`${t.secretKey}:`).toString('base64')}`;
    const targets: [string, Record<string, string>][] = [
      ['/api/v1/payments/confirm', { authorization: `Bearer ${buyer.token}` }],
      ['/api/v1/payments/webhooks/toss', {}],
      ['/sandbox/toss/checkout', {}],
      ['/sandbox/toss/v1/payments/confirm', { authorization: auth }],
      ['/sandbox/toss/v1/payments/some-key/cancel', { authorization: auth }],
    ];
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.constantFrom(...targets), async (body, [path, headers]) => {
        const res = await fetch(`${t.baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        return res.status < 500;
      }),
      { numRuns: 150 },
    );
  });
});
