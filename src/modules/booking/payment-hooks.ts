import { type Kysely, sql } from 'kysely';
import type { PlatformTables, Tx } from '../../platform/db.ts';
import type { BookingContext } from './context.ts';
import { BookingErrors } from './errors.ts';
import { emit } from './events.ts';
import type { Line, Order } from './order-repository.ts';
import { endUnpaidOrder, orderEvent } from './orders.ts';
import type { OrderForPayment } from './ports.ts';
import type { BookingTables } from './tables.ts';

type Db = Kysely<PlatformTables & BookingTables>;

export function forPayment(o: Order, lines: readonly Line[]): OrderForPayment {
  return {
    id: o.id,
    tossOrderId: o.tossOrderId,
    userId: o.userId,
    scheduleId: o.scheduleId,
    performanceId: o.performanceId,
    sellerId: o.sellerId,
    status: o.status,
    subtotal: o.subtotal,
    discount: o.discount,
    amount: o.amount,
    couponId: o.couponId,
    discountFundedBy: o.discountFundedBy,
    expiresAt: o.expiresAt,
    startsAt: o.startsAt,
    lines: lines.map((l) => ({
      seatId: l.seatId,
      sectionId: l.sectionId,
      grade: l.grade,
      price: l.price,
      ...(l.entryNumber === null ? {} : { entryNumber: l.entryNumber }),
      ...(l.ticketId === null ? {} : { ticketId: l.ticketId }),
    })),
  };
}

export async function findOrder(ctx: BookingContext, orderId: string): Promise<OrderForPayment | null> {
  const order = await ctx.orders.find(orderId);
  return order === null ? null : forPayment(order, await ctx.orders.lines([order.id]));
}

export async function findOrderByTossOrderId(
  ctx: BookingContext,
  tossOrderId: string,
): Promise<OrderForPayment | null> {
  const order = await ctx.orders.findByToss(tossOrderId);
  return order === null ? null : forPayment(order, await ctx.orders.lines([order.id]));
}

/**
 * PENDING_PAYMENT → PAYMENT_PENDING before the provider is called; refused once the order lapsed or its
 * performance was cancelled (nothing is charged for a show that is off).
 */
export async function markPaymentPending(ctx: BookingContext, orderId: string): Promise<void> {
  const current = await ctx.orders.find(orderId);
  if (current === null) throw BookingErrors.orderNotFound();
  const schedule = await ctx.catalog.getScheduleForSale(current.scheduleId);
  if (schedule !== null && schedule.status !== 'ON_SALE') throw BookingErrors.performanceCancelled();
  const moved = await ctx.db
    .updateTable('orders')
    .set({ status: 'PAYMENT_PENDING', updated_at: new Date() })
    .where('id', '=', orderId)
    .where('status', '=', 'PENDING_PAYMENT')
    .where('expires_at', '>', new Date())
    .returning('id')
    .executeTakeFirst();
  if (moved !== undefined) return;
  const order = await ctx.orders.find(orderId);
  if (order === null) throw BookingErrors.orderNotFound();
  if (order.status === 'PAYMENT_PENDING') return;
  if (order.status === 'PENDING_PAYMENT' || order.status === 'EXPIRED') throw BookingErrors.orderExpired();
  throw BookingErrors.orderNotPayable(order.status);
}

/**
 * PAYMENT_PENDING → PENDING_PAYMENT after a final decline: the buyer may pay again while the hold lives.
 * An order whose time is already up (a missed virtual-account deadline: its expiry is the deposit
 * deadline) is not put back to be paid: it ends EXPIRED at once, seats and coupon returned.
 */
export async function markPaymentUnresolvedBack(ctx: BookingContext, orderId: string): Promise<void> {
  const back = await ctx.db
    .updateTable('orders')
    .set({ status: 'PENDING_PAYMENT', updated_at: new Date() })
    .where('id', '=', orderId)
    .where('status', '=', 'PAYMENT_PENDING')
    .returning('expires_at')
    .executeTakeFirst();
  if (back !== undefined && back.expires_at.getTime() <= Date.now()) {
    await endUnpaidOrder(ctx, orderId, 'EXPIRED', 'payment not completed in time');
  }
}

const lockEntries = (db: Db, scheduleId: string, sectionId: string) =>
  sql`select pg_advisory_xact_lock(hashtextextended(${`booking:entries:${scheduleId}:${sectionId}`}, 0))`.execute(
    db,
  );

/**
 * Inside payment's transaction: tickets are inserted under the unique (schedule, seat) index (the last
 * defence), standing entries get the lowest free entry numbers, the order becomes PAID, the hold
 * CONSUMED, the coupon USED. A refused seat throws SEAT_ALREADY_SOLD after removing what this call
 * inserted, so the caller's transaction stays usable (it refunds; see docs/decisions/0006-holds.md).
 */
