import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';
import type { LineType } from './money.ts';

export type SettlementStatus = 'CALCULATED' | 'CONFIRMED' | 'PAID_OUT';
export type EventStatus = 'APPLIED' | 'PARKED' | 'IGNORED' | 'REJECTED';

/** `date` columns: written as YYYY-MM-DD, read back as text (see the to_char in the repository). */
type DateColumn = ColumnType<string, string, string>;

export type SettlementTables = {
  seller_fee_rules: {
    seller_id: string;
    pg_fee_rate_bps: number | null;
    platform_fee_rate_bps: number | null;
    updated_at: Generated<Date>;
  };
  settlement_events: {
    event_id: string;
    type: string;
    order_id: string | null;
    status: EventStatus;
    reason: string | null;
    occurred_at: Date | null;
    payload: unknown;
    received_at: Generated<Date>;
  };
  settlement_runs: {
    id: Generated<string>;
    period_start: Date;
    period_end: Date;
    trigger: 'API' | 'SCHEDULE';
    created_at: Generated<Date>;
  };
  settlements: {
    id: Generated<string>;
    run_id: string;
    seller_id: string;
    period_start: Date;
    period_end: Date;
    gross_amount: number;
    refund_amount: number;
    discount_amount: number;
    pg_fee_amount: number;
    platform_fee_amount: number;
    vat_amount: number;
    cancellation_fee_amount: number;
    payout_amount: number;
    line_count: number;
    status: Generated<SettlementStatus>;
    payout_date: DateColumn;
    created_at: Generated<Date>;
    confirmed_at: Date | null;
    paid_out_at: Date | null;
  };
  settlement_ledger_lines: {
    id: Generated<number>;
    type: LineType;
    source_ref: string;
    source_event_id: string | null;
    order_id: string | null;
    seller_id: string;
    performance_id: string | null;
    payment_key: string | null;
    refund_id: string | null;
    occurred_at: Date;
    recorded_at: Date;
    ingested_at: Generated<Date>;
    gross_amount: number;
    refund_amount: number;
    discount_amount: number;
    platform_discount_amount: number;
    charged_amount: number;
    pg_fee_amount: number;
    platform_fee_amount: number;
    pg_vat_amount: number;
    platform_vat_amount: number;
    vat_amount: number;
    cancellation_fee_amount: number;
    payout_amount: number;
    pg_fee_rate_bps: number | null;
    platform_fee_rate_bps: number | null;
    vat_rate_bps: number | null;
    completes_order: Generated<boolean>;
    settlement_id: string | null;
  };
};

export type SettlementDb = Kysely<PlatformTables & SettlementTables>;
export type SettlementTx = Transaction<PlatformTables & SettlementTables>;
/** Either the pool or a transaction: repository functions take whichever the use case holds. */
export type SettlementExecutor = SettlementDb | SettlementTx;
