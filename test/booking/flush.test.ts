import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import {
  accounts,
  admit,
  type BookingTestApp,
  checkRecordInvariants,
  createSale,
  flushScheduleKeys,
  hold,
  order,
  pay,
  pool,
  redisSeats,
  sample,
  seatMap,
  sleep,
  startBookingApp,
} from './support.ts';

let t: BookingTestApp;
beforeAll(async () => {
  t = await startBookingApp();
});
afterAll(async () => t.close());

const soldCount = async (scheduleId: string) =>
  (
    await sql<{
      n: number;
    }>`select count(*)::int n from tickets where schedule_id = ${scheduleId} and status = 'VALID'`.execute(
      t.rt.db,
    )
  ).rows[0]?.n ?? 0;

/** One buyer's attempt: hold some seats, order, pay. Returns how far it got. */
async function attempt(
  buyer: BulkAccount,
  scheduleId: string,
  admission: string | undefined,
  seats: number[],
) {
  const h = await hold(t, buyer, scheduleId, admission, {
    seatIds: sample(seats, 1 + Math.floor(Math.random() * 2)),
  });
  if (h.status !== 201) return `hold:${h.body.code}`;
  const o = await order(t, buyer, { holdId: h.body.holdId });
  if (o.status !== 201) return `order:${o.body.code}`;
  return `pay:${await pay(t, o.body.id)}`;
}

