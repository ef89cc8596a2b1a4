import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { AppError } from '../../platform/errors.ts';
import type { Principal } from '../../platform/tokens.ts';
import type { BookingContext } from './context.ts';
import { BookingErrors } from './errors.ts';
import { type BookingEvent, emit, emitMany, type OrderEventPayload } from './events.ts';
import { assertOnSale, holdEvent, priceHold, releaseAdmissionIfDone } from './holds.ts';
import type { Line, Order } from './order-repository.ts';
import type { PricedDraft } from './ports.ts';
import { assertSalesNotHalted } from './sales-gate.ts';
import type { BookingDb, BookingTables } from './tables.ts';

export interface OrderView {
  id: string;
  status: string;
  subtotal: number;
  discount: number;
  amount: number;
  couponId: string | null;
  tossOrderId: string;
  holdId: string;
  scheduleId: string;
  performanceId: string;
  expiresAt: string;
  createdAt: string;
  paidAt: string | null;
  lines: {
    seatId: number | null;
    sectionId: string;
    grade: string;
    price: number;
    entryNumber: number | null;
    status: string;
  }[];
}

export function orderView(o: Order, lines: readonly Line[]): OrderView {
  return {
    id: o.id,
    status: o.status,
    subtotal: o.subtotal,
    discount: o.discount,
    amount: o.amount,
    couponId: o.couponId,
    tossOrderId: o.tossOrderId,
    holdId: o.holdId,
    scheduleId: o.scheduleId,
    performanceId: o.performanceId,
    expiresAt: o.expiresAt.toISOString(),
    createdAt: o.createdAt.toISOString(),
    paidAt: o.paidAt?.toISOString() ?? null,
    lines: lines.map((l) => ({
      seatId: l.seatId,
      sectionId: l.sectionId,
      grade: l.grade,
      price: l.price,
      entryNumber: l.entryNumber,
      status: l.ticketStatus ?? (l.active ? 'PENDING' : 'RELEASED'),
    })),
  };
}

export function orderEvent(
  type: BookingEvent['type'],
  o: Order,
  lines: readonly Line[],
  at: Date,
  reason?: string,
): BookingEvent {
  const payload: OrderEventPayload = {
    orderId: o.id,
    tossOrderId: o.tossOrderId,
    holdId: o.holdId,
    scheduleId: o.scheduleId,
    performanceId: o.performanceId,
    sellerId: o.sellerId,
    userId: o.userId,
    status: o.status,
    subtotal: o.subtotal,
    discount: o.discount,
    amount: o.amount,
    couponId: o.couponId,
    seatIds: lines.flatMap((l) => (l.seatId === null ? [] : [l.seatId])),
    quantity: lines.length,
    ...(reason === undefined ? {} : { reason }),
    at: at.toISOString(),
  };
  return { type, scheduleId: o.scheduleId, payload };
}

/** `qt` + 20 url-safe characters: within Toss's `^[A-Za-z0-9_-]{6,64}$`. */
const newTossOrderId = () => `qt${randomBytes(15).toString('base64url')}`;

/** A per-(user, performance) transaction lock: maxTicketsPerBuyer is checked and claimed under it. */
const lockBuyer = (db: BookingDb, userId: string, performanceId: string) =>
  sql`select pg_advisory_xact_lock(hashtextextended(${`booking:${userId}:${performanceId}`}, 0))`.execute(db);

/**
 * An order from a live hold of its owner. PostgreSQL re-checks everything Redis decided: the hold is
 * ACTIVE and unexpired (locked), the buyer stays within maxTicketsPerBuyer across all schedules, and
 * no live line of another order has the seat (unique index). Redis then confirms the hold still owns
 * every seat and marks it ordered, inside the transaction: a lapsed hold whose seat someone else took
 * is refused here, before anything is charged.
 */
