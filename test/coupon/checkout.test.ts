import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PricedDraft } from '../../src/modules/coupon/index.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { type Actor, actor, createCampaign, issue, performanceOf } from './support/actors.ts';
import { PERFORMANCES, scenarioArb } from './support/arbitraries.ts';
import { bruteForceBest } from './support/reference.ts';

let t: TestApp;
let admin: Actor;
let seller: Actor;
let performanceId: string;

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '100000' });
  [admin, seller] = await Promise.all([actor(t, 'ADMIN'), actor(t, 'SELLER')]);
  performanceId = await performanceOf(t, seller);
});
afterAll(async () => t.close());

const draftFor = (userId: string, lines: [string, number][], perf = performanceId): PricedDraft => ({
  userId,
  performanceId: perf,
  sellerId: seller.id,
  scheduleId: crypto.randomUUID(),
  lines: lines.map(([grade, price], i) => ({
    seatId: 1000 + i,
    sectionId: crypto.randomUUID(),
    grade,
    price,
  })),
  subtotal: lines.reduce((a, [, p]) => a + p, 0),
});

/** Which campaign each granted coupon came from (to reconcile only our own campaigns). */
const campaignOfCoupon = new Map<string, string>();

async function grant(campaign: Record<string, unknown>, who: Actor, by: Actor = admin): Promise<string> {
  const id = await createCampaign(t, by, { totalQuantity: 10, perUserLimit: 5, ...campaign });
  const res = await issue(t, id, who);
  expect(res.status).toBe(202);
  const couponId = res.body.couponId as string;
  campaignOfCoupon.set(couponId, id);
  return couponId;
}

/** Stores a granted coupon now, through the reconciler of its campaign (other files' campaigns untouched). */
const store = async (couponId: string) => {
  const campaignId = campaignOfCoupon.get(couponId);
  if (campaignId === undefined) throw new Error('unknown coupon');
  await t.modules.coupon.reconcileCampaign(campaignId, 0);
};

const statusOf = async (who: Actor, couponId: string) => {
  const mine = await api<{ id: string; status: string }[]>(t.baseUrl, 'GET', '/api/v1/me/coupons', {
    token: who.token,
  });
  return mine.body.find((c) => c.id === couponId)?.status;
};

const reserve = (userId: string, orderId: string, couponId: string, draft: PricedDraft) =>
  t.rt.db
    .transaction()
    .execute((trx) => t.modules.coupon.reserveForOrder(trx, { userId, orderId, couponId, draft }));

describe('quote', () => {
  it('lists every usable coupon with its discount, best first; ties go to the earliest validUntil', async () => {
    const b = await actor(t, 'BUYER');
    const week = Date.now() + 7 * 24 * 3600_000;
    const pct = await grant(
      {
        kind: 'PERCENTAGE',
        value: 10,
        maxDiscount: 100_000,
        validUntil: new Date(week + 7200_000).toISOString(),
      },
      b,
    ); // 25,000
    const fixedLate = await grant(
      {
        kind: 'FIXED',
        value: 25_000,
        maxDiscount: undefined,
        validUntil: new Date(week + 3600_000).toISOString(),
      },
      b,
    );
    const fixedEarly = await grant(
      { kind: 'FIXED', value: 25_000, maxDiscount: undefined, validUntil: new Date(week).toISOString() },
      b,
    );
    const perTicket = await grant(
      { kind: 'PER_TICKET', value: 4_000, maxDiscount: undefined, performanceId },
      b,
      seller,
    ); // 8,000
    const vipOnly = await grant({ kind: 'FIXED', value: 50_000, grades: ['VIP'] }, b); // no VIP lines: not usable
    const q = await t.modules.coupon.quote(
      draftFor(b.id, [
        ['R', 150_000],
        ['S', 100_000],
      ]),
    );
    expect(q.subtotal).toBe(250_000);
    expect(q.options).toEqual([
      { couponId: fixedEarly, discount: 25_000 },
      { couponId: fixedLate, discount: 25_000 },
      { couponId: pct, discount: 25_000 },
      { couponId: perTicket, discount: 8_000 },
    ]);
    expect(q.best).toEqual({ couponId: fixedEarly, discount: 25_000 });
    expect(q.options.map((o) => o.couponId)).not.toContain(vipOnly);
  });

  it('leaves out coupons of another performance, another buyer, used or expired ones', async () => {
    const [b, other] = [await actor(t, 'BUYER'), await actor(t, 'BUYER')];
    await grant({ kind: 'FIXED', value: 1000, performanceId }, other, seller);
    const elsewhere = await grant({ kind: 'FIXED', value: 1000, performanceId }, b, seller);
    const expired = await grant({ kind: 'FIXED', value: 2000 }, b);
    await store(expired);
    await sql`update coupon_campaigns set valid_until = now() - interval '1 second', issue_ends_at = now() - interval '2 seconds'
      where id = (select campaign_id from coupons where id = ${expired})`.execute(t.rt.db);
    const q = await t.modules.coupon.quote(draftFor(b.id, [['R', 150_000]], crypto.randomUUID()));
    expect(q).toEqual({ subtotal: 150_000, options: [], best: null });
    expect(await statusOf(b, expired)).toBe('EXPIRED');
    expect(await statusOf(b, elsewhere)).toBe('AVAILABLE');
  });
});

