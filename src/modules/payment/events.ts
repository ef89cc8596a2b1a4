import type { QueryExecutorProvider } from 'kysely';
import { TOPICS } from '../../platform/kafka.ts';
import { enqueueEvent } from '../../platform/outbox/enqueue.ts';
import type { PaymentMethod } from './toss-client/types.ts';

/** Payload shapes of docs/contracts.md ("payment events"); settlement consumes them. */
export interface PaymentApproved {
  orderId: string;
  tossOrderId: string;
  paymentKey: string;
  sellerId: string;
  performanceId: string;
  scheduleId: string;
  buyerId: string;
  approvedAt: string;
  grossAmount: number;
  discountAmount: number;
  discountFundedBy: 'SELLER' | 'PLATFORM' | null;
  amount: number;
  method: PaymentMethod | 'FREE';
}

export interface PaymentRefunded {
  orderId: string;
  paymentKey: string;
  refundId: string;
  sellerId: string;
  performanceId: string;
  refundedAt: string;
  refundFaceValue: number;
  refundDiscount: number;
  refundAmount: number;
  cancellationFee: number;
  full: boolean;
}

export interface PaymentFailed {
  orderId: string;
  code: string;
  message: string;
}

const emit = (trx: QueryExecutorProvider, type: string, orderId: string, payload: unknown) =>
  enqueueEvent(trx, { topic: TOPICS.payment, key: orderId, type, payload });

export const PaymentEvents = {
  approved: (trx: QueryExecutorProvider, p: PaymentApproved) => emit(trx, 'payment.approved', p.orderId, p),
  refunded: (trx: QueryExecutorProvider, p: PaymentRefunded) => emit(trx, 'payment.refunded', p.orderId, p),
  failed: (trx: QueryExecutorProvider, p: PaymentFailed) => emit(trx, 'payment.failed', p.orderId, p),
};
