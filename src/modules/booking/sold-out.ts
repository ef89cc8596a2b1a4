import type { BookingContext } from './context.ts';

/**
 * After sales were synced to Redis: a schedule whose every seat and standing place is sold (valid
 * tickets, not holds) closes its queue with SOLD_OUT (waiters get `closed`, joins 409 SOLD_OUT).
 * Needs catalog.getScheduleCapacity and queue.closeSchedule; without either it does nothing.
 * Closing again is harmless (the queue answers that it already was). Returns whether it closed.
 */
export async function closeIfSoldOut(ctx: BookingContext, scheduleId: string): Promise<boolean> {
  const { catalog, queue } = ctx;
  if (catalog.getScheduleCapacity === undefined || queue.closeSchedule === undefined) return false;
  const capacity = await catalog.getScheduleCapacity(scheduleId);
  if (capacity === null || capacity.total <= 0) return false;
  const sold = await ctx.orders.soldCount(scheduleId);
  if (sold < capacity.total) return false;
  await queue.closeSchedule(scheduleId, 'SOLD_OUT');
  ctx.logger.info({ scheduleId, sold, capacity: capacity.total }, 'schedule sold out: queue closed');
  return true;
}
