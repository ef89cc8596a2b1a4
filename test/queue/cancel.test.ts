import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsumers } from '../../src/platform/outbox/consumer-runner.ts';
import { startRelay } from '../../src/platform/outbox/relay.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { accounts, createSale, join, me, patchQueue, waitFor } from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '1000000' });
});
afterAll(async () => t.close());

describe('catalog events', () => {
  it('closes the queue for waiters and admitted buyers when the performance is cancelled (outbox → Kafka → queue consumer)', async () => {
    const sale = await createSale(t, {
      queue: { admitPerSecond: 1, maxActive: 1, admissionTtlSeconds: 600 },
    });
    const buyers = await accounts(t, 3);
    const [first] = buyers;
    if (first === undefined) throw new Error('accounts');
    // the first buyer is admitted (this file's own admitter, one slot), the others wait
    const admitter = t.modules.queue.createAdmitter({
      discoverMs: 100,
      accept: (id) => id === sale.scheduleId,
    });
    admitter.start();
    try {
      expect((await join(t, sale.scheduleId, first.accessToken)).status).toBe(202);
      await waitFor(
        'the first buyer to be admitted',
        async () => (await me(t, sale.scheduleId, first.accessToken)).body.state === 'ADMITTED',
        10_000,
      );
      await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    } finally {
      await admitter.stop();
    }
    for (const b of buyers.slice(1)) {
      const joined = await join(t, sale.scheduleId, b.accessToken);
      expect(joined.body).toMatchObject({ state: 'WAITING' });
    }
    const stopRelay = startRelay(t.rt, { claimIntervalMs: 500 });
    const stopConsumers = startConsumers(t.rt, t.modules.queue.consumers());
    try {
      const cancel = await api(t.baseUrl, 'POST', `/api/v1/performances/${sale.performanceId}/cancel`, {
        token: sale.seller.accessToken,
        body: { reason: 'artist ill' },
      });
      expect(cancel.status).toBe(202);
      // waiters and the admitted buyer alike: a cancelled show ends every admission
      for (const b of buyers) {
        let last: unknown;
        const closed = await waitFor(
          'the queue to close',
          async () => {
            const r = await me(t, sale.scheduleId, b.accessToken);
            if (r.status === 200) last = r.body;
            return r.body.state === 'CLOSED' ? r.body : null;
          },
          30_000,
        ).catch((err: Error) => {
          throw new Error(`${err.message}; last answer ${JSON.stringify(last)}`);
        });
        expect(closed.closedReason).toBe('CANCELLED');
      }
      const [late] = await accounts(t, 1);
      const refused = await join(t, sale.scheduleId, late?.accessToken ?? '');
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('SALES_CLOSED');
    } finally {
      await stopConsumers();
      await stopRelay();
    }
  }, 60_000);
});
