import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { expect } from 'vitest';
import { loadConfig } from '../../src/platform/config.ts';
import { createDb } from '../../src/platform/db.ts';
import { ensureTopics, kafkaSettings, TOPICS } from '../../src/platform/kafka.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { startAdmitterRole } from '../../src/roles/admitter.ts';
import { startRelayRole } from '../../src/roles/relay.ts';
import { startWorkerRole } from '../../src/roles/worker.ts';
import { api, type JsonResponse, startTestApp, uniqueEmail } from '../support/harness.ts';

/**
 * Black-box acceptance tests of ../shared/API.md. Each file gets the whole system as `make up` runs
 * it (api, admitter, relay, worker, started the way src/main.ts starts roles) on a database, Redis
 * prefix and Kafka topics of its own, and talks to it over HTTP only.
 */
export interface System {
  baseUrl: string;
  admin: { email: string; password: string };
  /** Another api process on the same database, Redis and Kafka, with some settings changed. */
  extraApi(overrides: Record<string, string>): Promise<{ baseUrl: string; close(): Promise<void> }>;
  close(): Promise<void>;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSystem(tag: string, extraEnv: Record<string, string> = {}): Promise<System> {
  const runUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/queueticket');
  const dbName = `${runUrl.pathname.slice(1)}_ct_${tag}`;
  const adminUrl = new URL(runUrl);
  adminUrl.pathname = '/postgres';
  const pgAdmin = new pg.Client({ connectionString: adminUrl.toString() });
  await pgAdmin.connect();
  await pgAdmin.query(`drop database if exists ${pgAdmin.escapeIdentifier(dbName)} with (force)`);
  await pgAdmin.query(`create database ${pgAdmin.escapeIdentifier(dbName)}`);
  await pgAdmin.end();
  const dbUrl = new URL(runUrl);
  dbUrl.pathname = `/${dbName}`;
  const admin = { email: uniqueEmail(`ct-admin-${tag}`), password: 'contract-admin-password' };
  const env: Record<string, string> = {
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_MAX: '8',
    REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX ?? 'qt:test:'}ct-${tag}:`,
    KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX ?? 'qt.test.'}ct-${tag}.`,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    RATE_LIMIT_IP_PER_SECOND: '100000',
    RATE_LIMIT_LOGIN_IP_PER_MINUTE: '100000',
    RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND: '1000',
    ...extraEnv,
  };
  const config = loadConfig({ ...process.env, ...env });
  const { db } = createDb(config.DATABASE_URL, 2);
  await migrateToLatest(db);
  await db.destroy();
  await ensureTopics(kafkaSettings(config), Object.values(TOPICS));

