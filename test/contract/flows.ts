import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { api } from '../support/harness.ts';
import { type Account, call, DAY, HOUR, type System, signup, sleep } from './system.ts';

/** Shows, the waiting room, holds, orders and payments, driven through the public API. */
export interface SeatRow {
  id: number;
  section: string;
  row: string;
  number: number;
  grade: string;
  price: number;
  status: 'AVAILABLE' | 'HELD' | 'SOLD';
}
export interface Show {
  seller: Account;
  venueId: string;
  performanceId: string;
  scheduleId: string;
  /** Every schedule (the first is `scheduleId`), a day apart. */
  scheduleIds: string[];
  startsAt: Date;
  seats: SeatRow[];
  standing: { sectionId: string; section: string; capacity: number; price: number }[];
}

let showCounter = 0;
export interface ShowOptions {
  seller?: Account;
  seatsPerRow?: number;
  standing?: number;
  title?: string;
  salesOpenAt?: Date;
  salesCloseAt?: Date;
  startsAt?: Date;
  maxTicketsPerBuyer?: number;
  /** How many schedules, a day apart (default 1). */
  schedules?: number;
  /** Prices of the VIP, R (Floor) and GA (Pit) grades; default 150,000 / 100,000 / 70,000. */
  prices?: { VIP?: number; R?: number; GA?: number };
  queue?: { admitPerSecond?: number; maxActive?: number; admissionTtlSeconds?: number };
  cancellationPolicy?: {
    deadlineHoursBeforeStart?: number;
    fees?: { daysBeforeStart: number; percent: number }[];
  };
}

/**
 * A venue (VIP row of 150,000 won seats, a Floor row of 100,000 won seats, optionally a standing Pit of
 * 70,000 won) and a performance with one schedule, on sale now unless told otherwise.
 */
export async function createShow(s: System, options: ShowOptions = {}): Promise<Show> {
  const seller = options.seller ?? (await signup(s, 'SELLER'));
  const perRow = options.seatsPerRow ?? 6;
  const sections: Record<string, unknown>[] = [
    { name: 'VIP', rows: 1, seatsPerRow: perRow },
    { name: 'Floor', rows: 1, seatsPerRow: perRow },
  ];
  if (options.standing !== undefined)
    sections.push({ name: 'Pit', kind: 'STANDING', capacity: options.standing });
  const venue = await call<{ id: string; seatCount: number }>(s, seller, 'POST', '/api/v1/venues', {
    name: 'Contract Hall',
    address: 'Seoul',
    sections,
  });
  expect(venue.status, JSON.stringify(venue.body)).toBe(201);
  showCounter += 1;
  const startsAt =
    options.startsAt ??
    new Date(Date.UTC(2031, 0, 1) + (showCounter * 7 + Math.floor(Math.random() * 30_000)) * DAY);
  const perf = await call<{ id: string; schedules: { id: string }[] }>(
    s,
    seller,
    'POST',
    '/api/v1/performances',
    {
      venueId: venue.body.id,
      title: options.title ?? `Contract Show ${randomUUID().slice(0, 8)}`,
      grades: [
        { grade: 'VIP', price: options.prices?.VIP ?? 150_000 },
        { grade: 'R', price: options.prices?.R ?? 100_000 },
        { grade: 'GA', price: options.prices?.GA ?? 70_000 },
      ],
      sectionGrades: { VIP: 'VIP', Floor: 'R', ...(options.standing === undefined ? {} : { Pit: 'GA' }) },
      schedules: Array.from({ length: options.schedules ?? 1 }, (_, i) => ({
        startsAt: new Date(startsAt.getTime() + i * DAY).toISOString(),
      })),
      salesOpenAt: (options.salesOpenAt ?? new Date(Date.now() - HOUR)).toISOString(),
      salesCloseAt: (options.salesCloseAt ?? new Date(Date.now() + 30 * DAY)).toISOString(),
      maxTicketsPerBuyer: options.maxTicketsPerBuyer ?? 4,
      queue: { admitPerSecond: 1000, maxActive: 10_000, admissionTtlSeconds: 3600, ...options.queue },
      ...(options.cancellationPolicy === undefined ? {} : { cancellationPolicy: options.cancellationPolicy }),
    },
  );
  expect(perf.status, JSON.stringify(perf.body)).toBe(201);
  const scheduleId = perf.body.schedules[0]?.id as string;
  const map = await seatMap(s, scheduleId);
  return {
    seller,
    venueId: venue.body.id,
    performanceId: perf.body.id,
    scheduleId,
    scheduleIds: perf.body.schedules.map((x) => x.id),
    startsAt,
    seats: map.seats,
    standing: map.standing,
  };
}

