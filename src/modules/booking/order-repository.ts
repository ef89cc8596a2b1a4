import type { Insertable, Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';
import type { BookingTables, FundedBy, OrderStatus, TicketStatus } from './tables.ts';

type Db = Kysely<PlatformTables & BookingTables>;

export interface Order {
  id: string;
  tossOrderId: string;
  holdId: string;
  userId: string;
  scheduleId: string;
  performanceId: string;
  sellerId: string;
  startsAt: Date;
  status: OrderStatus;
  subtotal: number;
  discount: number;
  amount: number;
  couponId: string | null;
  discountFundedBy: FundedBy | null;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
  paidAt: Date | null;
  endedAt: Date | null;
  endReason: string | null;
  changeSeq: number;
  syncedSeq: number;
}

export interface Line {
  id: number;
  orderId: string;
  scheduleId: string;
  seatId: number | null;
  sectionId: string;
  grade: string;
  price: number;
  active: boolean;
  ticketId: string | null;
  entryNumber: number | null;
  ticketStatus: TicketStatus | null;
}

type OrderRow = Selectable<BookingTables['orders']>;

export function toOrder(r: OrderRow): Order {
  return {
    id: r.id,
    tossOrderId: r.toss_order_id,
    holdId: r.hold_id,
    userId: r.user_id,
    scheduleId: r.schedule_id,
    performanceId: r.performance_id,
    sellerId: r.seller_id,
    startsAt: r.starts_at,
    status: r.status,
    subtotal: Number(r.subtotal),
    discount: Number(r.discount),
    amount: Number(r.amount),
    couponId: r.coupon_id,
    discountFundedBy: r.discount_funded_by,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    paidAt: r.paid_at,
    endedAt: r.ended_at,
    endReason: r.end_reason,
    changeSeq: r.change_seq,
    syncedSeq: r.synced_seq,
  };
}

/** SQL of orders, their lines and tickets. */
export class OrderRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  get db(): Db {
    return this.#db;
  }

  async insert(
    db: Db,
    order: Insertable<BookingTables['orders']>,
    lines: Omit<Insertable<BookingTables['order_lines']>, 'order_id'>[],
  ): Promise<void> {
    await db.insertInto('orders').values(order).execute();
    await db
      .insertInto('order_lines')
      .values(lines.map((l) => ({ ...l, order_id: order.id })))
      .execute();
  }

  async find(id: string, db: Db = this.#db): Promise<Order | null> {
    const row = await db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toOrder(row);
  }

  async findForUpdate(db: Db, id: string): Promise<Order | null> {
    const row = await db.selectFrom('orders').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    return row === undefined ? null : toOrder(row);
  }

  async findByToss(tossOrderId: string): Promise<Order | null> {
    const row = await this.#db
      .selectFrom('orders')
      .selectAll()
      .where('toss_order_id', '=', tossOrderId)
      .executeTakeFirst();
    return row === undefined ? null : toOrder(row);
  }

  async findByHold(holdId: string): Promise<Order | null> {
    const row = await this.#db
      .selectFrom('orders')
      .selectAll()
      .where('hold_id', '=', holdId)
      .executeTakeFirst();
    return row === undefined ? null : toOrder(row);
  }

  async listByUser(userId: string, limit: number, before: Date | null): Promise<Order[]> {
    let q = this.#db
      .selectFrom('orders')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (before !== null) q = q.where('created_at', '<', before);
    return (await q.execute()).map(toOrder);
  }

  async lines(orderIds: readonly string[], db: Db = this.#db): Promise<Line[]> {
    if (orderIds.length === 0) return [];
    const rows = await db
      .selectFrom('order_lines as l')
      .leftJoin('tickets as t', 't.id', 'l.ticket_id')
      .select([
        'l.id',
        'l.order_id',
        'l.schedule_id',
        'l.seat_id',
        'l.section_id',
        'l.grade',
        'l.price',
        'l.active',
        'l.ticket_id',
        't.entry_number',
        't.status as ticket_status',
      ])
      .where('l.order_id', 'in', [...orderIds])
      .orderBy('l.id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      orderId: r.order_id,
      scheduleId: r.schedule_id,
      seatId: r.seat_id === null ? null : Number(r.seat_id),
      sectionId: r.section_id,
      grade: r.grade,
      price: Number(r.price),
      active: r.active,
      ticketId: r.ticket_id,
      entryNumber: r.entry_number,
      ticketStatus: r.ticket_status,
    }));
  }

  /** Status change of one order; bumps change_seq when Redis must follow (sale, refund). */
  async update(
    db: Db,
    id: string,
    set: Partial<{
      status: OrderStatus;
      paid_at: Date;
      ended_at: Date;
      end_reason: string | null;
      expires_at: Date;
    }>,
    needsSeatSync = false,
  ): Promise<void> {
    await db
      .updateTable('orders')
      .set({
        ...set,
        updated_at: new Date(),
        ...(needsSeatSync ? { change_seq: sql<number>`change_seq + 1` } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  async deactivateLines(db: Db, orderId: string, lineIds?: readonly number[]): Promise<void> {
    let q = db.updateTable('order_lines').set({ active: false }).where('order_id', '=', orderId);
    if (lineIds !== undefined) q = q.where('id', 'in', [...lineIds]);
    await q.execute();
  }

  /** Tickets the user holds or has pending for the performance (live lines), under the caller's lock. */
  async liveTicketCount(db: Db, userId: string, performanceId: string): Promise<number> {
    const row = await db
      .selectFrom('order_lines as l')
      .innerJoin('orders as o', 'o.id', 'l.order_id')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('o.user_id', '=', userId)
      .where('o.performance_id', '=', performanceId)
      .where('l.active', '=', true)
      .executeTakeFirst();
    return row?.n ?? 0;
  }

  async validTicketCount(db: Db, userId: string, performanceId: string): Promise<number> {
    const row = await db
      .selectFrom('tickets')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('user_id', '=', userId)
      .where('performance_id', '=', performanceId)
      .where('status', '=', 'VALID')
      .executeTakeFirst();
    return row?.n ?? 0;
  }

  /** Orders whose committed state Redis has not applied yet. */
  async pendingSync(limit: number): Promise<{ id: string; changeSeq: number }[]> {
    const rows = await this.#db
      .selectFrom('orders')
      .select(['id', 'change_seq'])
      .where(sql<boolean>`change_seq > synced_seq`)
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, changeSeq: r.change_seq }));
  }

  async markSynced(id: string, seq: number): Promise<void> {
    await this.#db
      .updateTable('orders')
      .set({ synced_seq: seq })
      .where('id', '=', id)
      .where('change_seq', '=', seq)
      .execute();
  }

  async unpaidOfSchedule(scheduleId: string, limit: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('orders')
      .select('id')
      .where('schedule_id', '=', scheduleId)
      .where('status', '=', 'PENDING_PAYMENT')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /** PENDING_PAYMENT orders past their expiry, locked for the sweeper. */
  async lapsedForUpdate(db: Db, now: Date, limit: number): Promise<Order[]> {
    const rows = await db
      .selectFrom('orders')
      .selectAll()
      .where('status', '=', 'PENDING_PAYMENT')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    return rows.map(toOrder);
  }

  // ---- seat state from the record (seeding Redis, seat maps) ----

  async soldSeats(scheduleId: string): Promise<{ seatId: number; orderId: string }[]> {
    const rows = await this.#db
      .selectFrom('tickets')
      .select(['seat_id', 'order_id'])
      .where('schedule_id', '=', scheduleId)
      .where('status', '=', 'VALID')
      .where('seat_id', 'is not', null)
      .execute();
    return rows.map((r) => ({ seatId: Number(r.seat_id), orderId: r.order_id }));
  }

  /** Valid tickets of the schedule, seats and standing entries (sold-out check). */
  async soldCount(scheduleId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('tickets')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('schedule_id', '=', scheduleId)
      .where('status', '=', 'VALID')
      .executeTakeFirst();
    return row?.n ?? 0;
  }

  async standingSold(scheduleId: string, sectionId?: string): Promise<Map<string, number>> {
    let q = this.#db
      .selectFrom('tickets')
      .select(['section_id', sql<number>`count(*)::int`.as('n')])
      .where('schedule_id', '=', scheduleId)
      .where('status', '=', 'VALID')
      .where('entry_number', 'is not', null)
      .groupBy('section_id');
    if (sectionId !== undefined) q = q.where('section_id', '=', sectionId);
    const rows = await q.execute();
    return new Map(rows.map((r) => [r.section_id, r.n]));
  }

  async paidCounts(performanceId: string): Promise<Map<string, number>> {
    const rows = await this.#db
      .selectFrom('tickets')
      .select(['user_id', sql<number>`count(*)::int`.as('n')])
      .where('performance_id', '=', performanceId)
      .where('status', '=', 'VALID')
      .groupBy('user_id')
      .execute();
    return new Map(rows.map((r) => [r.user_id, r.n]));
  }

  /**
   * Seats the record says are taken (SOLD: valid ticket; HELD: live line of an unpaid order). `overlay`
   * reads only what Redis may not show yet: orders whose committed state is not synced, and unpaid
   * orders whose hold already lapsed in Redis; without it, every live line (Redis not loaded).
   */
  async takenSeats(scheduleId: string, overlay: boolean): Promise<Map<number, 'HELD' | 'SOLD'>> {
    let q = this.#db
      .selectFrom('order_lines as l')
      .innerJoin('orders as o', 'o.id', 'l.order_id')
      .select(['l.seat_id', 'o.status'])
      .where('l.schedule_id', '=', scheduleId)
      .where('l.active', '=', true)
      .where('l.seat_id', 'is not', null);
    if (overlay) {
      q = q
        .where('o.schedule_id', '=', scheduleId)
        .where((eb) =>
          eb.or([
            eb(sql<number>`o.change_seq`, '>', sql<number>`o.synced_seq`),
            eb.and([
              eb('o.status', 'in', ['PENDING_PAYMENT', 'PAYMENT_PENDING']),
              eb('o.expires_at', '<=', new Date()),
            ]),
          ]),
        );
    }
    const rows = await q.execute();
    const out = new Map<number, 'HELD' | 'SOLD'>();
    for (const r of rows) {
      const sold = r.status === 'PAID' || r.status === 'PARTIALLY_REFUNDED';
      out.set(Number(r.seat_id), sold ? 'SOLD' : 'HELD');
    }
    return out;
  }

  async hasSales(scheduleIds: readonly string[], db: Db = this.#db): Promise<boolean> {
    if (scheduleIds.length === 0) return false;
    const row = await db
      .selectFrom('tickets')
      .select('id')
      .where('schedule_id', 'in', [...scheduleIds])
      .where('status', '=', 'VALID')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