export async function createOrder(
  ctx: BookingContext,
  userId: string,
  input: { holdId: string; couponId?: string | null },
): Promise<OrderView> {
  const hold = await ctx.holds.find(input.holdId);
  if (hold === null || hold.userId !== userId) throw BookingErrors.holdNotFound();
  if (hold.status === 'ORDERED') throw BookingErrors.holdInOrder((await ctx.orders.findByHold(hold.id))?.id);
  if (hold.status !== 'ACTIVE' || hold.expiresAt.getTime() <= Date.now()) throw BookingErrors.holdExpired();
  const schedule = await ctx.catalog.getScheduleForSale(hold.scheduleId);
  if (schedule === null) throw BookingErrors.scheduleNotFound();
  assertOnSale(schedule, Date.now());
  await assertSalesNotHalted(ctx, hold.scheduleId);
  const lines = await priceHold(ctx, hold);
  const subtotal = lines.reduce((sum, l) => sum + l.price, 0);
  const couponWanted = input.couponId ?? null;
  const coupon = ctx.ports.coupon;
  if (couponWanted !== null && coupon === null) throw BookingErrors.couponsUnavailable();

  const orderId = randomUUID();
  let claimed = false;
  // Redis lost the schedule (INIT): the transaction rolls back, the seat state is reloaded from
  // PostgreSQL outside it (the loader reads through the pool: inside, it would hold one connection
  // waiting for others, a deadlock under load), and the order is tried once more.
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.platformDb.transaction().execute(async (tx) => {
        const trx = tx.withTables<BookingTables>();
        const locked = await ctx.holds.findForUpdate(trx, hold.id);
        if (locked === null || locked.status !== 'ACTIVE' || locked.expiresAt.getTime() <= Date.now()) {
          throw BookingErrors.holdExpired();
        }
        await lockBuyer(trx, userId, hold.performanceId);
        const live = await ctx.orders.liveTicketCount(trx, userId, hold.performanceId);
        if (live + lines.length > schedule.maxTicketsPerBuyer) {
          throw BookingErrors.ticketLimit(schedule.maxTicketsPerBuyer, live);
        }
        let discount = 0;
        let couponId: string | null = null;
        let fundedBy: 'SELLER' | 'PLATFORM' | null = null;
        if (couponWanted !== null && coupon !== null) {
          const draft: PricedDraft = {
            userId,
            performanceId: hold.performanceId,
            sellerId: hold.sellerId,
            scheduleId: hold.scheduleId,
            lines,
            subtotal,
          };
          const reserved = await coupon.reserveForOrder(tx, {
            userId,
            orderId,
            couponId: couponWanted,
            draft,
          });
          discount = Math.max(0, Math.min(subtotal, Math.floor(reserved.discount)));
          couponId = reserved.couponId;
          fundedBy = couponId === null ? null : reserved.fundedBy;
        }
        try {
          await ctx.orders.insert(
            trx,
            {
              id: orderId,
              toss_order_id: newTossOrderId(),
              hold_id: hold.id,
              user_id: userId,
              schedule_id: hold.scheduleId,
              performance_id: hold.performanceId,
              seller_id: hold.sellerId,
              starts_at: schedule.startsAt,
              status: 'PENDING_PAYMENT',
              subtotal,
              discount,
              amount: subtotal - discount,
              coupon_id: couponId,
              discount_funded_by: fundedBy,
              expires_at: locked.expiresAt,
              paid_at: null,
              ended_at: null,
              end_reason: null,
            },
            lines.map((l) => ({
              schedule_id: hold.scheduleId,
              seat_id: l.seatId,
              section_id: l.sectionId,
              grade: l.grade,
              price: l.price,
              ticket_id: null,
            })),
          );
        } catch (err) {
          if (isUniqueViolation(err)) throw BookingErrors.seatsUnavailable(hold.seatIds);
          throw err;
        }
        await ctx.holds.setStatus(trx, hold.id, 'ORDERED');
        const order = await ctx.orders.find(orderId, trx);
        if (order === null)
          throw new AppError('internal', 'INTERNAL', 'order vanished inside its transaction');
        await emit(
          trx,
          orderEvent('order.created', order, await ctx.orders.lines([orderId], trx), new Date()),
        );
        const claim = await ctx.store.claim(hold.scheduleId, hold.id, userId, orderId);
        if (claim.kind === 'INIT') throw SEAT_STATE_MISSING;
        if (claim.kind !== 'OK') {
          throw claim.kind === 'ORDERED'
            ? BookingErrors.holdInOrder(claim.orderId)
            : BookingErrors.holdExpired();
        }
        claimed = true;
      });
      break;
    } catch (err) {
      if (claimed) await ctx.store.unclaim(hold.scheduleId, hold.id, orderId).catch(() => undefined);
      if (err === SEAT_STATE_MISSING && attempt === 1) {
        await ctx.loader.ensure(hold.scheduleId);
        continue;
      }
      throw err === SEAT_STATE_MISSING ? BookingErrors.holdExpired() : err;
    }
  }
  ctx.stats.orders.inc({ to: 'PENDING_PAYMENT' });
  void ctx.queue.retainAdmission(hold.scheduleId, userId, hold.expiresAt.getTime()).catch(() => undefined);
  return getOrderView(ctx, orderId);
}

