import type { Tx } from '../../platform/db.ts';

/*
 * What payment needs from its neighbours (docs/contracts.md), as structural interfaces: the real
 * booking and catalog modules satisfy them as they are.
 */

export interface OrderLine {
  seatId: number | null;
  sectionId: string;
  grade: string;
  price: number;
  entryNumber?: number;
  ticketId?: string;
}

export interface OrderForPayment {
  id: string;
  tossOrderId: string;
  userId: string;
  scheduleId: string;
  performanceId: string;
  sellerId: string;
  status: string;
  subtotal: number;
  discount: number;
  amount: number;
  couponId: string | null;
  discountFundedBy: 'SELLER' | 'PLATFORM' | null;
  expiresAt: Date;
  lines: OrderLine[];
  startsAt: Date;
}

export type RefundInitiator = 'BUYER' | 'SELLER' | 'ADMIN' | 'SYSTEM';

export interface RefundPort {
  refundOrder(
    orderId: string,
    input: { seatIds?: number[]; reason: string; initiatedBy: RefundInitiator },
  ): Promise<void>;
}

export interface BookingPort {
  findOrder(orderId: string): Promise<OrderForPayment | null>;
  findOrderByTossOrderId(tossOrderId: string): Promise<OrderForPayment | null>;
  /** PENDING_PAYMENT → PAYMENT_PENDING; throws ORDER_EXPIRED / ORDER_NOT_PAYABLE. */
  markPaymentPending(orderId: string): Promise<void>;
  /** PAYMENT_PENDING → PENDING_PAYMENT (decline, or nothing charged). */
  markPaymentUnresolvedBack(orderId: string): Promise<void>;
  markOrderPaid(trx: Tx, orderId: string, paidAt: Date): Promise<void>;
  markOrderRefunded(
    trx: Tx,
    orderId: string,
    seatIds: number[] | 'ALL',
    at: Date,
  ): Promise<{ full: boolean }>;
  /** Ends an unpaid / payment-pending order now (after a charge had to be returned). */
  cancelUnpaidOrder?(orderId: string, reason: string): Promise<boolean>;
  /** Virtual account: keep the order and its hold until the deposit deadline. */
  markAwaitingDeposit?(orderId: string, dueDate: Date): Promise<void>;
}

export interface CancellationPolicy {
  deadlineHoursBeforeStart: number;
  fees: { daysBeforeStart: number; percent: number }[];
}

export interface CatalogPort {
  getScheduleForSale(
    scheduleId: string,
  ): Promise<{ startsAt: Date; cancellationPolicy?: CancellationPolicy | null } | null>;
}
