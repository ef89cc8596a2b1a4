import { randomUUID } from 'node:crypto';
import { isAppError } from '../../platform/errors.ts';
import type { PaymentContext } from './context.ts';
import { PaymentErrors } from './errors.ts';
import { PAID_STATUSES } from './payment-repository.ts';
import type { OrderForPayment } from './ports.ts';
import type { CallOutcome } from './provider.ts';
import { GaveUp, RetryNeeded, withRetries } from './retry.ts';
import { recordCharged, recordNotCharged, recordWaiting, type Settled } from './settle.ts';
import type { PaymentRow } from './tables.ts';
import type { TossPayment } from './toss-client/types.ts';

export interface ConfirmInput {
  userId: string;
  /** The order's tossOrderId. */
  orderId: string;
  paymentKey: string;
  amount: number;
}

export type ConfirmResult =
  | { orderId: string; status: 'PAID'; approvedAt: string }
  | {
      orderId: string;
      status: 'WAITING_FOR_DEPOSIT';
      approvedAt: null;
      dueDate: string | null;
      virtualAccount: { accountNumber: string; bank: string | null; dueDate: string } | null;
    };

const PAID_ORDER = new Set(['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED']);

/**
 * POST /api/v1/payments/confirm: checks (order, owner, amount, expiry), then one confirmation under
 * one Idempotency-Key, retried with capped exponential backoff and full jitter for retryable errors,
 * with a status query before retrying whenever the outcome was unclear (docs/decisions/0008-payments.md).
 */
export async function confirmPayment(ctx: PaymentContext, input: ConfirmInput): Promise<ConfirmResult> {
  const order = await ctx.booking.findOrderByTossOrderId(input.orderId);
  if (order === null) throw PaymentErrors.orderNotFound();
  if (order.userId !== input.userId) throw PaymentErrors.notOwner();

  if (PAID_ORDER.has(order.status)) {
    const paid = await ctx.payments.findLiveForOrder(order.id);
    if (
      paid !== undefined &&
      PAID_STATUSES.includes(paid.status) &&
      (paid.payment_key === input.paymentKey || order.amount === 0)
    ) {
      return paidBody(order, paid.approved_at ?? new Date());
    }
    throw PaymentErrors.alreadyPaidOtherwise();
  }
  if (input.amount !== order.amount) {
    await ctx.payments.recordAttempt({
      payment_id: null,
      order_id: order.id,
      kind: 'REJECTED',
      attempt: 0,
      idempotency_key: null,
      outcome: 'REJECTED',
      http_status: null,
      code: 'AMOUNT_MISMATCH',
      message: `confirm for ${input.amount}, order amount ${order.amount}`,
      provider_status: null,
      duration_ms: 0,
    });
    ctx.stats.confirmations.inc({ result: 'AMOUNT_MISMATCH' });
    throw PaymentErrors.amountMismatch(order.amount, input.amount);
  }
  if (order.status === 'EXPIRED') throw PaymentErrors.orderExpired();
  if (order.status === 'PENDING_PAYMENT' && order.expiresAt.getTime() <= Date.now())
    throw PaymentErrors.orderExpired();
  if (order.status !== 'PENDING_PAYMENT' && order.status !== 'PAYMENT_PENDING') {
    throw PaymentErrors.orderNotPayable(order.status);
  }

  const row = await startConfirmation(ctx, order, input.paymentKey);
  if ('settled' in row) return row.settled;
  try {
    await ctx.booking.markPaymentPending(order.id);
  } catch (err) {
    const code = isAppError(err) ? err.code : 'ORDER_NOT_PAYABLE';
    await ctx.payments.update(ctx.payments.db, row.id, {
      status: 'FAILED',
      failure_code: code,
      failure_message: 'the order could not be paid any more',
      lease_until: null,
    });
    if (code === 'ORDER_EXPIRED') throw PaymentErrors.orderExpired();
    throw err;
  }
  return runConfirmation(ctx, row, order);
}

