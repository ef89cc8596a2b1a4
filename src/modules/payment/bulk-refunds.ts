import { isAppError } from '../../platform/errors.ts';
import { TOPICS } from '../../platform/kafka.ts';
import type { ConsumerSpec } from '../../platform/outbox/consumer.ts';
import type { PaymentContext } from './context.ts';
import { refundOrder } from './refunds.ts';
import type { PaymentTables } from './tables.ts';

/** catalog's `performance.cancelled` payload (docs/contracts.md). */
interface PerformanceCancelled {
  performanceId: string;
  reason?: string;
}

const BATCH = 10;
/** Orders paid while the cancellation was under way are picked up for this long. */
const LATE_PAYMENTS_MS = 10 * 60_000;
const DONE_CODES = new Set(['NOTHING_TO_REFUND', 'ORDER_NOT_CANCELLABLE', 'ORDER_NOT_FOUND']);
const BUSY_CODES = new Set(['REFUND_IN_PROGRESS', 'REFUND_PENDING']);

/**
 * The show is off: in the same transaction as the inbox record, a bulk refund and one item per paid
 * order are stored. The job below works through the items; a crash anywhere resumes from the table.
 */
export function performanceCancelledConsumer(ctx: PaymentContext): ConsumerSpec {
  return {
    name: 'payment.performance-cancelled',
    topics: [TOPICS.catalog],
    async handle(event, tx) {
      if (event.type !== 'performance.cancelled') return;
      const p = event.payload as PerformanceCancelled;
      if (typeof p?.performanceId !== 'string') return;
      const trx = tx.withTables<PaymentTables>();
      await ctx.refunds.startBulk(trx, p.performanceId, event.eventId, p.reason ?? 'performance cancelled');
      await ctx.refunds.addBulkItems(
        trx,
        p.performanceId,
        await ctx.payments.paidOrdersOfPerformance(trx, p.performanceId),
      );
    },
  };
}

/** One pass of the bulk refund job; returns how many orders it refunded. */
export async function runBulkRefunds(ctx: PaymentContext, now = new Date()): Promise<number> {
  const bulks = await ctx.refunds.runningBulks();
  if (bulks.length === 0) return 0;
  const reasons = new Map(bulks.map((b) => [b.performance_id, b.reason]));
  for (const b of bulks) {
    await ctx.refunds.addBulkItems(
      ctx.refunds.db,
      b.performance_id,
      await ctx.payments.paidOrdersOfPerformance(ctx.refunds.db, b.performance_id),
    );
  }
  let refunded = 0;
  for (;;) {
    const items = await ctx.refunds.claimBulkItems(BATCH, 60_000);
    if (items.length === 0) break;
    await Promise.all(
      items.map(async (item) => {
        try {
          await refundOrder(ctx, item.order_id, {
            reason: `performance cancelled: ${reasons.get(item.performance_id) ?? ''}`.slice(0, 200),
            initiatedBy: 'SYSTEM',
          });
          refunded++;
          await ctx.refunds.settleBulkItem(item.performance_id, item.order_id, 'DONE', null);
        } catch (err) {
          const code = isAppError(err) ? err.code : 'ERROR';
          if (DONE_CODES.has(code)) {
            await ctx.refunds.settleBulkItem(item.performance_id, item.order_id, 'SKIPPED', code);
          } else {
            const retryMs = BUSY_CODES.has(code) ? 5000 : Math.min(60_000, 1000 * 2 ** item.attempts);
            ctx.logger.warn({ err, orderId: item.order_id }, 'bulk refund of an order failed; retried');
            await ctx.refunds.settleBulkItem(item.performance_id, item.order_id, 'PENDING', code, retryMs);
          }
        }
      }),
    );
  }
  for (const b of bulks) {
    await ctx.refunds.finishBulkIfDone(b.performance_id, new Date(now.getTime() - LATE_PAYMENTS_MS));
  }
  return refunded;
}
