import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueueModule } from '../../src/modules/queue/index.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createHttpApp, type HttpApp } from '../../src/platform/http/app.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { createRuntime, type Runtime } from '../../src/platform/runtime.ts';
import { startTestApp, type TestApp } from '../support/harness.ts';
import { accounts, createSale, join, me, patchQueue, waitFor, wipeQueueKeys } from './support.ts';

let t: TestApp;
// a second api process whose journal is slow (1.5 s batches): its joins reach PostgreSQL only after
// a rebuild has already read the journal
let rt2: Runtime;
let app2: HttpApp;
let url2: string;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '1000000' });
  rt2 = createRuntime(loadConfig({ ...process.env, RATE_LIMIT_IP_PER_SECOND: '1000000' }));
  const metrics = createMetrics();
  const q2 = createQueueModule({
    db: rt2.db,
    redis: rt2.redis,
    config: rt2.config,
    logger: rt2.logger,
    metrics,
    tokens: rt2.tokens,
    rateLimiter: rt2.rateLimiter,
    catalog: t.modules.catalog,
    onShutdown: rt2.onShutdown,
    journalIntervalMs: 1500,
    rebuildSettleMs: 0,
  });
  app2 = createHttpApp({ ...rt2, metrics });
  q2.registerRoutes(app2);
  await app2.listen({ host: '127.0.0.1', port: 0 });
  url2 = `http://127.0.0.1:${(app2.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app2.close();
  await rt2.shutdown();
  await t.close();
});

describe('joins in flight during a rebuild', () => {
  it('are re-asserted with their ticket once their journal batch lands', async () => {
    const sale = await createSale(t);
    // admitters of other test files run on this database: keep this queue still
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    const [a, b, c] = await accounts(t, 3);
    if (a === undefined || b === undefined || c === undefined) throw new Error('accounts');
    const ja = await join(t, sale.scheduleId, a.accessToken);
    const jb = await join({ ...t, baseUrl: url2 }, sale.scheduleId, b.accessToken);
    expect(jb.body).toMatchObject({ state: 'WAITING', position: (ja.body.position ?? 0) + 1 });
    // a's own journal batch (50 ms) must have landed before the wipe, else the rebuild misses a too
    // (on a loaded machine it can take longer than the two joins)
    await waitFor(
      "a's journal row",
      async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from queue_entries
          where schedule_id = ${sale.scheduleId} and ticket_number = ${ja.body.ticketNumber}`.execute(
          t.rt.db,
        );
        return (rows[0]?.n ?? 0) > 0 ? true : null;
      },
      5000,
    );

    await wipeQueueKeys(t, sale.scheduleId); // Redis loses the queue while b's join is still buffered
    const aAfter = await me(t, sale.scheduleId, a.accessToken); // rebuilds from the journal (without b)
    expect(aAfter.body).toMatchObject({ state: 'WAITING', ticketNumber: ja.body.ticketNumber, position: 1 });

    const back = await waitFor(
      'b to be re-asserted',
      async () => {
        const r = await me(t, sale.scheduleId, b.accessToken);
        return r.body.state === 'WAITING' ? r.body : null;
      },
      5000,
    );
    expect(back).toMatchObject({ ticketNumber: jb.body.ticketNumber, position: 2 });
    const jc = await join(t, sale.scheduleId, c.accessToken);
    expect(jc.body.position).toBe(3);
    expect(jc.body.ticketNumber).toBeGreaterThan(jb.body.ticketNumber ?? 0);
  }, 30_000);
});
