import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admitter } from '../../src/modules/queue/index.ts';
import { startTestApp, type TestApp } from '../support/harness.ts';
import { accounts, createSale, join, onlyOwn, patchQueue, queuePath, waitFor } from './support.ts';

let t: TestApp;
let admitter: Admitter;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '1000000' });
  admitter = t.modules.queue.createAdmitter({ discoverMs: 200, accept: onlyOwn });
  admitter.start();
});
afterAll(async () => {
  await admitter.stop();
  await t.close();
});

interface SseEvent {
  id: string | null;
  event: string;
  data: Record<string, unknown>;
  at: number;
}

/** A minimal EventSource over fetch: collects events and comments until closed. */
function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let status = 0;
  let ended = false;
  const done = (async () => {
    const res = await fetch(url, { headers, signal: controller.signal });
    status = res.status;
    if (res.body === null || res.status !== 200) {
      ended = true;
      return;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line);
            const at = line.indexOf(': ');
            if (at > 0) fields[line.slice(0, at)] = line.slice(at + 2);
          }
          if (fields.event !== undefined) {
            events.push({
              id: fields.id ?? null,
              event: fields.event,
              data: JSON.parse(fields.data ?? '{}'),
              at: Date.now(),
            });
          }
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  return {
    events,
    comments,
    status: () => status,
    ended: () => ended,
    close: () => controller.abort(),
    done,
  };
}

describe('queue event stream', () => {
  it('pushes position (≤ once a second, only going down), paused and admitted events with ids and pings', async () => {
    // One admission a second: the waiter's position then moves over ~4 s, so at ≤ 1 event a second
    // it sees several distinct positions even when a loaded machine delays a round.
    const sale = await createSale(t, {
      queue: { admitPerSecond: 1, maxActive: 100, admissionTtlSeconds: 600 },
    });
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    const buyers = await accounts(t, 5);
    for (const b of buyers) await join(t, sale.scheduleId, b.accessToken);
    const last = buyers[4];
    const url = `${t.baseUrl}${queuePath(sale.scheduleId)}/stream?access_token=${last?.accessToken}`;
    const s = openStream(url);
    await waitFor('the first events', async () => s.events.length >= 2);
    expect(s.status()).toBe(200);
    expect(s.events[0]).toMatchObject({ event: 'paused', data: { paused: true } });
    expect(s.events[1]).toMatchObject({ event: 'position', data: { position: 5 } });
    expect(t.modules.queue.streamConnections()).toBe(1);

    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: false });
    const admitted = await waitFor(
      'admitted',
      async () => s.events.find((e) => e.event === 'admitted'),
      15_000,
    );
    expect(s.events.some((e) => e.event === 'paused' && e.data.paused === false)).toBe(true);
    const positions = s.events.filter((e) => e.event === 'position');
    const seen = positions.map((e) => e.data.position as number);
    expect(seen[0]).toBe(5);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < positions.length; i++) {
      expect(seen[i]).toBeLessThan(seen[i - 1] as number); // only when changed, never up
      expect((positions[i]?.at ?? 0) - (positions[i - 1]?.at ?? 0)).toBeGreaterThan(900); // ≤ 1 per second
    }
    expect(
      await t.modules.queue.verifyAdmission(
        admitted.data.admissionToken as string,
        sale.scheduleId,
        last?.id ?? '',
      ),
    ).toBe(true);
    expect(Date.parse(admitted.data.expiresAt as string)).toBeGreaterThan(Date.now());
    // ids increase by one per event
    const ids = s.events.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => (ids[0] ?? 0) + i));

    // a silent stream still gets a ping comment (≤ 15 s)
    await waitFor('a ping', async () => s.comments.includes(': ping'), 16_000);
    s.close();
    await s.done;
    await waitFor('the server to drop the client', async () => t.modules.queue.streamConnections() === 0);

    // a reconnecting client resumes after the last id it saw, and gets the current state
    const again = openStream(`${t.baseUrl}${queuePath(sale.scheduleId)}/stream`, {
      authorization: `Bearer ${last?.accessToken}`,
      'last-event-id': String(ids.at(-1)),
    });
    await waitFor('the resumed event', async () => again.events.length >= 1);
    expect(again.events[0]).toMatchObject({ id: String((ids.at(-1) ?? 0) + 1), event: 'admitted' });
    again.close();
    await again.done;
  }, 60_000);

  it('tells every waiter when the queue closes, and refuses strangers and bad tokens', async () => {
    const sale = await createSale(t);
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    const buyers = await accounts(t, 3);
    for (const b of buyers) await join(t, sale.scheduleId, b.accessToken);
    const streams = buyers.map((b) =>
      openStream(`${t.baseUrl}${queuePath(sale.scheduleId)}/stream?access_token=${b.accessToken}`),
    );
    await waitFor('streams open', async () =>
      streams.every((s) => s.events.some((e) => e.event === 'position')),
    );
    await t.modules.queue.closeSchedule(sale.scheduleId, 'CANCELLED');
    for (const s of streams) {
      const closed = await waitFor('closed', async () => s.events.find((e) => e.event === 'closed'), 5000);
      expect(closed.data.reason).toBe('CANCELLED');
      await waitFor('the stream to end', async () => s.ended());
    }
    const [stranger] = await accounts(t, 1);
    const other = await createSale(t);
    const refused = await fetch(
      `${t.baseUrl}${queuePath(other.scheduleId)}/stream?access_token=${stranger?.accessToken}`,
    );
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { code: string }).code).toBe('NOT_IN_QUEUE');
    expect((await fetch(`${t.baseUrl}${queuePath(other.scheduleId)}/stream?access_token=nope`)).status).toBe(
      401,
    );
    expect((await fetch(`${t.baseUrl}${queuePath(other.scheduleId)}/stream`)).status).toBe(401);
    // no other route takes the token from the query
    expect(
      (await fetch(`${t.baseUrl}${queuePath(other.scheduleId)}/me?access_token=${stranger?.accessToken}`))
        .status,
    ).toBe(401);
  }, 30_000);
});
