import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/harness.ts';
import {
  accounts,
  admit,
  type BookingTestApp,
  checkRecordInvariants,
  createSale,
  hold,
  order,
  pay,
  redisSeats,
  seatMap,
  sleep,
  startBookingApp,
} from './support.ts';

const TTL = 10; // the configuration minimum
let t: BookingTestApp;
beforeAll(async () => {
  t = await startBookingApp({ HOLD_TTL_SECONDS: String(TTL), HOLD_MAX_EXTEND_SECONDS: '5' });
});
afterAll(async () => t.close());

const events = async (scheduleId: string) =>
  (
    await t.rt.db
      .selectFrom('outbox')
      .select(['type'])
      .where('key', '=', scheduleId)
      .where('topic', '=', 'booking.events')
      .orderBy('id')
      .execute()
  ).map((e) => e.type);

describe('hold expiry', () => {
  it('a lapsed hold frees its seats without a sweep; its owner can no longer order them', async () => {
    const sale = await createSale(t);
    const [first, second] = await accounts(t, 2);
    if (first === undefined || second === undefined) throw new Error('accounts');
    const tokens = await admit(t, sale.scheduleId, [first, second]);
    const [s1, s2] = sale.seats.map((s) => s.id);

    const a = await hold(t, first, sale.scheduleId, tokens.get(first.id), { seatIds: [s1, s2] });
    expect(a.status).toBe(201);
    const early = await hold(t, second, sale.scheduleId, tokens.get(second.id), { seatIds: [s1] });
    expect(early.body.code).toBe('SEATS_UNAVAILABLE');

    await sleep(Date.parse(a.body.expiresAt) - Date.now() + 50);
    // No sweeper has run: Redis still has the lapsed entries, and they count as free.
    expect((await redisSeats(t, sale.scheduleId)).get(s1 ?? 0)?.startsWith(a.body.holdId)).toBe(true);
    expect((await seatMap(t, sale.scheduleId)).seats.find((s) => s.id === s1)?.status).toBe('AVAILABLE');
    const b = await hold(t, second, sale.scheduleId, tokens.get(second.id), { seatIds: [s1] });
    expect(b.status, JSON.stringify(b.body)).toBe(201);

    const late = await order(t, first, { holdId: a.body.holdId });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('HOLD_EXPIRED');
    const ext = await api(t.baseUrl, 'POST', `/api/v1/holds/${a.body.holdId}/extend`, {
      token: first.accessToken,
    });
    expect(ext.status).toBe(409);

    // The second buyer's order and payment go through.
    const o = await order(t, second, { holdId: b.body.holdId });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    expect(await pay(t, o.body.id)).toBe('PAID');

    // The sweeper records the lapse, emits hold.expired and drops only the entries still carrying the
    // lapsed hold id (s2); s1 now belongs to the second buyer. (Test files share the database, and
    // another file's sweeper call may record this lapse first: the record is what is checked.)
    await t.modules.booking.sweeper.expireHolds();
    const lapsed = await t.rt.db
      .selectFrom('holds' as never)
      .select(['status' as never])
      .where('id' as never, '=', a.body.holdId as never)
      .executeTakeFirst();
    expect(lapsed).toEqual({ status: 'EXPIRED' });
    await t.modules.booking.sweeper.syncOrders();
    const redis = await redisSeats(t, sale.scheduleId);
    expect(redis.has(s2 ?? 0)).toBe(false);
    expect(redis.get(s1 ?? 0)).toBe(`S|${o.body.id}`);
    // hold.expired comes whenever a sweeper ran (this test's call or another file's): exactly once.
    const emitted = await events(sale.scheduleId);
    expect(emitted.filter((e) => e !== 'hold.expired')).toEqual([
      'hold.created',
      'hold.created',
      'order.created',
      'order.paid',
    ]);
    expect(emitted.filter((e) => e === 'hold.expired')).toEqual(['hold.expired']);
    const map = await seatMap(t, sale.scheduleId);
    expect(map.seats.find((s) => s.id === s1)?.status).toBe('SOLD');
    expect(map.seats.find((s) => s.id === s2)?.status).toBe('AVAILABLE');
    await checkRecordInvariants(t, sale.scheduleId);
  });

  it('an unpaid order expires with its hold: EXPIRED, seats back, payment refused', async () => {
    const sale = await createSale(t);
    const [buyer, other] = await accounts(t, 2);
    if (buyer === undefined || other === undefined) throw new Error('accounts');
    const tokens = await admit(t, sale.scheduleId, [buyer, other]);
    const seat = sale.seats[0]?.id;
    const h = await hold(t, buyer, sale.scheduleId, tokens.get(buyer.id), { seatIds: [seat] });
    const o = await order(t, buyer, { holdId: h.body.holdId });
    expect(o.status).toBe(201);
    expect(o.body.expiresAt).toBe(h.body.expiresAt);
    const blocked = await hold(t, other, sale.scheduleId, tokens.get(other.id), { seatIds: [seat] });
    expect(blocked.body.code).toBe('SEATS_UNAVAILABLE');

    await sleep(Date.parse(o.body.expiresAt) - Date.now() + 50);
    expect(await pay(t, o.body.id)).toBe('ORDER_EXPIRED');
    // this call, or another test file's sweeper on the shared database, expires it: the record says
    await t.modules.booking.sweeper.expireOrders();
    const after = await api<{ status: string }>(t.baseUrl, 'GET', `/api/v1/orders/${o.body.id}`, {
      token: buyer.accessToken,
    });
    expect(after.body.status).toBe('EXPIRED');
    expect(await redisSeats(t, sale.scheduleId)).toEqual(new Map());
    const again = await hold(t, other, sale.scheduleId, tokens.get(other.id), { seatIds: [seat] });
    expect(again.status).toBe(201);
    expect(await events(sale.scheduleId)).toEqual([
      'hold.created',
      'order.created',
      'order.expired',
      'hold.expired',
      'hold.created',
    ]);
  });

  it('a virtual-account order keeps its seats until the deposit deadline, past the hold TTL', async () => {
    const sale = await createSale(t);
    const [buyer, other] = await accounts(t, 2);
    if (buyer === undefined || other === undefined) throw new Error('accounts');
    const tokens = await admit(t, sale.scheduleId, [buyer, other]);
    const seat = sale.seats[0]?.id;
    const h = await hold(t, buyer, sale.scheduleId, tokens.get(buyer.id), { seatIds: [seat] });
    const o = await order(t, buyer, { holdId: h.body.holdId });
    const booking = t.modules.booking;
    await booking.markPaymentPending(o.body.id);
    const due = new Date(Date.now() + 60_000);
    await booking.markAwaitingDeposit(o.body.id, due);
    expect((await booking.findOrder(o.body.id))?.expiresAt.getTime()).toBe(due.getTime());
    expect(Number((await redisSeats(t, sale.scheduleId)).get(seat ?? 0)?.split('|')[1])).toBe(due.getTime());

    await sleep(Date.parse(h.body.expiresAt) - Date.now() + 50); // the hold's own TTL is over
    await booking.sweeper.expireHolds();
    await booking.sweeper.expireOrders();
    const blocked = await hold(t, other, sale.scheduleId, tokens.get(other.id), { seatIds: [seat] });
    expect(blocked.body.code).toBe('SEATS_UNAVAILABLE');
    expect((await seatMap(t, sale.scheduleId)).seats.find((s) => s.id === seat)?.status).toBe('HELD');
    // The deposit arrives: the webhook makes the order PAID.
    await t.rt.db.transaction().execute((trx) => booking.markOrderPaid(trx, o.body.id, new Date()));
    await booking.sweeper.syncOrders();
    expect((await redisSeats(t, sale.scheduleId)).get(seat ?? 0)).toBe(`S|${o.body.id}`);
  });
});
