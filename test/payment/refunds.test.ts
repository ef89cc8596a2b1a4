import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefundPort } from '../../src/modules/payment/index.ts';
import { TOPICS } from '../../src/platform/kafka.ts';
import {
  confirm,
  outboxEvents,
  type PaymentTestApp,
  paymentRows,
  providerLedger,
  sandboxPayment,
  startPaymentApp,
} from './support/app.ts';
import { checkout, setFaults } from './support/sandbox.ts';

let t: PaymentTestApp;
let port: RefundPort;
beforeAll(async () => {
  t = await startPaymentApp({
    PAYMENT_RETRY_BASE_MS: '20',
    PAYMENT_RETRY_CAP_MS: '1200',
    TOSS_TIMEOUT_MS: '1500',
  });
  await setFaults(t.sandboxUrl, t.secretKey, { webhookUrl: '' });
  port = t.booking.refundPort as RefundPort;
});
afterAll(async () => t.close());

async function paidOrder(
  prices: number[],
  discount = 0,
  extra: { scheduleId?: string; performanceId?: string } = {},
) {
  const buyer = await t.buyer();
  const order = await t.booking.createOrder({ userId: buyer.userId, prices, discount, ...extra });
  const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: order.amount });
  const res = await confirm(t, buyer.token, { orderId: order.tossOrderId, paymentKey, amount: order.amount });
  expect(res.status).toBe(200);
  return { buyer, order, paymentKey };
}

