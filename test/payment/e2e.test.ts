import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { TOPICS } from '../../src/platform/kafka.ts';
import {
  accounts,
  admit,
  type BookingTestApp,
  createSale,
  hold,
  type OrderBody,
  order as placeOrder,
  type Sale,
  startBookingApp,
} from '../booking/support.ts';
import { api } from '../support/harness.ts';
import { basic, checkout, setFaults } from './support/sandbox.ts';

/**
 * The whole path on the real modules (catalog, queue, booking, coupon, payment): hold → order →
 * sandbox checkout → confirm → PAID; refunds through POST /orders/{id}/cancel; performance cancelled.
 */
let t: BookingTestApp;
let sandboxUrl: string;
const secretKey = `test_sk_e2e_${Date.now().toString(36)}`;

beforeAll(async () => {
  t = await startBookingApp({
    TOSS_SECRET_KEY: secretKey,
    PAYMENT_RETRY_BASE_MS: '20',
    PAYMENT_RETRY_CAP_MS: '200',
  });
  sandboxUrl = `${t.baseUrl}/sandbox/toss`;
  await setFaults(sandboxUrl, secretKey, { webhookUrl: '' });
});
afterAll(async () => t.close());

async function orderFor(sale: Sale, buyer: BulkAccount, admission: string | undefined, seatIds: number[]) {
  const h = await hold(t, buyer, sale.scheduleId, admission, { seatIds });
  expect(h.status, JSON.stringify(h.body)).toBe(201);
  const o = await placeOrder(t, buyer, { holdId: h.body.holdId });
  expect(o.status, JSON.stringify(o.body)).toBe(201);
  return o.body;
}

const getOrder = async (buyer: BulkAccount, id: string) =>
  (await api<OrderBody>(t.baseUrl, 'GET', `/api/v1/orders/${id}`, { token: buyer.accessToken })).body;

async function pay(buyer: BulkAccount, o: OrderBody, headers: Record<string, string> = {}) {
  const paymentKey = await checkout(sandboxUrl, { orderId: o.tossOrderId, amount: o.amount }, headers);
  const res = await api(t.baseUrl, 'POST', '/api/v1/payments/confirm', {
    token: buyer.accessToken,
    body: { orderId: o.tossOrderId, paymentKey, amount: o.amount },
  });
  return { res, paymentKey };
}

async function outbox(key: string, type: string) {
  const { rows } = await sql<{ payload: Record<string, unknown> }>`
    select payload from outbox where key = ${key} and type = ${type} order by id`.execute(t.rt.db);
  return rows.map((r) => r.payload);
}

