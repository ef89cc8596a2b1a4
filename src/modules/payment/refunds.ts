import { randomUUID } from 'node:crypto';
import type { PaymentContext } from './context.ts';
import { PaymentErrors } from './errors.ts';
import { PaymentEvents } from './events.ts';
import type { RefundInitiator } from './ports.ts';
import type { CallOutcome } from './provider.ts';
import { cancellationDeadline, DEFAULT_POLICY, feePercent, refundFigures } from './refund-math.ts';
import { GaveUp, RetryNeeded, withRetries } from './retry.ts';
import type { PaymentRow, RefundRow } from './tables.ts';
import type { TossPayment } from './toss-client/types.ts';

export interface RefundInput {
  seatIds?: number[];
  reason: string;
  initiatedBy: RefundInitiator;
}

const REFUNDABLE = new Set(['DONE', 'PARTIAL_CANCELED']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * booking's RefundPort: refunds all remaining tickets of a paid order, or the listed seats. Buyer
 * refunds follow the performance's cancellation policy (deadline, fee kept from the refund); seller,
 * admin and system refunds (performance cancelled) are in full. The provider cancel runs under the
 * refund's own Idempotency-Key; booking's markOrderRefunded and `payment.refunded` then commit together.
 */
export async function refundOrder(ctx: PaymentContext, orderId: string, input: RefundInput): Promise<void> {
  const order = await ctx.booking.findOrder(orderId);
  if (order === null) throw PaymentErrors.orderNotFound();
  const payment = await ctx.payments.findLiveForOrder(order.id);
  if (payment === undefined || !REFUNDABLE.has(payment.status)) {
    if (payment?.status === 'CANCELED') throw PaymentErrors.nothingToRefund();
    throw PaymentErrors.notRefundable(order.status);
  }

  let pct = 0;
  if (input.initiatedBy === 'BUYER') {
    const schedule = ctx.catalog === null ? null : await ctx.catalog.getScheduleForSale(order.scheduleId);
    const policy = schedule?.cancellationPolicy ?? DEFAULT_POLICY;
    const startsAt = schedule?.startsAt ?? order.startsAt;
    const now = new Date();
    const deadline = cancellationDeadline(policy, startsAt);
    if (now.getTime() >= deadline.getTime()) throw PaymentErrors.cancellationClosed(deadline);
    pct = feePercent(policy, startsAt, now);
  }

  const refund = await ctx.payments.transaction(async (trx) => {
    const locked = await ctx.payments.lock(trx, payment.id);
    if (locked === undefined || !REFUNDABLE.has(locked.status)) throw PaymentErrors.nothingToRefund();
    const prior = await ctx.refunds.ofPayment(trx, payment.id);
    if (prior.some((r) => r.status === 'REQUESTED')) throw PaymentErrors.refundInProgress();
    const done = prior.filter((r) => r.status === 'DONE');
    if (done.some((r) => r.full_refund)) throw PaymentErrors.nothingToRefund();
    const refundedSeats = new Set(done.flatMap((r) => r.seat_ids));
    const remaining = order.lines.flatMap((l, i) =>
      l.seatId === null || !refundedSeats.has(l.seatId) ? [i] : [],
    );
    let targets = remaining;
    if (input.seatIds !== undefined) {
      const wanted = new Set(input.seatIds);
      targets = remaining.filter((i) => {
        const seat = order.lines[i]?.seatId;
        return seat !== null && seat !== undefined && wanted.has(seat);
      });
      if (targets.length !== wanted.size) throw PaymentErrors.nothingToRefund();
    }
    if (targets.length === 0) throw PaymentErrors.nothingToRefund();
    const full = targets.length === remaining.length;
    const figures = refundFigures(
      order.lines.map((l) => l.price),
      order.discount,
      targets,
      pct,
    );
    const id = randomUUID();
    const row = await ctx.refunds.insertRequested(trx, {
      id,
      payment_id: payment.id,
      order_id: order.id,
      payment_key: payment.payment_key,
      seat_ids: targets.flatMap((i) => {
        const seat = order.lines[i]?.seatId;
        return seat === null || seat === undefined ? [] : [seat];
      }),
      full_refund: full,
      initiated_by: input.initiatedBy,
      reason: input.reason.slice(0, 200),
      face_value: figures.faceValue,
      discount: figures.discount,
      fee: figures.fee,
      amount: Math.min(figures.amount, locked.balance_amount),
      idempotency_key: `refund-${id}`,
      lease_until: new Date(Date.now() + ctx.settings.leaseMs),
      transaction_key: null,
      failure_code: null,
      failure_message: null,
      refunded_at: null,
    });
    if (row === null) throw PaymentErrors.refundInProgress();
    return row;
  });
  await executeRefund(ctx, refund);
  ctx.stats.refunds.inc({ result: 'DONE', initiator: input.initiatedBy });
}

type CancelDecision =
  | { done: TossPayment | null; transactionKey: string }
  | { failed: CallOutcome & { ok: false } };

/**
 * The provider side of a refund (also what recovery resumes): cancel under the refund's key, retried
 * with backoff; after an unclear answer the payment is read first and a cancel we do not know yet
 * (refunds of one payment are serialised) counts as ours, so a refund never runs twice.
 */
export async function executeRefund(ctx: PaymentContext, refund: RefundRow, resumed = false): Promise<void> {
  if (refund.amount === 0) return finishRefund(ctx, refund, null, refund.id);
  const known = new Set(
    (await ctx.refunds.ofPayment(ctx.refunds.db, refund.payment_id)).flatMap((r) =>
      r.transaction_key === null || r.id === refund.id ? [] : [r.transaction_key],
    ),
  );
  const ours = (p: TossPayment) =>
    (p.cancels ?? []).find((c) => !known.has(c.transactionKey) && c.cancelAmount === refund.amount);
  const base = { paymentId: refund.payment_id, orderId: refund.order_id };
  let unclear = resumed; // a resumed refund may have reached the provider already: look first
  let attempt = 0;
  let decision: CancelDecision | null = null;
  try {
    decision = await withRetries(ctx.retry, async () => {
      if (unclear) {
        const q = await ctx.provider.query(
          { ...base, attempt: ++attempt },
          { paymentKey: refund.payment_key },
        );
        if (!q.ok) throw new RetryNeeded(q);
        const mine = ours(q.payment);
        if (mine !== undefined) return { done: q.payment, transactionKey: mine.transactionKey };
        unclear = false;
      }
      const c = await ctx.provider.cancel(
        { ...base, attempt: ++attempt },
        refund.payment_key,
        { cancelReason: refund.reason, cancelAmount: refund.amount },
        refund.idempotency_key,
      );
      if (c.ok) {
        const mine = ours(c.payment);
        return {
          done: c.payment,
          transactionKey: mine?.transactionKey ?? c.payment.lastTransactionKey ?? refund.id,
        };
      }
      if (c.cls === 'FINAL' && c.code !== 'ALREADY_CANCELED_PAYMENT') return { failed: c };
      if (c.code === 'FORBIDDEN_CONSECUTIVE_REQUEST') await sleep(1000);
      if (c.cls !== 'RETRYABLE') unclear = true;
      throw new RetryNeeded(c);
    });
  } catch (err) {
    if (!(err instanceof RetryNeeded) && !(err instanceof GaveUp)) throw err;
  }
  if (decision === null) {
    await ctx.refunds.releaseLease(refund.id, 5000);
    ctx.stats.refunds.inc({ result: 'PENDING', initiator: refund.initiated_by });
    throw PaymentErrors.refundPending();
  }
  if ('failed' in decision) {
    await ctx.refunds.update(ctx.refunds.db, refund.id, {
      status: 'FAILED',
      failure_code: decision.failed.code,
      failure_message: decision.failed.message.slice(0, 500),
      lease_until: null,
    });
    ctx.stats.refunds.inc({ result: 'FAILED', initiator: refund.initiated_by });
    throw PaymentErrors.refundFailed(decision.failed.code, decision.failed.message);
  }
  await finishRefund(ctx, refund, decision.done, decision.transactionKey);
}

/** Provider refunded: refund DONE, order refunded (booking), `payment.refunded`, in one transaction. */
async function finishRefund(
  ctx: PaymentContext,
  refund: RefundRow,
  provider: TossPayment | null,
  transactionKey: string,
): Promise<void> {
  const at = new Date();
  try {
    await ctx.payments.transaction(async (trx, tx) => {
      const r = await ctx.refunds.lock(trx, refund.id);
      if (r === undefined || r.status !== 'REQUESTED') return;
      const payment = (await ctx.payments.lock(trx, refund.payment_id)) as PaymentRow;
      const { full } = await ctx.booking.markOrderRefunded(
        tx,
        refund.order_id,
        refund.full_refund ? 'ALL' : refund.seat_ids,
        at,
      );
      await ctx.refunds.update(trx, refund.id, {
        status: 'DONE',
        transaction_key: transactionKey,
        refunded_at: at,
        lease_until: null,
      });
      const balance = provider?.balanceAmount ?? payment.balance_amount - refund.amount;
      await ctx.payments.update(trx, payment.id, {
        balance_amount: balance,
        status: provider?.status === 'CANCELED' || balance === 0 ? 'CANCELED' : 'PARTIAL_CANCELED',
        provider_status: provider?.status ?? payment.provider_status,
      });
      await PaymentEvents.refunded(tx, {
        orderId: refund.order_id,
        paymentKey: refund.payment_key,
        refundId: transactionKey,
        sellerId: payment.seller_id,
        performanceId: payment.performance_id,
        refundedAt: at.toISOString(),
        refundFaceValue: refund.face_value,
        refundDiscount: refund.discount,
        refundAmount: refund.amount,
        cancellationFee: refund.fee,
        full: full || refund.full_refund,
      });
    });
  } catch (err) {
    // The money is back with the buyer; the record follows on recovery's next look.
    ctx.logger.error({ err, refundId: refund.id, orderId: refund.order_id }, 'refund not recorded yet');
    await ctx.refunds.releaseLease(refund.id, 5000);
    throw PaymentErrors.refundPending();
  }
}