/** Thrown inside createOrder's transaction when Redis has no seat state for the schedule. */
const SEAT_STATE_MISSING = new Error('seat state not loaded into Redis');

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export async function getOrderView(ctx: BookingContext, orderId: string): Promise<OrderView> {
  const order = await ctx.orders.find(orderId);
  if (order === null) throw BookingErrors.orderNotFound();
  return orderView(order, await ctx.orders.lines([orderId]));
}

/** The owner, the performance's seller, or an ADMIN may read an order. */
export async function readOrder(
  ctx: BookingContext,
  principal: Principal,
  orderId: string,
): Promise<OrderView> {
  const order = await ctx.orders.find(orderId);
  if (order === null) throw BookingErrors.orderNotFound();
  const allowed =
    principal.role === 'ADMIN' ||
    order.userId === principal.userId ||
    (principal.role === 'SELLER' && order.sellerId === principal.userId);
  if (!allowed) throw new AppError('forbidden', 'FORBIDDEN', 'this order belongs to another account');
  return orderView(order, await ctx.orders.lines([orderId]));
}

export async function listMyOrders(
  ctx: BookingContext,
  userId: string,
  limit: number,
  before: Date | null,
): Promise<OrderView[]> {
  const orders = await ctx.orders.listByUser(userId, limit, before);
  const lines = await ctx.orders.lines(orders.map((o) => o.id));
  return orders.map((o) =>
    orderView(
      o,
      lines.filter((l) => l.orderId === o.id),
    ),
  );
}

/**
 * Ends an unpaid order (CANCELLED by its buyer, EXPIRED by the sweeper, or CANCELLED after a failed
 * sale): lines stop claiming seats, the coupon goes back, the hold ends, then Redis returns the seats.
 * Returns false when the order was no longer unpaid (nothing changed).
 */