/** Our payment row for this confirmation, leased to us; or the answer when there is nothing to do. */
async function startConfirmation(
  ctx: PaymentContext,
  order: OrderForPayment,
  paymentKey: string,
): Promise<PaymentRow | { settled: ConfirmResult }> {
  const leaseMs = ctx.settings.leaseMs;
  const inserted = await ctx.payments.insertConfirming(
    {
      order_id: order.id,
      toss_order_id: order.tossOrderId,
      payment_key: paymentKey,
      buyer_id: order.userId,
      seller_id: order.sellerId,
      performance_id: order.performanceId,
      schedule_id: order.scheduleId,
      amount: order.amount,
      gross_amount: order.subtotal,
      discount_amount: order.discount,
      discount_funded_by: order.discountFundedBy,
      method: null,
      idempotency_key: `confirm-${randomUUID()}`,
      approved_at: null,
      due_date: null,
      failure_code: null,
      failure_message: null,
      provider_status: null,
    },
    leaseMs,
  );
  if (inserted !== null) return inserted;

  const existing = await ctx.payments.findByKey(paymentKey);
  if (existing === undefined) throw PaymentErrors.paymentInProgress(); // another paymentKey of the order is live
  if (existing.order_id !== order.id) throw PaymentErrors.orderNotFound();
  switch (existing.status) {
    case 'DONE':
    case 'PARTIAL_CANCELED':
    case 'CANCELED':
      return { settled: paidBody(order, existing.approved_at ?? new Date()) };
    case 'WAITING_FOR_DEPOSIT':
      return { settled: waitingBody(order, existing.due_date, null) };
    case 'REFUND_REQUIRED':
    case 'VOIDED':
      throw PaymentErrors.orderNotPayable(existing.failure_code ?? existing.status);
    case 'CONFIRMING': {
      // A confirmation whose owner died (lease lapsed) is taken over; a live one is not disturbed.
      const claimed = await ctx.payments.claim(existing.id, ['CONFIRMING'], leaseMs);
      if (claimed === null) throw PaymentErrors.paymentInProgress();
      return claimed;
    }
    default: {
      // FAILED / EXPIRED: the buyer tries the same payment again; same key, so Toss replays a decision.
      try {
        const claimed = await ctx.payments.claim(existing.id, ['FAILED', 'EXPIRED'], leaseMs, 'CONFIRMING');
        if (claimed === null) throw PaymentErrors.paymentInProgress();
        return claimed;
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw PaymentErrors.paymentInProgress();
        throw err;
      }
    }
  }
}

type Decision = { charged: TossPayment } | { declined: { code: string; message: string } };

