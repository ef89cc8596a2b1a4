import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accounts,
  admit,
  type BookingTestApp,
  createSale,
  hold,
  order,
  pay,
  sleep,
  startBookingApp,
} from './support.ts';

/**
 * markOrderPaid runs inside payment's transaction and needs the standing section's capacity: it reads
 * it through that transaction, never through catalog's cache on the pool (a cache miss would hold one
 * connection waiting for another; on a small pool under concurrent payments, nothing completes).
 */
let t: BookingTestApp;

beforeAll(async () => {
  t = await startBookingApp({ DATABASE_POOL_MAX: '2' });
});
afterAll(async () => t.close());

describe('standing sales on a small pool', () => {
  it('16 concurrent payments of standing orders on a pool of 2 are all PAID with distinct entry numbers', async () => {
    const sale = await createSale(t, { standing: 50 });
    const pit = sale.standing[0];
    if (pit === undefined) throw new Error('no standing section');
    const buyers = await accounts(t, 16);
    const tokens = await admit(t, sale.scheduleId, buyers);
    const orderIds: string[] = [];
    for (const b of buyers) {
      const h = await hold(t, b, sale.scheduleId, tokens.get(b.id), {
        sectionId: pit.sectionId,
        quantity: 1,
      });
      expect(h.status, JSON.stringify(h.body)).toBe(201);
      const o = await order(t, b, { holdId: h.body.holdId });
      expect(o.status, JSON.stringify(o.body)).toBe(201);
      orderIds.push(o.body.id);
    }
    await sleep(1100); // catalog re-checks a schedule's seat-map version after 1 s: a cache miss now
    const paid = await Promise.race([
      Promise.all(orderIds.map((id) => pay(t, id))),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('payments not done in 20 s (pool deadlock)')), 20_000).unref(),
      ),
    ]);
    expect(paid).toEqual(Array(16).fill('PAID'));
    const entries = await Promise.all(
      orderIds.map(async (id) => (await t.modules.booking.findOrder(id))?.lines[0]?.entryNumber),
    );
    expect(new Set(entries).size).toBe(16);
  });
});
