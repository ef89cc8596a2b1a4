import type { Generated, Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';

export type HoldKind = 'SEATS' | 'STANDING';
export type HoldStatus = 'ACTIVE' | 'ORDERED' | 'RELEASED' | 'EXPIRED' | 'CONSUMED';
export type OrderStatus =
  | 'PENDING_PAYMENT'
  | 'PAYMENT_PENDING'
  | 'PAID'
  | 'EXPIRED'
  | 'CANCELLED'
  | 'REFUNDED'
  | 'PARTIALLY_REFUNDED';
export type TicketStatus = 'VALID' | 'REFUNDED';
export type FundedBy = 'SELLER' | 'PLATFORM';

export type BookingTables = {
  holds: {
    id: string;
    schedule_id: string;
    performance_id: string;
    seller_id: string;
    user_id: string;
    kind: HoldKind;
    /** bigint[]: PostgreSQL returns the elements as strings; map with Number. */
    seat_ids: (number | string)[];
    section_id: string | null;
    quantity: number;
    fence: number;
    status: HoldStatus;
    expires_at: Date;
    max_expires_at: Date;
    admission_expires_at: Date | null;
    created_at: Generated<Date>;
    ended_at: Date | null;
  };
  orders: {
    id: string;
    toss_order_id: string;
    hold_id: string;
    user_id: string;
    schedule_id: string;
    performance_id: string;
    seller_id: string;
    starts_at: Date;
    status: OrderStatus;
    subtotal: number;
    discount: number;
    amount: number;
    coupon_id: string | null;
    discount_funded_by: FundedBy | null;
    expires_at: Date;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
    paid_at: Date | null;
    ended_at: Date | null;
    end_reason: string | null;
    change_seq: Generated<number>;
    synced_seq: Generated<number>;
  };
  order_lines: {
    id: Generated<number>;
    order_id: string;
    schedule_id: string;
    seat_id: number | null;
    section_id: string;
    grade: string;
    price: number;
    active: Generated<boolean>;
    ticket_id: string | null;
  };
  tickets: {
    id: Generated<string>;
    order_id: string;
    line_id: number;
    schedule_id: string;
    performance_id: string;
    user_id: string;
    seat_id: number | null;
    section_id: string;
    entry_number: number | null;
    price: number;
    status: Generated<TicketStatus>;
    issued_at: Date;
    refunded_at: Date | null;
  };
};

export type BookingDb = Kysely<PlatformTables & BookingTables>;
