import type { JobSpec } from '../../platform/jobs.ts';
import type { BookingContext } from './context.ts';
import { emitMany } from './events.ts';
import { holdEvent, releaseAdmissionIfDone } from './holds.ts';
import { endUnpaidOrder } from './orders.ts';
import { closeIfSoldOut } from './sold-out.ts';

const BATCH = 200;
const MAX_ROUNDS = 20;

/**
 * Lapsed ACTIVE holds: the record says EXPIRED (with `hold.expired`), then Redis drops the entries that
 * still carry the hold id (pushing AVAILABLE to seat maps). Correctness never waits for this: every
 * script treats a lapsed entry as free already. Returns how many holds it ended.
 */
export async function expireHolds(ctx: BookingContext, now = new Date()): Promise<number> {
  const ended = await ctx.db.transaction().execute(async (trx) => {
    const holds = await ctx.holds.lapsedForUpdate(trx, now, BATCH);
    if (holds.length === 0) return [];
    await ctx.holds.endMany(
      trx,
      holds.map((h) => h.id),
      'EXPIRED',
      now,
    );
    await emitMany(
      trx,
      holds.map((h) => holdEvent('hold.expired', h, now)),
    );
    return holds;
  });
  for (const hold of ended) {
    await ctx.store
      .release(hold.scheduleId, hold.id, hold.userId, 'EXPIRE', now.getTime())
      .catch((err: unknown) => {
        ctx.logger.warn({ err, holdId: hold.id }, 'could not drop a lapsed hold from Redis');
      });
    await releaseAdmissionIfDone(ctx, hold, 'EXPIRED');
  }
  if (ended.length > 0) ctx.stats.swept.inc({ what: 'hold' }, ended.length);
  return ended.length;
}

/** Unpaid orders past their expiry: EXPIRED with their hold, coupon released, seats back. */
export async function expireOrders(ctx: BookingContext, now = new Date()): Promise<number> {
  const lapsed = await ctx.db.transaction().execute((trx) => ctx.orders.lapsedForUpdate(trx, now, BATCH));
  let n = 0;
  for (const order of lapsed) {
    try {
      if (await endUnpaidOrder(ctx, order.id, 'EXPIRED', 'payment not completed in time')) n++;
    } catch (err) {
      ctx.logger.warn({ err, orderId: order.id }, 'could not expire an order; retried on the next run');
    }
  }
  if (n > 0) ctx.stats.swept.inc({ what: 'order' }, n);
  return n;
}

/**
 * Makes Redis follow committed sales and refunds (markOrderPaid / markOrderRefunded run inside the
 * payment module's transaction and cannot touch Redis before it commits): seats SOLD or freed,
 * standing counts, the buyer's paid count in every schedule of the performance, and after a sale the
 * admission slot. Idempotent; an order is marked synced only if nothing changed meanwhile.
 */
export async function syncOrders(ctx: BookingContext): Promise<number> {
  const pending = await ctx.orders.pendingSync(BATCH);
  const sold = new Set<string>();
  for (const p of pending) {
    try {
      const scheduleId = await syncOne(ctx, p.id, p.changeSeq);
      if (scheduleId !== null) sold.add(scheduleId);
    } catch (err) {
      ctx.logger.warn({ err, orderId: p.id }, 'seat sync failed; retried on the next run');
    }
  }
  // The last sale of a schedule closes its queue (SOLD_OUT); checked once per schedule per run.
  for (const scheduleId of sold) {
    await closeIfSoldOut(ctx, scheduleId).catch((err: unknown) => {
      ctx.logger.warn({ err, scheduleId }, 'sold-out check failed; made again after the next sale');
    });
  }
  return pending.length;
}

/** Returns the schedule when the synced order is a sale (PAID), else null. */
async function syncOne(ctx: BookingContext, orderId: string, seq: number): Promise<string | null> {
  const order = await ctx.orders.find(orderId);
  if (order === null) return null;
  const hold = await ctx.holds.find(order.holdId);
  if (hold === null) return null;
  const lines = await ctx.orders.lines([orderId]);
  const seatsWith = (status: string) =>
    lines.flatMap((l) => (l.seatId !== null && l.ticketStatus === status ? [l.seatId] : []));
  const [paidCount, standing] = await Promise.all([
    ctx.orders.validTicketCount(ctx.db, order.userId, order.performanceId),
    hold.sectionId === null
      ? Promise.resolve(new Map<string, number>())
      : ctx.orders.standingSold(order.scheduleId, hold.sectionId),
  ]);
  const sync = {
    scheduleId: order.scheduleId,
    orderId,
    holdId: hold.id,
    userId: order.userId,
    holdQuantity: hold.quantity,
    paidCount,
    sectionId: hold.sectionId,
    sectionSold: hold.sectionId === null ? 0 : (standing.get(hold.sectionId) ?? 0),
    soldSeatIds: seatsWith('VALID'),
    freedSeatIds: seatsWith('REFUNDED'),
  };
  if (!(await ctx.store.syncOrder(sync))) {
    await ctx.loader.ensure(order.scheduleId);
    await ctx.store.syncOrder(sync);
  }
  const siblings = await ctx.catalog.listSchedulesOfPerformance(order.performanceId);
  for (const s of siblings) {
    if (s.scheduleId !== order.scheduleId)
      await ctx.store.setPaidCount(s.scheduleId, order.userId, paidCount);
  }
  if (order.status === 'PAID') await releaseAdmissionIfDone(ctx, hold, 'PAID');
  await ctx.orders.markSynced(orderId, seq);
  return order.status === 'PAID' ? order.scheduleId : null;
}

export function bookingJobs(ctx: BookingContext): JobSpec[] {
  return [
    {
      name: 'booking.expire-holds-and-orders',
      intervalMs: 1000,
      run: async () => {
        const now = new Date();
        for (let i = 0; i < MAX_ROUNDS && (await expireHolds(ctx, now)) === BATCH; i++) {}
        for (let i = 0; i < MAX_ROUNDS && (await expireOrders(ctx, now)) === BATCH; i++) {}
      },
    },
    {
      name: 'booking.seat-sync',
      intervalMs: 250,
      run: async () => {
        for (let i = 0; i < MAX_ROUNDS && (await syncOrders(ctx)) === BATCH; i++) {}
      },
    },
  ];
}
