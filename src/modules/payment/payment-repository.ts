import { type Insertable, type Kysely, sql, type Updateable } from 'kysely';
import type { PlatformTables, Tx } from '../../platform/db.ts';
import type { PaymentDb, PaymentRow, PaymentStatus, PaymentTables, PaymentTrx } from './tables.ts';

type Exec = PaymentDb | PaymentTrx;
type NewPayment = Omit<Insertable<PaymentTables['payments']>, 'status' | 'lease_until'>;

/** Statuses that hold the order's one live slot (see payments_one_live_per_order). */
export const LIVE_STATUSES: readonly PaymentStatus[] = [
  'CONFIRMING',
  'WAITING_FOR_DEPOSIT',
  'DONE',
  'PARTIAL_CANCELED',
  'CANCELED',
];
export const PAID_STATUSES: readonly PaymentStatus[] = ['DONE', 'PARTIAL_CANCELED', 'CANCELED'];

/** All SQL on `payments` and `payment_attempts`. */
export class PaymentRepository {
  readonly db: PaymentDb;
  readonly #platformDb: Kysely<PlatformTables>;

  constructor(platformDb: Kysely<PlatformTables>) {
    this.#platformDb = platformDb;
    this.db = platformDb.withTables<PaymentTables>();
  }

  /**
   * One PostgreSQL transaction: `trx` sees payment's tables, `tx` is the platform view handed to other
   * modules' in-transaction functions (booking.markOrderPaid...) and to enqueueEvent.
   */
  transaction<T>(fn: (trx: PaymentTrx, tx: Tx) => Promise<T>): Promise<T> {
    return this.#platformDb.transaction().execute((tx) => fn(tx.withTables<PaymentTables>(), tx));
  }

  /**
   * A new confirmation, leased to the caller. Null when the paymentKey is known already or another
   * payment of the order is live (both unique indexes); the caller looks at what is there.
   */
  async insertConfirming(values: NewPayment, leaseMs: number): Promise<PaymentRow | null> {
    const row = await this.db
      .insertInto('payments')
      .values({
        ...values,
        status: 'CONFIRMING',
        lease_until: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'`,
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ?? null;
  }

  findByKey(paymentKey: string): Promise<PaymentRow | undefined> {
    return this.db
      .selectFrom('payments')
      .selectAll()
      .where('payment_key', '=', paymentKey)
      .executeTakeFirst();
  }

  findById(id: string, exec: Exec = this.db): Promise<PaymentRow | undefined> {
    return exec.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findLiveForOrder(orderId: string, exec: Exec = this.db): Promise<PaymentRow | undefined> {
    return exec
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', orderId)
      .where('status', 'in', LIVE_STATUSES)
      .executeTakeFirst();
  }

  /** The payment a webhook about this orderId is about: the live one, else the newest. */
  findByTossOrderId(tossOrderId: string): Promise<PaymentRow | undefined> {
    return this.db
      .selectFrom('payments')
      .selectAll()
      .where('toss_order_id', '=', tossOrderId)
      .orderBy(
        sql`status in ('CONFIRMING', 'WAITING_FOR_DEPOSIT', 'DONE', 'PARTIAL_CANCELED', 'CANCELED')`,
        'desc',
      )
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  lock(trx: PaymentTrx, id: string): Promise<PaymentRow | undefined> {
    return trx.selectFrom('payments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  /**
   * Takes the row's lease if nobody holds it (or it lapsed) and the status is one of `from`.
   * `restartAs` moves it to another status in the same step (a re-confirm of a failed payment).
   */
  async claim(
    id: string,
    from: readonly PaymentStatus[],
    leaseMs: number,
    restartAs?: PaymentStatus,
  ): Promise<PaymentRow | null> {
    const row = await this.db
      .updateTable('payments')
      .set({
        lease_until: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'`,
        updated_at: new Date(),
        ...(restartAs === undefined ? {} : { status: restartAs, failure_code: null, failure_message: null }),
      })
      .where('id', '=', id)
      .where('status', 'in', from)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
      .returningAll()
      .executeTakeFirst();
    return row ?? null;
  }

  async update(exec: Exec, id: string, patch: Updateable<PaymentTables['payments']>): Promise<PaymentRow> {
    return exec
      .updateTable('payments')
      .set({ ...patch, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Sets the lease so the next recovery look happens after `inMs` (0: as soon as possible). */
  async releaseLease(id: string, inMs = 0): Promise<void> {
    await this.db
      .updateTable('payments')
      .set({ lease_until: sql<Date>`now() + ${inMs} * interval '1 millisecond'` })
      .where('id', '=', id)
      .execute();
  }

  /** Payments whose outcome is still open and whose lease lapsed (as of `asOf`). */
  dueForRecovery(asOf: Date, limit: number, orderIds?: readonly string[]): Promise<PaymentRow[]> {
    let q = this.db
      .selectFrom('payments')
      .selectAll()
      .where('status', 'in', ['CONFIRMING', 'WAITING_FOR_DEPOSIT', 'REFUND_REQUIRED'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', asOf)]));
    if (orderIds !== undefined) q = q.where('order_id', 'in', orderIds.length > 0 ? orderIds : ['']);
    return q.orderBy('lease_until').limit(limit).execute();
  }

  /** Orders of a performance with money still charged (performance cancelled: refund them all). */
  async paidOrdersOfPerformance(exec: Exec, performanceId: string): Promise<string[]> {
    const rows = await exec
      .selectFrom('payments')
      .select('order_id')
      .where('performance_id', '=', performanceId)
      .where('status', 'in', ['DONE', 'PARTIAL_CANCELED'])
      .execute();
    return rows.map((r) => r.order_id);
  }

  async recordAttempt(values: Insertable<PaymentTables['payment_attempts']>): Promise<void> {
    await this.db.insertInto('payment_attempts').values(values).execute();
  }

  attemptsOfOrder(orderId: string) {
    return this.db
      .selectFrom('payment_attempts')
      .select([
        'kind',
        'attempt',
        'outcome',
        'http_status as httpStatus',
        'code',
        'message',
        'provider_status as providerStatus',
        'duration_ms as durationMs',
        'created_at as createdAt',
      ])
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute();
  }

  async nextAttemptNumber(paymentId: string, kind: 'CONFIRM' | 'QUERY' | 'CANCEL'): Promise<number> {
    const row = await this.db
      .selectFrom('payment_attempts')
      .select(sql<number>`coalesce(max(attempt), 0)::int`.as('n'))
      .where('payment_id', '=', paymentId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return (row?.n ?? 0) + 1;
  }
}
