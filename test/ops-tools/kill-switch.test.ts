import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { SALES_KEY } from '../../src/modules/ops/sales/redis-copy.ts';
import { checkout } from '../payment/support/sandbox.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import {
  accounts,
  admit,
  at,
  expectStatus,
  hold,
  joinQueue,
  newSale,
  type OpsTestApp,
  openStream,
  order,
  patchQueue,
  queueMe,
  setSales,
  startOpsApp,
  until,
} from './support.ts';

let t: OpsTestApp;
let other: TestApp;
let admin: BulkAccount;
beforeAll(async () => {
  t = await startOpsApp();
  // A second api process on the same PostgreSQL and Redis: it learns of the switch through Redis.
  other = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '10000000', DATABASE_POOL_MAX: '4' });
  admin = at(await accounts(t, 1, 'ADMIN'), 0);
});
afterAll(async () => {
  await other.close();
  await t.close();
});

describe('per-performance sales kill switch', () => {
  it('halts joins, holds and orders (not payments of existing orders); waiters see paused; re-enabling restores', async () => {
    const sale = await newSale(t, { rows: 2, perRow: 5 });
    const buyers = await accounts(t, 5);
    const [a, waiter, late, remote, lateRemote] = buyers as [
      BulkAccount,
      BulkAccount,
      BulkAccount,
      BulkAccount,
      BulkAccount,
    ];
    const tokens = await admit(t, sale.scheduleId, [a]);
    const admission = tokens.get(a.id);
    const [s1, s2, s3] = sale.seats.slice(0, 3).map((s) => s.id) as [number, number, number];
    // An order waiting for payment and a hold not ordered yet, both made before the switch.
    const h1 = await hold(t, a, sale.scheduleId, admission, { seatIds: [s1] });
    expectStatus(h1, 201);
    const pending = await order(t, a, { holdId: h1.body.holdId });
    expectStatus(pending, 201);
    const h2 = await hold(t, a, sale.scheduleId, admission, { seatIds: [s2] });
    expectStatus(h2, 201);
    // One active slot only: the waiter stays WAITING behind a.
    expectStatus(await patchQueue(t, sale.seller, sale.scheduleId, { maxActive: 1 }), 200);
    expectStatus(await joinQueue(t, waiter, sale.scheduleId), 202);
    expect((await queueMe(t, waiter, sale.scheduleId)).body).toMatchObject({
      state: 'WAITING',
      paused: false,
    });
    const stream = openStream(
      `${t.baseUrl}/api/v1/schedules/${sale.scheduleId}/queue/stream`,
      waiter.accessToken,
    );

    // Sellers cannot pull the switch; admins can.
    expect((await setSales(t, sale.seller, sale.performanceId, { enabled: false, reason: 'x' })).status).toBe(
      403,
    );
    const off = await setSales(t, admin, sale.performanceId, {
      enabled: false,
      reason: 'fraud investigation',
    });
    expectStatus(off, 200);
    expect(off.body).toMatchObject({ enabled: false, reason: 'fraud investigation', propagated: true });
    const state = await api(t.baseUrl, 'GET', `/api/v1/admin/performances/${sale.performanceId}/sales`, {
      token: admin.accessToken,
    });
    expect(state.body).toMatchObject({
      performanceId: sale.performanceId,
      enabled: false,
      changedBy: admin.id,
    });

    // This process knows at once.
    const refused = await joinQueue(t, late, sale.scheduleId);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'SALES_PAUSED', reason: 'fraud investigation' });
    expect((await queueMe(t, waiter, sale.scheduleId)).body).toMatchObject({
      state: 'WAITING',
      paused: true,
    });
    const noHold = await hold(t, a, sale.scheduleId, admission, { seatIds: [s3] });
    expect(noHold.status).toBe(409);
    expect(noHold.body.code).toBe('SALES_PAUSED');
    const noOrder = await order(t, a, { holdId: h2.body.holdId });
    expect(noOrder.status).toBe(409);
    expect(noOrder.body.code).toBe('SALES_PAUSED');
    // Paying the order made before the switch still works.
    const paymentKey = await checkout(`${t.baseUrl}/sandbox/toss`, {
      orderId: pending.body.tossOrderId,
      amount: pending.body.amount,
    });
    const confirm = await api(t.baseUrl, 'POST', '/api/v1/payments/confirm', {
      token: a.accessToken,
      body: { orderId: pending.body.tossOrderId, paymentKey, amount: pending.body.amount },
    });
    expectStatus(confirm, 200);
    expect(confirm.body.status).toBe('PAID');

    // Another process knows within a second (its snapshot is at most 1 s old).
    const started = Date.now();
    const remoteRefused = await until(
      () => joinQueue(other, remote, sale.scheduleId),
      (r) => r.status === 409,
      3000,
      20,
    );
    expect(remoteRefused.body.code).toBe('SALES_PAUSED');
    expect(Date.now() - started).toBeLessThan(1500);
    // The stream tells the waiter.
    const pausedEvent = await until(
      async () => stream.events.find((e) => e.event === 'paused' && e.data.paused === true),
      (e) => e !== undefined,
      4000,
    );
    expect(pausedEvent).toBeDefined();

    // Redis loses its copy: PostgreSQL's record still answers, and the copy comes back.
    await t.rt.redis.del(SALES_KEY);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await joinQueue(t, late, sale.scheduleId)).body.code).toBe('SALES_PAUSED');
    expect(await t.rt.redis.hexists(SALES_KEY, sale.performanceId)).toBe(1);

    // Re-enabled: everything is back, here at once and elsewhere within a second.
    const on = await setSales(t, admin, sale.performanceId, { enabled: true, reason: 'cleared' });
    expectStatus(on, 200);
    expect(on.body).toMatchObject({ enabled: true, reason: 'cleared' });
    expectStatus(await joinQueue(t, late, sale.scheduleId), 202);
    expect((await queueMe(t, waiter, sale.scheduleId)).body.paused).toBe(false);
    expectStatus(await order(t, a, { holdId: h2.body.holdId }), 201);
    expectStatus(await hold(t, a, sale.scheduleId, admission, { seatIds: [s3] }), 201);
    const remoteJoined = await until(
      () => joinQueue(other, lateRemote, sale.scheduleId),
      (r) => r.status === 202,
      3000,
      20,
    );
    expectStatus(remoteJoined, 202);
    const resumed = await until(
      async () => stream.events.find((e) => e.event === 'paused' && e.data.paused === false),
      (e) => e !== undefined,
      4000,
    );
    expect(resumed).toBeDefined();
    stream.close();
  });

  it('stops admissions while halted: waiters stay WAITING, and are admitted once re-enabled', async () => {
    const sale = await newSale(t);
    const [w] = await accounts(t, 1);
    if (w === undefined) throw new Error('no buyer');
    expectStatus(await patchQueue(t, sale.seller, sale.scheduleId, { paused: true }), 200);
    expectStatus(await joinQueue(t, w, sale.scheduleId), 202);
    expectStatus(await setSales(t, admin, sale.performanceId, { enabled: false, reason: 'hold on' }), 200);
    expectStatus(await patchQueue(t, sale.seller, sale.scheduleId, { paused: false }), 200);
    await new Promise((r) => setTimeout(r, 800)); // eight admitter ticks
    expect((await queueMe(t, w, sale.scheduleId)).body).toMatchObject({ state: 'WAITING', paused: true });
    expectStatus(await setSales(t, admin, sale.performanceId, { enabled: true, reason: 'go' }), 200);
    const admitted = await until(
      () => queueMe(t, w, sale.scheduleId),
      (r) => r.body.state === 'ADMITTED',
      5000,
    );
    expect(admitted.body.state).toBe('ADMITTED');
  });

  it('answers 404 for an unknown performance and 400 for a bad body', async () => {
    const missing = await setSales(t, admin, '00000000-0000-4000-8000-000000000000', {
      enabled: false,
      reason: 'x',
    });
    expect(missing.status).toBe(404);
    const sale = await newSale(t);
    const bad = await api(t.baseUrl, 'POST', `/api/v1/admin/performances/${sale.performanceId}/sales`, {
      token: admin.accessToken,
      body: { enabled: 'no' },
    });
    expect(bad.status).toBe(400);
    const fresh = await api(t.baseUrl, 'GET', `/api/v1/admin/performances/${sale.performanceId}/sales`, {
      token: admin.accessToken,
    });
    expect(fresh.body).toMatchObject({ enabled: true, reason: null, changedAt: null });
  });
});
