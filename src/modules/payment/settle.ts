import { isAppError } from '../../platform/errors.ts';
import type { PaymentContext } from './context.ts';
import { PaymentEvents } from './events.ts';
import { PAID_STATUSES } from './payment-repository.ts';
import type { PaymentRow, PaymentStatus } from './tables.ts';
import { CHARGED_STATUSES, methodOf, type TossPayment } from './toss-client/types.ts';

export type Settled =
  | { kind: 'PAID'; approvedAt: Date }
  | { kind: 'WAITING'; dueDate: Date | null; payment: TossPayment }
  | { kind: 'NOT_CHARGED'; code: string; message: string }
  | { kind: 'VOIDED'; code: string; refunded: boolean };

/** Another payment of the order is live already (payments_one_live_per_order). */
const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === '23505';

const OPEN: readonly PaymentStatus[] = ['CONFIRMING', 'WAITING_FOR_DEPOSIT'];

/**
 * The provider took the money: in ONE transaction the payment becomes DONE, booking marks the order
 * PAID (tickets, coupon USED, hold consumed) and `payment.approved` enters the outbox. Idempotent (row
 * lock + status check): recovery, webhooks and the confirm request may all arrive here.
 * If the order cannot take the payment (a seat sold meanwhile...), the charge is returned.
 */
export async function recordCharged(
  ctx: PaymentContext,
  row: PaymentRow,
  provider: TossPayment,
): Promise<Settled> {
  if (provider.totalAmount !== row.amount || provider.orderId !== row.toss_order_id) {
    ctx.logger.error(
      { orderId: row.order_id, paymentKey: row.payment_key, providerAmount: provider.totalAmount },
      'the provider charged something other than this order; returning it',
    );
    return voidCharge(ctx, row, 'AMOUNT_MISMATCH');
  }
  await ctx.hooks.afterProviderSuccess?.(provider);
  const approvedAt = provider.approvedAt ? new Date(provider.approvedAt) : new Date();
  let refusal: { code: string } | null = null;
  try {
    const result = await ctx.payments.transaction(async (trx, tx): Promise<Settled | null> => {
      const locked = await ctx.payments.lock(trx, row.id);
      if (locked === undefined) throw new Error(`payment ${row.id} vanished`);
      if (PAID_STATUSES.includes(locked.status))
        return { kind: 'PAID', approvedAt: locked.approved_at ?? approvedAt };
      if (locked.status === 'REFUND_REQUIRED' || locked.status === 'VOIDED') return null;
      const method = methodOf(provider.method);
      await ctx.payments.update(trx, row.id, {
        status: 'DONE',
        approved_at: approvedAt,
        method,
        balance_amount: provider.balanceAmount,
        provider_status: provider.status,
        lease_until: null,
        failure_code: null,
        failure_message: null,
      });
      await ctx.booking.markOrderPaid(tx, row.order_id, approvedAt);
      await PaymentEvents.approved(trx, {
        orderId: row.order_id,
        tossOrderId: row.toss_order_id,
        paymentKey: row.payment_key,
        sellerId: row.seller_id,
        performanceId: row.performance_id,
        scheduleId: row.schedule_id,
        buyerId: row.buyer_id,
        approvedAt: approvedAt.toISOString(),
        grossAmount: row.gross_amount,
        discountAmount: row.discount_amount,
        discountFundedBy: row.discount_funded_by,
        amount: row.amount,
        method: row.amount === 0 ? 'FREE' : method,
      });
      return { kind: 'PAID', approvedAt };
    });
    if (result !== null) return result;
  } catch (err) {
    // Booking refused the order (seat sold meanwhile, order ended): a domain answer, the charge goes
    // back. Anything else (database down...) leaves the payment open for recovery.
    if (isUniqueViolation(err)) refusal = { code: 'ORDER_ALREADY_PAID' };
    else if (isAppError(err) && (err.kind === 'conflict' || err.kind === 'not_found'))
      refusal = { code: err.code };
    else throw err;
  }
  return voidCharge(ctx, row, refusal?.code ?? 'ALREADY_VOIDED');
}

