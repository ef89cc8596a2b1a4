import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mastersOf } from '../../src/platform/redis.ts';
import { api } from '../support/harness.ts';
import {
  accounts,
  admit,
  at,
  type BookingTestApp,
  createSale,
  hold,
  pool,
  sleep,
  startBookingApp,
} from './support.ts';

let t: BookingTestApp;
beforeAll(async () => {
  t = await startBookingApp();
});
afterAll(async () => t.close());

interface SseEvent {
  id: string;
  event: string;
  data: { changes?: { id: number; status: string }[]; seats?: { id: number; status: string }[] };
  at: number;
}

/** A real EventSource-like reader over fetch: collects parsed events until closed. */
function listen(url: string) {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const chunk = await reader?.read().catch(() => ({ done: true, value: undefined }));
      if (chunk === undefined || chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(': '))
            .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
        );
        if (fields.event !== undefined) {
          events.push({
            id: fields.id ?? '',
            event: fields.event,
            data: JSON.parse(fields.data ?? '{}'),
            at: Date.now(),
          });
        }
        cut = buffer.indexOf('\n\n');
      }
    }
  })().catch(() => undefined);
  return {
    events,
    async close() {
      controller.abort();
      await done;
    },
  };
}

const waitUntil = async (what: string, ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
};

/** Subscriptions to `channel`: PUBSUB NUMSUB counts one node's, so it is summed over every master. */
async function subscribersOf(channel: string): Promise<number> {
  let n = 0;
  for (const node of await mastersOf(t.rt.redis))
    n += Number(((await node.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1]);
  return n;
}

describe('seat stream', () => {
  it('pushes batched seat changes (≤ 4 events/s) with ids, after a snapshot, over one subscription per process', async () => {
    const sale = await createSale(t, { rows: 4, perRow: 10 });
    const buyers = await accounts(t, 30);
    const tokens = await admit(t, sale.scheduleId, buyers);
    const first = at(buyers, 0);
    const url = `${t.baseUrl}/api/v1/schedules/${sale.scheduleId}/seats/stream`;
    const seat0 = at(sale.seats, 0).id;
    const pre = await hold(t, first, sale.scheduleId, tokens.get(first.id), { seatIds: [seat0] });
    expect(pre.status).toBe(201);

    const clients = Array.from({ length: 5 }, () => listen(url));
    await waitUntil('snapshots', () => clients.every((c) => c.events.some((e) => e.event === 'snapshot')));
    for (const c of clients) {
      expect(c.events[0]?.event).toBe('snapshot');
      expect(c.events[0]?.data.seats).toEqual([{ id: seat0, status: 'HELD' }]);
    }
    // One Redis subscription for the five clients of this process.
    const channel = `${t.rt.config.REDIS_KEY_PREFIX}seat:{s:${sale.scheduleId}}:ch`;
    expect(await subscribersOf(channel)).toBe(1);

    // A burst: 29 buyers hold one seat each as fast as they can, then release.
    const started = Date.now();
    const held = await pool(buyers.slice(1), 29, async (b, i) =>
      hold(t, b, sale.scheduleId, tokens.get(b.id), { seatIds: [at(sale.seats, i + 1).id] }),
    );
    expect(held.every((h) => h.status === 201)).toBe(true);
    await pool(held, 29, async (h, i) =>
      api(t.baseUrl, 'DELETE', `/api/v1/holds/${h.body.holdId}`, { token: at(buyers, i + 1).accessToken }),
    );
    const changed = new Set(sale.seats.slice(1, 30).map((s) => s.id));
    const lastStatus = (c: ReturnType<typeof listen>) => {
      const m = new Map<number, string>();
      for (const e of c.events) for (const ch of e.data.changes ?? []) m.set(ch.id, ch.status);
      return m;
    };
    await waitUntil('all releases pushed', () =>
      clients.every((c) => [...changed].every((id) => lastStatus(c).get(id) === 'AVAILABLE')),
    );
    for (const c of clients) {
      const seats = c.events.filter((e) => e.event === 'seats' && e.at >= started);
      // Batched: 58 changes arrive in a handful of events, never more than 4 within any second.
      expect(seats.length).toBeLessThan(58);
      for (let i = 4; i < seats.length; i++) {
        expect((seats[i] as SseEvent).at - (seats[i - 4] as SseEvent).at).toBeGreaterThanOrEqual(900);
      }
      const ids = c.events.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.every((id) => id !== '')).toBe(true);
      expect(lastStatus(c).has(seat0)).toBe(false); // untouched during the burst
    }
    await Promise.all(clients.map((c) => c.close()));
    let subscribers = 1;
    const end = Date.now() + 5000;
    while (subscribers !== 0 && Date.now() < end) {
      await sleep(50);
      subscribers = await subscribersOf(channel);
    }
    expect(subscribers).toBe(0);
  });

  it('is public, and 404s an unknown schedule', async () => {
    const res = await api(
      t.baseUrl,
      'GET',
      '/api/v1/schedules/00000000-0000-4000-8000-000000000000/seats/stream',
    );
    expect(res.status).toBe(404);
    const bad = await api(t.baseUrl, 'GET', '/api/v1/schedules/nope/seats/stream');
    expect(bad.status).toBe(400);
  });
});
