import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { checkout } from '../payment/support/sandbox.ts';
import { approvedEvent } from '../settlement/support.ts';
import { api } from '../support/harness.ts';
import {
  accounts,
  admit,
  at,
  expectStatus,
  hold,
  newSale,
  type OpsTestApp,
  order,
  type Sale,
  setSales,
  startOpsApp,
} from './support.ts';

interface Match {
  type: string;
  id: string;
  matchedBy: string;
  summary: Record<string, unknown>;
  links: Record<string, string>;
}
interface Lookup {
  id: string;
  matches: Match[];
  unavailable: string[];
  code?: string;
}

const HOUR = 3_600_000;
/** The settlement window of this file (no other file settles June 2012). */
const WINDOW = Date.UTC(2012, 5, 1);

let t: OpsTestApp;
let admin: BulkAccount;
let buyer: BulkAccount;
let sale: Sale;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startOpsApp();
  admin = at(await accounts(t, 1, 'ADMIN'), 0);
  buyer = at(await accounts(t, 1), 0);
  sale = await newSale(t);

  // A campaign and one coupon of it, stored.
  const campaign = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/coupon-campaigns', {
    token: sale.seller.accessToken,
    body: {
      name: 'lookup 10%',
      kind: 'PERCENTAGE',
      value: 10,
      totalQuantity: 5,
      perUserLimit: 1,
      performanceId: sale.performanceId,
      issueStartsAt: new Date(Date.now() - 60_000).toISOString(),
      issueEndsAt: new Date(Date.now() + HOUR).toISOString(),
      validUntil: new Date(Date.now() + 24 * HOUR).toISOString(),
    },
  });
  expectStatus(campaign, 201);
  ids.campaign = campaign.body.id;
  const issued = await api<{ couponId: string }>(
    t.baseUrl,
    'POST',
    `/api/v1/coupon-campaigns/${campaign.body.id}/issue`,
    { token: buyer.accessToken },
  );
  expectStatus(issued, 202);
  ids.coupon = issued.body.couponId;
  await t.modules.coupon.reconcileCampaign(campaign.body.id, 0);

  // A paid order with the coupon (through the sandbox and the real confirm), and a live hold.
  const admission = (await admit(t, sale.scheduleId, [buyer])).get(buyer.id);
  const h1 = await hold(t, buyer, sale.scheduleId, admission, { seatIds: [at(sale.seats, 0).id] });
  expectStatus(h1, 201);
  const o = await order(t, buyer, { holdId: h1.body.holdId, couponId: ids.coupon });
  expectStatus(o, 201);
  ids.order = o.body.id;
  ids.tossOrderId = o.body.tossOrderId;
  ids.paymentKey = await checkout(`${t.baseUrl}/sandbox/toss`, {
    orderId: o.body.tossOrderId,
    amount: o.body.amount,
  });
  const confirmed = await api(t.baseUrl, 'POST', '/api/v1/payments/confirm', {
    token: buyer.accessToken,
    body: { orderId: o.body.tossOrderId, paymentKey: ids.paymentKey, amount: o.body.amount },
  });
  expectStatus(confirmed, 200);
  const h2 = await hold(t, buyer, sale.scheduleId, admission, { seatIds: [at(sale.seats, 1).id] });
  expectStatus(h2, 201);
  ids.hold = h2.body.holdId;

  // A settlement of the seller, in this file's own period.
  const event = approvedEvent({ sellerId: sale.seller.id, at: new Date(WINDOW + 2 * HOUR), gross: 50_000 });
  await t.rt.db.transaction().execute((trx) => t.modules.settlement.handlePaymentEvent(event, trx));
  const run = await api<{ settlements: { id: string; sellerId: string }[] }>(
    t.baseUrl,
    'POST',
    '/api/v1/admin/settlements/run',
    {
      token: admin.accessToken,
      body: {
        periodStart: new Date(WINDOW).toISOString(),
        periodEnd: new Date(WINDOW + 24 * HOUR).toISOString(),
      },
    },
  );
  expectStatus(run, 200);
  const mine = run.body.settlements.find((s) => s.sellerId === sale.seller.id);
  if (mine === undefined) throw new Error('no settlement');
  ids.settlement = mine.id;
});
afterAll(async () => t.close());

const lookup = (id: string, token = admin.accessToken) =>
  api<Lookup>(t.baseUrl, 'GET', `/api/v1/admin/lookup/${encodeURIComponent(id)}`, { token });

async function only(id: string, type: string): Promise<Match> {
  const res = await lookup(id);
  expectStatus(res, 200);
  expect(res.body.unavailable).toEqual([]);
  expect(res.body.matches.map((m) => m.type)).toEqual([type]);
  return at(res.body.matches, 0);
}