export async function markOrderPaid(
  ctx: BookingContext,
  tx: Tx,
  orderId: string,
  paidAt: Date,
): Promise<void> {
  const db = tx.withTables<BookingTables>();
  const order = await ctx.orders.findForUpdate(db, orderId);
  if (order === null) throw BookingErrors.orderNotFound();
  if (order.status === 'PAID' || order.status === 'PARTIALLY_REFUNDED' || order.status === 'REFUNDED') return;
  if (order.status === 'EXPIRED') throw BookingErrors.orderExpired();
  if (order.status !== 'PENDING_PAYMENT' && order.status !== 'PAYMENT_PENDING') {
    throw BookingErrors.orderNotPayable(order.status);
  }
  const lines = await ctx.orders.lines([orderId], db);
  const base = {
    order_id: orderId,
    schedule_id: order.scheduleId,
    performance_id: order.performanceId,
    user_id: order.userId,
    issued_at: paidAt,
    refunded_at: null,
  };
  const seated = lines.filter((l) => l.seatId !== null);
  const inserted: { id: string; line_id: number }[] = [];
  if (seated.length > 0) {
    const rows = await db
      .insertInto('tickets')
      .values(
        seated.map((l) => ({
          ...base,
          line_id: l.id,
          seat_id: l.seatId,
          section_id: l.sectionId,
          entry_number: null,
          price: l.price,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['schedule_id', 'seat_id'])
          .where('status', '=', 'VALID')
          .where('seat_id', 'is not', null)
          .doNothing(),
      )
      .returning(['id', 'line_id'])
      .execute();
    inserted.push(...rows.map((r) => ({ id: r.id, line_id: Number(r.line_id) })));
    if (rows.length < seated.length) {
      const got = new Set(inserted.map((r) => r.line_id));
      const refused = seated.filter((l) => !got.has(l.id)).map((l) => l.seatId as number);
      await undo(db, inserted);
      ctx.stats.doubleSaleRefused.inc();
      ctx.logger.error({ orderId, refused }, 'PostgreSQL refused a second sale of a seat');
      throw BookingErrors.seatAlreadySold(refused);
    }
  }
  const standing = lines.filter((l) => l.seatId === null);
  for (const sectionId of new Set(standing.map((l) => l.sectionId))) {
    const mine = standing.filter((l) => l.sectionId === sectionId);
    // Through payment's transaction: a pool read here would hold one connection waiting for another.
    const section = await ctx.catalog.getStandingSection(order.scheduleId, sectionId, tx);
    await lockEntries(db, order.scheduleId, sectionId);
    const free = await sql<{ n: number }>`
      select n from generate_series(1, ${section?.capacity ?? 0}::int) n
      where not exists (
        select 1 from tickets t where t.schedule_id = ${order.scheduleId} and t.section_id = ${sectionId}
          and t.entry_number = n and t.status = 'VALID')
      order by n limit ${mine.length}`.execute(db);
    if (free.rows.length < mine.length) {
      await undo(db, inserted);
      ctx.stats.doubleSaleRefused.inc();
      throw BookingErrors.seatAlreadySold([]);
    }
    const rows = await db
      .insertInto('tickets')
      .values(
        mine.map((l, i) => ({
          ...base,
          line_id: l.id,
          seat_id: null,
          section_id: sectionId,
          entry_number: free.rows[i]?.n ?? 0,
          price: l.price,
        })),
      )
      .returning(['id', 'line_id'])
      .execute();
    inserted.push(...rows.map((r) => ({ id: r.id, line_id: Number(r.line_id) })));
  }
  await sql`update order_lines l set ticket_id = t.id from tickets t
    where t.line_id = l.id and l.order_id = ${orderId} and t.status = 'VALID'`.execute(db);
  await ctx.orders.update(db, orderId, { status: 'PAID', paid_at: paidAt }, true);
  await ctx.holds.setStatus(db, order.holdId, 'CONSUMED', paidAt);
  if (order.couponId !== null) {
    if (ctx.ports.coupon === null) throw BookingErrors.couponsUnavailable();
    await ctx.ports.coupon.markUsed(tx, orderId);
  }
  await emit(
    db,
    orderEvent(
      'order.paid',
      { ...order, status: 'PAID', paidAt },
      await ctx.orders.lines([orderId], db),
      paidAt,
    ),
  );
  ctx.stats.orders.inc({ to: 'PAID' });
}

async function undo(db: Db, inserted: readonly { id: string }[]): Promise<void> {
  if (inserted.length > 0)
    await db
      .deleteFrom('tickets')
      .where(
        'id',
        'in',
        inserted.map((r) => r.id),
      )
      .execute();
}

/**
 * Inside payment's transaction, after the provider refunded: the tickets (all, or of the listed seats)
 * become REFUNDED and their seats free; the order REFUNDED when nothing valid remains, else
 * PARTIALLY_REFUNDED. On a full refund the coupon goes back through coupon.releaseForOrder.
 */
export async function markOrderRefunded(
  ctx: BookingContext,
  tx: Tx,
  orderId: string,
  seatIds: number[] | 'ALL',
  at: Date,
): Promise<{ full: boolean }> {
  const db = tx.withTables<BookingTables>();
  const order = await ctx.orders.findForUpdate(db, orderId);
  if (order === null) throw BookingErrors.orderNotFound();
  if (order.status === 'REFUNDED') return { full: true };
  if (order.status !== 'PAID' && order.status !== 'PARTIALLY_REFUNDED') {
    throw BookingErrors.orderNotCancellable(order.status);
  }
  const lines = await ctx.orders.lines([orderId], db);
  const valid = lines.filter((l) => l.ticketStatus === 'VALID');
  let target = valid;
  if (seatIds !== 'ALL') {
    const wanted = new Set(seatIds);
    target = valid.filter((l) => l.seatId !== null && wanted.has(l.seatId));
    const found = new Set(target.map((l) => l.seatId));
    const bad = seatIds.filter((s) => !found.has(s));
    if (bad.length > 0) throw BookingErrors.notSeatsOfOrder(bad);
  }
  const ticketIds = target.flatMap((l) => (l.ticketId === null ? [] : [l.ticketId]));
  if (ticketIds.length > 0) {
    await db
      .updateTable('tickets')
      .set({ status: 'REFUNDED', refunded_at: at })
      .where('id', 'in', ticketIds)
      .execute();
    await ctx.orders.deactivateLines(
      db,
      orderId,
      target.map((l) => l.id),
    );
  }
  const full = target.length === valid.length;
  await ctx.orders.update(
    db,
    orderId,
    full ? { status: 'REFUNDED', ended_at: at, end_reason: 'refunded' } : { status: 'PARTIALLY_REFUNDED' },
    true,
  );
  if (full && order.couponId !== null && ctx.ports.coupon !== null) {
    await ctx.ports.coupon.releaseForOrder(tx, orderId);
  }
  ctx.stats.orders.inc({ to: full ? 'REFUNDED' : 'PARTIALLY_REFUNDED' });
  return { full };
}

/**
 * Virtual account: the order (PAYMENT_PENDING) and its hold and seats live until the deposit deadline,
 * and the order's expiry becomes that deadline (also when it comes before the hold's own end): a missed
 * deadline comes back through markPaymentUnresolvedBack, which then ends the order EXPIRED.
 */
export async function markAwaitingDeposit(
  ctx: BookingContext,
  orderId: string,
  dueDate: Date,
): Promise<void> {
  const order = await ctx.platformDb.transaction().execute(async (tx) => {
    const trx = tx.withTables<BookingTables>();
    const locked = await ctx.orders.findForUpdate(trx, orderId);
    if (locked === null) throw BookingErrors.orderNotFound();
    if (locked.status !== 'PAYMENT_PENDING' && locked.status !== 'PENDING_PAYMENT') return null;
    if (dueDate.getTime() === locked.expiresAt.getTime()) return null;
    await ctx.orders.update(trx, orderId, { expires_at: dueDate });
    // A deadline before the hold's own end: the order ends with it; the hold needs no prolonging.
    if (dueDate < locked.expiresAt) return null;
    await trx
      .updateTable('holds')
      .set({ expires_at: dueDate, max_expires_at: sql<Date>`greatest(max_expires_at, ${dueDate})` })
      .where('id', '=', locked.holdId)
      .execute();
    return locked;
  });
  if (order === null) return;
  const prolonged = await ctx.store
    .prolong(order.scheduleId, order.holdId, order.userId, dueDate.getTime())
    .catch(() => false);
  if (!prolonged)
    ctx.logger.warn({ orderId }, 'the hold was gone from Redis; the order lines still claim the seats');
  await ctx.queue.retainAdmission(order.scheduleId, order.userId, dueDate.getTime()).catch(() => undefined);
}

/** For payment after SEAT_ALREADY_SOLD (refunded) or an abandoned payment: ends an unpaid order now. */
export function cancelUnpaidOrder(ctx: BookingContext, orderId: string, reason: string): Promise<boolean> {
  return endUnpaidOrder(ctx, orderId, 'CANCELLED', reason, ['PENDING_PAYMENT', 'PAYMENT_PENDING']);
}
