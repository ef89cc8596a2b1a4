import type { Generated, Kysely, Transaction } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';

export type FundedBy = 'SELLER' | 'PLATFORM';
export type StoredCouponStatus = 'AVAILABLE' | 'RESERVED' | 'USED';
export type StoredBy = 'CONSUMER' | 'RECONCILER' | 'CHECKOUT';

export type CouponTables = {
  coupon_campaigns: {
    id: string;
    name: string;
    kind: string;
    value: number;
    max_discount: number | null;
    min_spend: number;
    performance_id: string | null;
    grades: string[] | null;
    params: Record<string, unknown>;
    seller_id: string | null;
    created_by: string;
    funded_by: FundedBy;
    total_quantity: number;
    per_user_limit: number;
    issue_starts_at: Date;
    issue_ends_at: Date;
    valid_until: Date;
    stopped_at: Generated<Date | null>;
    stop_reason: Generated<string | null>;
    created_at: Generated<Date>;
  };
  coupons: {
    id: string;
    campaign_id: string;
    user_id: string;
    seq: number;
    unit: number;
    status: Generated<StoredCouponStatus>;
    order_id: string | null;
    issued_at: Date;
    stored_at: Generated<Date>;
    reserved_at: Date | null;
    used_at: Date | null;
    stored_by: StoredBy;
  };
};

export type CouponDb = Kysely<PlatformTables & CouponTables>;
export type CouponTx = Transaction<PlatformTables & CouponTables>;
/** Anything queries run on: the pool or a transaction. */
export type CouponExecutor = CouponDb | CouponTx;
