/** Setting up a run through the public API (venues, performances, campaigns) plus bulk accounts. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIdentityModule } from '../../src/modules/identity/index.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRuntime, type Runtime } from '../../src/platform/runtime.ts';
import type { Stack } from './system.ts';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export async function ok<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  options: Parameters<typeof call>[3] = {},
): Promise<T> {
  const a = await call<T>(base, method, path, options);
  if (a.status >= 300) throw new Error(`${method} ${path} → ${a.status} ${JSON.stringify(a.body)}`);
  return a.body;
}

export interface BenchUser {
  id: string;
  token: string;
}

/** The bench's own runtime on the run's database and Redis (bulk accounts, direct reads). */
export function benchRuntime(stack: Stack): Runtime {
  return createRuntime(
    loadConfig({ ...process.env, ...stack.env, LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '2' }),
    createLogger('error'),
  );
}

export async function bulkUsers(
  rt: Runtime,
  count: number,
  role: 'BUYER' | 'SELLER',
  prefix: string,
): Promise<BenchUser[]> {
  const identity = createIdentityModule({
    db: rt.db,
    config: rt.config,
    logger: rt.logger,
    tokens: rt.tokens,
    rateLimiter: rt.rateLimiter,
  });
  const made = await identity.bulkCreateAccounts({
    count,
    role,
    emailPrefix: prefix,
    tokenTtlSeconds: 4 * 3600,
  });
  return made.map((u) => ({ id: u.id, token: u.accessToken }));
}

export function writeUsers(stack: Stack, name: string, users: readonly object[]): string {
  const file = join(stack.outDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(users));
  return file;
}

export async function adminToken(base: string): Promise<string> {
  const r = await ok<{ accessToken: string }>(base, 'POST', '/api/v1/auth/login', {
    body: {
      email: process.env.ADMIN_EMAIL ?? 'admin@queueticket.local',
      password: process.env.ADMIN_PASSWORD ?? 'admin-password',
    },
  });
  return r.accessToken;
}

export interface Show {
  performanceId: string;
  scheduleId: string;
  venueId: string;
  seatIds: number[];
  grades: Record<string, number>;
}

/** A venue of `sections` × rows × seatsPerRow and a performance on it with one schedule. */
export async function createShow(
  base: string,
  sellerToken: string,
  options: {
    title: string;
    sections?: number;
    rows?: number;
    seatsPerRow?: number;
    salesOpenAt?: Date;
    maxTicketsPerBuyer?: number;
    queue?: { admitPerSecond: number; maxActive: number; admissionTtlSeconds: number };
  },
): Promise<Show> {
  const sectionCount = options.sections ?? 5;
  const names = Array.from({ length: sectionCount }, (_, i) => String.fromCharCode(65 + i));
  const venue = await ok<{ id: string }>(base, 'POST', '/api/v1/venues', {
    token: sellerToken,
    body: {
      name: `${options.title} Hall`,
      address: 'Seoul',
      sections: names.map((name) => ({
        name,
        rows: options.rows ?? 20,
        seatsPerRow: options.seatsPerRow ?? 50,
      })),
    },
  });
  const grades = { R: 150_000, S: 110_000, A: 80_000 };
  const sectionGrades: Record<string, string> = {};
  names.forEach((n, i) => {
    sectionGrades[n] = i < sectionCount * 0.4 ? 'R' : i < sectionCount * 0.8 ? 'S' : 'A';
  });
  const perf = await ok<{ id: string; schedules: { id: string }[] }>(base, 'POST', '/api/v1/performances', {
    token: sellerToken,
    body: {
      venueId: venue.id,
      title: options.title,
      grades: Object.entries(grades).map(([grade, price]) => ({ grade, price })),
      sectionGrades,
      schedules: [{ startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString() }],
      salesOpenAt: (options.salesOpenAt ?? new Date(Date.now() - 3_600_000)).toISOString(),
      salesCloseAt: new Date(Date.now() + 86_400_000).toISOString(),
      maxTicketsPerBuyer: options.maxTicketsPerBuyer ?? 4,
      ...(options.queue === undefined ? {} : { queue: options.queue }),
    },
  });
  const scheduleId = perf.schedules[0]?.id ?? '';
  const seats = await ok<{ seats: { id: number }[] }>(base, 'GET', `/api/v1/schedules/${scheduleId}/seats`);
  return {
    performanceId: perf.id,
    scheduleId,
    venueId: venue.id,
    seatIds: seats.seats.map((s) => s.id).sort((a, b) => a - b),
    grades,
  };
}

export async function createCampaign(
  base: string,
  token: string,
  options: {
    name: string;
    performanceId?: string;
    totalQuantity: number;
    perUserLimit: number;
    value?: number;
  },
): Promise<string> {
  const now = Date.now();
  const r = await ok<{ id: string }>(base, 'POST', '/api/v1/coupon-campaigns', {
    token,
    body: {
      name: options.name,
      kind: 'FIXED',
      value: options.value ?? 10_000,
      ...(options.performanceId === undefined ? {} : { performanceId: options.performanceId }),
      totalQuantity: options.totalQuantity,
      perUserLimit: options.perUserLimit,
      issueStartsAt: new Date(now - 60_000).toISOString(),
      issueEndsAt: new Date(now + 6 * 3_600_000).toISOString(),
      validUntil: new Date(now + 7 * 86_400_000).toISOString(),
    },
  });
  return r.id;
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