export async function endUnpaidOrder(
  ctx: BookingContext,
  orderId: string,
  to: 'CANCELLED' | 'EXPIRED',
  reason: string,
  from: readonly string[] = ['PENDING_PAYMENT'],
): Promise<boolean> {
  const at = new Date();
  const ended = await ctx.platformDb.transaction().execute(async (tx) => {
    const trx = tx.withTables<BookingTables>();
    const order = await ctx.orders.findForUpdate(trx, orderId);
    if (order === null || !from.includes(order.status)) return null;
    await ctx.orders.update(trx, orderId, { status: to, ended_at: at, end_reason: reason });
    await ctx.orders.deactivateLines(trx, orderId);
    const hold = await ctx.holds.findForUpdate(trx, order.holdId);
    const holdTo = to === 'EXPIRED' ? 'EXPIRED' : 'RELEASED';
    if (hold !== null) await ctx.holds.setStatus(trx, hold.id, holdTo, at);
    if (order.couponId !== null) {
      if (ctx.ports.coupon === null) throw BookingErrors.couponsUnavailable();
      await ctx.ports.coupon.releaseForOrder(tx, orderId);
    }
    const lines = await ctx.orders.lines([orderId], trx);
    const events = [
      orderEvent(
        to === 'EXPIRED' ? 'order.expired' : 'order.cancelled',
        { ...order, status: to },
        lines,
        at,
        reason,
      ),
    ];
    if (hold !== null) events.push(holdEvent(to === 'EXPIRED' ? 'hold.expired' : 'hold.released', hold, at));
    await emitMany(trx, events);
    return hold;
  });
  if (ended === null) return false;
  ctx.stats.orders.inc({ to });
  await ctx.store.release(ended.scheduleId, ended.id, ended.userId, 'SYSTEM').catch((err: unknown) => {
    ctx.logger.warn({ err, orderId }, 'seats of an ended order stay in Redis until the hold lapses');
  });
  void releaseAdmissionIfDone(ctx, ended, 'EXPIRED');
  return true;
}

/**
 * POST /orders/{id}/cancel. Unpaid: cancelled at once (as a whole). Paid: handed to payment's
 * RefundPort (full, or the listed seats), which calls markOrderRefunded once the provider refunded.
 */
export async function cancelOrder(
  ctx: BookingContext,
  principal: Principal,
  orderId: string,
  input: { seatIds?: number[]; reason?: string },
): Promise<OrderView> {
  const order = await ctx.orders.find(orderId);
  if (order === null) throw BookingErrors.orderNotFound();
  const isOwner = order.userId === principal.userId;
  const isSeller = principal.role === 'SELLER' && order.sellerId === principal.userId;
  if (!isOwner && !isSeller && principal.role !== 'ADMIN') {
    throw new AppError('forbidden', 'FORBIDDEN', 'this order belongs to another account');
  }
  const reason = input.reason ?? 'cancelled by request';
  const lines = await ctx.orders.lines([orderId]);
  switch (order.status) {
    case 'CANCELLED':
      return orderView(order, lines);
    case 'PAYMENT_PENDING':
      throw BookingErrors.paymentInProgress();
    case 'PENDING_PAYMENT': {
      const all = new Set(lines.flatMap((l) => (l.seatId === null ? [] : [l.seatId])));
      if (
        input.seatIds !== undefined &&
        !(input.seatIds.length === all.size && input.seatIds.every((s) => all.has(s)))
      ) {
        throw BookingErrors.partialCancelUnpaid();
      }
      await endUnpaidOrder(ctx, orderId, 'CANCELLED', reason);
      return getOrderView(ctx, orderId);
    }
    case 'PAID':
    case 'PARTIALLY_REFUNDED': {
      if (input.seatIds !== undefined) {
        const valid = new Set(lines.filter((l) => l.ticketStatus === 'VALID').map((l) => l.seatId));
        const bad = input.seatIds.filter((s) => !valid.has(s));
        if (bad.length > 0) throw BookingErrors.notSeatsOfOrder(bad);
      }
      const refund = ctx.ports.refund;
      if (refund === null) throw BookingErrors.refundUnavailable();
      const initiatedBy = isOwner ? 'BUYER' : principal.role === 'ADMIN' ? 'ADMIN' : 'SELLER';
      await refund.refundOrder(orderId, {
        ...(input.seatIds === undefined ? {} : { seatIds: input.seatIds }),
        reason,
        initiatedBy,
      });
      return getOrderView(ctx, orderId);
    }
    default:
      throw BookingErrors.orderNotCancellable(order.status);
  }
}
