import type { Selectable } from 'kysely';
import type { CouponTerms } from './pricing.ts';
import type { CouponDb, CouponExecutor, CouponTables, FundedBy } from './tables.ts';

export interface Campaign extends CouponTerms {
  id: string;
  name: string;
  sellerId: string | null;
  createdBy: string;
  fundedBy: FundedBy;
  totalQuantity: number;
  perUserLimit: number;
  issueStartsAt: Date;
  issueEndsAt: Date;
  validUntil: Date;
  /** Issuing stopped early (performance cancelled, or stopped by its owner). */
  stoppedAt: Date | null;
  stopReason: string | null;
  createdAt: Date;
}

export type NewCampaign = Omit<Campaign, 'createdAt' | 'stoppedAt' | 'stopReason'>;

/** When issuing ends: the window's end, or earlier if the campaign was stopped. */
export const issueEnd = (c: Campaign): Date =>
  c.stoppedAt !== null && c.stoppedAt < c.issueEndsAt ? c.stoppedAt : c.issueEndsAt;

type Row = Selectable<CouponTables['coupon_campaigns']>;

export function campaignFromRow(r: Row): Campaign {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    value: r.value,
    maxDiscount: r.max_discount,
    minSpend: r.min_spend,
    performanceId: r.performance_id,
    grades: r.grades,
    params: r.params,
    sellerId: r.seller_id,
    createdBy: r.created_by,
    fundedBy: r.funded_by,
    totalQuantity: r.total_quantity,
    perUserLimit: r.per_user_limit,
    issueStartsAt: r.issue_starts_at,
    issueEndsAt: r.issue_ends_at,
    validUntil: r.valid_until,
    stoppedAt: r.stopped_at,
    stopReason: r.stop_reason,
    createdAt: r.created_at,
  };
}

export class CampaignRepository {
  readonly #db: CouponDb;

  constructor(db: CouponDb) {
    this.#db = db;
  }

  async insert(c: NewCampaign, executor: CouponExecutor = this.#db): Promise<Campaign> {
    const row = await executor
      .insertInto('coupon_campaigns')
      .values({
        id: c.id,
        name: c.name,
        kind: c.kind,
        value: c.value,
        max_discount: c.maxDiscount,
        min_spend: c.minSpend,
        performance_id: c.performanceId,
        grades: c.grades === null ? null : [...c.grades],
        params: JSON.stringify(c.params) as unknown as Record<string, unknown>,
        seller_id: c.sellerId,
        created_by: c.createdBy,
        funded_by: c.fundedBy,
        total_quantity: c.totalQuantity,
        per_user_limit: c.perUserLimit,
        issue_starts_at: c.issueStartsAt,
        issue_ends_at: c.issueEndsAt,
        valid_until: c.validUntil,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return campaignFromRow(row);
  }

  async find(id: string, executor: CouponExecutor = this.#db): Promise<Campaign | null> {
    const row = await executor
      .selectFrom('coupon_campaigns')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : campaignFromRow(row);
  }

  /** Campaigns whose grants may still be on their way to PostgreSQL (issue window open or recently closed). */
  async listRecentlyIssuing(now: Date, lookbackMs: number): Promise<Campaign[]> {
    const rows = await this.#db
      .selectFrom('coupon_campaigns')
      .selectAll()
      .where('issue_starts_at', '<=', new Date(now.getTime() + 60_000))
      .where('issue_ends_at', '>', new Date(now.getTime() - lookbackMs))
      .execute();
    return rows.map(campaignFromRow);
  }

  /** Public listing, newest first; optionally one performance's (its own and platform-wide ones). */
  async list(filter: { performanceId?: string; limit: number; offset: number }): Promise<Campaign[]> {
    let q = this.#db.selectFrom('coupon_campaigns').selectAll();
    const performanceId = filter.performanceId;
    if (performanceId !== undefined)
      q = q.where((eb) =>
        eb.or([eb('performance_id', '=', performanceId), eb('performance_id', 'is', null)]),
      );
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute();
    return rows.map(campaignFromRow);
  }

  /** Stops issuing now; returns the campaigns it stopped (already stopped ones are left as they are). */
  async stop(
    filter: { campaignId: string } | { performanceId: string },
    reason: string,
    executor: CouponExecutor = this.#db,
  ): Promise<string[]> {
    let q = executor
      .updateTable('coupon_campaigns')
      .set({ stopped_at: new Date(), stop_reason: reason })
      .where('stopped_at', 'is', null);
    q =
      'campaignId' in filter
        ? q.where('id', '=', filter.campaignId)
        : q.where('performance_id', '=', filter.performanceId);
    const rows = await q.returning('id').execute();
    return rows.map((r) => r.id);
  }
}
