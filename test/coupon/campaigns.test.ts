import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../src/modules/coupon/issuance/redis-state.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { type Actor, actor, campaignBody, createCampaign, issue, performanceOf } from './support/actors.ts';

let t: TestApp;
let seller: Actor;
let otherSeller: Actor;
let admin: Actor;
let buyer: Actor;
let performanceId: string;

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '100000' });
  [seller, otherSeller, admin, buyer] = await Promise.all([
    actor(t, 'SELLER'),
    actor(t, 'SELLER'),
    actor(t, 'ADMIN'),
    actor(t, 'BUYER'),
  ]);
  performanceId = await performanceOf(t, seller);
});
afterAll(async () => t.close());

const post = (who: Actor | null, body: unknown) =>
  api(t.baseUrl, 'POST', '/api/v1/coupon-campaigns', { ...(who === null ? {} : { token: who.token }), body });

describe('creating campaigns', () => {
  it('a seller creates one for its own performance: seller-funded, full stock', async () => {
    const res = await post(seller, campaignBody({ performanceId, totalQuantity: 50, grades: ['R'] }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      fundedBy: 'SELLER',
      performanceId,
      sellerId: seller.id,
      grades: ['R'],
      totalQuantity: 50,
      issuedCount: 0,
      remaining: 50,
      issuing: true,
    });
    const got = await api(t.baseUrl, 'GET', `/api/v1/coupon-campaigns/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: res.body.id, fundedBy: 'SELLER', issuedCount: 0, remaining: 50 });
  });

  it("refuses a seller on another seller's performance (403) or without a performance (403)", async () => {
    const foreign = await post(otherSeller, campaignBody({ performanceId }));
    expect(foreign.status).toBe(403);
    const none = await post(seller, campaignBody());
    expect(none.status).toBe(403);
  });

  it('an admin may omit the performance: platform-funded, every performance', async () => {
    const res = await post(admin, campaignBody());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ fundedBy: 'PLATFORM', performanceId: null, sellerId: null });
    const forOne = await post(admin, campaignBody({ performanceId }));
    expect(forOne.body).toMatchObject({ fundedBy: 'PLATFORM', performanceId, sellerId: seller.id });
  });

  it('404 for an unknown performance, 401 without a token, 403 for a buyer (before the body is read)', async () => {
    expect((await post(admin, campaignBody({ performanceId: crypto.randomUUID() }))).status).toBe(404);
    expect((await post(null, { nonsense: true })).status).toBe(401);
    expect((await post(buyer, { nonsense: true })).status).toBe(403);
  });

  it.each([
    ['an unknown kind', { kind: 'BOGUS' }, 'body.kind'],
    ['a percentage above 100', { kind: 'PERCENTAGE', value: 101 }, 'body.value'],
    ['a missing kind parameter', { kind: 'BUY_N_PERCENTAGE', value: 10 }, 'body.params.minTickets'],
    [
      'a window ending before it starts',
      { issueEndsAt: new Date(Date.now() - 120_000).toISOString() },
      'body.issueEndsAt',
    ],
    [
      'validity ending before the window',
      { validUntil: new Date(Date.now() + 1000).toISOString() },
      'body.validUntil',
    ],
    ['a zero quantity', { totalQuantity: 0 }, 'body.totalQuantity'],
    ['an unknown grade of the performance', { performanceId: 'PERF', grades: ['VIP'] }, 'body.grades'],
    ['an unknown field', { colour: 'red' }, 'body'],
    ['a date that is no date', { issueStartsAt: 'yesterday' }, 'body.issueStartsAt'],
    ['a fractional value', { kind: 'FIXED', value: 10.5 }, 'body.value'],
    ['params that are no object', { params: [1, 2] }, 'body.params'],
  ])('400 VALIDATION_FAILED for %s', async (_name, override, field) => {
    const o = { ...override } as Record<string, unknown>;
    if (o.performanceId === 'PERF') o.performanceId = performanceId;
    const res = await post(admin, campaignBody(o));
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(String(res.body.field)).toContain(field);
  });

  it('accepts every registered kind and lists the kinds', async () => {
    const kinds = await api<{ name: string }[]>(t.baseUrl, 'GET', '/api/v1/coupon-kinds');
    expect(kinds.body.map((k) => k.name)).toEqual(['BUY_N_PERCENTAGE', 'FIXED', 'PERCENTAGE', 'PER_TICKET']);
    for (const body of [
      { kind: 'FIXED', value: 5000 },
      { kind: 'PER_TICKET', value: 3000, params: { maxTickets: 2 } },
      { kind: 'BUY_N_PERCENTAGE', value: 15, params: { minTickets: 4 } },
    ]) {
      expect((await post(seller, campaignBody({ ...body, performanceId }))).status).toBe(201);
    }
  });

  it('replays a creation with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `camp-${crypto.randomUUID()}` };
    const body = campaignBody({ performanceId });
    const a = await api(t.baseUrl, 'POST', '/api/v1/coupon-campaigns', {
      token: seller.token,
      body,
      headers,
    });
    const b = await api(t.baseUrl, 'POST', '/api/v1/coupon-campaigns', {
      token: seller.token,
      body,
      headers,
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
  });

  it("lists a performance's campaigns and the platform-wide ones, publicly", async () => {
    const own = await createCampaign(t, seller, { performanceId, name: 'own' });
    const res = await api<{ items: { id: string; performanceId: string | null }[] }>(
      t.baseUrl,
      'GET',
      `/api/v1/coupon-campaigns?performanceId=${performanceId}&limit=100`,
    );
    expect(res.status).toBe(200);
    expect(res.body.items.map((c) => c.id)).toContain(own);
    for (const c of res.body.items) expect([performanceId, null]).toContain(c.performanceId);
    expect((await api(t.baseUrl, 'GET', '/api/v1/coupon-campaigns?limit=0')).status).toBe(400);
  });

  it('404 for an unknown campaign, 400 for a malformed id', async () => {
    expect((await api(t.baseUrl, 'GET', `/api/v1/coupon-campaigns/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await api(t.baseUrl, 'GET', '/api/v1/coupon-campaigns/not-a-uuid')).status).toBe(400);
  });
});