  const t = await startTestApp(env);
  // The same role starters as src/main.ts: relay and worker before the api's own closers.
  startRelayRole(t.rt);
  startWorkerRole(t.rt, t.modules);
  startAdmitterRole(t.rt, t.modules);
  await t.modules.identity.bootstrapAdmin();
  const extras: { close(): Promise<void> }[] = [];
  return {
    baseUrl: t.baseUrl,
    admin,
    async extraApi(overrides) {
      const extra = await startTestApp({ ...env, DATABASE_POOL_MAX: '3', ...overrides });
      let closing: Promise<void> | null = null;
      const handle = { baseUrl: extra.baseUrl, close: () => (closing ??= extra.close()) };
      extras.push(handle);
      return handle;
    },
    async close() {
      await Promise.allSettled(extras.map((e) => e.close()));
      await t.close();
      if (process.env.KEEP_TEST_DATA === 'true') return;
      const cleaner = new pg.Client({ connectionString: adminUrl.toString() });
      await cleaner.connect();
      await cleaner.query(`drop database if exists ${cleaner.escapeIdentifier(dbName)} with (force)`);
      await cleaner.end();
      const redis = new Redis(config.REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}

export type Role = 'BUYER' | 'SELLER' | 'ADMIN';
export interface Account {
  id: string;
  email: string;
  password: string;
  role: Role;
  token: string;
  refreshToken: string;
}

export async function login(s: System, email: string, password: string) {
  return api<{
    accessToken: string;
    refreshToken: string;
    expiresIn: number;
    user: { id: string; role: Role };
  }>(s.baseUrl, 'POST', '/api/v1/auth/login', { body: { email, password } });
}

export async function signup(
  s: System,
  role: 'BUYER' | 'SELLER',
  tag = role.toLowerCase(),
): Promise<Account> {
  const email = uniqueEmail(`ct-${tag}`);
  const password = `${tag}-password-1`;
  const created = await api<{ id: string }>(s.baseUrl, 'POST', '/api/v1/auth/signup', {
    body: { email, password, name: `Contract ${tag}`, role },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const session = await login(s, email, password);
  expect(session.status, JSON.stringify(session.body)).toBe(200);
  return {
    id: created.body.id,
    email,
    password,
    role,
    token: session.body.accessToken,
    refreshToken: session.body.refreshToken,
  };
}

export async function adminAccount(s: System): Promise<Account> {
  const session = await login(s, s.admin.email, s.admin.password);
  expect(session.status, JSON.stringify(session.body)).toBe(200);
  return {
    id: session.body.user.id,
    email: s.admin.email,
    password: s.admin.password,
    role: 'ADMIN',
    token: session.body.accessToken,
    refreshToken: session.body.refreshToken,
  };
}

/** A request as `who` (an account or a raw token). */
export function call<T = Record<string, unknown>>(
  s: System,
  who: Account | string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const token = who === null ? undefined : typeof who === 'string' ? who : who.token;
  return api<T>(s.baseUrl, method, path, {
    ...(token === undefined ? {} : { token }),
    ...(body === undefined ? {} : { body }),
    headers,
  });
}

/** An RFC 9457 problem document with the stable code. */
export function expectProblem(res: JsonResponse<unknown>, status: number, code?: string) {
  const body = res.body as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json/);
  expect(body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    code: expect.stringMatching(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/),
    detail: expect.any(String),
  });
  if (code !== undefined) expect(body.code).toBe(code);
  return body;
}

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
      schedules: [{ startsAt: startsAt.toISOString() }],
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

export async function eventually<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await sleep(200);
  }
}

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * An event stream read over fetch: collects events (and `: ping` comments) until `until` says so or
 * the time runs out, then disconnects.
 */
export async function readStream(
  url: string,
  options: {
    headers?: Record<string, string>;
    until: (events: SseEvent[], comments: string[]) => boolean;
    timeoutMs?: number;
    onOpen?: () => Promise<void> | void;
  },
): Promise<{ status: number; contentType: string; events: SseEvent[]; comments: string[]; body?: unknown }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 10_000);
  const events: SseEvent[] = [];
  const comments: string[] = [];
  try {
    const res = await fetch(url, { headers: options.headers ?? {}, signal: controller.signal });
    const contentType = res.headers.get('content-type') ?? '';
    if (!contentType.startsWith('text/event-stream')) {
      const text = await res.text();
      return {
        status: res.status,
        contentType,
        events,
        comments,
        body: text === '' ? null : JSON.parse(text),
      };
    }
    await options.onOpen?.();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      while (!options.until(events, comments)) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          parseBlock(block, events, comments);
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
    controller.abort();
    return { status: res.status, contentType, events, comments };
  } finally {
    clearTimeout(timer);
  }
}

function parseBlock(block: string, events: SseEvent[], comments: string[]) {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  let any = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else if (line.startsWith('id:')) {
      id = line.slice(3).trim();
      any = true;
    } else if (line.startsWith('event:')) {
      event = line.slice(6).trim();
      any = true;
    } else if (line.startsWith('data:')) {
      data.push(line.slice(5).replace(/^ /, ''));
      any = true;
    }
  }
  if (any && data.length > 0) events.push({ id, event, data: data.join('\n') });
}
