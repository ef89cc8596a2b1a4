import type { Tx } from '../../platform/db.ts';
import type { Campaign } from './campaign-repository.ts';
import type { CouponWithTerms, Grant } from './coupon-repository.ts';
import { CouponErrors } from './errors.ts';
import { discountOf, type PricedDraft, rankOptions } from './pricing.ts';
import type { CouponResources } from './resources.ts';
import type { CouponExecutor, CouponTables, FundedBy } from './tables.ts';

export interface Quote {
  subtotal: number;
  options: { couponId: string; discount: number }[];
  best: { couponId: string; discount: number } | null;
}

export interface Reservation {
  couponId: string | null;
  discount: number;
  fundedBy: FundedBy | null;
}

/** A coupon the buyer holds: stored in PostgreSQL, or granted by Redis and not stored yet (`grant`). */
type Held = CouponWithTerms & { grant: Grant | null };

const asHeld = (grant: Grant, c: Campaign): Held => ({
  ...c,
  id: grant.couponId,
  campaignId: c.id,
  userId: grant.userId,
  status: 'AVAILABLE',
  orderId: null,
  grant,
});

/**
 * Grants of this user that the pipeline has not stored yet (best-effort index written by issue).
 * Decision (docs/decisions/0007): such a coupon is already usable — listed, quoted, and stored on the
 * spot when an order reserves it — so a buyer never waits for Kafka.
 */
export async function pendingOf(
  r: CouponResources,
  userId: string,
  executor: CouponExecutor = r.db,
): Promise<Held[]> {
  const pending = await r.state.pendingOf(userId);
  if (pending.length === 0) return [];
  const stored = await r.coupons.storedIds(
    pending.map((p) => p.couponId),
    executor,
  );
  const done = pending.filter((p) => stored.has(p.couponId)).map((p) => p.member);
  const open = pending.filter((p) => !stored.has(p.couponId));
  const campaigns = new Map<string, Campaign | null>();
  const held: Held[] = [];
  for (const p of open) {
    const grant = await r.state.grant(p.campaignId, p.couponId);
    if (grant === null || grant.userId !== userId) {
      done.push(p.member);
      continue;
    }
    if (!campaigns.has(p.campaignId))
      campaigns.set(p.campaignId, await r.campaigns.find(p.campaignId, executor));
    const campaign = campaigns.get(p.campaignId);
    if (campaign) held.push(asHeld(grant, campaign));
  }
  if (done.length > 0)
    await r.state
      .clearPending(userId, done)
      .catch((err: unknown) => r.logger.debug({ err }, 'pending cleanup failed'));
  return held;
}

async function usable(
  r: CouponResources,
  userId: string,
  now: Date,
  executor: CouponExecutor,
): Promise<Held[]> {
  // Pending first, PostgreSQL after (never in parallel): a grant the consumer stores in between is
  // dropped from the pending view as stored, so the stored read must come later to see it.
  const pending = await pendingOf(r, userId, executor);
  const stored = await r.coupons.usableOfUser(userId, now, executor);
  const ids = new Set(stored.map((c) => c.id));
  return [
    ...stored.map((c) => ({ ...c, grant: null })),
    ...pending.filter((p) => !ids.has(p.id) && p.validUntil > now),
  ];
}

function rank(r: CouponResources, coupons: Held[], draft: PricedDraft) {
  return rankOptions(
    coupons.map((c) => ({
      couponId: c.id,
      discount: discountOf(c, draft, r.kinds),
      validUntil: c.validUntil,
      coupon: c,
    })),
  );
}

/** Every usable coupon of the buyer with its discount on this draft, best first; `best` per API.md. */
export async function quote(r: CouponResources, draft: PricedDraft): Promise<Quote> {
  const ranked = rank(r, await usable(r, draft.userId, new Date(), r.db), draft);
  const options = ranked.map((o) => ({ couponId: o.couponId, discount: o.discount }));
  return { subtotal: draft.subtotal, options, best: options[0] ?? null };
}

/**
 * Inside booking's transaction: RESERVED for this order. 'BEST' takes the best coupon that can still
 * be reserved (a concurrent order may have taken one; the conditional update tells) or none; an id
 * names one coupon that must be the buyer's, available, valid and give a discount, else 409
 * COUPON_NOT_USABLE. A repeat for the same order returns the coupon it already holds.
 */
export async function reserveForOrder(
  r: CouponResources,
  trx: Tx,
  input: { userId: string; orderId: string; couponId: string | 'BEST'; draft: PricedDraft },
): Promise<Reservation> {
  const tx = trx.withTables<CouponTables>();
  const now = new Date();
  const existing = await r.coupons.findByOrder(input.orderId, tx);
  if (existing !== null)
    return {
      couponId: existing.id,
      discount: discountOf(existing, input.draft, r.kinds),
      fundedBy: existing.fundedBy,
    };
  const ranked = rank(r, await usable(r, input.userId, now, tx), input.draft);
  const candidates = input.couponId === 'BEST' ? ranked : ranked.filter((o) => o.couponId === input.couponId);
  for (const option of candidates) {
    const grant = option.coupon.grant;
    if (grant !== null) {
      const outcome = await r.coupons.storeGrant(grant, 'CHECKOUT', tx);
      if (outcome === 'REFUSED') continue;
      r.counters.stored('CHECKOUT', outcome);
    }
    if (await r.coupons.reserve(option.couponId, input.userId, input.orderId, now, tx))
      return { couponId: option.couponId, discount: option.discount, fundedBy: option.coupon.fundedBy };
  }
  if (input.couponId !== 'BEST') throw CouponErrors.notUsable(input.couponId);
  return { couponId: null, discount: 0, fundedBy: null };
}

/** Inside payment's transaction that marks the order paid. */
export async function markUsed(r: CouponResources, trx: Tx, orderId: string): Promise<void> {
  await r.coupons.markUsed(orderId, new Date(), trx.withTables<CouponTables>());
}

/** The order was cancelled, expired or fully refunded: the coupon returns if still valid. */
export async function releaseForOrder(r: CouponResources, trx: Tx, orderId: string): Promise<void> {
  await r.coupons.release(orderId, new Date(), trx.withTables<CouponTables>());
}

export interface MyCoupon {
  id: string;
  campaignId: string;
  name: string;
  kind: string;
  value: number;
  maxDiscount: number | null;
  minSpend: number;
  performanceId: string | null;
  status: 'AVAILABLE' | 'RESERVED' | 'USED' | 'EXPIRED';
  validUntil: string;
  orderId: string | null;
}

/** The buyer's coupons, stored and just granted; EXPIRED is an AVAILABLE one past its validity. */
export async function myCoupons(r: CouponResources, userId: string): Promise<MyCoupon[]> {
  const now = new Date();
  // Pending first, then PostgreSQL (see `usable`): every 202 shows in one of the two, under the same id.
  const pending = await pendingOf(r, userId);
  const stored = await r.coupons.listOfUser(userId);
  const ids = new Set(stored.map((c) => c.id));
  const all: CouponWithTerms[] = [...stored, ...pending.filter((p) => !ids.has(p.id))];
  return all.map((c) => ({
    id: c.id,
    campaignId: c.campaignId,
    name: c.name,
    kind: c.kind,
    value: c.value,
    maxDiscount: c.maxDiscount,
    minSpend: c.minSpend,
    performanceId: c.performanceId,
    status: c.status === 'AVAILABLE' && c.validUntil <= now ? 'EXPIRED' : c.status,
    validUntil: c.validUntil.toISOString(),
    orderId: c.orderId,
  }));
}
