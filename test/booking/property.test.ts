import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
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
  startBookingApp,
} from './support.ts';

/*
 * Model-based test: random sequences of hold / release / lapse / sweep / order / pay / cancel from several
 * buyers on a 6-seat schedule. After every step the real system must answer exactly what the model
 * predicts, and the invariants hold: a seat is sold at most once, an order's seats all belong to its
 * hold, Redis shows every live hold on all its seats, the seat map agrees with the model.
 * "Lapse" makes one hold's time run out (its expiry moved to now in Redis and PostgreSQL, which is
 * what the clock does), so a run does not wait for real TTLs.
 */

const MAX_TICKETS = 4;
const USERS = 4;

interface MHold {
  id: string;
  user: number;
  seats: number[];
  status: 'ACTIVE' | 'ORDERED' | 'ENDED' | 'CONSUMED';
  lapsed: boolean;
}
interface MOrder {
  id: string;
  hold: MHold;
  status: 'PENDING' | 'PAID' | 'EXPIRED' | 'CANCELLED';
}
interface Model {
  holds: MHold[];
  orders: MOrder[];
}
interface Real {
  scheduleId: string;
  seats: number[];
  buyers: BulkAccount[];
  tokens: Map<string, string>;
}

let t: BookingTestApp;
beforeAll(async () => {
  t = await startBookingApp();
});
afterAll(async () => t.close());

// ---- model queries ----
const soldBy = (m: Model, seat: number) =>
  m.orders.find((o) => o.status === 'PAID' && o.hold.seats.includes(seat));
const liveHold = (h: MHold) => (h.status === 'ACTIVE' || h.status === 'ORDERED') && !h.lapsed;
const heldBy = (m: Model, seat: number) => m.holds.find((h) => liveHold(h) && h.seats.includes(seat));
/** PostgreSQL's live claim on a seat: a pending (even lapsed, not yet swept) or paid order. */
const claimedBy = (m: Model, seat: number) =>
  m.orders.find((o) => (o.status === 'PENDING' || o.status === 'PAID') && o.hold.seats.includes(seat));
const paidCount = (m: Model, u: number) =>
  m.orders
    .filter((o) => o.status === 'PAID' && o.hold.user === u)
    .reduce((n, o) => n + o.hold.seats.length, 0);
const heldCount = (m: Model, u: number) =>
  m.holds.filter((h) => h.user === u && liveHold(h)).reduce((n, h) => n + h.seats.length, 0);
const liveLines = (m: Model, u: number) =>
  m.orders
    .filter((o) => o.hold.user === u && (o.status === 'PENDING' || o.status === 'PAID'))
    .reduce((n, o) => n + o.hold.seats.length, 0);

// ---- commands ----
type Cmd = fc.AsyncCommand<Model, Real>;
const always = () => true;
/** Every command checks the invariants after its own step. */
const executed = new Map<string, number>();
const checked = (c: Cmd): Cmd => ({
  check: (m) => c.check(m),
  toString: () => c.toString(),
  async run(m, r) {
    const kind = c.toString().split('(')[0] ?? '';
    executed.set(kind, (executed.get(kind) ?? 0) + 1);
    await c.run(m, r);
    await invariants(m, r);
  },
});
const holdOf = (m: Model, pick: number) => m.holds[pick % m.holds.length] as MHold;
const orderOf = (m: Model, pick: number) => m.orders[pick % m.orders.length] as MOrder;

const holdCmd = (user: number, seatIdx: number[]): Cmd => ({
  check: always,
  toString: () => `hold(u${user}, [${seatIdx}])`,
  async run(m, r) {
    const buyer = r.buyers[user] as BulkAccount;
    const seats = seatIdx.map((i) => r.seats[i] as number);
    let res = await hold(t, buyer, r.scheduleId, r.tokens.get(buyer.id), { seatIds: seats });
    if (res.status === 403 && res.body.code === 'ADMISSION_REQUIRED') {
      // A payment frees the buyer's admission slot (contract): queue again, then retry.
      r.tokens.set(buyer.id, (await admit(t, r.scheduleId, [buyer])).get(buyer.id) ?? '');
      res = await hold(t, buyer, r.scheduleId, r.tokens.get(buyer.id), { seatIds: seats });
    }
    const taken = seats.filter((s) => soldBy(m, s) !== undefined || heldBy(m, s) !== undefined);
    const held = heldCount(m, user);
    if (taken.length > 0) {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('SEATS_UNAVAILABLE');
      expect([...(res.body.unavailableSeatIds ?? [])].sort()).toEqual([...taken].sort());
    } else if (held + seats.length > 8 || held + paidCount(m, user) + seats.length > MAX_TICKETS) {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('TICKET_LIMIT');
    } else {
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      m.holds.push({ id: res.body.holdId, user, seats, status: 'ACTIVE', lapsed: false });
    }
  },
});

