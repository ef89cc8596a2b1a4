import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { eventsOf, readStream } from './sse-reader.ts';
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

describe('queue stream on a quiet queue', () => {
  it('still moves the waiters behind a leaver and tells the leaver', async () => {
    const buyers = await accounts(t, 3);
    const sale = await createSale(t);
    expect((await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true })).status).toBe(
      200,
    );
    for (const b of buyers) expect((await join(t, sale.scheduleId, b.accessToken)).status).toBe(202);
    const streams = buyers.map((b) =>
      readStream(
        `${t.baseUrl}${queuePath(sale.scheduleId)}/stream?access_token=${encodeURIComponent(b.accessToken)}`,
      ),
    );
    try {
      const positions = (i: number) =>
        eventsOf(streams[i]?.blocks ?? [], 'position').map(
          (e) => (JSON.parse(e.data ?? '{}') as { position: number }).position,
        );
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
        eventsOf(streams[0]?.blocks ?? [], 'closed').some((e) => e.data?.includes('LEFT')),
      );
    } finally {
      for (const s of streams) s.close();
    }
  });
});
