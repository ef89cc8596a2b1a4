import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fenceKey, leaseKey } from '../../src/modules/queue/keys.ts';
import { LeaseClient } from '../../src/modules/queue/lease.ts';
import { FencedError, QueueStore } from '../../src/modules/queue/store.ts';
import { startTestApp, type TestApp } from '../support/harness.ts';
import { accounts, createSale, join, onlyOwn, patchQueue, waitFor } from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '1000000' });
});
afterAll(async () => t.close());

describe('admitter leadership', () => {
  it('fails over when the leader dies mid-admission; nobody is admitted twice', async () => {
    const sale = await createSale(t, {
      queue: { admitPerSecond: 30, maxActive: 10_000, admissionTtlSeconds: 600 },
    });
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    const buyers = await accounts(t, 150);
    await Promise.all(buyers.map((b) => join(t, sale.scheduleId, b.accessToken)));

    const options = { discoverMs: 200, leaseTtlMs: 1500, accept: onlyOwn };
    const a = t.modules.queue.createAdmitter({ ...options, owner: 'admitter-A' });
    const b = t.modules.queue.createAdmitter({ ...options, owner: 'admitter-B' });
    a.start();
    await waitFor('A to lead', async () => a.leading.includes(sale.scheduleId));
    b.start();
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: false });
    await waitFor(
      'admissions to start',
      async () => (await t.modules.queue.stats(sale.scheduleId)).admittedTotal >= 20,
    );

    // the leader dies without releasing its lease (a crash); B must take over once it runs out
    await a.stop({ release: false });
    const killedAt = Date.now();
    const atKill = (await t.modules.queue.stats(sale.scheduleId)).admittedTotal;
    expect(atKill).toBeLessThan(150);
    const resumedAt = await waitFor(
      'admission to resume',
      async () => ((await t.modules.queue.stats(sale.scheduleId)).admittedTotal > atKill ? Date.now() : null),
      10_000,
    );
    await waitFor(
      'everyone admitted',
      async () => (await t.modules.queue.stats(sale.scheduleId)).admittedTotal >= 150,
      20_000,
    );
    await b.stop();
    console.info(`failover: admission resumed ${resumedAt - killedAt} ms after the leader died`);
    expect(resumedAt - killedAt).toBeLessThan(4000);

    // nobody admitted twice: one admission per place in the journal, and in the admitted events
    await t.modules.queue.flushJournal();
    const { rows } = await sql<{ n: number; users: number }>`
      select count(*)::int as n, count(distinct user_id)::int as users
      from queue_entries where schedule_id = ${sale.scheduleId} and admitted_at is not null`.execute(t.rt.db);
    expect(rows[0]).toEqual({ n: 150, users: 150 });
    const events = await sql<{ payload: { entries: { userId: string }[] } }>`
      select payload from outbox where key = ${sale.scheduleId} and type = 'queue.admitted'`.execute(t.rt.db);
    const admittedUsers = events.rows.flatMap((e) => e.payload.entries.map((x) => x.userId));
    expect(admittedUsers).toHaveLength(150);
    expect(new Set(admittedUsers).size).toBe(150);
    expect((await t.modules.queue.stats(sale.scheduleId)).active).toBe(150);
  }, 60_000);

  it('fences a stale leader: its token admits nobody once the lease moved on', async () => {
    const sale = await createSale(t, {
      queue: { admitPerSecond: 100, maxActive: 100, admissionTtlSeconds: 60 },
    });
    const [buyer] = await accounts(t, 1);
    await join(t, sale.scheduleId, buyer?.accessToken ?? '');
    const lease = new LeaseClient(t.rt.redis);
    const store = new QueueStore(t.rt.redis);
    const id = sale.scheduleId;
    // keep real admitters (of other test files) away while this test owns the lease by hand
    const stale = await waitFor('a free lease', () =>
      lease.acquire(leaseKey(id), fenceKey(id), 'stale', 300),
    );
    expect(await lease.acquire(leaseKey(id), fenceKey(id), 'fresh', 5000)).toBeNull(); // held
    await new Promise((r) => setTimeout(r, 400)); // the stale leader pauses (GC, partition)…
    const fresh = await lease.acquire(leaseKey(id), fenceKey(id), 'fresh', 5000);
    expect(fresh).not.toBeNull();
    expect(fresh).not.toBe(stale);
    // …and wakes up believing it still leads
    await expect(store.admit(id, stale, 0, 10)).rejects.toBeInstanceOf(FencedError);
    expect(await lease.renew(leaseKey(id), stale, 5000)).toBe(false);
    const out = await store.admit(id, fresh ?? '', 0, 10);
    expect(out).not.toBeNull();
    await lease.release(leaseKey(id), fresh ?? '');
  });
});