describe('reserve, use, release', () => {
  it('reserves a coupon granted moments ago (not stored yet), then marks it used and returns it on refund', async () => {
    const b = await actor(t, 'BUYER');
    const couponId = await grant({ kind: 'FIXED', value: 7_000, minSpend: 100_000 }, b);
    const orderId = crypto.randomUUID();
    const draft = draftFor(b.id, [['R', 150_000]]);
    const r = await reserve(b.id, orderId, couponId, draft);
    expect(r).toEqual({ couponId, discount: 7_000, fundedBy: 'PLATFORM' });
    const stored = await sql<{
      stored_by: string;
      status: string;
    }>`select stored_by, status from coupons where id = ${couponId}`.execute(t.rt.db);
    expect(stored.rows).toEqual([{ stored_by: 'CHECKOUT', status: 'RESERVED' }]);
    expect(await statusOf(b, couponId)).toBe('RESERVED');
    // a repeat for the same order gives the same coupon; another order cannot take it
    expect(await reserve(b.id, orderId, 'BEST', draft)).toEqual(r);
    await expect(reserve(b.id, crypto.randomUUID(), couponId, draft)).rejects.toMatchObject({
      code: 'COUPON_NOT_USABLE',
    });
    expect((await t.modules.coupon.quote(draft)).options).toEqual([]);

    await t.rt.db.transaction().execute((trx) => t.modules.coupon.markUsed(trx, orderId));
    expect(await statusOf(b, couponId)).toBe('USED');
    await t.rt.db.transaction().execute((trx) => t.modules.coupon.releaseForOrder(trx, orderId));
    expect(await statusOf(b, couponId)).toBe('AVAILABLE');
    // the Kafka path arriving later changes nothing
    expect((await t.modules.coupon.reconcileCampaign(await campaignOf(couponId), 0)).repaired).toBe(0);
  });

  it('releases a reserved coupon of a cancelled order, and keeps a used one that expired', async () => {
    const b = await actor(t, 'BUYER');
    const couponId = await grant({ kind: 'FIXED', value: 5_000 }, b);
    const draft = draftFor(b.id, [['S', 100_000]]);
    const cancelled = crypto.randomUUID();
    await reserve(b.id, cancelled, 'BEST', draft);
    await t.rt.db.transaction().execute((trx) => t.modules.coupon.releaseForOrder(trx, cancelled));
    expect(await statusOf(b, couponId)).toBe('AVAILABLE');
    const paid = crypto.randomUUID();
    expect((await reserve(b.id, paid, 'BEST', draft)).couponId).toBe(couponId);
    await t.rt.db.transaction().execute((trx) => t.modules.coupon.markUsed(trx, paid));
    await sql`update coupon_campaigns set valid_until = now() - interval '1 second', issue_ends_at = now() - interval '2 seconds'
      where id = ${await campaignOf(couponId)}`.execute(t.rt.db);
    await t.rt.db.transaction().execute((trx) => t.modules.coupon.releaseForOrder(trx, paid));
    expect(await statusOf(b, couponId)).toBe('USED');
  });

  it("refuses another buyer's coupon, an inapplicable one and an unknown id with COUPON_NOT_USABLE", async () => {
    const [b, other] = [await actor(t, 'BUYER'), await actor(t, 'BUYER')];
    const theirs = await grant({ kind: 'FIXED', value: 1000 }, other);
    const tooSmall = await grant({ kind: 'FIXED', value: 1000, minSpend: 500_000 }, b);
    const draft = draftFor(b.id, [['R', 150_000]]);
    for (const id of [theirs, tooSmall, crypto.randomUUID()]) {
      await expect(reserve(b.id, crypto.randomUUID(), id, draft)).rejects.toMatchObject({
        code: 'COUPON_NOT_USABLE',
      });
    }
    expect(await reserve(b.id, crypto.randomUUID(), 'BEST', draft)).toEqual({
      couponId: null,
      discount: 0,
      fundedBy: null,
    });
  });

  it('two orders racing for BEST with one coupon: exactly one gets it, the other goes without', async () => {
    const b = await actor(t, 'BUYER');
    const couponId = await grant({ kind: 'FIXED', value: 3000 }, b, admin);
    await store(couponId);
    const draft = draftFor(b.id, [['R', 150_000]]);
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => reserve(b.id, crypto.randomUUID(), 'BEST', draft)),
    );
    expect(results.filter((r) => r.couponId === couponId)).toHaveLength(1);
    expect(results.filter((r) => r.couponId === null)).toHaveLength(3);
  });
});

