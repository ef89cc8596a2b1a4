import type { PaymentContext } from './context.ts';
import { executeRefund } from './refunds.ts';
import { reconcile, recordNotCharged, voidCharge } from './settle.ts';
import type { PaymentRow } from './tables.ts';

const BATCH = 50;
/** How often a virtual account still waiting for its deposit is looked at (webhooks are faster). */
const WAITING_RECHECK_MS = 60_000;

/**
 * The recovery job: every payment whose outcome is open and whose lease lapsed (its confirm request
 * died, or gave up with the outcome unclear) is looked up at the provider and finished: charged →
 * recorded as paid (the "killed between provider success and our commit" case); not charged → the
 * order goes back to PENDING_PAYMENT; a charge to return → returned. Open refunds are resumed.
 * Options (tests, operations): `asOf` in the future acts as if leases had lapsed; `orderIds` limits the
 * pass to those orders.
 */
export async function recoverOnce(
  ctx: PaymentContext,
  options: { asOf?: Date; orderIds?: readonly string[] } = {},
): Promise<{ payments: number; refunds: number }> {
  const asOf = options.asOf ?? new Date();
  let payments = 0;
  for (const due of await ctx.payments.dueForRecovery(asOf, BATCH, options.orderIds)) {
    const row = await ctx.payments.claim(due.id, [due.status], ctx.settings.leaseMs);
    if (row === null && asOf.getTime() <= Date.now()) continue;
    try {
      if (await recoverPayment(ctx, row ?? due)) payments++;
    } catch (err) {
      ctx.logger.warn({ err, orderId: due.order_id }, 'payment recovery failed; retried on the next run');
      await ctx.payments.releaseLease(due.id, 5000);
    }
  }
  let refunds = 0;
  for (const due of await ctx.refunds.dueOpen(asOf, BATCH, options.orderIds)) {
    const refund =
      (await ctx.refunds.claim(due.id, ctx.settings.leaseMs)) ?? (asOf.getTime() > Date.now() ? due : null);
    if (refund === null) continue;
    try {
      await executeRefund(ctx, refund, true);
      refunds++;
    } catch (err) {
      ctx.logger.warn({ err, refundId: due.id }, 'refund recovery incomplete; retried on the next run');
    }
  }
  return { payments, refunds };
}

async function recoverPayment(ctx: PaymentContext, row: PaymentRow): Promise<boolean> {
  if (row.status === 'REFUND_REQUIRED') {
    const settled = await voidCharge(ctx, row, row.failure_code ?? 'REFUND_REQUIRED');
    ctx.stats.recovered.inc({ to: settled.kind });
    return true;
  }
  const at = { paymentId: row.id, orderId: row.order_id, attempt: 0 };
  // By orderId first (what Toss keeps per order); the paymentKey decides if it names another payment.
  let q = await ctx.provider.query(at, { orderId: row.toss_order_id });
  if (q.ok && q.payment.paymentKey !== row.payment_key)
    q = await ctx.provider.query(at, { paymentKey: row.payment_key });
  if (!q.ok) {
    if (q.code === 'NOT_FOUND_PAYMENT' && row.status === 'CONFIRMING') {
      await recordNotCharged(ctx, row, 'NOT_FOUND_PAYMENT', 'the provider has no such payment');
      ctx.stats.recovered.inc({ to: 'NOT_CHARGED' });
      return true;
    }
    await ctx.payments.releaseLease(row.id, 5000);
    return false;
  }
  const settled = await reconcile(ctx, row, q.payment);
  if (settled !== null) {
    ctx.stats.recovered.inc({ to: settled.kind });
    return true;
  }
  if (row.status === 'WAITING_FOR_DEPOSIT') {
    const dueIn = row.due_date === null ? WAITING_RECHECK_MS : row.due_date.getTime() - Date.now() + 1000;
    await ctx.payments.releaseLease(row.id, Math.max(1000, Math.min(WAITING_RECHECK_MS, dueIn)));
    return false;
  }
  // READY / IN_PROGRESS: the confirm never took effect, and nobody holds the lease any more.
  await recordNotCharged(
    ctx,
    row,
    'ABANDONED',
    'the confirmation was interrupted before the provider charged',
  );
  ctx.stats.recovered.inc({ to: 'NOT_CHARGED' });
  return true;
}
