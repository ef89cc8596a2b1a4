import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { api } from '../support/harness.ts';
import {
  accounts,
  admit,
  at,
  type BookingTestApp,
  createSale,
  hold,
  type OrderBody,
  order,
  pay,
  type Sale,
  seatMap,
  startBookingApp,
} from './support.ts';

let t: BookingTestApp;
beforeAll(async () => {
  t = await startBookingApp();
});
afterAll(async () => t.close());

async function heldBy(sale: Sale, buyer: BulkAccount, seatIds: number[]) {
  const tokens = await admit(t, sale.scheduleId, [buyer]);
  const h = await hold(t, buyer, sale.scheduleId, tokens.get(buyer.id), { seatIds });
  expect(h.status, JSON.stringify(h.body)).toBe(201);
  return h.body;
}

describe('orders', () => {
  it('creates an order from a live hold: amount from grade prices, Toss order id, PENDING_PAYMENT', async () => {
    const sale = await createSale(t);
    const people = [...(await accounts(t, 2)), ...(await accounts(t, 1, 'ADMIN'))];
    const [buyer, stranger, admin] = [at(people, 0), at(people, 1), at(people, 2)];
    const vip = sale.seats.find((s) => s.grade === 'VIP')?.id as number;
    const r = sale.seats.find((s) => s.grade === 'R')?.id as number;
    const h = await heldBy(sale, buyer, [vip, r]);

    const quote = await api(t.baseUrl, 'GET', `/api/v1/holds/${h.holdId}/quote`, {
      token: buyer.accessToken,
    });
    expect(quote.status, JSON.stringify(quote.body)).toBe(200);
    expect(quote.body).toEqual({ subtotal: 250_000, options: [], best: null });

    const o = await order(t, buyer, { holdId: h.holdId });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    expect(o.body).toMatchObject({
      status: 'PENDING_PAYMENT',
      subtotal: 250_000,
      discount: 0,
      amount: 250_000,
      couponId: null,
      holdId: h.holdId,
      expiresAt: h.expiresAt,
    });
    expect(o.body.tossOrderId).toMatch(/^[A-Za-z0-9_-]{6,64}$/);
    expect(o.body.lines.map((l) => [l.seatId, l.price])).toEqual([
      [vip, 150_000],
      [r, 100_000],
    ]);
    const twice = await order(t, buyer, { holdId: h.holdId });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('HOLD_IN_ORDER');
    const release = await api(t.baseUrl, 'DELETE', `/api/v1/holds/${h.holdId}`, { token: buyer.accessToken });
    expect(release.body.code).toBe('HOLD_IN_ORDER');
    const notMine = await order(t, stranger, { holdId: h.holdId });
    expect(notMine.status).toBe(404);

    // Readers: owner, the performance's seller, ADMIN; anyone else 403.
    const path = `/api/v1/orders/${o.body.id}`;
    expect((await api(t.baseUrl, 'GET', path, { token: buyer.accessToken })).status).toBe(200);
    expect((await api(t.baseUrl, 'GET', path, { token: sale.seller.accessToken })).status).toBe(200);
    expect((await api(t.baseUrl, 'GET', path, { token: admin.accessToken })).status).toBe(200);
    expect((await api(t.baseUrl, 'GET', path, { token: stranger.accessToken })).status).toBe(403);
    expect(
      (
        await api(t.baseUrl, 'GET', '/api/v1/orders/00000000-0000-4000-8000-000000000000', {
          token: buyer.accessToken,
        })
      ).status,
    ).toBe(404);
    const mine = await api<OrderBody[]>(t.baseUrl, 'GET', '/api/v1/me/orders', { token: buyer.accessToken });
    expect(mine.body.map((x) => x.id)).toEqual([o.body.id]);

    // What payment sees.
    const forPayment = await t.modules.booking.findOrderByTossOrderId(o.body.tossOrderId);
    expect(forPayment).toMatchObject({
      id: o.body.id,
      amount: 250_000,
      sellerId: sale.seller.id,
      userId: buyer.id,
    });
    expect(await pay(t, o.body.id)).toBe('PAID');
    const paid = await t.modules.booking.findOrder(o.body.id);
    expect(paid?.status).toBe('PAID');
    expect(paid?.lines.every((l) => typeof l.ticketId === 'string')).toBe(true);
    await t.modules.booking.sweeper.syncOrders();
    const map = await seatMap(t, sale.scheduleId);
    expect(
      map.seats
        .filter((s) => s.status === 'SOLD')
        .map((s) => s.id)
        .sort(),
    ).toEqual([vip, r].sort());
  });

  it('refuses bad order input with 400 and keeps coupons optional', async () => {
    const buyer = at(await accounts(t, 1), 0);
    const bad = [
      {},
      { holdId: 'x' },
      { holdId: '00000000-0000-4000-8000-000000000000', couponId: 'nope' },
      { holdId: '00000000-0000-4000-8000-000000000000', extra: 1 },
    ];
    for (const body of bad) {
      const res = await order(t, buyer, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const missing = await order(t, buyer, {
      holdId: '00000000-0000-4000-8000-000000000000',
      couponId: null,
    });
    expect(missing.status).toBe(404);
  });

  it('cancels an unpaid order at once (seats return), refuses partial cancels of unpaid orders', async () => {
    const sale = await createSale(t);
    const two = await accounts(t, 2);
    const [buyer, next] = [at(two, 0), at(two, 1)];
    const seats = sale.seats.slice(0, 2).map((s) => s.id);
    const h = await heldBy(sale, buyer, seats);
    const o = await order(t, buyer, { holdId: h.holdId });
    const path = `/api/v1/orders/${o.body.id}/cancel`;
    const partial = await api(t.baseUrl, 'POST', path, {
      token: buyer.accessToken,
      body: { seatIds: [seats[0]] },
    });
    expect(partial.status).toBe(409);
    expect(partial.body.code).toBe('PARTIAL_CANCEL_UNPAID');
    const stranger = await api(t.baseUrl, 'POST', path, { token: next.accessToken, body: {} });
    expect(stranger.status).toBe(403);
    const cancelled = await api<OrderBody>(t.baseUrl, 'POST', path, { token: buyer.accessToken });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(
      (await seatMap(t, sale.scheduleId)).seats.filter((s) => seats.includes(s.id)).map((s) => s.status),
    ).toEqual(['AVAILABLE', 'AVAILABLE']);
    const again = await heldBy(sale, next, seats);
    expect(again.seatIds).toEqual(seats);
    expect(await pay(t, o.body.id)).toBe('ORDER_NOT_PAYABLE');
    const types = (
      await t.rt.db
        .selectFrom('outbox')
        .select('type')
        .where('key', '=', sale.scheduleId)
        .where('topic', '=', 'booking.events')
        .orderBy('id')
        .execute()
    ).map((e) => e.type);
    expect(types).toEqual([
      'hold.created',
      'order.created',
      'order.cancelled',
      'hold.released',
      'hold.created',
    ]);
  });

  it('hands a paid order to the refund port; without one answers 409 REFUND_UNAVAILABLE', async () => {
    const sale = await createSale(t);
    const buyer = at(await accounts(t, 1), 0);
    const seats = sale.seats.slice(0, 2).map((s) => s.id);
    const h = await heldBy(sale, buyer, seats);
    const o = await order(t, buyer, { holdId: h.holdId });
    expect(await pay(t, o.body.id)).toBe('PAID');
    const path = `/api/v1/orders/${o.body.id}/cancel`;
    const booking = t.modules.booking;
    const calls: unknown[] = [];
    booking.setRefundPort({
      async refundOrder(orderId, input) {
        calls.push({ orderId, ...input });
        // What payment does once the provider refunded: inside its transaction.
        await t.rt.db
          .transaction()
          .execute((trx) => booking.markOrderRefunded(trx, orderId, input.seatIds ?? 'ALL', new Date()));
      },
    });
    try {
      const one = await api<OrderBody>(t.baseUrl, 'POST', path, {
        token: buyer.accessToken,
        body: { seatIds: [seats[0]], reason: 'sick' },
      });
      expect(one.status, JSON.stringify(one.body)).toBe(200);
      expect(one.body.status).toBe('PARTIALLY_REFUNDED');
      expect(calls).toEqual([
        { orderId: o.body.id, seatIds: [seats[0]], reason: 'sick', initiatedBy: 'BUYER' },
      ]);
      await booking.sweeper.syncOrders();
      const map = await seatMap(t, sale.scheduleId);
      expect(map.seats.find((s) => s.id === seats[0])?.status).toBe('AVAILABLE');
      expect(map.seats.find((s) => s.id === seats[1])?.status).toBe('SOLD');
      const rest = await api<OrderBody>(t.baseUrl, 'POST', path, { token: buyer.accessToken, body: {} });
      expect(rest.body.status).toBe('REFUNDED');
      const none = await api(t.baseUrl, 'POST', path, { token: buyer.accessToken, body: {} });
      expect(none.status).toBe(409);
    } finally {
      booking.setRefundPort(null);
    }
    const sale2 = await createSale(t);
    const h2 = await heldBy(sale2, buyer, [sale2.seats[0]?.id as number]);
    const o2 = await order(t, buyer, { holdId: h2.holdId });
    expect(await pay(t, o2.body.id)).toBe('PAID');
    const refused = await api(t.baseUrl, 'POST', `/api/v1/orders/${o2.body.id}/cancel`, {
      token: buyer.accessToken,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('REFUND_UNAVAILABLE');
  });
});

describe('a cancelled performance', () => {
  it('refuses payment at once, and its cancellation event ends unpaid orders and holds', async () => {
    const sale = await createSale(t);
    const three = await accounts(t, 3);
    const [a, b, c] = [at(three, 0), at(three, 1), at(three, 2)];
    const ha = await heldBy(sale, a, [at(sale.seats, 0).id]);
    const hb = await heldBy(sale, b, [at(sale.seats, 1).id]);
    const oa = await order(t, a, { holdId: ha.holdId });
    const ob = await order(t, b, { holdId: hb.holdId });
    await heldBy(sale, c, [at(sale.seats, 2).id]);
    expect(await pay(t, ob.body.id)).toBe('PAID');

    const cancel = await api(t.baseUrl, 'POST', `/api/v1/performances/${sale.performanceId}/cancel`, {
      token: sale.seller.accessToken,
      body: { reason: 'storm' },
    });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);
    expect(await pay(t, oa.body.id)).toBe('PERFORMANCE_CANCELLED');

    const event = await t.rt.db
      .selectFrom('outbox')
      .select(['event_id', 'type', 'key', 'payload', 'created_at'])
      .where('key', '=', sale.performanceId)
      .where('type', '=', 'performance.cancelled')
      .executeTakeFirstOrThrow();
    const [consumer] = t.modules.booking.consumers();
    const envelope = {
      eventId: event.event_id,
      type: event.type,
      key: event.key,
      occurredAt: event.created_at.toISOString(),
      payload: event.payload,
    };
    // As the consumer runner does: effects first (outside any transaction), then the inbox transaction.
    for (let i = 0; i < 2; i++) {
      await consumer?.before?.(envelope);
      await t.rt.db.transaction().execute((trx) => consumer?.handle(envelope, trx) ?? Promise.resolve());
    }
    const statuses = await t.rt.db
      .selectFrom('holds' as never)
      .select(['status as status'] as never)
      .where('schedule_id' as never, '=', sale.scheduleId as never)
      .orderBy('created_at' as never)
      .execute();
    expect(statuses).toEqual([{ status: 'RELEASED' }, { status: 'CONSUMED' }, { status: 'RELEASED' }]);
    expect((await t.modules.booking.findOrder(oa.body.id))?.status).toBe('CANCELLED');
    expect((await t.modules.booking.findOrder(ob.body.id))?.status).toBe('PAID'); // payment refunds it
    const map = await seatMap(t, sale.scheduleId);
    expect(map.seats.slice(0, 3).map((s) => s.status)).toEqual(['AVAILABLE', 'SOLD', 'AVAILABLE']);
  });
});
