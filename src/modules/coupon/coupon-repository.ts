import { sql } from 'kysely';
import type { CouponTerms } from './pricing.ts';
import type { CouponDb, CouponExecutor, FundedBy, StoredBy, StoredCouponStatus } from './tables.ts';

/** One unit granted by Redis: the fact the 202 promised. */
export interface Grant {
  couponId: string;
  campaignId: string;
  userId: string;
  /** The user's n-th coupon of the campaign. */
  seq: number;
  /** The campaign's n-th unit. */
  unit: number;
  issuedAt: Date;
}

export type StoreOutcome = 'STORED' | 'DUPLICATE' | 'REFUSED';

/** A coupon with its campaign's terms, as checkout prices it. */
export interface CouponWithTerms extends CouponTerms {
  id: string;
  campaignId: string;
  /** The campaign's name. */
  name: string;
  userId: string;
  status: StoredCouponStatus;
  orderId: string | null;
  validUntil: Date;
  fundedBy: FundedBy;
}

const WITH_TERMS = [
  'c.id',
  'c.campaign_id',
  'c.user_id',
  'c.status',
  'c.order_id',
  'k.name',
  'k.kind',
  'k.value',
  'k.max_discount',
  'k.min_spend',
  'k.performance_id',
  'k.grades',
  'k.params',
  'k.valid_until',
  'k.funded_by',
] as const;

type TermsRow = {
  id: string;
  campaign_id: string;
  user_id: string;
  status: StoredCouponStatus;
  order_id: string | null;
  name: string;
  kind: string;
  value: number;
  max_discount: number | null;
  min_spend: number;
  performance_id: string | null;
  grades: string[] | null;
  params: Record<string, unknown>;
  valid_until: Date;
  funded_by: FundedBy;
};

const withTerms = (r: TermsRow): CouponWithTerms => ({
  id: r.id,
  campaignId: r.campaign_id,
  userId: r.user_id,
  status: r.status,
  orderId: r.order_id,
  name: r.name,
  kind: r.kind,
  value: r.value,
  maxDiscount: r.max_discount,
  minSpend: r.min_spend,
  performanceId: r.performance_id,
  grades: r.grades,
  params: r.params,
  validUntil: r.valid_until,
  fundedBy: r.funded_by,
});

export class CouponRepository {
  readonly #db: CouponDb;

  constructor(db: CouponDb) {
    this.#db = db;
  }

  /**
   * Stores a grant idempotently. The insert takes the campaign's bounds from its row, so PostgreSQL
   * refuses a seq above the per-user limit or a unit above the total; the unique constraints refuse a
   * second coupon for one (campaign, user, seq) or one unit. DUPLICATE: this very coupon is already
   * stored (a redelivery, or the reconciler got there first). REFUSED: the grant contradicts stored
   * coupons — only possible after Redis lost state; the caller logs it loudly.
   */
  async storeGrant(g: Grant, by: StoredBy, executor: CouponExecutor = this.#db): Promise<StoreOutcome> {
    const inserted = await sql<{ id: string }>`
      insert into coupons (id, campaign_id, user_id, seq, unit, issued_at, stored_by)
      select ${g.couponId}, k.id, ${g.userId}, ${g.seq}, ${g.unit}, ${g.issuedAt}, ${by}
      from coupon_campaigns k
      where k.id = ${g.campaignId} and ${g.seq} <= k.per_user_limit and ${g.unit} <= k.total_quantity
      on conflict do nothing
      returning id
    `.execute(executor);
    if (inserted.rows.length > 0) return 'STORED';
    const existing = await executor
      .selectFrom('coupons')
      .select(['campaign_id', 'user_id', 'seq'])
      .where('id', '=', g.couponId)
      .executeTakeFirst();
    return existing !== undefined &&
      existing.campaign_id === g.campaignId &&
      existing.user_id === g.userId &&
      existing.seq === g.seq
      ? 'DUPLICATE'
      : 'REFUSED';
  }