describe('issuing', () => {
  it('issues, counts, and refuses with the precise reason', async () => {
    const id = await createCampaign(t, admin, { totalQuantity: 2, perUserLimit: 2 });
    const [b1, b2] = [await actor(t, 'BUYER'), await actor(t, 'BUYER')];
    const first = await issue(t, id, b1);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ status: 'ISSUED', couponId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await issue(t, id, b1)).status).toBe(202);
    const limit = await issue(t, id, b1);
    expect([limit.status, limit.body.code]).toEqual([409, 'LIMIT_REACHED']);
    const soldOut = await issue(t, id, b2);
    expect([soldOut.status, soldOut.body.code]).toEqual([409, 'SOLD_OUT']);
    const view = await api(t.baseUrl, 'GET', `/api/v1/coupon-campaigns/${id}`);
    expect(view.body).toMatchObject({ issuedCount: 2, remaining: 0, issuing: false });
  });

  it('NOT_ISSUING before the window opens; 404 for an unknown campaign; only buyers', async () => {
    const id = await createCampaign(t, admin, {
      issueStartsAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    const early = await issue(t, id, buyer);
    expect([early.status, early.body.code]).toEqual([409, 'NOT_ISSUING']);
    expect((await issue(t, crypto.randomUUID(), buyer)).status).toBe(404);
    expect((await issue(t, id, seller)).status).toBe(403);
    expect((await api(t.baseUrl, 'POST', `/api/v1/coupon-campaigns/${id}/issue`)).status).toBe(401);
  });

  it('NOT_ISSUING once the window closed', async () => {
    const id = await createCampaign(t, admin, { issueEndsAt: new Date(Date.now() + 1500).toISOString() });
    await new Promise((r) => setTimeout(r, 1600));
    const late = await issue(t, id, buyer);
    expect([late.status, late.body.code]).toEqual([409, 'NOT_ISSUING']);
  });

  it('an Idempotency-Key returns the first answer again and takes no second unit', async () => {
    const id = await createCampaign(t, admin, { totalQuantity: 10, perUserLimit: 3 });
    const b = await actor(t, 'BUYER');
    const headers = { 'idempotency-key': 'same-click' };
    const a1 = await issue(t, id, b, headers);
    const a2 = await issue(t, id, b, headers);
    expect(a2.status).toBe(202);
    expect(a2.body.couponId).toBe(a1.body.couponId);
    expect(a2.headers.get('idempotent-replayed')).toBe('true');
    expect((await issue(t, id, b, { 'idempotency-key': 'x'.repeat(301) })).status).toBe(400);
    expect((await issue(t, id, b, { 'idempotency-key': 'has space' })).status).toBe(400);
    const other = await issue(t, id, b, { 'idempotency-key': 'another-click' });
    expect(other.body.couponId).not.toBe(a1.body.couponId);
    const view = await api(t.baseUrl, 'GET', `/api/v1/coupon-campaigns/${id}`);
    expect(view.body.issuedCount).toBe(2);
  });

  it('shows a just-issued coupon in /me/coupons at once (before it is stored)', async () => {
    const id = await createCampaign(t, admin, { kind: 'FIXED', value: 5000, maxDiscount: undefined });
    const b = await actor(t, 'BUYER');
    const issued = await issue(t, id, b);
    const mine = await api<{ id: string; status: string }[]>(t.baseUrl, 'GET', '/api/v1/me/coupons', {
      token: b.token,
    });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([
      expect.objectContaining({
        id: issued.body.couponId,
        campaignId: id,
        kind: 'FIXED',
        value: 5000,
        status: 'AVAILABLE',
      }),
    ]);
  });

  it('rebuilds a campaign whose Redis state was lost, from PostgreSQL plus pending grants', async () => {
    const id = await createCampaign(t, admin, { totalQuantity: 6, perUserLimit: 1 });
    const buyers = await Promise.all([1, 2, 3, 4].map(() => actor(t, 'BUYER')));
    for (const b of buyers.slice(0, 3)) expect((await issue(t, id, b)).status).toBe(202);
    await t.modules.coupon.reconcileCampaign(id, 0); // three stored
    expect((await issue(t, id, buyers[3] as Actor)).status).toBe(202); // one still pending in Redis
    const k = campaignKeys(id);
    await t.rt.redis.del(k.meta, k.stock, k.users);
    const view = await api(t.baseUrl, 'GET', `/api/v1/coupon-campaigns/${id}`);
    expect(view.body).toMatchObject({ issuedCount: 4, remaining: 2 });
    expect((await issue(t, id, buyers[0] as Actor)).body.code).toBe('LIMIT_REACHED');
    expect((await issue(t, id, buyers[3] as Actor)).body.code).toBe('LIMIT_REACHED');
    // Redis loses everything: PostgreSQL alone says three were taken
    await t.rt.redis.del(k.meta, k.stock, k.users, k.grants, k.stream);
    expect((await issue(t, id, buyers[1] as Actor)).body.code).toBe('LIMIT_REACHED');
    expect((await issue(t, id, await actor(t, 'BUYER'))).status).toBe(202);
    const after = await api(t.baseUrl, 'GET', `/api/v1/coupon-campaigns/${id}`);
    expect(after.body).toMatchObject({ issuedCount: 4, remaining: 2 });
  });
});

