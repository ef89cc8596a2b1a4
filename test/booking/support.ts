import { expect } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import type { Admitter } from '../../src/modules/queue/index.ts';
import { duplicateRedis } from '../../src/platform/redis.ts';
import { api, type JsonResponse, startTestApp, type TestApp } from '../support/harness.ts';

const HOUR = 3600_000;
let counter = 0;
/** Schedules created by createSale in this file (its admitter leads only these). */
const ownSchedules = new Set<string>();

export interface BookingTestApp extends TestApp {
  admitter: Admitter;
}

/** A real api with the real admitter running (admission goes through the queue, as in production). */
export async function startBookingApp(env: Record<string, string> = {}): Promise<BookingTestApp> {
  const t = await startTestApp({
    RATE_LIMIT_IP_PER_SECOND: '10000000',
    RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND: '1000',
    // PostgreSQL's 100 connections are shared by every engineer's test run on this machine.
    DATABASE_POOL_MAX: '8',
    ...env,
  });
  // Only the sales this file created: test files share the run's database, and an admitter taking
  // every live queue would admit other files' waiters and take the leases their tests hold by hand.
  const admitter = t.modules.queue.createAdmitter({ discoverMs: 100, accept: (id) => ownSchedules.has(id) });
  admitter.start();
  return {
    ...t,
    admitter,
    async close() {
      await admitter.stop();
      await t.close();
    },
  };
}

export async function accounts(t: TestApp, count: number, role: 'BUYER' | 'SELLER' | 'ADMIN' = 'BUYER') {
  counter += 1;
  return t.modules.identity.bulkCreateAccounts({
    count,
    role,
    emailPrefix: `bk-${role.toLowerCase()}-${Date.now().toString(36)}-${process.pid}-${counter}-`,
    tokenTtlSeconds: 3600,
  });
}

export interface SeatRow {
  id: number;
  section: string;
  grade: string;
  price: number;
  status: string;
}

export interface Sale {
  seller: BulkAccount;
  performanceId: string;
  scheduleId: string;
  seats: SeatRow[];
  standing: { sectionId: string; capacity: number; price: number; available: number }[];
}

/**
 * A seller, a venue of `rows × perRow` seats (R grade 100,000 won, row 1 VIP 150,000) plus an
 * optional standing section, and a performance with one schedule on sale now, through the public API.
 */
export async function createSale(
  t: TestApp,
  options: { rows?: number; perRow?: number; standing?: number; maxTicketsPerBuyer?: number } = {},
): Promise<Sale> {
  const [seller] = await accounts(t, 1, 'SELLER');
  if (seller === undefined) throw new Error('no seller');
  const sections: Record<string, unknown>[] = [
    { name: 'VIP', rows: 1, seatsPerRow: options.perRow ?? 5 },
    { name: 'Floor', rows: options.rows ?? 1, seatsPerRow: options.perRow ?? 5 },
  ];
  if (options.standing !== undefined)
    sections.push({ name: 'Pit', kind: 'STANDING', capacity: options.standing });
  const venue = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/venues', {
    token: seller.accessToken,
    body: { name: 'Booking Hall', address: 'Seoul', sections },
  });
  expect(venue.status, JSON.stringify(venue.body)).toBe(201);
  counter += 1;
  const startsAt = new Date(
    Date.UTC(2033, 0, 1) + (counter * 11 + Math.floor(Math.random() * 20_000)) * 24 * HOUR,
  );
  const perf = await api<{ id: string; schedules: { id: string }[] }>(
    t.baseUrl,
    'POST',
    '/api/v1/performances',
    {
      token: seller.accessToken,
      body: {
        venueId: venue.body.id,
        title: 'Booking Test Show',
        grades: [
          { grade: 'VIP', price: 150_000 },
          { grade: 'R', price: 100_000 },
          { grade: 'GA', price: 70_000 },
        ],
        sectionGrades: { VIP: 'VIP', Floor: 'R', ...(options.standing === undefined ? {} : { Pit: 'GA' }) },
        schedules: [{ startsAt: startsAt.toISOString() }],
        salesOpenAt: new Date(Date.now() - HOUR).toISOString(),
        salesCloseAt: new Date(Date.now() + 24 * HOUR).toISOString(),
        maxTicketsPerBuyer: options.maxTicketsPerBuyer ?? 4,
        queue: { admitPerSecond: 5000, maxActive: 100_000, admissionTtlSeconds: 3600 },
      },
    },
  );
  expect(perf.status, JSON.stringify(perf.body)).toBe(201);
  const scheduleId = perf.body.schedules[0]?.id;
  if (scheduleId === undefined) throw new Error('no schedule');
  ownSchedules.add(scheduleId);
  const map = await seatMap(t, scheduleId);
  return { seller, performanceId: perf.body.id, scheduleId, seats: map.seats, standing: map.standing };
}

