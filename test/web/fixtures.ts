import { expect } from 'vitest';
import { api } from '../support/harness.ts';
import { type Account, account, sleep } from './support.ts';

export interface Show {
  performanceId: string;
  scheduleId: string;
  title: string;
}

let shows = 0;

/** A venue (Floor: R, Balcony: S, a standing pit) and a show on sale now, through the public API. */
export async function createShow(
  baseUrl: string,
  seller: Account,
  options: { title?: string; admitPerSecond?: number; maxActive?: number } = {},
): Promise<Show> {
  shows += 1;
  const venue = await api<{ id: string }>(baseUrl, 'POST', '/api/v1/venues', {
    token: seller.token,
    body: {
      name: `Web Hall ${shows}`,
      address: 'Seoul',
      sections: [
        { name: 'Floor', rows: 6, seatsPerRow: 12 },
        { name: 'Balcony', rows: 4, seatsPerRow: 10 },
        { name: 'Pit', kind: 'STANDING', capacity: 50 },
      ],
    },
  });
  expect(venue.status, JSON.stringify(venue.body)).toBe(201);
  const title = options.title ?? `Web Test Live ${shows} ${Date.now().toString(36)}`;
  const startsAt = new Date(Date.now() + 20 * 86_400_000).toISOString();
  const perf = await api<{ id: string; schedules: { id: string }[] }>(
    baseUrl,
    'POST',
    '/api/v1/performances',
    {
      token: seller.token,
      body: {
        venueId: venue.body.id,
        title,
        description: 'A show for the browser tests.',
        grades: [
          { grade: 'R', price: 150000 },
          { grade: 'S', price: 110000 },
        ],
        sectionGrades: { Floor: 'R', Balcony: 'S', Pit: 'S' },
        schedules: [{ startsAt }],
        salesOpenAt: new Date(Date.now() - 60_000).toISOString(),
        salesCloseAt: new Date(Date.now() + 10 * 86_400_000).toISOString(),
        maxTicketsPerBuyer: 4,
        queue: { admitPerSecond: options.admitPerSecond ?? 50, maxActive: options.maxActive ?? 500 },
      },
    },
  );
  expect(perf.status, JSON.stringify(perf.body)).toBe(201);
  const scheduleId = perf.body.schedules[0]?.id;
  if (scheduleId === undefined) throw new Error('no schedule');
  return { performanceId: perf.body.id, scheduleId, title };
}

/**
 * A show letting one buyer choose at a time (one admission a second), whose only slot `first`
 * already holds: the next buyer to join waits.
 */
export async function crowdedShow(
  baseUrl: string,
  seller: Account,
  title: string,
): Promise<{ show: Show; first: Account }> {
  const show = await createShow(baseUrl, seller, { title, admitPerSecond: 1, maxActive: 1 });
  const first = await account(baseUrl, 'BUYER', `first-${shows}`);
  await admitted(baseUrl, first, show.scheduleId);
  return { show, first };
}

/** Joins the queue and waits for the admission token. */
export async function admitted(baseUrl: string, buyer: Account, scheduleId: string): Promise<string> {
  const join = await api(baseUrl, 'POST', `/api/v1/schedules/${scheduleId}/queue`, { token: buyer.token });
  expect(join.status, JSON.stringify(join.body)).toBe(202);
  for (let i = 0; i < 60; i += 1) {
    const me = await api<{ state: string; admissionToken?: string }>(
      baseUrl,
      'GET',
      `/api/v1/schedules/${scheduleId}/queue/me`,
      { token: buyer.token },
    );
    if (me.body.state === 'ADMITTED' && me.body.admissionToken) return me.body.admissionToken;
    await sleep(500);
  }
  throw new Error('not admitted within 30 s');
}

/** A whole purchase through the API: queue, hold, order, sandbox checkout, confirm. */
export async function buyThroughApi(baseUrl: string, buyer: Account, scheduleId: string, seatId: number) {
  const admission = await admitted(baseUrl, buyer, scheduleId);
  const hold = await api<{ holdId: string }>(baseUrl, 'POST', `/api/v1/schedules/${scheduleId}/holds`, {
    token: buyer.token,
    headers: { 'x-admission-token': admission },
    body: { seatIds: [seatId] },
  });
  expect(hold.status, JSON.stringify(hold.body)).toBe(201);
  const order = await api<{ id: string; tossOrderId: string; amount: number }>(
    baseUrl,
    'POST',
    '/api/v1/orders',
    {
      token: buyer.token,
      body: { holdId: hold.body.holdId },
    },
  );
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  const checkout = await api<{ paymentKey: string }>(baseUrl, 'POST', '/sandbox/toss/checkout', {
    body: { orderId: order.body.tossOrderId, amount: order.body.amount },
  });
  expect(checkout.status, JSON.stringify(checkout.body)).toBe(200);
  const confirm = await api<{ status: string }>(baseUrl, 'POST', '/api/v1/payments/confirm', {
    token: buyer.token,
    body: {
      orderId: order.body.tossOrderId,
      paymentKey: checkout.body.paymentKey,
      amount: order.body.amount,
    },
  });
  expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
  return order.body;
}

export async function seatIds(baseUrl: string, scheduleId: string): Promise<number[]> {
  const map = await api<{ seats: { id: number }[] }>(baseUrl, 'GET', `/api/v1/schedules/${scheduleId}/seats`);
  return map.body.seats.map((s) => s.id);
}

/** A platform campaign (admin) or a seller campaign for one show, claimable now. */
export async function createCampaign(
  baseUrl: string,
  token: string,
  body: {
    name: string;
    kind: 'PERCENTAGE' | 'FIXED';
    value: number;
    maxDiscount?: number;
    performanceId?: string;
  },
): Promise<string> {
  const now = Date.now();
  const res = await api<{ id: string }>(baseUrl, 'POST', '/api/v1/coupon-campaigns', {
    token,
    body: {
      ...body,
      totalQuantity: 50,
      perUserLimit: 1,
      issueStartsAt: new Date(now - 60_000).toISOString(),
      issueEndsAt: new Date(now + 86_400_000).toISOString(),
      validUntil: new Date(now + 30 * 86_400_000).toISOString(),
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}
