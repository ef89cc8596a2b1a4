import { Agent, fetch as undiciFetch } from 'undici';
import { expect } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { duplicateRedis, scanKeys } from '../../src/platform/redis.ts';
import { api, type TestApp } from '../support/harness.ts';

let counter = 0;
const HOUR = 3600_000;

export async function accounts(t: TestApp, count: number, role: 'BUYER' | 'SELLER' | 'ADMIN' = 'BUYER') {
  counter += 1;
  return t.modules.identity.bulkCreateAccounts({
    count,
    role,
    emailPrefix: `q-${role.toLowerCase()}-${Date.now().toString(36)}-${process.pid}-${counter}-`,
  });
}

/** Schedules created by this test file (each file runs in its own worker): its admitters lead only these. */
export const ownSchedules = new Set<string>();
export const onlyOwn = (scheduleId: string) => ownSchedules.has(scheduleId);

export interface Sale {
  seller: BulkAccount;
  performanceId: string;
  scheduleId: string;
}

/** A seller, a small venue and a performance with one schedule, created through the public API. */
export async function createSale(
  t: TestApp,
  options: {
    salesOpenAt?: Date;
    salesCloseAt?: Date;
    queue?: { admitPerSecond: number; maxActive: number; admissionTtlSeconds: number };
  } = {},
): Promise<Sale> {
  const [seller] = await accounts(t, 1, 'SELLER');
  if (seller === undefined) throw new Error('no seller');
  const venue = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/venues', {
    token: seller.accessToken,
    body: { name: 'Queue Hall', address: 'Seoul', sections: [{ name: 'Floor', rows: 2, seatsPerRow: 5 }] },
  });
  expect(venue.status, JSON.stringify(venue.body)).toBe(201);
  counter += 1;
  const startsAt = new Date(
    Date.UTC(2032, 0, 1) + (counter * 7 + Math.floor(Math.random() * 10_000)) * 24 * HOUR,
  );
  const perf = await api<{ id: string; schedules: { id: string }[] }>(
    t.baseUrl,
    'POST',
    '/api/v1/performances',
    {
      token: seller.accessToken,
      body: {
        venueId: venue.body.id,
        title: 'Queue Test Show',
        grades: [{ grade: 'R', price: 100_000 }],
        sectionGrades: { Floor: 'R' },
        schedules: [{ startsAt: startsAt.toISOString() }],
        salesOpenAt: (options.salesOpenAt ?? new Date(Date.now() - HOUR)).toISOString(),
        salesCloseAt: (options.salesCloseAt ?? new Date(Date.now() + 24 * HOUR)).toISOString(),
        ...(options.queue === undefined ? {} : { queue: options.queue }),
      },
    },
  );
  expect(perf.status, JSON.stringify(perf.body)).toBe(201);
  const scheduleId = perf.body.schedules[0]?.id;
  if (scheduleId === undefined) throw new Error('no schedule');
  ownSchedules.add(scheduleId);
  return { seller, performanceId: perf.body.id, scheduleId };
}

export interface QueueBody {
  state: string;
  ticketNumber: number | null;
  position: number | null;
  etaSeconds: number | null;
  paused: boolean;
  opensAt?: string;
  admissionToken?: string;
  expiresAt?: string;
  closedReason?: string;
  pollAfterSeconds: number;
  /** present on problem answers */
  code?: string;
}

export const queuePath = (scheduleId: string) => `/api/v1/schedules/${scheduleId}/queue`;

export const join = (t: TestApp, scheduleId: string, token: string) =>
  api<QueueBody>(t.baseUrl, 'POST', queuePath(scheduleId), { token });

export const me = (t: TestApp, scheduleId: string, token: string) =>
  api<QueueBody>(t.baseUrl, 'GET', `${queuePath(scheduleId)}/me`, { token });

export const patchQueue = (t: TestApp, scheduleId: string, token: string, body: Record<string, unknown>) =>
  api(t.baseUrl, 'PATCH', queuePath(scheduleId), { token, body });

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

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Removes every Redis key of one schedule's queue (a Redis that lost its data). */
export async function wipeQueueKeys(t: TestApp, scheduleId: string): Promise<number> {
  const prefix = t.rt.config.REDIS_KEY_PREFIX;
  const raw = duplicateRedis(t.rt.redis, { keyPrefix: '' });
  try {
    // Find the keys first, then delete them all at once: Redis loses a queue in one go. Deleting page by
    // page while SCAN walks a large shared keyspace let the admitter (ticking every 100 ms) rebuild the
    // queue halfway through and lose the rebuilt keys to a later page. One DEL (the queue's keys share
    // one slot); the live list has its own slot, so on a cluster it cannot be in the same transaction.
    const keys: string[] = [];
    for await (const found of scanKeys(raw, `${prefix}q:{s:${scheduleId}}:*`)) keys.push(...found);
    const deleted = await raw.del(...(keys.length > 0 ? keys : [`${prefix}q:{s:${scheduleId}}:m`]));
    await raw.srem(`${prefix}q:live`, scheduleId);
    return deleted;
  } finally {
    raw.disconnect();
  }
}

/**
 * Many joins at once over a bounded connection pool: every request is issued at the same moment, the
 * server sees up to `connections` of them concurrently (thousands of simultaneous TCP connects would
 * only measure the listen backlog).
 */
export async function joinAll(t: TestApp, scheduleId: string, tokens: readonly string[], connections = 512) {
  const dispatcher = new Agent({ connections, pipelining: 1 });
  try {
    return await Promise.all(
      tokens.map(async (token) => {
        const res = await undiciFetch(`${t.baseUrl}${queuePath(scheduleId)}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          dispatcher,
        });
        return { status: res.status, body: (await res.json()) as QueueBody };
      }),
    );
  } finally {
    await dispatcher.close();
  }
}