const errorOf = async (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as { code: string; extra: Record<string, unknown> },
  );
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('refunds (booking RefundPort)', () => {
  it('refunds a whole order through the provider: REFUNDED, balance 0, one payment.refunded', async () => {
    const { order, paymentKey } = await paidOrder([10000, 20000], 3000);
    await port.refundOrder(order.id, { reason: 'changed my mind', initiatedBy: 'BUYER' });
    expect((await t.booking.findOrder(order.id))?.status).toBe('REFUNDED');
    const p = (await sandboxPayment(t, paymentKey)).body;
    expect(p).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
    const events = await outboxEvents(t, order.id, 'payment.refunded');
    expect(events).toHaveLength(1);
    expect(events[0]?.topic).toBe(TOPICS.payment);
    expect(events[0]?.payload).toEqual({
      orderId: order.id,
      paymentKey,
      refundId: (p.cancels as { transactionKey: string }[])[0]?.transactionKey,
      sellerId: order.sellerId,
      performanceId: order.performanceId,
      refundedAt: expect.any(String),
      refundFaceValue: 30000,
      refundDiscount: 3000,
      refundAmount: 27000,
      cancellationFee: 0,
      full: true,
    });
    expect((await paymentRows(t, order.id))[0]).toMatchObject({ status: 'CANCELED', balance_amount: 0 });
    const again = await errorOf(port.refundOrder(order.id, { reason: 'twice', initiatedBy: 'BUYER' }));
    expect(again?.code).toBe('NOTHING_TO_REFUND');
  });

  it('refunds some seats pro rata (discount spread over seats), then the rest, returning exactly the charge', async () => {
    const { order, paymentKey } = await paidOrder([10000, 20000, 30000], 5000);
    const seats = order.lines.map((l) => l.seatId as number);
    await port.refundOrder(order.id, {
      seatIds: [seats[1] as number],
      reason: 'one seat',
      initiatedBy: 'BUYER',
    });
    expect((await t.booking.findOrder(order.id))?.status).toBe('PARTIALLY_REFUNDED');
    expect((await sandboxPayment(t, paymentKey)).body).toMatchObject({
      status: 'PARTIAL_CANCELED',
      balanceAmount: 55000 - 18333,
    });
    await pause(1100); // Toss refuses two cancels of one payment within a second
    await port.refundOrder(order.id, { reason: 'the rest', initiatedBy: 'BUYER' });
    expect((await t.booking.findOrder(order.id))?.status).toBe('REFUNDED');
    const events = (await outboxEvents(t, order.id, 'payment.refunded')).map((e) => e.payload);
    expect(events.map((e) => [e.refundFaceValue, e.refundDiscount, e.refundAmount, e.full])).toEqual([
      [20000, 1667, 18333, false],
      [40000, 3333, 36667, true],
    ]);
    expect((await sandboxPayment(t, paymentKey)).body).toMatchObject({
      status: 'CANCELED',
      balanceAmount: 0,
    });
  });

  it('applies the cancellation policy to buyers: fee kept from the refund, closed after the deadline', async () => {
    const scheduleId = randomUUID();
    t.policies.set(scheduleId, {
      startsAt: new Date(Date.now() + 2.5 * 86_400_000),
      cancellationPolicy: {
        deadlineHoursBeforeStart: 24,
        fees: [
          { daysBeforeStart: 7, percent: 10 },
          { daysBeforeStart: 3, percent: 20 },
        ],
      },
    });
    const { order, paymentKey } = await paidOrder([50000], 0, { scheduleId });
    await port.refundOrder(order.id, { reason: 'buyer', initiatedBy: 'BUYER' });
    const ev = (await outboxEvents(t, order.id, 'payment.refunded'))[0]?.payload;
    expect(ev).toMatchObject({
      refundFaceValue: 50000,
      refundAmount: 40000,
      cancellationFee: 10000,
      full: true,
    });
    expect((await sandboxPayment(t, paymentKey)).body).toMatchObject({ balanceAmount: 10000 });
    expect((await t.booking.findOrder(order.id))?.status).toBe('REFUNDED');

    const closedSchedule = randomUUID();
    t.policies.set(closedSchedule, {
      startsAt: new Date(Date.now() + 3600_000),
      cancellationPolicy: { deadlineHoursBeforeStart: 24, fees: [] },
    });
    const late = await paidOrder([20000], 0, { scheduleId: closedSchedule });
    const closed = await errorOf(
      port.refundOrder(late.order.id, { reason: 'too late', initiatedBy: 'BUYER' }),
    );
    expect(closed?.code).toBe('CANCELLATION_CLOSED');
    expect((await t.booking.findOrder(late.order.id))?.status).toBe('PAID');
    // The seller (or an admin) may still refund, in full and without a fee.
    await port.refundOrder(late.order.id, { reason: 'seller goodwill', initiatedBy: 'SELLER' });
    expect((await outboxEvents(t, late.order.id, 'payment.refunded'))[0]?.payload).toMatchObject({
      refundAmount: 20000,
      cancellationFee: 0,
    });
  });

  it('serialises concurrent refunds of one order: the money goes back once', async () => {
    const { order, paymentKey } = await paidOrder([10000, 10000]);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        errorOf(port.refundOrder(order.id, { reason: 'race', initiatedBy: 'BUYER' })),
      ),
    );
    expect(results.filter((r) => r === null)).toHaveLength(1);
    for (const r of results)
      if (r !== null) expect(['REFUND_IN_PROGRESS', 'NOTHING_TO_REFUND']).toContain(r.code);
    const p = (await sandboxPayment(t, paymentKey)).body;
    expect(p.cancels).toHaveLength(1);
    expect(await outboxEvents(t, order.id, 'payment.refunded')).toHaveLength(1);
  });

  it('finishes a refund whose provider answer was lost, exactly once (recovery)', async () => {
    const { order, paymentKey } = await paidOrder([30000]);
    // Every cancel answer is lost (half of them after the cancel happened) and every query fails.
    await setFaults(t.sandboxUrl, t.secretKey, {
      timeoutMs: 3000,
      cancel: { timeoutRate: 1 },
      query: { failureRate: 1 },
    });
    let err: { code: string } | null;
    try {
      err = await errorOf(port.refundOrder(order.id, { reason: 'lost answers', initiatedBy: 'BUYER' }));
    } finally {
      await setFaults(t.sandboxUrl, t.secretKey, { cancel: { timeoutRate: 0 }, query: { failureRate: 0 } });
    }
    expect(err?.code).toBe('REFUND_PENDING');
    expect((await t.booking.findOrder(order.id))?.status).toBe('PAID');
    await pause(1100);
    const { refunds } = await t.payment.recoverOnce({
      asOf: new Date(Date.now() + 3600_000),
      orderIds: [order.id],
    });
    expect(refunds).toBeGreaterThanOrEqual(1);
    expect((await t.booking.findOrder(order.id))?.status).toBe('REFUNDED');
    const p = (await sandboxPayment(t, paymentKey)).body;
    expect(p).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
    expect(p.cancels).toHaveLength(1);
    expect(await outboxEvents(t, order.id, 'payment.refunded')).toHaveLength(1);
  });
});

