import type { Generated, Kysely, Selectable, Transaction } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';

export type PaymentStatus =
  | 'CONFIRMING'
  | 'WAITING_FOR_DEPOSIT'
  | 'DONE'
  | 'PARTIAL_CANCELED'
  | 'CANCELED'
  | 'FAILED'
  | 'EXPIRED'
  | 'REFUND_REQUIRED'
  | 'VOIDED';

/** Payment's own tables (migration 0007). Nobody else reads them. */
export type PaymentTables = {
  payments: {
    id: Generated<string>;
    order_id: string;
    toss_order_id: string;
    payment_key: string;
    buyer_id: string;
    seller_id: string;
    performance_id: string;
    schedule_id: string;
    amount: number;
    gross_amount: number;
    discount_amount: number;
    discount_funded_by: 'SELLER' | 'PLATFORM' | null;
    method: string | null;
    status: PaymentStatus;
    idempotency_key: string;
    lease_until: Date | null;
    balance_amount: Generated<number>;
    approved_at: Date | null;
    due_date: Date | null;
    failure_code: string | null;
    failure_message: string | null;
    provider_status: string | null;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  payment_attempts: {
    id: Generated<number>;
    payment_id: string | null;
    order_id: string;
    kind: 'CONFIRM' | 'QUERY' | 'CANCEL' | 'REJECTED';
    attempt: number;
    idempotency_key: string | null;
    outcome: 'SUCCESS' | 'FINAL' | 'RETRYABLE' | 'UNCLEAR' | 'REJECTED';
    http_status: number | null;
    code: string | null;
    message: string | null;
    provider_status: string | null;
    duration_ms: number;
    created_at: Generated<Date>;
  };
  payment_refunds: {
    id: string;
    payment_id: string;
    order_id: string;
    payment_key: string;
    seat_ids: number[];
    full_refund: boolean;
    initiated_by: 'BUYER' | 'SELLER' | 'ADMIN' | 'SYSTEM';
    reason: string;
    face_value: number;
    discount: number;
    fee: number;
    amount: number;
    status: 'REQUESTED' | 'DONE' | 'FAILED';
    idempotency_key: string;
    lease_until: Date | null;
    transaction_key: string | null;
    failure_code: string | null;
    failure_message: string | null;
    requested_at: Generated<Date>;
    refunded_at: Date | null;
  };
  payment_bulk_refunds: {
    performance_id: string;
    event_id: string;
    reason: string;
    status: 'RUNNING' | 'DONE';
    created_at: Generated<Date>;
    finished_at: Date | null;
  };
  payment_bulk_refund_items: {
    performance_id: string;
    order_id: string;
    status: 'PENDING' | 'DONE' | 'SKIPPED';
    attempts: Generated<number>;
    last_error: string | null;
    next_attempt_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
};

export type PaymentSchema = PlatformTables & PaymentTables;
export type PaymentDb = Kysely<PaymentSchema>;
export type PaymentTrx = Transaction<PaymentSchema>;
export type PaymentRow = Selectable<PaymentTables['payments']>;
export type RefundRow = Selectable<PaymentTables['payment_refunds']>;
