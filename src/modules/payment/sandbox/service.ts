import { createHash, randomBytes } from 'node:crypto';
import { classifyFailure, TossApiError } from '../toss-client/errors.ts';
import type { PaymentMethod, TossPayment } from '../toss-client/types.ts';
import { SandboxError } from './codes.ts';
import type { SandboxLedger } from './ledger.ts';
import type { SandboxSettingsStore } from './settings.ts';
import type { SandboxPaymentRow, SandboxTrx } from './tables.ts';
import { paymentView } from './view.ts';
import type { SandboxWebhooks } from './webhooks.ts';

type Trx = SandboxTrx;

export interface CheckoutInput {
  orderId: string;
  amount: number;
  method: PaymentMethod;
  orderName?: string;
  taxFreeAmount?: number;
  validHours?: number;
  testCode?: string;
  testCodeTimes?: number;
}

/** A confirm answered with a failure after the payment was processed (UNKNOWN_PAYMENT_ERROR). */
export class ProcessedButFailed extends Error {
  readonly error: SandboxError;
  constructor(error: SandboxError) {
    super(error.message);
    this.error = error;
  }
}

type ConfirmResult =
  | { declined: SandboxError }
  | { payment: TossPayment; unknownAfterCharge: SandboxError | null };

const newKey = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;
const transactionKey = () => randomBytes(16).toString('hex').toUpperCase();
/** The approval's transaction key, derived so the transactions list can name it without storing it. */
export const approvalKey = (paymentKey: string) =>
  createHash('sha256').update(`approve:${paymentKey}`).digest('hex').slice(0, 32).toUpperCase();

/**
 * The provider's behaviour: sessions from checkout, confirm, query, cancel, virtual-account deposits.
 * Every state change happens in one PostgreSQL transaction with the row locked, and queues a
 * PAYMENT_STATUS_CHANGED webhook in that same transaction.
 */
export class SandboxService {
  readonly #ledger: SandboxLedger;
  readonly #settings: SandboxSettingsStore;
  readonly #webhooks: SandboxWebhooks;

  constructor(ledger: SandboxLedger, settings: SandboxSettingsStore, webhooks: SandboxWebhooks) {
    this.#ledger = ledger;
    this.#settings = settings;
    this.#webhooks = webhooks;
  }