export async function seatMap(s: System, scheduleId: string) {
  const res = await call<{ seats: SeatRow[]; standing?: Show['standing'] }>(
    s,
    null,
    'GET',
    `/api/v1/schedules/${scheduleId}/seats`,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { seats: res.body.seats, standing: res.body.standing ?? [] };
}

export interface QueueView {
  state: string;
  ticketNumber: number | null;
  position: number | null;
  etaSeconds: number | null;
  paused: boolean;
  opensAt?: string;
  admissionToken?: string;
  expiresAt?: string;
}

/** Joins the waiting room and polls until admitted; returns the admission token. */
export async function admitted(s: System, scheduleId: string, buyer: Account, timeoutMs = 30_000) {
  const joined = await call<QueueView>(s, buyer, 'POST', `/api/v1/schedules/${scheduleId}/queue`);
  expect(joined.status, JSON.stringify(joined.body)).toBe(202);
  return waitForState(s, scheduleId, buyer, 'ADMITTED', timeoutMs).then((v) => v.admissionToken as string);
}

export async function waitForState(
  s: System,
  scheduleId: string,
  buyer: Account,
  state: string,
  timeoutMs = 30_000,
): Promise<QueueView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const me = await call<QueueView>(s, buyer, 'GET', `/api/v1/schedules/${scheduleId}/queue/me`);
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    if (me.body.state === state) return me.body;
    if (Date.now() > deadline) throw new Error(`never ${state}: ${JSON.stringify(me.body)}`);
    await sleep(150);
  }
}

export interface HoldBody {
  holdId: string;
  seatIds: number[];
  expiresAt: string;
}
export interface OrderBody {
  id: string;
  status: string;
  subtotal: number;
  discount: number;
  amount: number;
  couponId: string | null;
  tossOrderId: string;
}

export const holdSeats = (
  s: System,
  buyer: Account,
  scheduleId: string,
  admission: string | undefined,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) =>
  call<HoldBody>(s, buyer, 'POST', `/api/v1/schedules/${scheduleId}/holds`, body, {
    ...(admission === undefined ? {} : { 'x-admission-token': admission }),
    ...headers,
  });

/** Seats still free in the show's current map, of a section. */
export async function freeSeats(s: System, show: Show, count: number, section?: string) {
  const { seats } = await seatMap(s, show.scheduleId);
  const free = seats.filter(
    (x) => x.status === 'AVAILABLE' && (section === undefined || x.section === section),
  );
  expect(free.length).toBeGreaterThanOrEqual(count);
  return free.slice(0, count);
}

/** Hold then order (no coupon unless given); returns the order. */
export async function orderSeats(
  s: System,
  buyer: Account,
  show: Show,
  admission: string,
  seatIds: number[],
  couponId?: string,
): Promise<OrderBody> {
  const h = await holdSeats(s, buyer, show.scheduleId, admission, { seatIds });
  expect(h.status, JSON.stringify(h.body)).toBe(201);
  const o = await call<OrderBody>(s, buyer, 'POST', '/api/v1/orders', {
    holdId: h.body.holdId,
    ...(couponId === undefined ? {} : { couponId }),
  });
  expect(o.status, JSON.stringify(o.body)).toBe(201);
  return o.body;
}

export const SANDBOX_KEY = 'test_sk_queueticket_local';
export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

export type TossAnswer = Record<string, unknown> & { code?: string; message?: string };

/** The sandbox's Toss API (`/sandbox/toss/v1...`) with Basic auth. */
export const toss = (
  s: System,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  key = SANDBOX_KEY,
) =>
  api<TossAnswer>(s.baseUrl, method, `/sandbox/toss/v1${path}`, {
    ...(body === undefined ? {} : { body }),
    headers: { authorization: basic(key), ...headers },
  });

export async function checkout(
  s: System,
  body: { orderId: string; amount: number; method?: string },
  headers: Record<string, string> = {},
) {
  const res = await call<{ paymentKey: string; orderId: string; amount: number }>(
    s,
    null,
    'POST',
    '/sandbox/toss/checkout',
    body,
    headers,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Sandbox checkout then confirm; returns the confirm answer and the paymentKey. */
export async function pay(s: System, buyer: Account, o: OrderBody, headers: Record<string, string> = {}) {
  const { paymentKey } = await checkout(s, { orderId: o.tossOrderId, amount: o.amount }, headers);
  const res = await call<{ orderId: string; status: string; approvedAt: string }>(
    s,
    buyer,
    'POST',
    '/api/v1/payments/confirm',
    { orderId: o.tossOrderId, paymentKey, amount: o.amount },
  );
  return { res, paymentKey };
}

export async function getOrder(s: System, who: Account, id: string) {
  const res = await call<OrderBody>(s, who, 'GET', `/api/v1/orders/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}