describe('performance cancelled', () => {
  it('refunds every paid order in full, resumably, without fees', async () => {
    const performanceId = randomUUID();
    const scheduleId = randomUUID();
    t.policies.set(scheduleId, {
      startsAt: new Date(Date.now() + 3600_000),
      cancellationPolicy: { deadlineHoursBeforeStart: 48, fees: [{ daysBeforeStart: 10, percent: 50 }] },
    });
    const paid = [];
    for (let i = 0; i < 4; i++)
      paid.push(await paidOrder([10000 + i * 1000], 500, { performanceId, scheduleId }));
    const unpaidBuyer = await t.buyer();
    const unpaid = await t.booking.createOrder({
      userId: unpaidBuyer.userId,
      prices: [9000],
      performanceId,
      scheduleId,
    });

    const consumer = t.payment.consumers().find((c) => c.name === 'payment.performance-cancelled');
    expect(consumer?.topics).toEqual([TOPICS.catalog]);
    await t.rt.db.transaction().execute((tx) =>
      (consumer as NonNullable<typeof consumer>).handle(
        {
          eventId: randomUUID(),
          type: 'performance.cancelled',
          key: performanceId,
          occurredAt: new Date().toISOString(),
          payload: {
            performanceId,
            sellerId: randomUUID(),
            scheduleIds: [scheduleId],
            reason: 'artist ill',
            cancelledAt: new Date().toISOString(),
          },
        },
        tx,
      ),
    );

    // First pass while the provider refuses every cancel: nothing lost, items stay pending.
    await setFaults(t.sandboxUrl, t.secretKey, { cancel: { failureRate: 1 } });
    try {
      expect(await t.payment.runBulkRefunds()).toBe(0);
    } finally {
      await setFaults(t.sandboxUrl, t.secretKey, { cancel: { failureRate: 0 } });
    }
    for (const p of paid) expect((await t.booking.findOrder(p.order.id))?.status).toBe('PAID');
    // Resume: recovery finishes refunds left open, the job the remaining items (as if time had passed).
    await pause(1100);
    await t.payment.recoverOnce({
      asOf: new Date(Date.now() + 3600_000),
      orderIds: paid.map((p) => p.order.id),
    });
    await t.rt.db
      .updateTable('payment_bulk_refund_items' as never)
      .set({ next_attempt_at: new Date(0) } as never)
      .where('performance_id' as never, '=', performanceId as never)
      .execute();
    await t.payment.runBulkRefunds();
    for (const p of paid) {
      expect((await t.booking.findOrder(p.order.id))?.status).toBe('REFUNDED');
      const events = await outboxEvents(t, p.order.id, 'payment.refunded');
      expect(events).toHaveLength(1);
      expect(events[0]?.payload).toMatchObject({
        cancellationFee: 0,
        refundAmount: p.order.amount,
        full: true,
      });
      expect((await providerLedger(t, p.order.tossOrderId))[0]).toMatchObject({ balanceAmount: 0 });
    }
    expect((await t.booking.findOrder(unpaid.id))?.status).toBe('PENDING_PAYMENT');
    // Running again refunds nothing twice.
    expect(await t.payment.runBulkRefunds()).toBe(0);
  });
});
