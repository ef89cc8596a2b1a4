import { type Insertable, sql, type Updateable } from 'kysely';
import type { PaymentDb, PaymentTables, PaymentTrx, RefundRow } from './tables.ts';

type Exec = PaymentDb | PaymentTrx;

/** All SQL on payment_refunds and the performance-cancellation bookkeeping. */
export class RefundRepository {
  readonly db: PaymentDb;

  constructor(db: PaymentDb) {
    this.db = db;
  }

  /** Null when another refund of the payment is still open (payment_refunds_one_open). */
  async insertRequested(
    trx: PaymentTrx,
    values: Omit<Insertable<PaymentTables['payment_refunds']>, 'status'>,
  ): Promise<RefundRow | null> {
    const row = await trx
      .insertInto('payment_refunds')
      .values({ ...values, status: 'REQUESTED' })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ?? null;
  }

  ofPayment(exec: Exec, paymentId: string): Promise<RefundRow[]> {
    return exec
      .selectFrom('payment_refunds')
      .selectAll()
      .where('payment_id', '=', paymentId)
      .orderBy('requested_at')
      .execute();
  }

  findById(id: string): Promise<RefundRow | undefined> {
    return this.db.selectFrom('payment_refunds').selectAll().where('id', '=', id).executeTakeFirst();
  }

  lock(trx: PaymentTrx, id: string): Promise<RefundRow | undefined> {
    return trx.selectFrom('payment_refunds').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  update(exec: Exec, id: string, patch: Updateable<PaymentTables['payment_refunds']>): Promise<RefundRow> {
    return exec
      .updateTable('payment_refunds')
      .set(patch)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async claim(id: string, leaseMs: number): Promise<RefundRow | null> {
    const row = await this.db
      .updateTable('payment_refunds')
      .set({ lease_until: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'` })
      .where('id', '=', id)
      .where('status', '=', 'REQUESTED')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
      .returningAll()
      .executeTakeFirst();
    return row ?? null;
  }

  async releaseLease(id: string, inMs: number): Promise<void> {
    await this.db
      .updateTable('payment_refunds')
      .set({ lease_until: sql<Date>`now() + ${inMs} * interval '1 millisecond'` })
      .where('id', '=', id)
      .execute();
  }

  dueOpen(asOf: Date, limit: number, orderIds?: readonly string[]): Promise<RefundRow[]> {
    let q = this.db
      .selectFrom('payment_refunds')
      .selectAll()
      .where('status', '=', 'REQUESTED')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', asOf)]));
    if (orderIds !== undefined) q = q.where('order_id', 'in', orderIds.length > 0 ? orderIds : ['']);
    return q.orderBy('requested_at').limit(limit).execute();
  }

  // ---- performance cancelled: every paid order refunded, resumably ----

  async startBulk(trx: PaymentTrx, performanceId: string, eventId: string, reason: string): Promise<void> {
    await trx
      .insertInto('payment_bulk_refunds')
      .values({ performance_id: performanceId, event_id: eventId, reason, status: 'RUNNING' })
      .onConflict((oc) => oc.column('performance_id').doNothing())
      .execute();
  }

  async addBulkItems(exec: Exec, performanceId: string, orderIds: readonly string[]): Promise<void> {
    if (orderIds.length === 0) return;
    await exec
      .insertInto('payment_bulk_refund_items')
      .values(
        orderIds.map((order_id) => ({ performance_id: performanceId, order_id, status: 'PENDING' as const })),
      )
      .onConflict((oc) => oc.columns(['performance_id', 'order_id']).doNothing())
      .execute();
  }

  runningBulks(): Promise<{ performance_id: string; reason: string; created_at: Date }[]> {
    return this.db
      .selectFrom('payment_bulk_refunds')
      .select(['performance_id', 'reason', 'created_at'])
      .where('status', '=', 'RUNNING')
      .execute();
  }

  /** Claims due items (each is retried later if the run dies: next_attempt_at moves ahead first). */
  claimBulkItems(
    limit: number,
    retryInMs: number,
  ): Promise<{ performance_id: string; order_id: string; attempts: number }[]> {
    return this.db.transaction().execute(async (trx) => {
      const due = await trx
        .selectFrom('payment_bulk_refund_items')
        .select(['performance_id', 'order_id'])
        .where('status', '=', 'PENDING')
        .where('next_attempt_at', '<=', new Date())
        .orderBy('next_attempt_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (due.length === 0) return [];
      return trx
        .updateTable('payment_bulk_refund_items')
        .set({
          attempts: sql`attempts + 1`,
          next_attempt_at: sql<Date>`now() + ${retryInMs} * interval '1 millisecond'`,
          updated_at: new Date(),
        })
        .where((eb) =>
          eb.or(
            due.map((d) =>
              eb.and([eb('performance_id', '=', d.performance_id), eb('order_id', '=', d.order_id)]),
            ),
          ),
        )
        .returning(['performance_id', 'order_id', 'attempts'])
        .execute();
    });
  }

  async settleBulkItem(
    performanceId: string,
    orderId: string,
    status: 'PENDING' | 'DONE' | 'SKIPPED',
    lastError: string | null,
    retryInMs = 0,
  ): Promise<void> {
    await this.db
      .updateTable('payment_bulk_refund_items')
      .set({
        status,
        last_error: lastError,
        updated_at: new Date(),
        ...(status === 'PENDING' ? { next_attempt_at: new Date(Date.now() + retryInMs) } : {}),
      })
      .where('performance_id', '=', performanceId)
      .where('order_id', '=', orderId)
      .execute();
  }

  async finishBulkIfDone(performanceId: string, settledBefore: Date): Promise<boolean> {
    const res = await this.db
      .updateTable('payment_bulk_refunds')
      .set({ status: 'DONE', finished_at: new Date() })
      .where('performance_id', '=', performanceId)
      .where('status', '=', 'RUNNING')
      .where('created_at', '<', settledBefore)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('payment_bulk_refund_items')
              .select('order_id')
              .where('performance_id', '=', performanceId)
              .where('status', '=', 'PENDING'),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  bulkProgress(performanceId: string) {
    return this.db
      .selectFrom('payment_bulk_refund_items')
      .select(['status', sql<number>`count(*)::int`.as('n')])
      .where('performance_id', '=', performanceId)
      .groupBy('status')
      .execute();
  }
}