describe('Redis loses the schedule mid-sale', () => {
  it('reloads from PostgreSQL: live holds, pending orders and sales survive, and no seat is sold twice', async () => {
    const sale = await createSale(t, { rows: 2, perRow: 5 });
    const seats = sale.seats.map((s) => s.id);
    const buyers = await accounts(t, 40);
    const tokens = await admit(t, sale.scheduleId, buyers);

    // Before the loss: 4 buyers hold one seat each; two of them order, one of those pays.
    const early = buyers.slice(0, 4);
    const held = await Promise.all(
      early.map((b, i) => hold(t, b, sale.scheduleId, tokens.get(b.id), { seatIds: [seats[i]] })),
    );
    for (const h of held) expect(h.status).toBe(201);
    const o0 = await order(t, early[0] as BulkAccount, { holdId: held[0]?.body.holdId });
    const o1 = await order(t, early[1] as BulkAccount, { holdId: held[1]?.body.holdId });
    expect(await pay(t, o0.body.id)).toBe('PAID');
    await t.modules.booking.sweeper.syncOrders();

    // Mid-sale: everything of the schedule's hash tag disappears (seat state and queue), while the
    // other 36 buyers keep trying to hold, order and pay the same 15 seats.
    const others = buyers.slice(4);
    const storm = pool(others, 36, async (b, i) => {
      if (i === 10) {
        await sleep(40); // while the others' first attempts are in flight
        await flushScheduleKeys(t, sale.scheduleId);
      }
      const outcomes: string[] = [];
      for (let k = 0; k < 3; k++) outcomes.push(await attempt(b, sale.scheduleId, tokens.get(b.id), seats));
      return outcomes;
    });
    const outcomes = (await storm).flat();
    expect(await flushScheduleKeys(t, sale.scheduleId, 'seat')).toBeGreaterThan(0); // it was reloaded meanwhile

    // What the holders from before the loss see: nothing changed. Their seats were never granted to
    // anyone else, the pending order can be paid, the other two holds can be ordered and paid.
    expect(await pay(t, o1.body.id)).toBe('PAID');
    for (const i of [2, 3]) {
      const o = await order(t, early[i] as BulkAccount, { holdId: held[i]?.body.holdId });
      expect(o.status, JSON.stringify(o.body)).toBe(201);
      expect(await pay(t, o.body.id)).toBe('PAID');
    }
    await checkRecordInvariants(t, sale.scheduleId);
    const sold = await soldCount(sale.scheduleId);
    expect(sold).toBeGreaterThanOrEqual(4);
    expect(sold).toBeLessThanOrEqual(seats.length);
    const paidInStorm = outcomes.filter((o) => o === 'pay:PAID').length;
    const paidOrders = await sql<{ n: number }>`select count(*)::int n from orders
      where schedule_id = ${sale.scheduleId} and status = 'PAID'`.execute(t.rt.db);
    expect(paidOrders.rows[0]?.n).toBe(4 + paidInStorm);
    // Redis, reloaded, agrees with the record after the sync.
    await t.modules.booking.sweeper.syncOrders();
    const redis = await redisSeats(t, sale.scheduleId);
    const map = await seatMap(t, sale.scheduleId);
    const soldSeats = (
      await sql<{
        seat_id: string;
      }>`select seat_id from tickets where schedule_id = ${sale.scheduleId} and status = 'VALID'`.execute(
        t.rt.db,
      )
    ).rows.map((r) => Number(r.seat_id));
    for (const s of soldSeats) {
      expect(redis.get(s)?.startsWith('S|')).toBe(true);
      expect(map.seats.find((x) => x.id === s)?.status).toBe('SOLD');
    }
    const tally = new Map<string, number>();
    for (const o of outcomes) tally.set(o, (tally.get(o) ?? 0) + 1);
    console.log('flush storm outcomes', Object.fromEntries(tally));
  });

  it('if Redis comes back wrong (loaded but without the holds), PostgreSQL still refuses every second sale', async () => {
    const sale = await createSale(t, { rows: 1, perRow: 5 });
    const seats = sale.seats.map((s) => s.id);
    const buyers = await accounts(t, 20);
    const tokens = await admit(t, sale.scheduleId, buyers);
    const first = buyers.slice(0, 10);
    const held = await Promise.all(
      first.map((b, i) => hold(t, b, sale.scheduleId, tokens.get(b.id), { seatIds: [seats[i]] })),
    );
    const orders = await Promise.all(first.map((b, i) => order(t, b, { holdId: held[i]?.body.holdId })));
    for (const o of orders.slice(0, 5)) expect(await pay(t, o.body.id)).toBe('PAID');

    // A stale replica: the schedule is "loaded" but knows nothing (no holds, no sales).
    await flushScheduleKeys(t, sale.scheduleId, 'seat');
    await t.rt.redis.hset(
      `seat:{s:${sale.scheduleId}}:m`,
      'exat',
      String(Date.now() + 3600_000),
      'init',
      '1',
    );

    // Redis now grants every seat again...
    const second = buyers.slice(10);
    const again = await Promise.all(
      second.map((b, i) => hold(t, b, sale.scheduleId, tokens.get(b.id), { seatIds: [seats[i]] })),
    );
    expect(again.every((h) => h.status === 201)).toBe(true);
    // ...but no second order gets a seat that is sold or in a live order: SEATS_UNAVAILABLE, before
    // anything is charged.
    const refused = await Promise.all(second.map((b, i) => order(t, b, { holdId: again[i]?.body.holdId })));
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('SEATS_UNAVAILABLE');
    }
    // And the very last line: even with the order layer bypassed (a pending order's lines forced
    // inactive, as if a bug dropped them), the second payment is refused by the tickets index.
    const victim = orders[5]?.body.id as string;
    await sql`update order_lines set active = false where order_id = ${victim}`.execute(t.rt.db);
    const thief = await order(t, second[5] as BulkAccount, { holdId: again[5]?.body.holdId });
    expect(thief.status, JSON.stringify(thief.body)).toBe(201);
    expect(await pay(t, thief.body.id)).toBe('PAID');
    expect(await pay(t, victim)).toBe('SEAT_ALREADY_SOLD');
    const victimRow = await sql<{ status: string }>`select status from orders where id = ${victim}`.execute(
      t.rt.db,
    );
    expect(victimRow.rows[0]?.status).toBe('CANCELLED');
    await checkRecordInvariants(t, sale.scheduleId);
    expect(await soldCount(sale.scheduleId)).toBe(6);
  });
});
