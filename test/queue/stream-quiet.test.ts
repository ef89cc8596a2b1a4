import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { accounts, createSale, join, patchQueue, queuePath, waitFor } from './support.ts';

/**
 * A quiet (paused) queue: the hub reads only the head and the clients not known to be waiting, yet a
 * leave from the waiting set still moves everyone behind at the next round, and the leaver is told.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '1000000' });
});
afterAll(async () => {
  await t.close();
});

/** Collects `event: …` / `data: …` pairs of one stream. */
function collect(url: string) {
  const controller = new AbortController();
  const seen: { event: string; data: string }[] = [];
  void (async () => {
    const res = await fetch(url, { signal: controller.signal });
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          if (event !== undefined) seen.push({ event, data: /^data: (.*)$/m.exec(block)?.[1] ?? '' });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { seen, close: () => controller.abort() };
}

describe('queue stream on a quiet queue', () => {
  it('still moves the waiters behind a leaver and tells the leaver', async () => {
    const buyers = await accounts(t, 3);
    const sale = await createSale(t);
    expect((await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true })).status).toBe(
      200,
    );
    for (const b of buyers) expect((await join(t, sale.scheduleId, b.accessToken)).status).toBe(202);
    const streams = buyers.map((b) =>
      collect(
        `${t.baseUrl}${queuePath(sale.scheduleId)}/stream?access_token=${encodeURIComponent(b.accessToken)}`,
      ),
    );
    try {
      const positions = (i: number) =>
        (streams[i]?.seen ?? [])
          .filter((e) => e.event === 'position')
          .map((e) => (JSON.parse(e.data) as { position: number }).position);
      await waitFor('first positions', async () => [0, 1, 2].every((i) => positions(i).length > 0));
      // a few rounds with nothing moving: the waiters are no longer read every round
      await new Promise((r) => setTimeout(r, 3500));
      expect(positions(2)).toEqual([3]);

      const left = await api(t.baseUrl, 'DELETE', `${queuePath(sale.scheduleId)}/me`, {
        token: buyers[0]?.accessToken ?? '',
      });
      expect(left.status).toBe(204);
      await waitFor(
        'the waiters behind to move',
        async () => positions(1).includes(1) && positions(2).includes(2),
        5000,
      );
      await waitFor('the leaver to be told', async () =>
        (streams[0]?.seen ?? []).some((e) => e.event === 'closed' && e.data.includes('LEFT')),
      );
    } finally {
      for (const s of streams) s.close();
    }
  });
});