describe('payments end to end', () => {
  let sale: Sale;
  let buyers: BulkAccount[];
  let admissions: Map<string, string>;

  beforeAll(async () => {
    sale = await createSale(t, { rows: 2, perRow: 5 });
    buyers = await accounts(t, 4);
    admissions = await admit(t, sale.scheduleId, buyers);
  });

  it('pays an order, then refunds one seat and then the rest through POST /orders/{id}/cancel', async () => {
    const buyer = buyers[0] as BulkAccount;
    const seats = sale.seats
      .filter((s) => s.status === 'AVAILABLE')
      .slice(0, 2)
      .map((s) => s.id);
    const o = await orderFor(sale, buyer, admissions.get(buyer.id), seats);
    const { res, paymentKey } = await pay(buyer, o);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ orderId: o.tossOrderId, status: 'PAID', approvedAt: expect.any(String) });
    expect((await getOrder(buyer, o.id)).status).toBe('PAID');
    expect(await outbox(o.id, 'payment.approved')).toEqual([
      expect.objectContaining({
        orderId: o.id,
        amount: o.amount,
        grossAmount: o.subtotal,
        sellerId: sale.seller.id,
      }),
    ]);

    const one = await api<OrderBody>(t.baseUrl, 'POST', `/api/v1/orders/${o.id}/cancel`, {
      token: buyer.accessToken,
      body: { seatIds: [seats[0]], reason: 'one of us cannot come' },
    });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body.status).toBe('PARTIALLY_REFUNDED');
    await new Promise((r) => setTimeout(r, 1100)); // Toss: one cancel per payment per second
    const rest = await api<OrderBody>(t.baseUrl, 'POST', `/api/v1/orders/${o.id}/cancel`, {
      token: buyer.accessToken,
      body: {},
    });
    expect(rest.status, JSON.stringify(rest.body)).toBe(200);
    expect(rest.body.status).toBe('REFUNDED');
    const refunds = await outbox(o.id, 'payment.refunded');
    expect(refunds.map((r) => r.full)).toEqual([false, true]);
    expect(refunds.reduce((s, r) => s + (r.refundAmount as number), 0)).toBe(o.amount);
    const provider = await fetch(`${sandboxUrl}/v1/payments/${paymentKey}`, {
      headers: { authorization: basic(secretKey) },
    });
    expect(await provider.json()).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
  });

  it('refuses a tampered amount (400, nothing charged) and lets a declined buyer pay with another card', async () => {
    const buyer = buyers[1] as BulkAccount;
    const seats = sale.seats
      .filter((s) => s.status === 'AVAILABLE')
      .slice(2, 3)
      .map((s) => s.id);
    const o = await orderFor(sale, buyer, admissions.get(buyer.id), seats);
    const paymentKey = await checkout(sandboxUrl, { orderId: o.tossOrderId, amount: 100 });
    const tampered = await api(t.baseUrl, 'POST', '/api/v1/payments/confirm', {
      token: buyer.accessToken,
      body: { orderId: o.tossOrderId, paymentKey, amount: 100 },
    });
    expect([tampered.status, tampered.body.code]).toEqual([400, 'AMOUNT_MISMATCH']);
    expect((await getOrder(buyer, o.id)).status).toBe('PENDING_PAYMENT');

    const declined = await pay(buyer, o, { 'TossPayments-Test-Code': 'REJECT_CARD_COMPANY' });
    expect(declined.res.status).toBe(402);
    expect(declined.res.body).toMatchObject({ code: 'PAYMENT_FAILED', providerCode: 'REJECT_CARD_COMPANY' });
    expect((await getOrder(buyer, o.id)).status).toBe('PENDING_PAYMENT');
    const ok = await pay(buyer, o);
    expect(ok.res.status).toBe(200);
    expect((await getOrder(buyer, o.id)).status).toBe('PAID');
  });

  it('recovers a payment whose process died between the provider and the commit', async () => {
    const buyer = buyers[2] as BulkAccount;
    const seats = sale.seats
      .filter((s) => s.status === 'AVAILABLE')
      .slice(3, 4)
      .map((s) => s.id);
    const o = await orderFor(sale, buyer, admissions.get(buyer.id), seats);
    t.modules.payment.testHooks.afterProviderSuccess = () => {
      throw new Error('killed');
    };
    try {
      expect((await pay(buyer, o)).res.status).toBe(500);
    } finally {
      t.modules.payment.testHooks.afterProviderSuccess = null;
    }
    expect((await getOrder(buyer, o.id)).status).toBe('PAYMENT_PENDING');
    await t.modules.payment.recoverOnce({ asOf: new Date(Date.now() + 3600_000), orderIds: [o.id] });
    expect((await getOrder(buyer, o.id)).status).toBe('PAID');
    expect(await outbox(o.id, 'payment.approved')).toHaveLength(1);
  });

  it('refunds every paid order in full when the performance is cancelled', async () => {
    const other = await createSale(t, { rows: 1, perRow: 5 });
    const people = await accounts(t, 2);
    const adm = await admit(t, other.scheduleId, people);
    const paid: { buyer: BulkAccount; o: OrderBody }[] = [];
    for (const [i, buyer] of people.entries()) {
      const o = await orderFor(other, buyer, adm.get(buyer.id), [other.seats[i]?.id as number]);
      expect((await pay(buyer, o)).res.status).toBe(200);
      paid.push({ buyer, o });
    }
    const cancel = await api(t.baseUrl, 'POST', `/api/v1/performances/${other.performanceId}/cancel`, {
      token: other.seller.accessToken,
      body: { reason: 'the artist is ill' },
    });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);
    // What the relay + worker would deliver: catalog's event to payment's consumer.
    const { rows } = await sql<{ event_id: string; payload: Record<string, unknown>; created_at: Date }>`
      select event_id, payload, created_at from outbox
      where key = ${other.performanceId} and type = 'performance.cancelled'`.execute(t.rt.db);
    expect(rows).toHaveLength(1);
    const consumer = t.modules.payment.consumers().find((c) => c.topics.includes(TOPICS.catalog));
    await t.rt.db.transaction().execute((trx) =>
      (consumer as NonNullable<typeof consumer>).handle(
        {
          eventId: rows[0]?.event_id as string,
          type: 'performance.cancelled',
          key: other.performanceId,
          occurredAt: new Date().toISOString(),
          payload: rows[0]?.payload,
        },
        trx,
      ),
    );
    await t.modules.payment.runBulkRefunds();
    for (const { buyer, o } of paid) {
      expect((await getOrder(buyer, o.id)).status).toBe('REFUNDED');
      expect(await outbox(o.id, 'payment.refunded')).toEqual([
        expect.objectContaining({ refundAmount: o.amount, cancellationFee: 0, full: true }),
      ]);
    }
  });
});