describe('stopping', () => {
  it('the owner or an admin stops issuing; coupons already issued stay', async () => {
    const id = await createCampaign(t, seller, { performanceId });
    const b = await actor(t, 'BUYER');
    expect((await issue(t, id, b)).status).toBe(202);
    const stranger = await api(t.baseUrl, 'POST', `/api/v1/coupon-campaigns/${id}/stop`, {
      token: otherSeller.token,
    });
    expect(stranger.status).toBe(403);
    const stopped = await api(t.baseUrl, 'POST', `/api/v1/coupon-campaigns/${id}/stop`, {
      token: seller.token,
    });
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ issuing: false, stopReason: 'STOPPED_BY_OWNER', issuedCount: 1 });
    expect((await issue(t, id, await actor(t, 'BUYER'))).body.code).toBe('NOT_ISSUING');
    // a rebuild of the Redis state keeps it stopped
    const k = campaignKeys(id);
    await t.rt.redis.del(k.meta, k.stock);
    expect((await issue(t, id, await actor(t, 'BUYER'))).body.code).toBe('NOT_ISSUING');
    const mine = await api<{ id: string }[]>(t.baseUrl, 'GET', '/api/v1/me/coupons', { token: b.token });
    expect(mine.body).toHaveLength(1);
    const byAdmin = await createCampaign(t, seller, { performanceId });
    expect(
      (await api(t.baseUrl, 'POST', `/api/v1/coupon-campaigns/${byAdmin}/stop`, { token: admin.token }))
        .status,
    ).toBe(200);
  });

  it("a cancelled performance stops its campaigns (catalog's performance.cancelled event)", async () => {
    const perf = await performanceOf(t, seller);
    const own = await createCampaign(t, seller, { performanceId: perf });
    const platformWide = await createCampaign(t, admin);
    const cancel = await api(t.baseUrl, 'POST', `/api/v1/performances/${perf}/cancel`, {
      token: seller.token,
      body: { reason: 'artist ill' },
    });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);
    const event = await t.rt.db
      .selectFrom('outbox')
      .select(['event_id', 'type', 'key', 'payload', 'created_at'])
      .where('key', '=', perf)
      .where('type', '=', 'performance.cancelled')
      .executeTakeFirstOrThrow();
    const consumer = t.modules.coupon.consumers().find((c) => c.name === 'coupon-performance-cancelled');
    if (consumer === undefined) throw new Error('no cancellation consumer');
    const envelope = {
      eventId: event.event_id,
      type: event.type,
      key: event.key,
      occurredAt: event.created_at.toISOString(),
      payload: event.payload,
    };
    await t.rt.db.transaction().execute((trx) => consumer.handle(envelope, trx));
    expect((await issue(t, own, buyer)).body.code).toBe('NOT_ISSUING');
    const view = await api(t.baseUrl, 'GET', `/api/v1/coupon-campaigns/${own}`);
    expect(view.body).toMatchObject({ stopReason: 'PERFORMANCE_CANCELLED', issuing: false });
    expect((await issue(t, platformWide, buyer)).status).toBe(202);
  });
});
