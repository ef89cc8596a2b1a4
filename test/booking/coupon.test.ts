import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { api } from '../support/harness.ts';
import {
  accounts,
  admit,
  at,
  type BookingTestApp,
  createSale,
  hold,
  type OrderBody,
  order,
  pay,
  type Sale,
  startBookingApp,
} from './support.ts';

let t: BookingTestApp;
beforeAll(async () => {
  t = await startBookingApp();
});
afterAll(async () => t.close());

const HOUR = 3600_000;

/** A seller campaign for the sale's performance, one coupon issued to `buyer` and stored now. */
async function couponFor(sale: Sale, buyer: BulkAccount, value: number): Promise<string> {
  const campaign = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/coupon-campaigns', {
    token: sale.seller.accessToken,
    body: {
      name: `${value}% off`,
      kind: 'PERCENTAGE',
      value,
      totalQuantity: 10,
      perUserLimit: 1,
      performanceId: sale.performanceId,
      issueStartsAt: new Date(Date.now() - 60_000).toISOString(),
      issueEndsAt: new Date(Date.now() + HOUR).toISOString(),
      validUntil: new Date(Date.now() + 24 * HOUR).toISOString(),
    },
  });
  expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
  const issued = await api<{ couponId: string }>(
    t.baseUrl,
    'POST',
    `/api/v1/coupon-campaigns/${campaign.body.id}/issue`,
    { token: buyer.accessToken },
  );
  expect(issued.status, JSON.stringify(issued.body)).toBe(202);
  await t.modules.coupon.reconcileCampaign(campaign.body.id, 0);
  return issued.body.couponId;
}

const couponStatus = async (buyer: BulkAccount, couponId: string) =>
  (
    await api<{ id: string; status: string }[]>(t.baseUrl, 'GET', '/api/v1/me/coupons', {
      token: buyer.accessToken,
    })
  ).body.find((c) => c.id === couponId)?.status;

describe('orders with coupons (the real coupon module)', () => {
  it('quotes, reserves the best coupon in the order transaction, returns it on cancel, uses it on payment', async () => {
    const sale = await createSale(t);
    const buyer = at(await accounts(t, 1), 0);
    const ten = await couponFor(sale, buyer, 10);
    const twenty = await couponFor(sale, buyer, 20);
    const tokens = await admit(t, sale.scheduleId, [buyer]);
    const seats = [at(sale.seats, 0).id, at(sale.seats, 1).id]; // VIP 150,000 ×2
    const h = await hold(t, buyer, sale.scheduleId, tokens.get(buyer.id), { seatIds: seats });
    expect(h.status).toBe(201);

    const quote = await api<{
      subtotal: number;
      options: { couponId: string; discount: number }[];
      best: unknown;
    }>(t.baseUrl, 'GET', `/api/v1/holds/${h.body.holdId}/quote`, { token: buyer.accessToken });
    expect(quote.status, JSON.stringify(quote.body)).toBe(200);
    expect(quote.body.subtotal).toBe(300_000);
    expect(quote.body.best).toEqual({ couponId: twenty, discount: 60_000 });
    expect(quote.body.options).toContainEqual({ couponId: ten, discount: 30_000 });

    const first = await order(t, buyer, { holdId: h.body.holdId, couponId: 'BEST' });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({
      subtotal: 300_000,
      discount: 60_000,
      amount: 240_000,
      couponId: twenty,
    });
    expect(await couponStatus(buyer, twenty)).toBe('RESERVED');
    expect((await t.modules.booking.findOrder(first.body.id))?.discountFundedBy).toBe('SELLER');

    const cancelled = await api<OrderBody>(t.baseUrl, 'POST', `/api/v1/orders/${first.body.id}/cancel`, {
      token: buyer.accessToken,
    });
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(await couponStatus(buyer, twenty)).toBe('AVAILABLE');

    const again = await hold(t, buyer, sale.scheduleId, tokens.get(buyer.id), { seatIds: seats });
    const second = await order(t, buyer, { holdId: again.body.holdId, couponId: ten });
    expect(second.body).toMatchObject({ discount: 30_000, amount: 270_000, couponId: ten });
    expect(await pay(t, second.body.id)).toBe('PAID');
    expect(await couponStatus(buyer, ten)).toBe('USED');
    expect(await couponStatus(buyer, twenty)).toBe('AVAILABLE');
  });

  it('without a coupon nothing is reserved; a coupon of someone else is refused and nothing is ordered', async () => {
    const sale = await createSale(t);
    const two = await accounts(t, 2);
    const [buyer, other] = [at(two, 0), at(two, 1)];
    const theirs = await couponFor(sale, other, 10);
    const tokens = await admit(t, sale.scheduleId, [buyer]);
    const h = await hold(t, buyer, sale.scheduleId, tokens.get(buyer.id), {
      seatIds: [at(sale.seats, 5).id],
    });
    const refused = await order(t, buyer, { holdId: h.body.holdId, couponId: theirs });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(await couponStatus(other, theirs)).toBe('AVAILABLE');
    const plain = await order(t, buyer, { holdId: h.body.holdId });
    expect(plain.status, JSON.stringify(plain.body)).toBe(201);
    expect(plain.body).toMatchObject({ discount: 0, amount: 100_000, couponId: null });
  });
});
