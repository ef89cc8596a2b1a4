import type { Generated, Kysely, Selectable, Transaction } from 'kysely';
import type { PlatformTables } from '../../../platform/db.ts';

/** The sandbox's own tables (migration 0007). Only sandbox code reads them. */
export type SandboxTables = {
  sandbox_payments: {
    payment_key: string;
    order_id: string;
    order_name: string;
    method: string;
    status: string;
    total_amount: number;
    balance_amount: number;
    tax_free_amount: Generated<number>;
    test_code: string | null;
    test_code_remaining: number | null;
    valid_hours: number | null;
    merchant: string | null;
    requested_at: Generated<Date>;
    session_expires_at: Date;
    confirmed_at: Date | null;
    approved_at: Date | null;
    due_date: Date | null;
    virtual_account: unknown;
    failure: unknown;
    last_transaction_key: string | null;
    last_cancel_at: Date | null;
    updated_at: Generated<Date>;
  };
  sandbox_cancels: {
    transaction_key: string;
    payment_key: string;
    cancel_amount: number;
    tax_free_amount: Generated<number>;
    cancel_reason: string;
    canceled_at: Generated<Date>;
  };
  sandbox_idempotency: {
    merchant: string;
    idem_key: string;
    request_hash: string;
    state: 'IN_PROGRESS' | 'DONE';
    status_code: number | null;
    response: unknown;
    created_at: Generated<Date>;
  };
  sandbox_settings: {
    merchant: string;
    settings: unknown;
    updated_at: Generated<Date>;
  };
  sandbox_webhook_deliveries: {
    id: Generated<number>;
    merchant: string | null;
    url: string | null;
    event_type: string;
    payment_key: string;
    body: unknown;
    status: 'PENDING' | 'DELIVERED' | 'FAILED';
    attempts: Generated<number>;
    next_attempt_at: Generated<Date>;
    last_status: number | null;
    last_error: string | null;
    created_at: Generated<Date>;
    delivered_at: Date | null;
  };
};

export type SandboxSchema = PlatformTables & SandboxTables;
export type SandboxDb = Kysely<SandboxSchema>;
export type SandboxTrx = Transaction<SandboxSchema>;
export type SandboxPaymentRow = Selectable<SandboxTables['sandbox_payments']>;
