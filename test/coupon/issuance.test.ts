import { type ChildProcess, spawn } from 'node:child_process';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../src/modules/coupon/issuance/redis-state.ts';
import { startJobs } from '../../src/platform/jobs.ts';
import { startConsumers } from '../../src/platform/outbox/consumer-runner.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { type Actor, actor, actors, createCampaign, issue, storedCount, waitFor } from './support/actors.ts';

let t: TestApp;
let admin: Actor;
let buyers: Actor[];
let pool: Pool;

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '1000000', DATABASE_POOL_MAX: '10' });
  admin = await actor(t, 'ADMIN');
  buyers = await actors(t, 'BUYER', 3000);
  pool = new Pool(t.baseUrl, { connections: 128, pipelining: 1 });
});
afterAll(async () => {
  await pool.close();
  await t.close();
});

type Reply = { user: Actor; status: number; code?: string; couponId?: string };

async function fire(campaignId: string, users: Actor[]): Promise<Reply[]> {
  return Promise.all(
    users.map(async (user) => {
      const res = await pool.request({
        path: `/api/v1/coupon-campaigns/${campaignId}/issue`,
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}` },
      });
      const body = (await res.body.json()) as { code?: string; couponId?: string };
      return { ...body, user, status: res.statusCode };
    }),
  );
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

const couponsOf = (campaignId: string) =>
  t.rt.db
    .withTables<{
      coupons: { id: string; campaign_id: string; user_id: string; seq: number; unit: number };
    }>()
    .selectFrom('coupons')
    .select(['id', 'user_id', 'seq', 'unit'])
    .where('campaign_id', '=', campaignId)
    .execute();

describe('first come, first served under load', () => {
  it('5,000 concurrent requests from 3,000 accounts for 1,000 coupons: exactly 1,000 issued and stored', async () => {
    const stopConsumers = startConsumers(t.rt, t.modules.coupon.consumers());
    const id = await createCampaign(t, admin, { totalQuantity: 1000, perUserLimit: 1 });
    // The worker's relay job, limited to this campaign: other test files of this run share the
    // database, Redis and topics, and their grants must stay where their tests expect them.
    const relayJob = t.modules.coupon.jobs().find((j) => j.name === 'coupon-grant-relay');
    expect(relayJob?.intervalMs).toBe(50);
    const stopJobs = startJobs(
      [
        {
          name: 'relay-this-campaign',
          intervalMs: 50,
          run: async () => void (await t.modules.coupon.relayGrants([id])),
        },
      ],
      t.rt.logger,
    );
    try {
      const requests = shuffle([...buyers, ...shuffle([...buyers]).slice(0, 2000)]);
      const started = performance.now();
      const replies = await fire(id, requests);
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `coupon issue: 5000 requests in ${seconds.toFixed(2)} s (${Math.round(5000 / seconds)} req/s)`,
      );

      const issued = replies.filter((r) => r.status === 202);
      expect(issued).toHaveLength(1000);
      const winners = new Set(issued.map((r) => r.user.id));
      expect(winners.size).toBe(1000);
      expect(new Set(issued.map((r) => r.couponId)).size).toBe(1000);
      for (const r of replies.filter((x) => x.status !== 202)) {
        expect(r.status).toBe(409);
        expect(r.code).toBe(winners.has(r.user.id) ? 'LIMIT_REACHED' : 'SOLD_OUT');
      }

      const lastAccepted = Date.now();
      await waitFor('1,000 stored coupons', async () => (await storedCount(t, id)) >= 1000, 60_000, 50);
      console.log(`coupon issue: every grant stored ${Date.now() - lastAccepted} ms after the last 202`);
      const rows = await couponsOf(id);
      expect(rows).toHaveLength(1000);
      expect(new Set(rows.map((r) => r.user_id)).size).toBe(1000);
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(issued.map((r) => r.couponId)));
      expect(rows.map((r) => r.unit).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 1000 }, (_, i) => i + 1),
      );
      for (const r of rows) expect(r.seq).toBe(1);
      const view = await api(t.baseUrl, 'GET', `/api/v1/coupon-campaigns/${id}`);
      expect(view.body).toMatchObject({ issuedCount: 1000, remaining: 0 });
    } finally {
      await stopJobs();
      await stopConsumers();
    }
  }, 120_000);
});

describe('Redis losing a campaign under load', () => {
  it('rebuilds once and still never issues more than the total', async () => {
    const id = await createCampaign(t, admin, { totalQuantity: 50, perUserLimit: 1 });
    const first = await fire(id, buyers.slice(0, 20));
    expect(first.filter((r) => r.status === 202)).toHaveLength(20);
    await t.modules.coupon.reconcileCampaign(id, 0);
    const k = campaignKeys(id);
    await t.rt.redis.del(k.meta, k.stock, k.users);
    const second = await fire(id, buyers.slice(0, 400));
    const issued = second.filter((r) => r.status === 202);
    expect(issued).toHaveLength(30);
    for (const r of issued) expect(buyers.slice(0, 20).map((b) => b.id)).not.toContain(r.user.id);
    await t.modules.coupon.reconcileCampaign(id, 0);
    expect(await storedCount(t, id)).toBe(50);
  });
});

describe('never lost', () => {
  let child: ChildProcess | null = null;
  const spawnConsumer = () =>
    spawn(process.execPath, [new URL('./support/consumer-process.ts', import.meta.url).pathname], {
      env: { ...process.env, CONSUMER_BATCH: '10' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('a consumer killed mid-stream and restarted stores exactly the granted coupons', async () => {
    const id = await createCampaign(t, admin, { totalQuantity: 1500, perUserLimit: 1 });
    const replies = await fire(id, buyers.slice(0, 1500));
    const granted = new Set(replies.filter((r) => r.status === 202).map((r) => r.couponId));
    expect(granted.size).toBe(1500);
    let relayed = 0;
    while (relayed < 1500) {
      const n = await t.modules.coupon.relayGrants([id]);
      if (n === 0) break;
      relayed += n;
    }
    expect(relayed).toBe(1500);

    child = spawnConsumer();
    await waitFor('the consumer to store some', async () => (await storedCount(t, id)) >= 200, 60_000, 10);
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    const atKill = await storedCount(t, id);
    console.log(`consumer killed with ${atKill} of 1500 stored`);
    expect(atKill).toBeLessThan(1500);

    child = spawnConsumer();
    await waitFor('every grant stored', async () => (await storedCount(t, id)) >= 1500, 120_000, 200);
    child.kill('SIGTERM');
    const rows = await couponsOf(id);
    expect(rows).toHaveLength(1500);
    expect(new Set(rows.map((r) => r.id))).toEqual(granted);
    expect(new Set(rows.map((r) => r.user_id)).size).toBe(1500);
  }, 180_000);

  it('the reconciler stores a grant whose Kafka publish was lost', async () => {
    const id = await createCampaign(t, admin, { totalQuantity: 10, perUserLimit: 1 });
    const b = await actor(t, 'BUYER');
    const res = await issue(t, id, b);
    expect(res.status).toBe(202);
    // the stream entry vanishes before any relay published it: Kafka never hears of this grant
    await t.rt.redis.del(campaignKeys(id).stream);
    expect(await t.modules.coupon.relayGrants([id])).toBe(0);
    expect(await storedCount(t, id)).toBe(0);
    const young = await t.modules.coupon.reconcileCampaign(id); // inside the grace period: left alone
    expect(young.repaired).toBe(0);
    const repaired = await t.modules.coupon.reconcileCampaign(id, 0);
    expect(repaired).toMatchObject({ granted: 1, stored: 0, repaired: 1, refused: 0 });
    expect(await storedCount(t, id)).toBe(1);
    expect((await t.modules.coupon.reconcileCampaign(id, 0)).repaired).toBe(0);
    const mine = await api<{ id: string; status: string }[]>(t.baseUrl, 'GET', '/api/v1/me/coupons', {
      token: b.token,
    });
    expect(mine.body.map((c) => [c.id, c.status])).toEqual([[res.body.couponId, 'AVAILABLE']]);
  });

  it('with Kafka down, issuing still answers 202 and the grant waits in Redis until stored', async () => {
    const down = await startTestApp({ KAFKA_BROKERS: '127.0.0.1:1', RATE_LIMIT_IP_PER_SECOND: '100000' });
    try {
      const id = await createCampaign(down, admin, { totalQuantity: 10, perUserLimit: 1 });
      const b = await actor(t, 'BUYER');
      const res = await issue(down, id, b);
      expect(res.status).toBe(202);
      await expect(down.modules.coupon.relayGrants([id])).rejects.toThrow();
      expect(await t.rt.redis.xlen(campaignKeys(id).stream)).toBe(1); // still there, pending
      expect((await down.modules.coupon.reconcileCampaign(id, 0)).repaired).toBe(1);
      expect(await storedCount(t, id)).toBe(1);
    } finally {
      await down.close();
    }
  });
});
