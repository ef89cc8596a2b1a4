import { TOPICS } from '../../platform/kafka.ts';
import type { ConsumerSpec } from '../../platform/outbox/consumer.ts';
import type { BookingContext } from './context.ts';
import { holdEvent } from './holds.ts';
import { endUnpaidOrder } from './orders.ts';

const scheduleIdsOf = (payload: unknown): string[] => {
  const ids = (payload as { scheduleIds?: unknown } | null)?.scheduleIds;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
};

/**
 * A cancelled performance: its unpaid orders are cancelled and its holds released at once, so nobody
 * pays for a show that is off (paid orders are refunded by payment). Idempotent: a redelivery finds
 * nothing left to end. New holds and orders are refused by the status check already.
 */
export async function endSalesOfSchedule(
  ctx: BookingContext,
  scheduleId: string,
  reason: string,
): Promise<void> {
  for (;;) {
    const orders = await ctx.orders.unpaidOfSchedule(scheduleId, 200);
    for (const id of orders) await endUnpaidOrder(ctx, id, 'CANCELLED', reason);
    if (orders.length < 200) break;
  }
  for (;;) {
    const holds = await ctx.holds.activeOfSchedule(scheduleId, 200);
    for (const hold of holds) {
      await ctx.store.release(scheduleId, hold.id, hold.userId, 'SYSTEM').catch(() => undefined);
      const at = new Date();
      await ctx.journal.write({
        kind: 'end',
        holdId: hold.id,
        status: 'RELEASED',
        at,
        event: holdEvent('hold.released', hold, at),
      });
    }
    if (holds.length < 200) break;
  }
}

export function bookingConsumers(ctx: BookingContext): ConsumerSpec[] {
  return [
    {
      name: 'booking.catalog-events',
      topics: [TOPICS.catalog],
      // Only the inbox record goes in the consumer's transaction: ending orders opens transactions of
      // its own, so it runs before that one opens (ConsumerSpec.before; idempotent).
      async handle() {},
      async before(event) {
        if (event.type !== 'performance.cancelled') return;
        for (const id of scheduleIdsOf(event.payload))
          await endSalesOfSchedule(ctx, id, 'performance cancelled');
      },
    },
  ];
}