const releaseCmd = (pick: number): Cmd => ({
  check: (m) => m.holds.length > 0,
  toString: () => `release(#${pick})`,
  async run(m, r) {
    const h = holdOf(m, pick);
    const res = await api(t.baseUrl, 'DELETE', `/api/v1/holds/${h.id}`, {
      token: (r.buyers[h.user] as BulkAccount).accessToken,
    });
    if (h.status === 'ORDERED') {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('HOLD_IN_ORDER');
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    if (h.status === 'ACTIVE') h.status = 'ENDED';
  },
});

/** Time runs out for one unpaid hold (and its pending order): expiry moved to now in both stores. */
const lapseCmd = (pick: number): Cmd => ({
  check: (m) => m.holds.some((h) => liveHold(h)),
  toString: () => `lapse(#${pick})`,
  async run(m, r) {
    const live = m.holds.filter((h) => liveHold(h));
    const h = live[pick % live.length] as MHold;
    const past = Date.now() - 1;
    const tag = `seat:{s:${r.scheduleId}}:`;
    for (const [seat, entry] of await redisSeats(t, r.scheduleId)) {
      const [id, , fence] = entry.split('|');
      if (id === h.id) await t.rt.redis.hset(`${tag}seats`, String(seat), `${id}|${past}|${fence}`);
    }
    await t.rt.redis.hset(`${tag}h:${h.id}`, 'e', String(past));
    await t.rt.redis.zadd(`${tag}u:${r.buyers[h.user]?.id}`, 'XX', past, `${h.id}|${h.seats.length}`);
    await t.rt.redis.hincrby(`${tag}m`, 'v', 1);
    await sql`update holds set expires_at = ${new Date(past)} where id = ${h.id}`.execute(t.rt.db);
    await sql`update orders set expires_at = ${new Date(past)} where hold_id = ${h.id}`.execute(t.rt.db);
    h.lapsed = true;
  },
});

const sweepCmd = (): Cmd => ({
  check: always,
  toString: () => 'sweep',
  async run(m) {
    await t.modules.booking.sweeper.expireHolds();
    await t.modules.booking.sweeper.expireOrders();
    for (const h of m.holds) if (h.status === 'ACTIVE' && h.lapsed) h.status = 'ENDED';
    for (const o of m.orders) {
      if (o.status === 'PENDING' && o.hold.lapsed) {
        o.status = 'EXPIRED';
        o.hold.status = 'ENDED';
      }
    }
  },
});

const orderCmd = (pick: number): Cmd => ({
  check: (m) => m.holds.length > 0,
  toString: () => `order(#${pick})`,
  async run(m, r) {
    const h = holdOf(m, pick);
    const res = await order(t, r.buyers[h.user] as BulkAccount, { holdId: h.id });
    const conflict = h.seats.some((s) => {
      const c = claimedBy(m, s);
      return c !== undefined && c.hold !== h;
    });
    if (h.status === 'ORDERED') expect(res.body.code).toBe('HOLD_IN_ORDER');
    else if (h.status !== 'ACTIVE' || h.lapsed) expect(res.body.code).toBe('HOLD_EXPIRED');
    else if (liveLines(m, h.user) + h.seats.length > MAX_TICKETS) expect(res.body.code).toBe('TICKET_LIMIT');
    else if (conflict) expect(res.body.code).toBe('SEATS_UNAVAILABLE');
    else {
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.amount).toBe(res.body.subtotal);
      h.status = 'ORDERED';
      m.orders.push({ id: res.body.id, hold: h, status: 'PENDING' });
      return;
    }
    expect(res.status).toBe(409);
  },
});

