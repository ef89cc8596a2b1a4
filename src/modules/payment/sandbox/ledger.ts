import { sql, type Updateable } from 'kysely';
import type { SandboxDb, SandboxPaymentRow, SandboxTables, SandboxTrx } from './tables.ts';

type Exec = SandboxDb | SandboxTrx;
export type CancelRow = SandboxTables['sandbox_cancels'] & { canceled_at: Date; tax_free_amount: number };

/** All SQL of the sandbox's provider ledger (payments, cancels) in one place. */
export class SandboxLedger {
  readonly db: SandboxDb;

  constructor(db: SandboxDb) {
    this.db = db;
  }

  async insertPayment(row: {
    payment_key: string;
    order_id: string;
    order_name: string;
    method: string;
    total_amount: number;
    tax_free_amount: number;
    test_code: string | null;
    test_code_remaining: number | null;
    valid_hours: number | null;
    session_expires_at: Date;
  }): Promise<void> {
    await this.db
      .insertInto('sandbox_payments')
      .values({ ...row, status: 'IN_PROGRESS', balance_amount: row.total_amount })
      .execute();
  }

  lock(trx: Exec, paymentKey: string): Promise<SandboxPaymentRow | undefined> {
    return trx
      .selectFrom('sandbox_payments')
      .selectAll()
      .where('payment_key', '=', paymentKey)
      .forUpdate()
      .executeTakeFirst();
  }

  find(exec: Exec, paymentKey: string): Promise<SandboxPaymentRow | undefined> {
    return exec
      .selectFrom('sandbox_payments')
      .selectAll()
      .where('payment_key', '=', paymentKey)
      .executeTakeFirst();
  }

  /** The payment of an orderId: the confirmed one if any, else the latest checkout. */
  findByOrderId(exec: Exec, orderId: string): Promise<SandboxPaymentRow | undefined> {
    return exec
      .selectFrom('sandbox_payments')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy(sql`confirmed_at is null`)
      .orderBy('requested_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async otherConfirmedForOrder(trx: Exec, orderId: string, paymentKey: string): Promise<boolean> {
    const row = await trx
      .selectFrom('sandbox_payments')
      .select('payment_key')
      .where('order_id', '=', orderId)
      .where('confirmed_at', 'is not', null)
      .where('payment_key', '!=', paymentKey)
      .executeTakeFirst();
    return row !== undefined;
  }

  async update(
    trx: Exec,
    paymentKey: string,
    patch: Updateable<SandboxTables['sandbox_payments']>,
  ): Promise<SandboxPaymentRow> {
    return trx
      .updateTable('sandbox_payments')
      .set({ ...patch, updated_at: new Date() })
      .where('payment_key', '=', paymentKey)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async cancels(exec: Exec, paymentKey: string): Promise<CancelRow[]> {
    return (await exec
      .selectFrom('sandbox_cancels')
      .selectAll()
      .where('payment_key', '=', paymentKey)
      .orderBy('canceled_at')
      .orderBy('transaction_key')
      .execute()) as CancelRow[];
  }

  async insertCancel(
    trx: Exec,
    row: {
      transaction_key: string;
      payment_key: string;
      cancel_amount: number;
      cancel_reason: string;
      canceled_at: Date;
    },
  ): Promise<void> {
    await trx.insertInto('sandbox_cancels').values(row).execute();
  }

  /** For invariant checks: every payment that was ever confirmed, with what is still charged. */
  async confirmedLedger(
    limit: number,
    afterKey: string | null,
    orderId: string | null,
  ): Promise<
    {
      paymentKey: string;
      orderId: string;
      status: string;
      totalAmount: number;
      balanceAmount: number;
      cancelledAmount: number;
      approvedAt: Date | null;
    }[]
  > {
    let q = this.db
      .selectFrom('sandbox_payments as p')
      .select([
        'p.payment_key as paymentKey',
        'p.order_id as orderId',
        'p.status',
        'p.total_amount as totalAmount',
        'p.balance_amount as balanceAmount',
        'p.approved_at as approvedAt',
        sql<number>`coalesce((select sum(c.cancel_amount) from sandbox_cancels c where c.payment_key = p.payment_key), 0)::bigint`.as(
          'cancelledAmount',
        ),
      ])
      .where('p.confirmed_at', 'is not', null)
      .orderBy('p.payment_key')
      .limit(limit);
    if (afterKey !== null) q = q.where('p.payment_key', '>', afterKey);
    if (orderId !== null) q = q.where('p.order_id', '=', orderId);
    return q.execute();
  }

  /**
   * Toss's transactions list: one row per approval (status DONE, at approvedAt) and per cancel (status
   * CANCELED, at canceledAt) in [start, end) of one merchant, ordered by time then key; keyset paging.
   */
  async transactions(
    merchant: string,
    start: Date,
    end: Date,
    limit: number,
    startingAfter: string | null,
  ): Promise<
    {
      transactionKey: string;
      paymentKey: string;
      orderId: string;
      method: string;
      status: string;
      at: Date;
      amount: number;
    }[]
  > {
    const { rows } = await sql<{
      transactionKey: string;
      paymentKey: string;
      orderId: string;
      method: string;
      status: string;
      at: Date;
      amount: number;
    }>`
      with t as (
        select upper(substr(encode(sha256(convert_to('approve:' || payment_key, 'UTF8')), 'hex'), 1, 32)) as "transactionKey",
          payment_key as "paymentKey", order_id as "orderId", method, 'DONE' as status, approved_at as at, total_amount as amount
        from sandbox_payments where merchant = ${merchant} and approved_at >= ${start} and approved_at < ${end}
        union all
        select c.transaction_key, c.payment_key, p.order_id, p.method, 'CANCELED', c.canceled_at, c.cancel_amount
        from sandbox_cancels c join sandbox_payments p on p.payment_key = c.payment_key
        where p.merchant = ${merchant} and c.canceled_at >= ${start} and c.canceled_at < ${end}
      )
      select * from t
      where ${startingAfter}::text is null
         or (at, "transactionKey") > (select at, "transactionKey" from t where "transactionKey" = ${startingAfter} limit 1)
      order by at, "transactionKey"
      limit ${limit}`.execute(this.db);
    return rows;
  }
}