describe('lookup by any id', () => {
  it('finds a user', async () => {
    const m = await only(buyer.id, 'USER');
    expect(m.summary).toMatchObject({ id: buyer.id, role: 'BUYER', email: buyer.email });
    const seller = await only(sale.seller.id, 'USER');
    expect(seller.links.audit).toBe(`/api/v1/admin/audit?actorId=${sale.seller.id}`);
  });

  it('finds an order by its id and by its Toss order id, with links to what it touches', async () => {
    const byId = await only(ids.order as string, 'ORDER');
    expect(byId).toMatchObject({ id: ids.order, matchedBy: 'id' });
    expect(byId.summary).toMatchObject({
      status: 'PAID',
      userId: buyer.id,
      couponId: ids.coupon,
      tossOrderId: ids.tossOrderId,
      seatIds: [at(sale.seats, 0).id],
    });
    expect(byId.links).toMatchObject({
      order: `/api/v1/orders/${ids.order}`,
      buyer: `/api/v1/admin/lookup/${buyer.id}`,
      coupon: `/api/v1/admin/lookup/${ids.coupon}`,
      schedule: `/api/v1/admin/lookup/${sale.scheduleId}`,
    });
    const byToss = await only(ids.tossOrderId as string, 'ORDER');
    expect(byToss).toMatchObject({ id: ids.order, matchedBy: 'tossOrderId' });
    // Links are lookups that work.
    expect((await lookup(byId.links.coupon?.split('/').at(-1) ?? '')).status).toBe(200);
  });

  it('finds a payment by its paymentKey', async () => {
    const m = await only(ids.paymentKey as string, 'PAYMENT');
    expect(m.matchedBy).toBe('paymentKey');
    expect(m.summary).toMatchObject({ paymentKey: ids.paymentKey, orderId: ids.order, status: 'DONE' });
    expect(m.links.order).toBe(`/api/v1/orders/${ids.order}`);
    const byPaymentId = await only(m.id, 'PAYMENT');
    expect(byPaymentId.matchedBy).toBe('id');
  });

  it('finds a hold, with the force-release path', async () => {
    const m = await only(ids.hold as string, 'HOLD');
    expect(m.summary).toMatchObject({ status: 'ACTIVE', userId: buyer.id, seatIds: [at(sale.seats, 1).id] });
    expect(m.links.release).toBe(`/api/v1/admin/holds/${ids.hold}/release`);
  });

  it('finds a coupon and a campaign', async () => {
    const coupon = await only(ids.coupon as string, 'COUPON');
    expect(coupon.summary).toMatchObject({ campaignId: ids.campaign, userId: buyer.id, status: 'USED' });
    const campaign = await only(ids.campaign as string, 'CAMPAIGN');
    expect(campaign.summary).toMatchObject({ name: 'lookup 10%', fundedBy: 'SELLER', issuedCount: 1 });
  });

  it('finds a performance (with its sales switch) and a schedule', async () => {
    const perf = await only(sale.performanceId, 'PERFORMANCE');
    expect(perf.summary).toMatchObject({ sellerId: sale.seller.id, status: 'ON_SALE', salesEnabled: true });
    expect(perf.links.schedule1).toBe(`/api/v1/admin/lookup/${sale.scheduleId}`);
    expectStatus(await setSales(t, admin, sale.performanceId, { enabled: false, reason: 'lookup' }), 200);
    const halted = await only(sale.performanceId, 'PERFORMANCE');
    expect(halted.summary).toMatchObject({ salesEnabled: false, salesHalt: { reason: 'lookup' } });
    expectStatus(await setSales(t, admin, sale.performanceId, { enabled: true, reason: 'done' }), 200);
    const schedule = await only(sale.scheduleId, 'SCHEDULE');
    expect(schedule.summary).toMatchObject({ performanceId: sale.performanceId, title: 'Booking Test Show' });
    expect(schedule.links.seats).toBe(`/api/v1/schedules/${sale.scheduleId}/seats`);
  });

  it('finds a settlement', async () => {
    const m = await only(ids.settlement as string, 'SETTLEMENT');
    expect(m.summary).toMatchObject({ sellerId: sale.seller.id, grossAmount: 50_000, status: 'CALCULATED' });
    expect(m.links.lines).toBe(`/api/v1/seller/settlements/${ids.settlement}/lines`);
  });

  it('answers 404 for an id nothing has, 403 to non-admins', async () => {
    const none = await lookup(randomUUID());
    expect(none.status).toBe(404);
    expect(none.body.code).toBe('NOT_FOUND');
    expect((await lookup('no-such-thing_42')).status).toBe(404);
    expect((await lookup(buyer.id, sale.seller.accessToken)).status).toBe(403);
    expect((await lookup(buyer.id, buyer.accessToken)).status).toBe(403);
  });
});
