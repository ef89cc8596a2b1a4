import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admitter } from '../../src/modules/queue/index.ts';
import { startJobs } from '../../src/platform/jobs.ts';
import { startConsumers } from '../../src/platform/outbox/consumer-runner.ts';
import { createRedis, unlinkMatching } from '../../src/platform/redis.ts';
import {
  admit,
  accounts as bookingAccounts,
  createSale as createSeatSale,
  type HoldBody,
  hold,
  redisSeats,
  sample,
} from '../booking/support.ts';
import { actor, actors, createCampaign, storedCount } from '../coupon/support/actors.ts';
import { openStream } from '../ops-tools/support.ts';
import {
  createSale as createQueueSale,
  joinAll,
  me,
  patchQueue,
  pool,
  accounts as queueAccounts,
  queuePath,
  waitFor,
} from '../queue/support.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { ensureCluster, keysPerMaster, slotsOf } from './support.ts';

/**
 * The system on a 3-master Redis Cluster (scripts/redis-cluster/up.sh, started here when not running):
 * two api processes `a` and `b` share it, so what one accepts the other must see through Redis alone.
 * Every script and multi-key command must keep to one slot (hash tag per aggregate), and the keys of
 * the run must really be spread over the masters.
 */
let nodes: string;
let a: TestApp;
let b: TestApp;
let admitter: Admitter;
/** Schedules of this file: the admitter (on the cluster) leads only these. */
const mine = new Set<string>();
const aggregates: string[] = [];

beforeAll(async () => {
  nodes = ensureCluster();
  const env = {
    REDIS_CLUSTER_NODES: nodes,
    RATE_LIMIT_IP_PER_SECOND: '10000000',
    RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND: '1000',
    DATABASE_POOL_MAX: '6',
  };
  a = await startTestApp(env);
  b = await startTestApp(env);
  admitter = a.modules.queue.createAdmitter({ discoverMs: 100, accept: (id) => mine.has(id) });
  admitter.start();
});

afterAll(async () => {
  await admitter?.stop();
  await Promise.all([a?.close(), b?.close()]);
  // a whole run on the cluster (REDIS_CLUSTER_NODES set for every file) is cleaned by global-setup
  if (nodes !== undefined && process.env.REDIS_CLUSTER_NODES === undefined) {
    const raw = createRedis('', '', nodes);
    await unlinkMatching(raw, `${a.rt.config.REDIS_KEY_PREFIX}*`);
    await raw.quit();
  }
});

