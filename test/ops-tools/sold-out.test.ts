import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import {
  accounts,
  admit,
  expectStatus,
  hold,
  joinQueue,
  newSale,
  type OpsTestApp,
  openStream,
  order,
  patchQueue,
  pay,
  queueMe,
  startOpsApp,
  until,
} from './support.ts';

let t: OpsTestApp;
beforeAll(async () => {
  t = await startOpsApp();
});
afterAll(async () => t.close());

async function buy(buyer: BulkAccount, scheduleId: string, admission: string | undefined, body: object) {
  const h = await hold(t, buyer, scheduleId, admission, body as Record<string, unknown>);
  expectStatus(h, 201);
  const o = await order(t, buyer, { holdId: h.body.holdId });
  expectStatus(o, 201);
  return o.body.id;
}

describe('sold out', () => {
  it('closes the queue when the last seat and standing place are sold (not merely held)', async () => {
    // Two seats (VIP 1 + Floor 1) and a standing section of 1: capacity 3.
    const sale = await newSale(t, { rows: 1, perRow: 1, standing: 1 });
    const capacity = await t.modules.catalog.getScheduleCapacity(sale.scheduleId);
    expect(capacity).toEqual({ seats: 2, standing: 1, total: 3 });
    const [a, c, waiter, late] = (await accounts(t, 4)) as [
      BulkAccount,
      BulkAccount,
      BulkAccount,
      BulkAccount,
    ];
    // A paid buyer's admission ends with the sale: the standing place goes to another buyer.
    const admissions = await admit(t, sale.scheduleId, [a, c]);
    const admission = admissions.get(a.id);
    // The queue is paused so the waiter stays WAITING until the end.
    expectStatus(await patchQueue(t, sale.seller, sale.scheduleId, { paused: true }), 200);
    expectStatus(await joinQueue(t, waiter, sale.scheduleId), 202);
    const stream = openStream(
      `${t.baseUrl}/api/v1/schedules/${sale.scheduleId}/queue/stream`,
      waiter.accessToken,
    );

    // Both seats sold: one place is left.
    const seats = sale.seats.map((s) => s.id);
    expect(await pay(t, await buy(a, sale.scheduleId, admission, { seatIds: seats }))).toBe('PAID');
    await t.modules.booking.sweeper.syncOrders();
    expect((await queueMe(t, waiter, sale.scheduleId)).body.state).toBe('WAITING');

    // The last place held (an order waiting for payment) is not a sale.
    const sectionId = sale.standing[0]?.sectionId;
    const last = await buy(c, sale.scheduleId, admissions.get(c.id), { sectionId, quantity: 1 });
    await t.modules.booking.sweeper.syncOrders();
    expect((await queueMe(t, waiter, sale.scheduleId)).body.state).toBe('WAITING');
    expectStatus(await joinQueue(t, late, sale.scheduleId), 202);
    const leave = await fetch(`${t.baseUrl}/api/v1/schedules/${sale.scheduleId}/queue/me`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${late.accessToken}` },
    });
    expect(leave.status).toBe(204);

    // Paid: everything is sold, the queue closes.
    expect(await pay(t, last)).toBe('PAID');
    await t.modules.booking.sweeper.syncOrders();
    const closed = await until(
      () => queueMe(t, waiter, sale.scheduleId),
      (r) => r.body.state === 'CLOSED',
    );
    expect(closed.body).toMatchObject({ state: 'CLOSED', closedReason: 'SOLD_OUT' });
    const refused = await joinQueue(t, late, sale.scheduleId);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('SOLD_OUT');
    const event = await until(
      async () => stream.events.find((e) => e.event === 'closed'),
      (e) => e !== undefined,
    );
    expect(event?.data).toEqual({ reason: 'SOLD_OUT' });
    const stats = await t.modules.queue.stats(sale.scheduleId);
    expect(stats.closed).toBe('SOLD_OUT');
    stream.close();
  });

  it('leaves a schedule with seats left open', async () => {
    const sale = await newSale(t, { rows: 1, perRow: 2 });
    const [a, b] = (await accounts(t, 2)) as [BulkAccount, BulkAccount];
    const admission = (await admit(t, sale.scheduleId, [a])).get(a.id);
    const seats = sale.seats.map((s) => s.id);
    expect(await pay(t, await buy(a, sale.scheduleId, admission, { seatIds: seats.slice(0, 3) }))).toBe(
      'PAID',
    );
    await t.modules.booking.sweeper.syncOrders();
    expect((await t.modules.queue.stats(sale.scheduleId)).closed).toBeNull();
    expectStatus(await joinQueue(t, b, sale.scheduleId), 202);
  });
});