/** A virtual account is waiting for the deposit: the order stays PAYMENT_PENDING until then. */
export async function recordWaiting(
  ctx: PaymentContext,
  row: PaymentRow,
  provider: TossPayment,
): Promise<Settled> {
  const due = provider.virtualAccount?.dueDate ? new Date(provider.virtualAccount.dueDate) : null;
  const recheckMs =
    due === null ? 60_000 : Math.max(1000, Math.min(60_000, due.getTime() - Date.now() + 1000));
  const updated = await ctx.payments.transaction(async (trx) => {
    const locked = await ctx.payments.lock(trx, row.id);
    if (locked === undefined || locked.status !== 'CONFIRMING') return locked;
    return ctx.payments.update(trx, row.id, {
      status: 'WAITING_FOR_DEPOSIT',
      method: methodOf(provider.method),
      due_date: due,
      provider_status: provider.status,
      lease_until: new Date(Date.now() + recheckMs),
    });
  });
  if (updated?.status === 'WAITING_FOR_DEPOSIT' && due !== null) {
    await ctx.booking.markAwaitingDeposit?.(row.order_id, due);
  }
  if (updated !== undefined && PAID_STATUSES.includes(updated.status)) {
    return { kind: 'PAID', approvedAt: updated.approved_at ?? new Date() };
  }
  return { kind: 'WAITING', dueDate: due, payment: provider };
}

/**
 * Nothing was charged (declined, session gone, abandoned, deposit deadline missed): the order goes
 * back to PENDING_PAYMENT first (so a crash in between leaves an open payment for recovery, never a
 * stuck order), then the payment is closed with `payment.failed`.
 */
export async function recordNotCharged(
  ctx: PaymentContext,
  row: PaymentRow,
  code: string,
  message: string,
  to: 'FAILED' | 'EXPIRED' = 'FAILED',
): Promise<Settled> {
  const current = await ctx.payments.findById(row.id);
  if (current !== undefined && PAID_STATUSES.includes(current.status)) {
    return { kind: 'PAID', approvedAt: current.approved_at ?? new Date() };
  }
  if (current === undefined || !OPEN.includes(current.status)) return { kind: 'NOT_CHARGED', code, message };
  await ctx.booking.markPaymentUnresolvedBack(row.order_id);
  const after = await ctx.payments.transaction(async (trx) => {
    const locked = await ctx.payments.lock(trx, row.id);
    if (locked === undefined || !OPEN.includes(locked.status)) return locked;
    await ctx.payments.update(trx, row.id, {
      status: to,
      failure_code: code,
      failure_message: message.slice(0, 500),
      lease_until: null,
    });
    await PaymentEvents.failed(trx, { orderId: row.order_id, code, message: message.slice(0, 500) });
    return undefined;
  });
  // Recorded as paid meanwhile (a webhook, another path): that is the outcome.
  if (after !== undefined && PAID_STATUSES.includes(after.status)) {
    return { kind: 'PAID', approvedAt: after.approved_at ?? new Date() };
  }
  return { kind: 'NOT_CHARGED', code, message };
}

/**
 * A charge the order cannot take is returned in full: REFUND_REQUIRED (committed first, so recovery
 * finishes it after a crash), the provider cancel under a key of its own, the order ended, VOIDED.
 */
