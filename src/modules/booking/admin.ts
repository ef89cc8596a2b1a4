import type { BookingContext } from './context.ts';
import { BookingErrors } from './errors.ts';
import type { Hold } from './hold-repository.ts';
import { endRecord } from './holds.ts';
import { endUnpaidOrder } from './orders.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A hold as operators see it (ops lookup), with the order made from it, if any. */
export interface HoldDescription {
  holdId: string;
  scheduleId: string;
  performanceId: string;
  sellerId: string;
  userId: string;
  kind: 'SEATS' | 'STANDING';
  seatIds: number[];
  sectionId: string | null;
  quantity: number;
  status: string;
  expiresAt: Date;
  createdAt: Date;
  orderId: string | null;
  orderStatus: string | null;
}

export interface ForcedRelease {
  holdId: string;
  scheduleId: string;
  userId: string;
  seatIds: number[];
  sectionId: string | null;
  quantity: number;
  /** RELEASED: the hold ended now; ORDER_CANCELLED: its unpaid order was cancelled (seats back);
   *  ALREADY_ENDED: nothing to do (status says how it ended). */
  outcome: 'RELEASED' | 'ORDER_CANCELLED' | 'ALREADY_ENDED';
  status: string;
  orderId: string | null;
}

export async function describeHold(ctx: BookingContext, holdId: string): Promise<HoldDescription | null> {
  if (!UUID.test(holdId)) return null;
  const hold = await ctx.holds.find(holdId);
  if (hold === null) return null;
  const order =
    hold.status === 'ORDERED' || hold.status === 'CONSUMED' ? await ctx.orders.findByHold(holdId) : null;
  return {
    holdId: hold.id,
    scheduleId: hold.scheduleId,
    performanceId: hold.performanceId,
    sellerId: hold.sellerId,
    userId: hold.userId,
    kind: hold.kind,
    seatIds: hold.seatIds,
    sectionId: hold.sectionId,
    quantity: hold.quantity,
    status: hold.status,
    expiresAt: hold.expiresAt,
    createdAt: hold.createdAt,
    orderId: order?.id ?? null,
    orderStatus: order?.status ?? null,
  };
}

/**
 * An operator frees a hold's seats now, whoever holds them. An ACTIVE hold is released as its owner
 * would release it (the Redis script refuses if an order claimed it meanwhile). A hold inside an
 * unpaid order (PENDING_PAYMENT) is freed by cancelling that order (seats and coupon back); one whose
 * payment is being resolved (PAYMENT_PENDING) is refused, as is a paid one (refund the order instead).
 */
export async function forceReleaseHold(
  ctx: BookingContext,
  holdId: string,
  reason: string,
): Promise<ForcedRelease> {
  if (!UUID.test(holdId)) throw BookingErrors.holdNotFound();
  const hold = await ctx.holds.find(holdId);
  if (hold === null) throw BookingErrors.holdNotFound();
  if (hold.status === 'ORDERED') return cancelItsOrder(ctx, hold, reason);
  if (hold.status !== 'ACTIVE') return result(hold, 'ALREADY_ENDED', hold.status, null);
  const outcome = await ctx.store.release(hold.scheduleId, holdId, hold.userId, 'USER');
  if (outcome.kind === 'ORDERED') return cancelItsOrder(ctx, hold, reason);
  await endRecord(ctx, hold);
  ctx.logger.info({ holdId, scheduleId: hold.scheduleId, reason }, 'hold released by an operator');
  return result(hold, 'RELEASED', 'RELEASED', null);
}

async function cancelItsOrder(ctx: BookingContext, hold: Hold, reason: string): Promise<ForcedRelease> {
  const order = await ctx.orders.findByHold(hold.id);
  if (order === null) throw BookingErrors.holdInOrder();
  if (order.status === 'PAYMENT_PENDING') throw BookingErrors.paymentInProgress();
  if (order.status !== 'PENDING_PAYMENT') throw BookingErrors.holdInOrder(order.id);
  if (!(await endUnpaidOrder(ctx, order.id, 'CANCELLED', `released by an operator: ${reason}`))) {
    throw BookingErrors.holdInOrder(order.id); // paid, or ended, in the meantime
  }
  ctx.logger.info({ holdId: hold.id, orderId: order.id, reason }, 'unpaid order cancelled by an operator');
  return result(hold, 'ORDER_CANCELLED', 'RELEASED', order.id);
}

const result = (
  h: Hold,
  outcome: ForcedRelease['outcome'],
  status: string,
  orderId: string | null,
): ForcedRelease => ({
  holdId: h.id,
  scheduleId: h.scheduleId,
  userId: h.userId,
  seatIds: h.seatIds,
  sectionId: h.sectionId,
  quantity: h.quantity,
  outcome,
  status,
  orderId,
});