const payCmd = (pick: number): Cmd => ({
  check: (m) => m.orders.length > 0,
  toString: () => `pay(#${pick})`,
  async run(m) {
    const o = orderOf(m, pick);
    const outcome = await pay(t, o.id);
    await t.modules.booking.sweeper.syncOrders();
    if (o.status === 'PENDING' && !o.hold.lapsed) {
      expect(outcome).toBe('PAID');
      o.status = 'PAID';
      o.hold.status = 'CONSUMED';
    } else if (o.status === 'PENDING' || o.status === 'EXPIRED') {
      expect(outcome).toBe('ORDER_EXPIRED');
    } else {
      expect(outcome).toBe('ORDER_NOT_PAYABLE');
    }
  },
});

const cancelCmd = (pick: number): Cmd => ({
  check: (m) => m.orders.some((o) => o.status !== 'PAID'),
  toString: () => `cancel(#${pick})`,
  async run(m, r) {
    const unpaid = m.orders.filter((o) => o.status !== 'PAID');
    const o = unpaid[pick % unpaid.length] as MOrder;
    const res = await api<{ status: string }>(t.baseUrl, 'POST', `/api/v1/orders/${o.id}/cancel`, {
      token: (r.buyers[o.hold.user] as BulkAccount).accessToken,
      body: { reason: 'changed my mind' },
    });
    if (o.status === 'PENDING' || o.status === 'CANCELLED') {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.status).toBe('CANCELLED');
      o.status = 'CANCELLED';
      o.hold.status = 'ENDED';
    } else {
      expect(res.status).toBe(409);
    }
  },
});

/** After every step: the record's invariants, Redis and the public seat map against the model. */
async function invariants(m: Model, r: Real) {
  await checkRecordInvariants(t, r.scheduleId);
  const redis = await redisSeats(t, r.scheduleId);
  const map = await seatMap(t, r.scheduleId);
  const now = Date.now();
  for (const seat of r.seats) {
    const entry = redis.get(seat);
    const sold = soldBy(m, seat);
    const held = heldBy(m, seat);
    let expected = 'AVAILABLE';
    if (sold !== undefined) {
      expect(entry).toBe(`S|${sold.id}`);
      expected = 'SOLD';
    } else if (held !== undefined) {
      expect(entry?.split('|')[0], `seat ${seat}`).toBe(held.id);
      expect(Number(entry?.split('|')[1])).toBeGreaterThan(now);
      expected = 'HELD';
    } else {
      expect(entry === undefined || Number(entry.split('|')[1]) <= now, `seat ${seat}: ${entry}`).toBe(true);
      if (claimedBy(m, seat) !== undefined) expected = 'HELD'; // a lapsed, unswept pending order
    }
    expect(map.seats.find((s) => s.id === seat)?.status, `seat map, seat ${seat}`).toBe(expected);
  }
}

describe('property: random hold / release / lapse / order / pay / cancel sequences', () => {
  it('keep every invariant and match the model', async () => {
    const seatIdx = fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 });
    const user = fc.integer({ min: 0, max: USERS - 1 });
    const pick = fc.nat(50);
    const commands = fc.commands(
      [
        fc.tuple(user, seatIdx).map(([u, s]) => checked(holdCmd(u, s))),
        fc.tuple(user, seatIdx).map(([u, s]) => checked(holdCmd(u, s))),
        pick.map((p) => checked(releaseCmd(p))),
        pick.map((p) => checked(lapseCmd(p))),
        fc.constant(null).map(() => checked(sweepCmd())),
        pick.map((p) => checked(orderCmd(p))),
        pick.map((p) => checked(orderCmd(p))),
        pick.map((p) => checked(payCmd(p))),
        pick.map((p) => checked(cancelCmd(p))),
      ],
      { maxCommands: 40, size: 'max' },
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        runs++;
        const sale = await createSale(t, { rows: 1, perRow: 3, maxTicketsPerBuyer: MAX_TICKETS });
        const buyers = await accounts(t, USERS);
        const real: Real = {
          scheduleId: sale.scheduleId,
          seats: sale.seats.map((s) => s.id),
          buyers,
          tokens: await admit(t, sale.scheduleId, buyers),
        };
        expect(real.seats).toHaveLength(6);
        const model: Model = { holds: [], orders: [] };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: Number(process.env.BOOKING_PROPERTY_RUNS ?? 25), endOnFailure: true },
    );
    expect(runs).toBeGreaterThan(0);
    console.log(`property: ${runs} runs, steps ${JSON.stringify(Object.fromEntries(executed))}`);
  }, 300_000);
});
