import { expect } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import type { Admitter } from '../../src/modules/queue/index.ts';
import { createSale, type Sale } from '../booking/support.ts';
import { api, type JsonResponse, startTestApp, type TestApp } from '../support/harness.ts';

export {
  accounts,
  admit,
  at,
  hold,
  type OrderBody,
  order,
  pay,
  type Sale,
  seatMap,
  sleep,
} from '../booking/support.ts';

/** Schedules created by this worker's files: its admitters lead only these (other files run their own). */
const own = new Set<string>();

export interface OpsTestApp extends TestApp {
  admitter: Admitter;
}

/** A real api with a real admitter (only for this file's schedules), as in production. */
export async function startOpsApp(env: Record<string, string> = {}): Promise<OpsTestApp> {
  const t = await startTestApp({
    RATE_LIMIT_IP_PER_SECOND: '10000000',
    RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND: '1000',
    DATABASE_POOL_MAX: '6',
    ...env,
  });
  const admitter = t.modules.queue.createAdmitter({ discoverMs: 100, accept: (id) => own.has(id) });
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

/** booking's test sale (seller, venue, performance on sale now, one schedule), led by our admitter. */
export async function newSale(t: TestApp, options: Parameters<typeof createSale>[1] = {}): Promise<Sale> {
  const sale = await createSale(t, options);
  own.add(sale.scheduleId);
  return sale;
}

export const joinQueue = (t: TestApp, buyer: BulkAccount, scheduleId: string) =>
  api<{ state: string; paused: boolean; code?: string; reason?: string }>(
    t.baseUrl,
    'POST',
    `/api/v1/schedules/${scheduleId}/queue`,
    { token: buyer.accessToken },
  );

export const queueMe = (t: TestApp, buyer: BulkAccount, scheduleId: string) =>
  api<{ state: string; paused: boolean; closedReason?: string; position: number | null }>(
    t.baseUrl,
    'GET',
    `/api/v1/schedules/${scheduleId}/queue/me`,
    { token: buyer.accessToken },
  );

export const patchQueue = (
  t: TestApp,
  seller: BulkAccount,
  scheduleId: string,
  body: Record<string, unknown>,
) => api(t.baseUrl, 'PATCH', `/api/v1/schedules/${scheduleId}/queue`, { token: seller.accessToken, body });

export const setSales = (
  t: TestApp,
  admin: BulkAccount,
  performanceId: string,
  body: { enabled: boolean; reason: string },
) =>
  api<{ enabled: boolean; reason: string | null; propagated?: boolean; code?: string }>(
    t.baseUrl,
    'POST',
    `/api/v1/admin/performances/${performanceId}/sales`,
    { token: admin.accessToken, body },
  );

/** Polls `probe` until `accept` says yes (or the deadline), returning the last answer. */
export async function until<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 5000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A minimal EventSource over fetch: collects the events of one stream until closed. */
export function openStream(url: string, token: string) {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  let status = 0;
  const done = (async () => {
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    status = res.status;
    if (res.body === null || res.status !== 200) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const fields: Record<string, string> = {};
          for (const line of buffer.slice(0, cut).split('\n')) {
            const sep = line.indexOf(': ');
            if (sep > 0) fields[line.slice(0, sep)] = line.slice(sep + 2);
          }
          buffer = buffer.slice(cut + 2);
          if (fields.event !== undefined)
            events.push({ event: fields.event, data: JSON.parse(fields.data ?? '{}') });
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, status: () => status, close: () => controller.abort(), done };
}

export function expectStatus<T>(res: JsonResponse<T>, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}