export async function voidCharge(ctx: PaymentContext, row: PaymentRow, reason: string): Promise<Settled> {
  const marked = await ctx.payments.transaction(async (trx) => {
    const locked = await ctx.payments.lock(trx, row.id);
    if (locked === undefined) return undefined;
    if (locked.status === 'VOIDED' || PAID_STATUSES.includes(locked.status)) return locked;
    if (locked.status === 'REFUND_REQUIRED') return locked;
    return ctx.payments.update(trx, row.id, {
      status: 'REFUND_REQUIRED',
      failure_code: reason,
      lease_until: new Date(Date.now() + ctx.settings.leaseMs),
    });
  });
  if (marked === undefined) return { kind: 'VOIDED', code: reason, refunded: false };
  if (PAID_STATUSES.includes(marked.status))
    return { kind: 'PAID', approvedAt: marked.approved_at ?? new Date() };
  if (marked.status === 'VOIDED')
    return { kind: 'VOIDED', code: marked.failure_code ?? reason, refunded: true };
  const code = marked.failure_code ?? reason;

  const at = { paymentId: row.id, orderId: row.order_id, attempt: 1 };
  let result = await ctx.provider.cancel(
    at,
    row.payment_key,
    { cancelReason: `order could not be completed (${code})` },
    `void-${row.id}`,
  );
  if (!result.ok && (result.cls === 'UNCLEAR' || result.code === 'ALREADY_CANCELED_PAYMENT')) {
    // A void is a full cancel: whatever the answer, the payment's state says whether it is done.
    result = await ctx.provider.query({ ...at, attempt: 2 }, { paymentKey: row.payment_key });
  }
  const returned =
    result.ok && (result.payment.balanceAmount === 0 || !CHARGED_STATUSES.has(result.payment.status));
  if (!returned) {
    ctx.logger.warn({ orderId: row.order_id, code }, 'could not return a charge yet; recovery retries');
    await ctx.payments.releaseLease(row.id, 5000);
    return { kind: 'VOIDED', code, refunded: false };
  }
  if (ctx.booking.cancelUnpaidOrder !== undefined)
    await ctx.booking.cancelUnpaidOrder(row.order_id, `payment returned: ${code}`);
  else await ctx.booking.markPaymentUnresolvedBack(row.order_id);
  await ctx.payments.transaction(async (trx) => {
    const locked = await ctx.payments.lock(trx, row.id);
    if (locked?.status !== 'REFUND_REQUIRED') return;
    await ctx.payments.update(trx, row.id, {
      status: 'VOIDED',
      balance_amount: 0,
      provider_status: result.ok ? result.payment.status : null,
      lease_until: null,
    });
    await PaymentEvents.failed(trx, {
      orderId: row.order_id,
      code,
      message: 'charged, but the order could not take the payment; refunded in full',
    });
  });
  ctx.stats.voided.inc({ reason: code });
  return { kind: 'VOIDED', code, refunded: true };
}

/**
 * Brings our record in line with the provider's Payment (recovery and webhooks). Returns null when the
 * provider shows no decision yet (READY / IN_PROGRESS): the caller decides.
 */
export async function reconcile(
  ctx: PaymentContext,
  row: PaymentRow,
  p: TossPayment,
): Promise<Settled | null> {
  switch (p.status) {
    case 'DONE':
    case 'PARTIAL_CANCELED':
      if (row.status === 'REFUND_REQUIRED')
        return voidCharge(ctx, row, row.failure_code ?? 'REFUND_REQUIRED');
      return recordCharged(ctx, row, p);
    case 'WAITING_FOR_DEPOSIT':
      return row.status === 'CONFIRMING' ? recordWaiting(ctx, row, p) : null;
    case 'CANCELED':
      if (row.status === 'REFUND_REQUIRED')
        return voidCharge(ctx, row, row.failure_code ?? 'REFUND_REQUIRED');
      if (OPEN.includes(row.status))
        return recordNotCharged(ctx, row, 'CANCELED', 'the payment was cancelled at the provider', 'EXPIRED');
      return null;
    case 'EXPIRED':
    case 'ABORTED':
      if (!OPEN.includes(row.status)) return null;
      return recordNotCharged(
        ctx,
        row,
        p.failure?.code ?? (p.status === 'EXPIRED' ? 'EXPIRED' : 'ABORTED'),
        p.failure?.message ?? `the payment is ${p.status} at the provider`,
        row.status === 'WAITING_FOR_DEPOSIT' ? 'EXPIRED' : 'FAILED',
      );
    default:
      return null;
  }
}