async function campaignOf(couponId: string): Promise<string> {
  const row = await sql<{
    campaign_id: string;
  }>`select campaign_id from coupons where id = ${couponId}`.execute(t.rt.db);
  return row.rows[0]?.campaign_id ?? '';
}

describe('quote from PostgreSQL equals a brute-force optimum (property)', () => {
  it('over random coupon sets stored for one buyer', async () => {
    const validFar = new Date(Date.UTC(2036, 0, 1));
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ coupons, draft }) => {
        const userId = crypto.randomUUID();
        const withIds = coupons.map((c) => ({
          ...c,
          id: crypto.randomUUID(),
          campaignId: crypto.randomUUID(),
        }));
        if (withIds.length > 0) {
          await t.rt.db
            .withTables<{ coupon_campaigns: Record<string, unknown> }>()
            .insertInto('coupon_campaigns')
            .values(
              withIds.map((c) => ({
                id: c.campaignId,
                name: 'prop',
                kind: c.kind,
                value: c.value,
                max_discount: c.maxDiscount,
                min_spend: c.minSpend,
                performance_id: c.performanceId,
                grades: c.grades,
                params: JSON.stringify(c.params),
                created_by: admin.id,
                funded_by: 'PLATFORM',
                total_quantity: 1,
                per_user_limit: 1,
                issue_starts_at: new Date(Date.now() - 60_000),
                issue_ends_at: c.validUntil < validFar ? c.validUntil : validFar,
                valid_until: c.validUntil,
              })),
            )
            .execute();
          await t.rt.db
            .withTables<{ coupons: Record<string, unknown> }>()
            .insertInto('coupons')
            .values(
              withIds.map((c) => ({
                id: c.id,
                campaign_id: c.campaignId,
                user_id: userId,
                seq: 1,
                unit: 1,
                issued_at: new Date(),
                stored_by: 'RECONCILER',
              })),
            )
            .execute();
        }
        const q = await t.modules.coupon.quote({
          userId,
          performanceId: draft.performanceId,
          sellerId: seller.id,
          scheduleId: crypto.randomUUID(),
          lines: draft.lines.map((l, i) => ({
            seatId: i + 1,
            sectionId: 'x',
            grade: l.grade,
            price: l.price,
          })),
          subtotal: draft.lines.reduce((a, l) => a + l.price, 0),
        });
        expect(q.best).toEqual(bruteForceBest(withIds, draft));
        expect(PERFORMANCES).toContain(draft.performanceId);
      }),
      { numRuns: 100 },
    );
  });
});