/** The provider loop of one confirmation (the caller holds the row's lease). */
async function runConfirmation(
  ctx: PaymentContext,
  row: PaymentRow,
  order: OrderForPayment,
): Promise<ConfirmResult> {
  if (row.amount === 0) return finish(ctx, row, order, await recordCharged(ctx, row, freePayment(row)));
  const deadline = AbortSignal.timeout(Math.max(1000, ctx.settings.leaseMs - 2000));
  const body = { paymentKey: row.payment_key, orderId: row.toss_order_id, amount: row.amount };
  const base = { paymentId: row.id, orderId: row.order_id };
  let unclear = false;
  let last: CallOutcome | null = null;
  let queries = 0;

  const queryFirst = async (): Promise<Decision | 'NOT_PROCESSED' | 'STILL_UNCLEAR'> => {
    const q = await ctx.provider.query({ ...base, attempt: ++queries }, { paymentKey: row.payment_key });
    if (!q.ok) return q.code === 'NOT_FOUND_PAYMENT' ? 'NOT_PROCESSED' : 'STILL_UNCLEAR';
    const s = q.payment.status;
    if (s === 'DONE' || s === 'WAITING_FOR_DEPOSIT' || s === 'PARTIAL_CANCELED')
      return { charged: q.payment };
    if (s === 'ABORTED' || s === 'EXPIRED' || s === 'CANCELED') {
      return {
        declined: {
          code: q.payment.failure?.code ?? (s === 'EXPIRED' ? 'NOT_FOUND_PAYMENT_SESSION' : s),
          message: q.payment.failure?.message ?? `the payment is ${s} at the provider`,
        },
      };
    }
    return 'NOT_PROCESSED';
  };

  let decision: Decision | null = null;
  try {
    decision = await withRetries(
      ctx.retry,
      async (n) => {
        if (unclear) {
          const q = await queryFirst();
          if (q === 'STILL_UNCLEAR') throw new RetryNeeded(last);
          if (q !== 'NOT_PROCESSED') return q;
          unclear = false;
        }
        const c = await ctx.provider.confirm(
          { ...base, attempt: n + 1 },
          body,
          row.idempotency_key,
          deadline,
        );
        if (c.ok) return { charged: c.payment };
        last = c;
        if (c.cls === 'FINAL') return { declined: { code: c.code, message: c.message } };
        if (c.cls === 'UNCLEAR') unclear = true;
        throw new RetryNeeded(c);
      },
      { signal: deadline },
    );
  } catch (err) {
    if (!(err instanceof RetryNeeded) && !(err instanceof GaveUp)) throw err;
  }

  if (decision === null && unclear) {
    // Out of attempts with the outcome unclear: one last look before answering.
    const q = await queryFirst();
    if (q === 'STILL_UNCLEAR') {
      await ctx.payments.releaseLease(row.id, 5000);
      ctx.stats.confirmations.inc({ result: 'UNKNOWN' });
      throw PaymentErrors.outcomeUnknown();
    }
    if (q !== 'NOT_PROCESSED') decision = q;
  }
  if (decision === null) {
    const failed = last as CallOutcome | null;
    const code = failed !== null && !failed.ok ? failed.code : 'PROVIDER_UNAVAILABLE';
    const settled = await recordNotCharged(ctx, row, code, 'the provider kept failing; nothing was charged');
    if (settled.kind === 'PAID') return finish(ctx, row, order, settled); // a webhook or replay got there first
    ctx.stats.confirmations.inc({ result: 'UNAVAILABLE' });
    throw PaymentErrors.providerUnavailable(code);
  }
  if ('declined' in decision) {
    const settled = await recordNotCharged(ctx, row, decision.declined.code, decision.declined.message);
    if (settled.kind === 'PAID') return finish(ctx, row, order, settled);
    ctx.stats.confirmations.inc({ result: 'DECLINED' });
    throw PaymentErrors.paymentFailed(decision.declined.code, decision.declined.message);
  }
  const p = decision.charged;
  const settled =
    p.status === 'WAITING_FOR_DEPOSIT' ? await recordWaiting(ctx, row, p) : await recordCharged(ctx, row, p);
  return finish(ctx, row, order, settled);
}

function finish(
  ctx: PaymentContext,
  _row: PaymentRow,
  order: OrderForPayment,
  settled: Settled,
): ConfirmResult {
  ctx.stats.confirmations.inc({ result: settled.kind });
  switch (settled.kind) {
    case 'PAID':
      return paidBody(order, settled.approvedAt);
    case 'WAITING':
      return waitingBody(order, settled.dueDate, settled.payment);
    case 'NOT_CHARGED':
      throw PaymentErrors.paymentFailed(settled.code, settled.message);
    case 'VOIDED':
      if (settled.code === 'SEAT_ALREADY_SOLD') throw PaymentErrors.seatAlreadySold(settled.refunded);
      throw PaymentErrors.orderNotPayable(settled.code);
  }
}

const paidBody = (order: OrderForPayment, approvedAt: Date): ConfirmResult => ({
  orderId: order.tossOrderId,
  status: 'PAID',
  approvedAt: approvedAt.toISOString(),
});

function waitingBody(order: OrderForPayment, dueDate: Date | null, p: TossPayment | null): ConfirmResult {
  const va = p?.virtualAccount;
  return {
    orderId: order.tossOrderId,
    status: 'WAITING_FOR_DEPOSIT',
    approvedAt: null,
    dueDate: dueDate?.toISOString() ?? null,
    virtualAccount:
      va === undefined || va === null
        ? null
        : { accountNumber: va.accountNumber, bank: va.bank ?? va.bankCode ?? null, dueDate: va.dueDate },
  };
}

/** An order of 0 won (a 100% coupon) is paid without the provider. */
function freePayment(row: PaymentRow): TossPayment {
  return {
    paymentKey: row.payment_key,
    orderId: row.toss_order_id,
    status: 'DONE',
    totalAmount: 0,
    balanceAmount: 0,
    method: null,
    approvedAt: new Date().toISOString(),
  };
}
