import { AppError } from '../../platform/errors.ts';
import type { PaymentContext } from './context.ts';
import { reconcile } from './settle.ts';

export interface TossWebhookBody {
  eventType?: string;
  createdAt?: string;
  data?: { paymentKey?: string; orderId?: string; status?: string };
  /** DEPOSIT_CALLBACK-style bodies carry these at the top level. */
  paymentKey?: string;
  orderId?: string;
  status?: string;
}

/**
 * POST /api/v1/payments/webhooks/toss. Toss does not sign webhook bodies, so the body only says which
 * payment to look at: the payment is re-read from the provider and our record reconciled with that
 * (deposit → PAID, deadline missed → EXPIRED, ...). Unknown payments are acknowledged and ignored.
 */
export async function handleTossWebhook(
  ctx: PaymentContext,
  body: TossWebhookBody,
): Promise<{ received: true; handled: boolean; status?: string }> {
  const paymentKey = body.data?.paymentKey ?? body.paymentKey;
  const orderId = body.data?.orderId ?? body.orderId;
  const row =
    paymentKey !== undefined
      ? await ctx.payments.findByKey(paymentKey)
      : orderId !== undefined
        ? await ctx.payments.findByTossOrderId(orderId)
        : undefined;
  if (row === undefined) {
    ctx.logger.info(
      { paymentKey, orderId, eventType: body.eventType },
      'webhook for a payment we never confirmed',
    );
    return { received: true, handled: false };
  }
  const q = await ctx.provider.query(
    { paymentId: row.id, orderId: row.order_id, attempt: 0 },
    { paymentKey: row.payment_key },
  );
  if (!q.ok) {
    // 503: Toss retries the webhook later.
    throw new AppError('unavailable', 'PROVIDER_UNAVAILABLE', 'could not re-read the payment; retry later');
  }
  await reconcile(ctx, row, q.payment);
  return { received: true, handled: true, status: q.payment.status };
}
