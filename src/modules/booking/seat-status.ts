import type { BookingContext } from './context.ts';
import type { SeatStatusSource } from './ports.ts';
import type { BookingTables } from './tables.ts';

/**
 * catalog's SeatStatusSource: Redis (holds live right now, lapsed ones already free; sold seats) overlaid
 * with what PostgreSQL knows that Redis may not show yet (sales and refunds not synced, unpaid orders
 * whose hold lapsed). SOLD wins over HELD. If Redis lost the schedule it is reloaded first.
 */
export function seatStatusSource(ctx: BookingContext): SeatStatusSource {
  return {
    async unavailableSeats(scheduleId) {
      let live = await ctx.store.unavailable(scheduleId);
      if (live === null) {
        await ctx.loader.ensure(scheduleId);
        live = await ctx.store.unavailable(scheduleId);
      }
      const record = await ctx.orders.takenSeats(scheduleId, live !== null);
      const out = live ?? new Map<number, 'HELD' | 'SOLD'>();
      for (const [seat, status] of record) if (status === 'SOLD' || !out.has(seat)) out.set(seat, status);
      return out;
    },

    async standingTaken(scheduleId, sectionId) {
      let taken = await ctx.store.standingTaken(scheduleId, sectionId);
      if (taken === null) {
        await ctx.loader.ensure(scheduleId);
        taken = await ctx.store.standingTaken(scheduleId, sectionId);
      }
      const sold = (await ctx.orders.standingSold(scheduleId, sectionId)).get(sectionId) ?? 0;
      return Math.max(taken ?? 0, sold);
    },

    hasSales: (scheduleIds, executor) =>
      ctx.orders.hasSales(scheduleIds, executor?.withTables<BookingTables>()),

    statusVersion: (scheduleId) => ctx.store.version(scheduleId),
  };
}