export async function seatMap(t: TestApp, scheduleId: string) {
  const res = await api<{ seats: SeatRow[]; standing: Sale['standing'] }>(
    t.baseUrl,
    'GET',
    `/api/v1/schedules/${scheduleId}/seats`,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { seats: res.body.seats, standing: res.body.standing ?? [] };
}

/** Joins the queue for every buyer and waits until each is admitted; returns their admission tokens. */
export async function admit(t: TestApp, scheduleId: string, buyers: readonly BulkAccount[]) {
  const tokens = new Map<string, string>();
  await pool(buyers, 100, async (b) => {
    const joined = await api(t.baseUrl, 'POST', `/api/v1/schedules/${scheduleId}/queue`, {
      token: b.accessToken,
    });
    expect(joined.status, JSON.stringify(joined.body)).toBe(202);
  });
  const deadline = Date.now() + 60_000;
  while (tokens.size < buyers.length) {
    if (Date.now() > deadline) throw new Error(`only ${tokens.size}/${buyers.length} admitted`);
    await pool(
      buyers.filter((b) => !tokens.has(b.id)),
      100,
      async (b) => {
        const me = await api<{ state: string; admissionToken?: string }>(
          t.baseUrl,
          'GET',
          `/api/v1/schedules/${scheduleId}/queue/me`,
          { token: b.accessToken },
        );
        if (me.body.state === 'ADMITTED' && me.body.admissionToken !== undefined) {
          tokens.set(b.id, me.body.admissionToken);
        }
      },
    );
    if (tokens.size < buyers.length) await sleep(100);
  }
  return tokens;
}

export interface HoldBody {
  holdId: string;
  scheduleId: string;
  seatIds: number[];
  sectionId: string | null;
  quantity: number;
  expiresAt: string;
  code?: string;
  unavailableSeatIds?: number[];
}

export const hold = (
  t: TestApp,
  buyer: BulkAccount,
  scheduleId: string,
  admission: string | undefined,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<JsonResponse<HoldBody>> =>
  api<HoldBody>(t.baseUrl, 'POST', `/api/v1/schedules/${scheduleId}/holds`, {
    token: buyer.accessToken,
    body,
    headers: admission === undefined ? headers : { 'x-admission-token': admission, ...headers },
  });

export interface OrderBody {
  id: string;
  status: string;
  subtotal: number;
  discount: number;
  amount: number;
  couponId: string | null;
  tossOrderId: string;
  holdId: string;
  expiresAt: string;
  lines: { seatId: number | null; entryNumber: number | null; price: number; status: string }[];
  code?: string;
}

export const order = (t: TestApp, buyer: BulkAccount, body: Record<string, unknown>) =>
  api<OrderBody>(t.baseUrl, 'POST', '/api/v1/orders', { token: buyer.accessToken, body });

/**
 * Pays an order the way the payment module does (docs/contracts.md): PAYMENT_PENDING before the
 * provider, then markOrderPaid inside one transaction. Returns the error code when refused.
 */
export async function pay(t: TestApp, orderId: string): Promise<'PAID' | string> {
  const booking = t.modules.booking;
  try {
    await booking.markPaymentPending(orderId);
    await t.rt.db.transaction().execute((trx) => booking.markOrderPaid(trx, orderId, new Date()));
    return 'PAID';
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    if (code === 'SEAT_ALREADY_SOLD') await booking.cancelUnpaidOrder(orderId, 'seat already sold; refunded');
    else await booking.markPaymentUnresolvedBack(orderId).catch(() => undefined);
    return code;
  }
}

/**
 * Every Redis key of one schedule's hash tag (seats and queue) at once, as a failover that lost the data
 * would (one script, atomic: a SCAN + DEL loop could leave half a schedule while buyers keep going).
 */
export async function flushScheduleKeys(t: TestApp, scheduleId: string, what: 'seat' | 'all' = 'all') {
  const prefix = t.rt.config.REDIS_KEY_PREFIX;
  const raw = duplicateRedis(t.rt.redis, { keyPrefix: '' });
  try {
    const pattern = what === 'seat' ? `${prefix}seat:{s:${scheduleId}}:*` : `${prefix}*{s:${scheduleId}}*`;
    const script = `local k = redis.call('KEYS', ARGV[1])
      for i = 1, #k, 1000 do redis.call('DEL', unpack(k, i, math.min(i + 999, #k))) end
      return #k`;
    // KEYS[1] (unused) routes the script to the master of the schedule's slot on a cluster
    return Number(await raw.eval(script, 1, `${prefix}seat:{s:${scheduleId}}:m`, pattern));
  } finally {
    raw.disconnect();
  }
}

/** Redis's view: seatId → raw entry (`holdId|exp|fence` or `S|orderId`). */
export async function redisSeats(t: TestApp, scheduleId: string): Promise<Map<number, string>> {
  const all = await t.rt.redis.hgetall(`seat:{s:${scheduleId}}:seats`);
  return new Map(Object.entries(all).map(([k, v]) => [Number(k), v]));
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return out;
}

/** The i-th item, which must exist. */
export function at<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new Error(`no item ${i}`);
  return item;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A random subset of `size` distinct items. */
export function sample<T>(items: readonly T[], size: number, rnd: () => number = Math.random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, size);
}

/** The invariants of ../shared/ARCHITECTURE.md that booking owns, checked on PostgreSQL's record. */
export async function checkRecordInvariants(t: TestApp, scheduleId: string) {
  const db = t.rt.db;
  const { sql } = await import('kysely');
  const doubleSold = await sql<{ seat_id: number; n: number }>`
    select seat_id, count(*)::int n from tickets where schedule_id = ${scheduleId} and status = 'VALID'
      and seat_id is not null group by seat_id having count(*) > 1`.execute(db);
  expect(doubleSold.rows, 'a seat sold twice').toEqual([]);
  const doubleClaimed = await sql<{ seat_id: number }>`
    select seat_id from order_lines where schedule_id = ${scheduleId} and active and seat_id is not null
      group by seat_id having count(*) > 1`.execute(db);
  expect(doubleClaimed.rows, 'a seat in two live orders').toEqual([]);
  // An order's seats all belong to its hold.
  const foreign = await sql<{ order_id: string }>`
    select l.order_id from order_lines l join orders o on o.id = l.order_id join holds h on h.id = o.hold_id
      where o.schedule_id = ${scheduleId} and l.seat_id is not null and not (l.seat_id = any(h.seat_ids))`.execute(
    db,
  );
  expect(foreign.rows, 'an order line outside its hold').toEqual([]);
  // Paid orders: one valid ticket per line, amount = subtotal - discount.
  const badPaid = await sql<{ id: string }>`
    select o.id from orders o where o.schedule_id = ${scheduleId} and o.status = 'PAID' and (
      o.amount <> o.subtotal - o.discount or
      (select count(*) from order_lines l where l.order_id = o.id) <>
      (select count(*) from tickets k where k.order_id = o.id and k.status = 'VALID'))`.execute(db);
  expect(badPaid.rows, 'a paid order without all its tickets').toEqual([]);
  const unpaidTickets = await sql<{ id: string }>`
    select k.id from tickets k join orders o on o.id = k.order_id
      where k.schedule_id = ${scheduleId} and k.status = 'VALID' and o.status not in ('PAID', 'PARTIALLY_REFUNDED')`.execute(
    db,
  );
  expect(unpaidTickets.rows, 'a valid ticket of an unpaid order').toEqual([]);
}
