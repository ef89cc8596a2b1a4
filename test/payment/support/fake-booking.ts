import { randomBytes, randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { BookingPort, OrderForPayment, RefundPort } from '../../../src/modules/payment/index.ts';
import type { PlatformTables, Tx } from '../../../src/platform/db.ts';
import { AppError } from '../../../src/platform/errors.ts';

/**
 * A stand-in for the booking module with booking's contract (docs/contracts.md), on real PostgreSQL
 * tables of its own (test_pay_*): a sold seat is refused by a unique index, exactly like booking's
 * tickets. It lets payment be tested on its own while booking is built; the end-to-end tests use the
 * real module.
 */
export type FakeTables = {
  test_pay_orders: {
    id: string;
    toss_order_id: string;
    user_id: string;
    schedule_id: string;
    performance_id: string;
    seller_id: string;
    status: string;
    subtotal: number;
    discount: number;
    amount: number;
    coupon_id: string | null;
    funded_by: 'SELLER' | 'PLATFORM' | null;
    expires_at: Date;
    starts_at: Date;
    lines: unknown;
    paid_at: Date | null;
  };
  test_pay_tickets: {
    order_id: string;
    schedule_id: string;
    seat_id: number;
    status: string;
  };
};

export async function ensureFakeTables(db: Kysely<PlatformTables>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(777001)`.execute(trx);
    await sql`create table if not exists test_pay_orders (
      id uuid primary key, toss_order_id text not null unique, user_id uuid not null, schedule_id uuid not null,
      performance_id uuid not null, seller_id uuid not null, status text not null, subtotal bigint not null,
      discount bigint not null, amount bigint not null, coupon_id uuid, funded_by text,
      expires_at timestamptz not null, starts_at timestamptz not null, lines jsonb not null, paid_at timestamptz)`.execute(
      trx,
    );
    await sql`create table if not exists test_pay_tickets (
      order_id uuid not null, schedule_id uuid not null, seat_id int not null, status text not null)`.execute(
      trx,
    );
    await sql`create unique index if not exists test_pay_tickets_sold on test_pay_tickets (schedule_id, seat_id) where status = 'VALID'`.execute(
      trx,
    );
  });
}

export interface FakeOrderInput {
  userId: string;
  prices: number[];
  discount?: number;
  fundedBy?: 'SELLER' | 'PLATFORM' | null;
  seatIds?: number[];
  scheduleId?: string;
  performanceId?: string;
  sellerId?: string;
  expiresInMs?: number;
  startsAt?: Date;
}

export class FakeBooking implements BookingPort {
  readonly db: Kysely<PlatformTables & FakeTables>;
  refundPort: RefundPort | null = null;
  #seat = Math.floor(Math.random() * 1_000_000_000);

  constructor(db: Kysely<PlatformTables>) {
    this.db = db.withTables<FakeTables>();
  }

  async createOrder(input: FakeOrderInput): Promise<OrderForPayment> {
    const id = randomUUID();
    const subtotal = input.prices.reduce((a, b) => a + b, 0);
    const discount = input.discount ?? 0;
    const seats = input.seatIds ?? input.prices.map(() => ++this.#seat);
    const lines = input.prices.map((price, i) => ({
      seatId: seats[i] ?? null,
      sectionId: randomUUID(),
      grade: 'R',
      price,
    }));
    await this.db
      .insertInto('test_pay_orders')
      .values({
        id,
        toss_order_id: `qt_${randomBytes(12).toString('base64url')}`,
        user_id: input.userId,
        schedule_id: input.scheduleId ?? randomUUID(),
        performance_id: input.performanceId ?? randomUUID(),
        seller_id: input.sellerId ?? randomUUID(),
        status: 'PENDING_PAYMENT',
        subtotal,
        discount,
        amount: subtotal - discount,
        coupon_id: discount > 0 ? randomUUID() : null,
        funded_by: discount > 0 ? (input.fundedBy ?? 'SELLER') : null,
        expires_at: new Date(Date.now() + (input.expiresInMs ?? 600_000)),
        starts_at: input.startsAt ?? new Date(Date.now() + 30 * 86_400_000),
        lines: JSON.stringify(lines),
        paid_at: null,
      })
      .execute();
    return (await this.findOrder(id)) as OrderForPayment;
  }

  async findOrder(orderId: string): Promise<OrderForPayment | null> {
    const row = await this.db
      .selectFrom('test_pay_orders')
      .selectAll()
      .where('id', '=', orderId)
      .executeTakeFirst();
    return row === undefined ? null : view(row);
  }

  async findOrderByTossOrderId(tossOrderId: string): Promise<OrderForPayment | null> {
    const row = await this.db
      .selectFrom('test_pay_orders')
      .selectAll()
      .where('toss_order_id', '=', tossOrderId)
      .executeTakeFirst();
    return row === undefined ? null : view(row);
  }

  async markPaymentPending(orderId: string): Promise<void> {
    const moved = await this.db
      .updateTable('test_pay_orders')
      .set({ status: 'PAYMENT_PENDING' })
      .where('id', '=', orderId)
      .where('status', '=', 'PENDING_PAYMENT')
      .where('expires_at', '>', new Date())
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) > 0) return;
    const order = await this.findOrder(orderId);
    if (order?.status === 'PAYMENT_PENDING') return;
    if (order?.status === 'PENDING_PAYMENT' || order?.status === 'EXPIRED')
      throw new AppError('conflict', 'ORDER_EXPIRED', 'the order has expired');
    throw new AppError('conflict', 'ORDER_NOT_PAYABLE', `the order is ${order?.status}`);
  }

  async markPaymentUnresolvedBack(orderId: string): Promise<void> {
    await this.db
      .updateTable('test_pay_orders')
      .set({ status: 'PENDING_PAYMENT' })
      .where('id', '=', orderId)
      .where('status', '=', 'PAYMENT_PENDING')
      .execute();
  }

  async markOrderPaid(tx: Tx, orderId: string, paidAt: Date): Promise<void> {
    const trx = tx.withTables<FakeTables>();
    const order = await trx
      .selectFrom('test_pay_orders')
      .selectAll()
      .where('id', '=', orderId)
      .forUpdate()
      .executeTakeFirst();
    if (order === undefined) throw new AppError('not_found', 'ORDER_NOT_FOUND', 'order not found');
    if (['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(order.status)) return;
    if (order.status === 'EXPIRED') throw new AppError('conflict', 'ORDER_EXPIRED', 'the order has expired');
    if (order.status !== 'PENDING_PAYMENT' && order.status !== 'PAYMENT_PENDING')
      throw new AppError('conflict', 'ORDER_NOT_PAYABLE', `the order is ${order.status}`);
    const lines = order.lines as { seatId: number }[];
    const inserted = await trx
      .insertInto('test_pay_tickets')
      .values(
        lines.map((l) => ({
          order_id: orderId,
          schedule_id: order.schedule_id,
          seat_id: l.seatId,
          status: 'VALID',
        })),
      )
      .onConflict((oc) => oc.columns(['schedule_id', 'seat_id']).where('status', '=', 'VALID').doNothing())
      .returning('seat_id')
      .execute();
    if (inserted.length < lines.length) {
      await trx.deleteFrom('test_pay_tickets').where('order_id', '=', orderId).execute();
      throw new AppError('conflict', 'SEAT_ALREADY_SOLD', 'a seat of this order was already sold');
    }
    await trx
      .updateTable('test_pay_orders')
      .set({ status: 'PAID', paid_at: paidAt })
      .where('id', '=', orderId)
      .execute();
  }

  async markOrderRefunded(
    tx: Tx,
    orderId: string,
    seatIds: number[] | 'ALL',
    _at: Date,
  ): Promise<{ full: boolean }> {
    const trx = tx.withTables<FakeTables>();
    const order = await trx
      .selectFrom('test_pay_orders')
      .selectAll()
      .where('id', '=', orderId)
      .forUpdate()
      .executeTakeFirst();
    if (order === undefined) throw new AppError('not_found', 'ORDER_NOT_FOUND', 'order not found');
    if (order.status === 'REFUNDED') return { full: true };
    if (order.status !== 'PAID' && order.status !== 'PARTIALLY_REFUNDED')
      throw new AppError('conflict', 'ORDER_NOT_CANCELLABLE', `order is ${order.status}`);
    let q = trx
      .updateTable('test_pay_tickets')
      .set({ status: 'REFUNDED' })
      .where('order_id', '=', orderId)
      .where('status', '=', 'VALID');
    if (seatIds !== 'ALL') q = q.where('seat_id', 'in', seatIds);
    await q.execute();
    const left = await trx
      .selectFrom('test_pay_tickets')
      .select('seat_id')
      .where('order_id', '=', orderId)
      .where('status', '=', 'VALID')
      .execute();
    const full = left.length === 0;
    await trx
      .updateTable('test_pay_orders')
      .set({ status: full ? 'REFUNDED' : 'PARTIALLY_REFUNDED' })
      .where('id', '=', orderId)
      .execute();
    return { full };
  }

  async cancelUnpaidOrder(orderId: string, _reason: string): Promise<boolean> {
    const res = await this.db
      .updateTable('test_pay_orders')
      .set({ status: 'CANCELLED' })
      .where('id', '=', orderId)
      .where('status', 'in', ['PENDING_PAYMENT', 'PAYMENT_PENDING'])
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  setRefundPort(port: RefundPort): void {
    this.refundPort = port;
  }

  /** booking's expiry sweeper: unpaid orders past their expiry (never PAYMENT_PENDING ones). */
  async expireLapsed(orderIds: string[], now = new Date()): Promise<void> {
    if (orderIds.length === 0) return;
    await this.db
      .updateTable('test_pay_orders')
      .set({ status: 'EXPIRED' })
      .where('id', 'in', orderIds)
      .where('status', '=', 'PENDING_PAYMENT')
      .where('expires_at', '<=', now)
      .execute();
  }

  async setExpiry(orderId: string, at: Date): Promise<void> {
    await this.db.updateTable('test_pay_orders').set({ expires_at: at }).where('id', '=', orderId).execute();
  }
}

function view(row: FakeTables['test_pay_orders']): OrderForPayment {
  return {
    id: row.id,
    tossOrderId: row.toss_order_id,
    userId: row.user_id,
    scheduleId: row.schedule_id,
    performanceId: row.performance_id,
    sellerId: row.seller_id,
    status: row.status,
    subtotal: row.subtotal,
    discount: row.discount,
    amount: row.amount,
    couponId: row.coupon_id,
    discountFundedBy: row.funded_by,
    expiresAt: row.expires_at,
    startsAt: row.starts_at,
    lines: row.lines as OrderForPayment['lines'],
  };
}