  async countStored(campaignId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('coupons')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('campaign_id', '=', campaignId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async storedIdsOfCampaign(campaignId: string): Promise<Set<string>> {
    const rows = await this.#db
      .selectFrom('coupons')
      .select('id')
      .where('campaign_id', '=', campaignId)
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  async grantsOfCampaign(campaignId: string): Promise<Grant[]> {
    const rows = await this.#db
      .selectFrom('coupons')
      .select(['id', 'campaign_id', 'user_id', 'seq', 'unit', 'issued_at'])
      .where('campaign_id', '=', campaignId)
      .execute();
    return rows.map((r) => ({
      couponId: r.id,
      campaignId: r.campaign_id,
      userId: r.user_id,
      seq: r.seq,
      unit: r.unit,
      issuedAt: r.issued_at,
    }));
  }

  async storedIds(ids: readonly string[], executor: CouponExecutor = this.#db): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await executor.selectFrom('coupons').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Every coupon of a user (any status), newest campaign validity last. */
  async listOfUser(userId: string): Promise<CouponWithTerms[]> {
    const rows = await this.#db
      .selectFrom('coupons as c')
      .innerJoin('coupon_campaigns as k', 'k.id', 'c.campaign_id')
      .select(WITH_TERMS)
      .where('c.user_id', '=', userId)
      .orderBy('c.issued_at')
      .orderBy('c.id')
      .execute();
    return rows.map(withTerms);
  }

  /** The user's coupons that could pay for something now: AVAILABLE and still valid. */
  async usableOfUser(
    userId: string,
    now: Date,
    executor: CouponExecutor = this.#db,
  ): Promise<CouponWithTerms[]> {
    const rows = await executor
      .selectFrom('coupons as c')
      .innerJoin('coupon_campaigns as k', 'k.id', 'c.campaign_id')
      .select(WITH_TERMS)
      .where('c.user_id', '=', userId)
      .where('c.status', '=', 'AVAILABLE')
      .where('k.valid_until', '>', now)
      .execute();
    return rows.map(withTerms);
  }

  async findById(id: string): Promise<CouponWithTerms | null> {
    const row = await this.#db
      .selectFrom('coupons as c')
      .innerJoin('coupon_campaigns as k', 'k.id', 'c.campaign_id')
      .select(WITH_TERMS)
      .where('c.id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : withTerms(row);
  }

  async findByOrder(orderId: string, executor: CouponExecutor): Promise<CouponWithTerms | null> {
    const row = await executor
      .selectFrom('coupons as c')
      .innerJoin('coupon_campaigns as k', 'k.id', 'c.campaign_id')
      .select(WITH_TERMS)
      .where('c.order_id', '=', orderId)
      .executeTakeFirst();
    return row === undefined ? null : withTerms(row);
  }

  /** AVAILABLE → RESERVED for this order, only if still AVAILABLE, still valid and this user's. */
  async reserve(
    couponId: string,
    userId: string,
    orderId: string,
    now: Date,
    executor: CouponExecutor,
  ): Promise<boolean> {
    const result = await sql`
      update coupons c set status = 'RESERVED', order_id = ${orderId}, reserved_at = ${now}
      from coupon_campaigns k
      where c.id = ${couponId} and c.user_id = ${userId} and c.status = 'AVAILABLE'
        and k.id = c.campaign_id and k.valid_until > ${now}
    `.execute(executor);
    return Number(result.numAffectedRows ?? 0) === 1;
  }

  async markUsed(orderId: string, now: Date, executor: CouponExecutor): Promise<void> {
    await executor
      .updateTable('coupons')
      .set({ status: 'USED', used_at: now })
      .where('order_id', '=', orderId)
      .where('status', '=', 'RESERVED')
      .execute();
  }

  /**
   * The order no longer needs its coupon (cancelled, expired, fully refunded): a RESERVED one always
   * returns (it then shows EXPIRED if its validity passed); a USED one returns only while still valid.
   */
  async release(orderId: string, now: Date, executor: CouponExecutor): Promise<void> {
    await sql`
      update coupons c set status = 'AVAILABLE', order_id = null, reserved_at = null, used_at = null
      from coupon_campaigns k
      where c.order_id = ${orderId} and k.id = c.campaign_id
        and (c.status = 'RESERVED' or (c.status = 'USED' and k.valid_until > ${now}))
    `.execute(executor);
  }
}
