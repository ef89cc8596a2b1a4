import type { PaymentContext } from './context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A payment as operators see it (ops lookup by paymentKey or payment id), with its refunds. */
export interface PaymentDescription {
  paymentId: string;
  paymentKey: string;
  orderId: string;
  tossOrderId: string;
  buyerId: string;
  sellerId: string;
  performanceId: string;
  scheduleId: string;
  status: string;
  method: string | null;
  amount: number;
  balanceAmount: number;
  approvedAt: Date | null;
  failureCode: string | null;
  createdAt: Date;
  refunds: { refundId: string; amount: number; status: string; initiatedBy: string; requestedAt: Date }[];
}

export async function describeById(ctx: PaymentContext, id: string): Promise<PaymentDescription | null> {
  if (id.length === 0 || id.length > 200) return null;
  const row =
    (await ctx.payments.findByKey(id)) ?? (UUID.test(id) ? await ctx.payments.findById(id) : undefined);
  if (row === undefined) return null;
  const refunds = await ctx.refunds.ofPayment(ctx.payments.db, row.id);
  return {
    paymentId: row.id,
    paymentKey: row.payment_key,
    orderId: row.order_id,
    tossOrderId: row.toss_order_id,
    buyerId: row.buyer_id,
    sellerId: row.seller_id,
    performanceId: row.performance_id,
    scheduleId: row.schedule_id,
    status: row.status,
    method: row.method,
    amount: row.amount,
    balanceAmount: row.balance_amount,
    approvedAt: row.approved_at,
    failureCode: row.failure_code,
    createdAt: row.created_at,
    refunds: refunds.map((f) => ({
      refundId: f.id,
      amount: f.amount,
      status: f.status,
      initiatedBy: f.initiated_by,
      requestedAt: f.requested_at,
    })),
  };
}