describe('on a Redis Cluster', () => {
  it('queue: concurrent joins through two processes get positions 1..N; admission, rank and the stream follow', async () => {
    const n = 300;
    const maxActive = 10;
    const sale = await createQueueSale(a, {
      queue: { admitPerSecond: 50, maxActive, admissionTtlSeconds: 600 },
    });
    const id = sale.scheduleId;
    mine.add(id);
    aggregates.push(`{s:${id}}`);
    await patchQueue(a, id, sale.seller.accessToken, { paused: true });
    const buyers = await queueAccounts(a, n);
    const tokens = buyers.map((u) => u.accessToken);
    const joins = (
      await Promise.all([joinAll(a, id, tokens.slice(0, n / 2), 64), joinAll(b, id, tokens.slice(n / 2), 64)])
    ).flat();
    for (const j of joins) expect(j.status, JSON.stringify(j.body)).toBe(202);
    expect(joins.every((j) => j.body.state === 'WAITING')).toBe(true);
    expect(new Set(joins.map((j) => j.body.ticketNumber)).size).toBe(n);
    const positions = joins.map((j) => j.body.position as number).sort((x, y) => x - y);
    expect(positions).toEqual(Array.from({ length: n }, (_, i) => i + 1));

    // rank by ticket; streams (on b) of the first and the 15th in line
    const byTicket = buyers
      .map((u, i) => ({ u, ticket: joins[i]?.body.ticketNumber as number }))
      .sort((x, y) => x.ticket - y.ticket);
    const first = byTicket[0]?.u;
    const fifteenth = byTicket[14]?.u;
    const streamOf = (token = '') => openStream(`${b.baseUrl}${queuePath(id)}/stream`, token);
    const s1 = streamOf(first?.accessToken);
    const s15 = streamOf(fifteenth?.accessToken);
    try {
      await waitFor('position 15 on the stream', async () =>
        s15.events.some((e) => e.event === 'position' && e.data.position === 15),
      );
      await patchQueue(b, id, sale.seller.accessToken, { paused: false });
      const admitted = await waitFor(
        'the first admitted on the stream',
        async () => s1.events.find((e) => e.event === 'admitted'),
        20_000,
      );
      expect(
        await b.modules.queue.verifyAdmission(String(admitted.data.admissionToken), id, first?.id ?? ''),
      ).toBe(true);
      await waitFor(
        'position 5 on the stream',
        async () => s15.events.some((e) => e.event === 'position' && e.data.position === maxActive - 5),
        20_000,
      );
    } finally {
      for (const s of [s1, s15]) s.close();
      await Promise.all([s1.done, s15.done]);
    }

    // exactly the first maxActive are admitted; everyone else moved up by maxActive (read through both)
    const views = await pool(byTicket, 50, ({ u }, i) => me(i % 2 === 0 ? a : b, id, u.accessToken));
    views.forEach((v, i) => {
      if (i < maxActive) {
        expect(v.body.state).toBe('ADMITTED');
        expect(v.body.admissionToken).toBeTypeOf('string');
      } else {
        expect(v.body).toMatchObject({ state: 'WAITING', position: i + 1 - maxActive });
      }
    });
    const stats = await api(a.baseUrl, 'GET', `${queuePath(id)}/stats`, { token: sale.seller.accessToken });
    expect(stats.body).toMatchObject({ waiting: n - maxActive, active: maxActive, admittedTotal: maxActive });
  }, 60_000);

  it('seats: many buyers on 10 seats through two processes; no seat in two holds; the seat stream hears it', async () => {
    const sale = await createSeatSale(a, { rows: 1, perRow: 5, maxTicketsPerBuyer: 4 });
    const id = sale.scheduleId;
    mine.add(id);
    const seatIds = sale.seats.map((s) => s.id);
    expect(seatIds).toHaveLength(10);
    const stream = openStream(`${b.baseUrl}/api/v1/schedules/${id}/seats/stream`, ''); // public: no token read
    try {
      await waitFor('the snapshot', async () => stream.events.some((e) => e.event === 'snapshot'));
      const buyers = await bookingAccounts(a, 60);
      const admissions = await admit(a, id, buyers);
      const results = await Promise.all(
        buyers.map((u, i) =>
          hold(i % 2 === 0 ? a : b, u, id, admissions.get(u.id), {
            seatIds: sample(seatIds, 1 + Math.floor(Math.random() * 3)),
          }),
        ),
      );
      const owner = new Map<number, string>();
      for (const r of results) {
        if (r.status !== 201) {
          expect(r.status, JSON.stringify(r.body)).toBe(409);
          expect(r.body.code).toBe('SEATS_UNAVAILABLE');
          continue;
        }
        for (const s of (r.body as HoldBody).seatIds) {
          expect(owner.has(s), `seat ${s} in two holds`).toBe(false);
          owner.set(s, r.body.holdId);
        }
      }
      expect(owner.size).toBeGreaterThan(0);
      for (const r of results)
        for (const s of r.body.unavailableSeatIds ?? []) expect(owner.has(s)).toBe(true);
      const inRedis = await redisSeats(b, id);
      for (const [seat, holdId] of owner) expect(inRedis.get(seat)?.split('|')[0]).toBe(holdId);
      expect([...inRedis.keys()].every((s) => owner.has(s))).toBe(true);
      // PUBLISH from the scripts on the slot's master reaches b's subscriber, wherever it is connected
      await waitFor('every held seat on the stream', async () => {
        const held = new Set(
          stream.events
            .flatMap((e) => (e.data.changes ?? []) as { id: number; status: string }[])
            .filter((c) => c.status === 'HELD')
            .map((c) => c.id),
        );
        return [...owner.keys()].every((s) => held.has(s));
      });
    } finally {
      stream.close();
      await stream.done;
    }
    aggregates.push(`{s:${id}}`);
  }, 60_000);

  it('coupons: 300 concurrent requests through two processes for 100 coupons: exactly 100 granted and stored via Kafka', async () => {
    const admin = await actor(a, 'ADMIN');
    const id = await createCampaign(a, admin, { totalQuantity: 100, perUserLimit: 1 });
    aggregates.push(`{c:${id}}`);
    const buyers = await actors(a, 'BUYER', 300);
    const stopConsumers = startConsumers(a.rt, a.modules.coupon.consumers());
    const stopJobs = startJobs(
      [
        {
          name: 'relay-this-campaign',
          intervalMs: 50,
          run: async () => void (await a.modules.coupon.relayGrants([id])),
        },
      ],
      a.rt.logger,
    );
    const pools = [new Pool(a.baseUrl, { connections: 32 }), new Pool(b.baseUrl, { connections: 32 })];
    try {
      const replies = await Promise.all(
        buyers.map(async (u, i) => {
          const res = await pools[i % 2]?.request({
            path: `/api/v1/coupon-campaigns/${id}/issue`,
            method: 'POST',
            headers: { authorization: `Bearer ${u.token}` },
          });
          const body = (await res?.body.json()) as { code?: string; couponId?: string };
          return { ...body, http: res?.statusCode };
        }),
      );
      const granted = replies.filter((r) => r.http === 202);
      expect(granted).toHaveLength(100);
      expect(new Set(granted.map((r) => r.couponId)).size).toBe(100);
      for (const r of replies.filter((x) => x.http !== 202))
        expect(r).toMatchObject({ http: 409, code: 'SOLD_OUT' });
      await waitFor('100 stored coupons', async () => (await storedCount(a, id)) >= 100, 30_000);
      expect(await storedCount(a, id)).toBe(100);
      const view = await api(b.baseUrl, 'GET', `/api/v1/coupon-campaigns/${id}`);
      expect(view.body).toMatchObject({ issuedCount: 100, remaining: 0 });
    } finally {
      await Promise.all(pools.map((p) => p.close()));
      await stopJobs();
      await stopConsumers();
    }
  }, 60_000);

  it("spreads the run's keys over the masters, each aggregate's keys in one slot", async () => {
    const prefix = a.rt.config.REDIS_KEY_PREFIX;
    const perMaster = await keysPerMaster(nodes, prefix);
    const counts = Object.fromEntries([...perMaster].map(([node, keys]) => [node, keys.length]));
    console.info(`keys per master: ${JSON.stringify(counts)}`);
    expect(perMaster.size).toBe(3);
    expect([...perMaster.values()].filter((keys) => keys.length > 0).length).toBeGreaterThanOrEqual(2);
    const all = [...perMaster.values()].flat();
    expect(aggregates).toHaveLength(3);
    for (const tag of aggregates) {
      const keys = all.filter((k) => k.includes(tag));
      expect(keys.length, tag).toBeGreaterThan(1);
      expect((await slotsOf(nodes, keys)).size, `${tag}: ${keys.join(' ')}`).toBe(1);
    }
  });
});
