import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import {
  accounts,
  admit,
  type BookingTestApp,
  createSale,
  hold,
  order,
  pay,
  type Sale,
  startBookingApp,
} from '../booking/support.ts';
import { api } from '../support/harness.ts';
import { campaignBody } from './support/actors.ts';

// The whole coupon journey through booking's public API: issue → quote → order with BEST → cancel
// returns it → order with an explicit id → paid marks it USED.
let t: BookingTestApp;
let sale: Sale;
let buyer: BulkAccount;
let other: BulkAccount;
let admission: string;

beforeAll(async () => {
  t = await startBookingApp();
  sale = await createSale(t, { rows: 1, perRow: 4 });
  [buyer, other] = (await accounts(t, 2)) as [BulkAccount, BulkAccount];
  const tokens = await admit(t, sale.scheduleId, [buyer]);
  admission = tokens.get(buyer.id) as string;
});
afterAll(async () => t.close());

async function campaign(who: BulkAccount, overrides: Record<string, unknown>): Promise<string> {
  const res = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/coupon-campaigns', {
    token: who.accessToken,
    body: campaignBody(overrides),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function issueTo(campaignId: string, who: BulkAccount): Promise<string> {
  const res = await api<{ couponId: string }>(
    t.baseUrl,
    'POST',
    `/api/v1/coupon-campaigns/${campaignId}/issue`,
    {
      token: who.accessToken,
    },
  );
  expect(res.status).toBe(202);
  return res.body.couponId;
}

const statuses = async (who: BulkAccount) => {
  const res = await api<{ id: string; status: string }[]>(t.baseUrl, 'GET', '/api/v1/me/coupons', {
    token: who.accessToken,
  });
  return Object.fromEntries(res.body.map((c) => [c.id, c.status]));
};

async function holdTwo(): Promise<string> {
  const vip = sale.seats.find((s) => s.grade === 'VIP' && s.status === 'AVAILABLE');
  const r = sale.seats.find((s) => s.grade === 'R' && s.status === 'AVAILABLE');
  if (vip === undefined || r === undefined) throw new Error('no seats');
  vip.status = 'TAKEN';
  r.status = 'TAKEN';
  const res = await hold(t, buyer, sale.scheduleId, admission, { seatIds: [vip.id, r.id] });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.holdId;
}

describe('coupon journey through booking', () => {
  it('quotes, reserves the best, returns it on cancel, and marks an explicit one USED when paid', async () => {
    const admins = await accounts(t, 1, 'ADMIN');
    const admin = admins[0] as BulkAccount;
    // seller: 10% off VIP tickets only (150,000 → 15,000); platform: 10,000 off from 100,000 spent
    const sellerCampaign = await campaign(sale.seller, {
      performanceId: sale.performanceId,
      kind: 'PERCENTAGE',
      value: 10,
      maxDiscount: 50_000,
      grades: ['VIP'],
    });
    const platformCampaign = await campaign(admin, {
      kind: 'FIXED',
      value: 10_000,
      maxDiscount: undefined,
      minSpend: 100_000,
    });
    const pct = await issueTo(sellerCampaign, buyer);
    const fixed = await issueTo(platformCampaign, buyer);
    const theirs = await issueTo(platformCampaign, other);

    const firstHold = await holdTwo();
    const quote = await api(t.baseUrl, 'GET', `/api/v1/holds/${firstHold}/quote`, {
      token: buyer.accessToken,
    });
    expect(quote.status, JSON.stringify(quote.body)).toBe(200);
    expect(quote.body).toEqual({
      subtotal: 250_000,
      options: [
        { couponId: pct, discount: 15_000 },
        { couponId: fixed, discount: 10_000 },
      ],
      best: { couponId: pct, discount: 15_000 },
    });

    const best = await order(t, buyer, { holdId: firstHold, couponId: 'BEST' });
    expect(best.status, JSON.stringify(best.body)).toBe(201);
    expect(best.body).toMatchObject({ subtotal: 250_000, discount: 15_000, amount: 235_000, couponId: pct });
    expect(await statuses(buyer)).toMatchObject({ [pct]: 'RESERVED', [fixed]: 'AVAILABLE' });
    const cancelled = await api(t.baseUrl, 'POST', `/api/v1/orders/${best.body.id}/cancel`, {
      token: buyer.accessToken,
      body: {},
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(await statuses(buyer)).toMatchObject({ [pct]: 'AVAILABLE' });

    const secondHold = await holdTwo();
    const foreign = await order(t, buyer, { holdId: secondHold, couponId: theirs });
    expect([foreign.status, foreign.body.code]).toEqual([409, 'COUPON_NOT_USABLE']);
    const explicit = await order(t, buyer, { holdId: secondHold, couponId: fixed });
    expect(explicit.status, JSON.stringify(explicit.body)).toBe(201);
    expect(explicit.body).toMatchObject({ discount: 10_000, amount: 240_000, couponId: fixed });
    expect(await pay(t, explicit.body.id)).toBe('PAID');
    expect(await statuses(buyer)).toMatchObject({ [pct]: 'AVAILABLE', [fixed]: 'USED' });
  });
});
