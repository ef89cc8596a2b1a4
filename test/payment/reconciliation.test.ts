import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TossClient } from '../../src/modules/payment/toss-client/client.ts';
import { confirm, type PaymentTestApp, startPaymentApp } from './support/app.ts';
import { checkout, setFaults } from './support/sandbox.ts';

/** settlement's ReconciliationSource: what payment recorded equals what the provider reports. */
let t: PaymentTestApp;
beforeAll(async () => {
  t = await startPaymentApp({ PAYMENT_RETRY_BASE_MS: '20', PAYMENT_RETRY_CAP_MS: '1200' });
  await setFaults(t.sandboxUrl, t.secretKey, { webhookUrl: '' });
});
afterAll(async () => t.close());

const norm = (ms: { kind: string; ref: string; orderId: string; amount: number }[]) =>
  ms.map((m) => `${m.kind} ${m.ref} ${m.orderId} ${m.amount}`).sort();

describe('reconciliation source', () => {
  it('reports the same captures and refunds from our records and from the provider', async () => {
    const start = new Date(Date.now() - 2000);
    const orders = [];
    for (const prices of [[10000, 20000], [15000], [7000]]) {
      const buyer = await t.buyer();
      const order = await t.booking.createOrder({ userId: buyer.userId, prices, discount: 1000 });
      const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: order.amount });
      expect(
        (await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: order.amount }))
          .status,
      ).toBe(200);
      orders.push(order);
    }
    const port = t.booking.refundPort;
    await port?.refundOrder(orders[0]?.id as string, {
      seatIds: [orders[0]?.lines[0]?.seatId as number],
      reason: 'one seat',
      initiatedBy: 'BUYER',
    });
    await port?.refundOrder(orders[1]?.id as string, { reason: 'all', initiatedBy: 'SELLER' });
    // A charge returned because its seat was sold meanwhile is no sale: left out on both sides.
    const seat = orders[2]?.lines[0]?.seatId as number;
    const b = await t.buyer();
    const clash = await t.booking.createOrder({
      userId: b.userId,
      prices: [7000],
      seatIds: [seat],
      scheduleId: orders[2]?.scheduleId,
    });
    const pk = await checkout(t.sandboxUrl, { orderId: clash.tossOrderId, amount: 7000 });
    expect(
      (await confirm(t, b.token, { orderId: clash.tossOrderId, paymentKey: pk, amount: 7000 })).status,
    ).toBe(409);

    const end = new Date(Date.now() + 2000);
    const source = t.payment.reconciliationSource;
    // The run's database is shared with other test files: keep this test's orders.
    const mine = new Set([...orders.map((o) => o.id), clash.id]);
    const recorded = (await source.recordedMovements(start, end)).filter((m) => mine.has(m.orderId));
    const provider = await source.providerMovements(start, end);
    expect(recorded.filter((m) => m.kind === 'CAPTURE')).toHaveLength(3);
    expect(recorded.filter((m) => m.kind === 'REFUND')).toHaveLength(2);
    expect(norm(provider)).toEqual(norm(recorded));
    expect(recorded.find((m) => m.orderId === clash.id)).toBeUndefined();

    // The transactions API itself, Toss-shaped, only this merchant's.
    const toss = new TossClient({ baseUrl: t.sandboxUrl, secretKey: t.secretKey, timeoutMs: 5000 });
    const txs = await toss.transactions(start, end);
    expect(txs.length).toBe(3 + 2 + 2); // 3 approvals + 2 refunds + the voided charge and its return
    expect(txs[0]).toMatchObject({ transactionKey: expect.any(String), status: 'DONE', currency: 'KRW' });
    const other = new TossClient({
      baseUrl: t.sandboxUrl,
      secretKey: 'test_sk_someone_else',
      timeoutMs: 5000,
    });
    expect(await other.transactions(start, end)).toEqual([]);
    await toss.close();
    await other.close();
  });
});