  async checkout(input: CheckoutInput): Promise<{ paymentKey: string; orderId: string; amount: number }> {
    const settings = await this.#settings.get(null);
    const paymentKey = newKey('tsbx_');
    await this.#ledger.insertPayment({
      payment_key: paymentKey,
      order_id: input.orderId,
      order_name: input.orderName ?? `order ${input.orderId}`,
      method: input.method,
      total_amount: input.amount,
      tax_free_amount: input.taxFreeAmount ?? 0,
      test_code: input.testCode ?? null,
      test_code_remaining: input.testCode === undefined ? null : (input.testCodeTimes ?? null),
      valid_hours: input.validHours ?? null,
      session_expires_at: new Date(Date.now() + settings.sessionTtlSeconds * 1000),
    });
    return { paymentKey, orderId: input.orderId, amount: input.amount };
  }

  async confirm(
    merchant: string,
    body: { paymentKey: string; orderId: string; amount: number },
  ): Promise<TossPayment> {
    const settings = await this.#settings.get(merchant);
    const result = await this.#ledger.db.transaction().execute(async (trx): Promise<ConfirmResult> => {
      const row = await this.#ledger.lock(trx, body.paymentKey);
      if (row === undefined) throw new SandboxError('NOT_FOUND_PAYMENT_SESSION');
      if (row.order_id !== body.orderId)
        throw new SandboxError('INVALID_REQUEST', 'orderId does not match the payment session');
      if (row.total_amount !== body.amount)
        throw new SandboxError('INVALID_REQUEST', 'amount does not match the authorised amount');
      if (row.status !== 'IN_PROGRESS' && row.status !== 'READY') {
        if (row.status === 'EXPIRED') throw new SandboxError('NOT_FOUND_PAYMENT_SESSION');
        throw new SandboxError('ALREADY_PROCESSED_PAYMENT');
      }
      if (row.session_expires_at.getTime() < Date.now()) {
        await this.#ledger.update(trx, row.payment_key, { status: 'EXPIRED' });
        throw new SandboxError('NOT_FOUND_PAYMENT_SESSION');
      }
      if (await this.#ledger.otherConfirmedForOrder(trx, row.order_id, row.payment_key))
        throw new SandboxError('DUPLICATED_ORDER_ID');

      let unknownAfterCharge: SandboxError | null = null;
      if (row.test_code !== null && (row.test_code_remaining === null || row.test_code_remaining > 0)) {
        const failure = new SandboxError(row.test_code);
        if (row.test_code_remaining !== null)
          await this.#ledger.update(trx, row.payment_key, {
            test_code_remaining: row.test_code_remaining - 1,
          });
        const cls = classifyFailure(new TossApiError(failure.status, failure.code, failure.message));
        if (cls === 'FINAL') {
          await this.#ledger.update(trx, row.payment_key, {
            status: 'ABORTED',
            failure: JSON.stringify({ code: failure.code, message: failure.message }),
          });
          // A thrown error would roll the ABORTED state back: answer it after the commit instead.
          return { declined: failure };
        }
        // Answered after the commit, so the used-up count of the test code sticks.
        if (failure.code !== 'UNKNOWN_PAYMENT_ERROR') return { declined: failure };
        unknownAfterCharge = failure; // charged below, answered as unknown
      }

      const now = new Date();
      const isVirtualAccount = row.method === 'VIRTUAL_ACCOUNT';
      let updated: SandboxPaymentRow;
      if (isVirtualAccount) {
        const hours = row.valid_hours ?? settings.virtualAccountValidHours;
        const dueDate = new Date(now.getTime() + hours * 3600_000);
        updated = await this.#ledger.update(trx, row.payment_key, {
          status: 'WAITING_FOR_DEPOSIT',
          merchant,
          confirmed_at: now,
          due_date: dueDate,
          last_transaction_key: transactionKey(),
          virtual_account: JSON.stringify({
            accountType: '일반',
            accountNumber: `X${randomBytes(6).readUIntBE(0, 6).toString().padStart(14, '0').slice(0, 14)}`,
            bankCode: '88',
            customerName: '구매자',
            dueDate: dueDate.toISOString(),
            refundStatus: 'NONE',
            expired: false,
            settlementStatus: 'INCOMPLETED',
          }),
        });
      } else {
        updated = await this.#ledger.update(trx, row.payment_key, {
          status: 'DONE',
          merchant,
          confirmed_at: now,
          approved_at: now,
          last_transaction_key: approvalKey(row.payment_key),
        });
      }
      const payment = paymentView(updated, []);
      await this.#webhooks.enqueue(trx, merchant, payment, 'API');
      return { payment, unknownAfterCharge };
    });
    this.#webhooks.kick();
    if ('declined' in result) throw result.declined;
    if (result.unknownAfterCharge !== null) throw new ProcessedButFailed(result.unknownAfterCharge);
    return result.payment;
  }

  async get(paymentKey: string): Promise<TossPayment> {
    const row = await this.#ledger.find(this.#ledger.db, paymentKey);
    if (row === undefined) throw new SandboxError('NOT_FOUND_PAYMENT');
    return this.#viewWithLazyExpiry(row);
  }

  async getByOrderId(orderId: string): Promise<TossPayment> {
    const row = await this.#ledger.findByOrderId(this.#ledger.db, orderId);
    if (row === undefined) throw new SandboxError('NOT_FOUND_PAYMENT');
    return this.#viewWithLazyExpiry(row);
  }

  async cancel(
    merchant: string,
    paymentKey: string,
    body: { cancelReason: string; cancelAmount?: number | undefined },
  ): Promise<TossPayment> {
    const view = await this.#ledger.db.transaction().execute(async (trx) => {
      const row = await this.#ledger.lock(trx, paymentKey);
      if (row === undefined) throw new SandboxError('NOT_FOUND_PAYMENT');
      if (row.status === 'CANCELED') throw new SandboxError('ALREADY_CANCELED_PAYMENT');
      if (!['DONE', 'PARTIAL_CANCELED', 'WAITING_FOR_DEPOSIT'].includes(row.status))
        throw new SandboxError('NOT_CANCELABLE_PAYMENT');
      const now = new Date();
      if (row.last_cancel_at !== null && now.getTime() - row.last_cancel_at.getTime() < 1000)
        throw new SandboxError('FORBIDDEN_CONSECUTIVE_REQUEST');
      if (row.status === 'WAITING_FOR_DEPOSIT') {
        // Nothing was paid in: the account is closed, no money moves.
        const updated = await this.#ledger.update(trx, paymentKey, {
          status: 'CANCELED',
          balance_amount: 0,
          last_cancel_at: now,
        });
        return this.#changed(trx, merchant, updated, 'API');
      }
      const amount = body.cancelAmount ?? row.balance_amount;
      if (amount <= 0) throw new SandboxError('INVALID_REQUEST', 'cancelAmount must be positive');
      if (amount > row.balance_amount) throw new SandboxError('NOT_CANCELABLE_AMOUNT');
      const key = transactionKey();
      await this.#ledger.insertCancel(trx, {
        transaction_key: key,
        payment_key: paymentKey,
        cancel_amount: amount,
        cancel_reason: body.cancelReason,
        canceled_at: now,
      });
      const balance = row.balance_amount - amount;
      const updated = await this.#ledger.update(trx, paymentKey, {
        status: balance === 0 ? 'CANCELED' : 'PARTIAL_CANCELED',
        balance_amount: balance,
        last_cancel_at: now,
        last_transaction_key: key,
      });
      return this.#changed(trx, merchant, updated, 'API');
    });
    this.#webhooks.kick();
    return view;
  }

  /** Sandbox-only: the buyer pays into the virtual account. */
  async deposit(paymentKey: string): Promise<TossPayment> {
    return this.#settleVirtualAccount(paymentKey, 'DEPOSIT');
  }

  /** Sandbox-only: the deposit deadline passes now. */
  async expireVirtualAccount(paymentKey: string): Promise<TossPayment> {
    return this.#settleVirtualAccount(paymentKey, 'EXPIRE');
  }

  async #settleVirtualAccount(paymentKey: string, what: 'DEPOSIT' | 'EXPIRE'): Promise<TossPayment> {
    const view = await this.#ledger.db.transaction().execute(async (trx) => {
      const row = await this.#ledger.lock(trx, paymentKey);
      if (row === undefined) throw new SandboxError('NOT_FOUND_PAYMENT');
      if (row.status !== 'WAITING_FOR_DEPOSIT')
        throw new SandboxError('INVALID_REQUEST', `the payment is ${row.status}, not WAITING_FOR_DEPOSIT`);
      const account = (row.virtual_account ?? {}) as Record<string, unknown>;
      if (what === 'DEPOSIT' && row.due_date !== null && row.due_date.getTime() < Date.now()) {
        return this.#expire(trx, row);
      }
      if (what === 'EXPIRE') return this.#expire(trx, row);
      const updated = await this.#ledger.update(trx, paymentKey, {
        status: 'DONE',
        approved_at: new Date(),
        last_transaction_key: approvalKey(paymentKey),
        virtual_account: JSON.stringify({ ...account, settlementStatus: 'COMPLETED' }),
      });
      return this.#changed(trx, row.merchant, updated, 'ASYNC');
    });
    this.#webhooks.kick();
    return view;
  }

  async #expire(trx: Trx, row: SandboxPaymentRow): Promise<TossPayment> {
    const account = (row.virtual_account ?? {}) as Record<string, unknown>;
    const updated = await this.#ledger.update(trx, row.payment_key, {
      status: 'EXPIRED',
      virtual_account: JSON.stringify({ ...account, expired: true }),
    });
    return this.#changed(trx, row.merchant, updated, 'ASYNC');
  }

  /** `origin`: API = the caller saw the change in its answer; ASYNC = only a webhook tells. */
  async #changed(
    trx: Trx,
    merchant: string | null,
    row: SandboxPaymentRow,
    origin: 'API' | 'ASYNC',
  ): Promise<TossPayment> {
    const payment = paymentView(row, await this.#ledger.cancels(trx, row.payment_key));
    await this.#webhooks.enqueue(trx, merchant, payment, origin);
    return payment;
  }

  /** A virtual account past its deadline, or a session never confirmed in time, reads as EXPIRED. */
  async #viewWithLazyExpiry(row: SandboxPaymentRow): Promise<TossPayment> {
    const now = Date.now();
    const vaLapsed =
      row.status === 'WAITING_FOR_DEPOSIT' && row.due_date !== null && row.due_date.getTime() < now;
    const sessionLapsed =
      (row.status === 'IN_PROGRESS' || row.status === 'READY') && row.session_expires_at.getTime() < now;
    if (vaLapsed || sessionLapsed) {
      const view = await this.#ledger.db.transaction().execute(async (trx) => {
        const locked = await this.#ledger.lock(trx, row.payment_key);
        if (locked === undefined) throw new SandboxError('NOT_FOUND_PAYMENT');
        if (locked.status !== row.status)
          return paymentView(locked, await this.#ledger.cancels(trx, row.payment_key));
        if (vaLapsed) return this.#expire(trx, locked);
        const updated = await this.#ledger.update(trx, row.payment_key, { status: 'EXPIRED' });
        return paymentView(updated, []);
      });
      this.#webhooks.kick();
      return view;
    }
    return paymentView(row, await this.#ledger.cancels(this.#ledger.db, row.payment_key));
  }
}
