import { expect } from 'vitest';
import { api, type TestApp } from '../../support/harness.ts';

export interface Actor {
  id: string;
  token: string;
}

let counter = 0;
const tag = () => `cpn-${Date.now().toString(36)}-${++counter}-${Math.random().toString(36).slice(2, 6)}-`;

export async function actors(
  t: TestApp,
  role: 'SELLER' | 'BUYER' | 'ADMIN',
  count: number,
): Promise<Actor[]> {
  const accounts = await t.modules.identity.bulkCreateAccounts({
    count,
    role,
    emailPrefix: tag(),
    tokenTtlSeconds: 3600,
  });
  return accounts.map((a) => ({ id: a.id, token: a.accessToken }));
}

export async function actor(t: TestApp, role: 'SELLER' | 'BUYER' | 'ADMIN'): Promise<Actor> {
  const [a] = await actors(t, role, 1);
  if (a === undefined) throw new Error('no account');
  return a;
}

let slot = 0;
/** A seller's performance with grades R (150,000) and S (100,000), through the catalog API. */
export async function performanceOf(t: TestApp, seller: Actor): Promise<string> {
  const venue = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/venues', {
    token: seller.token,
    body: {
      name: 'Hall',
      address: 'Seoul',
      sections: [
        { name: 'Floor', rows: 2, seatsPerRow: 5 },
        { name: 'Balcony', rows: 2, seatsPerRow: 5 },
      ],
    },
  });
  expect(venue.status, JSON.stringify(venue.body)).toBe(201);
  slot += 1;
  const start = new Date(
    Date.UTC(2032, 0, 1) + (Math.floor(Math.random() * 20_000) + slot) * 3 * 24 * 3600_000,
  );
  const perf = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/performances', {
    token: seller.token,
    body: {
      venueId: venue.body.id,
      title: 'Coupon Show',
      grades: [
        { grade: 'R', price: 150_000 },
        { grade: 'S', price: 100_000 },
      ],
      sectionGrades: { Floor: 'R', Balcony: 'S' },
      schedules: [{ startsAt: start.toISOString() }],
      salesOpenAt: new Date(Date.now() - 3600_000).toISOString(),
      salesCloseAt: new Date(start.getTime() - 3600_000).toISOString(),
    },
  });
  expect(perf.status, JSON.stringify(perf.body)).toBe(201);
  return perf.body.id;
}

const HOUR = 3600_000;

/** A campaign body open for issuing now, valid for a week. */
export function campaignBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Launch coupon',
    kind: 'PERCENTAGE',
    value: 10,
    maxDiscount: 20_000,
    totalQuantity: 100,
    perUserLimit: 1,
    issueStartsAt: new Date(Date.now() - 60_000).toISOString(),
    issueEndsAt: new Date(Date.now() + 24 * HOUR).toISOString(),
    validUntil: new Date(Date.now() + 7 * 24 * HOUR).toISOString(),
    ...overrides,
  };
}

export async function createCampaign(
  t: TestApp,
  who: Actor,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const res = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/coupon-campaigns', {
    token: who.token,
    body: campaignBody(overrides),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

export const issue = (t: TestApp, campaignId: string, who: Actor, headers: Record<string, string> = {}) =>
  api<{ status?: string; couponId?: string; code?: string }>(
    t.baseUrl,
    'POST',
    `/api/v1/coupon-campaigns/${campaignId}/issue`,
    {
      token: who.token,
      headers,
    },
  );

export async function storedCount(t: TestApp, campaignId: string): Promise<number> {
  const row = await t.rt.db
    .withTables<{ coupons: { campaign_id: string } }>()
    .selectFrom('coupons')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('campaign_id', '=', campaignId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
