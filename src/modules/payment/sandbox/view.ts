import {
  type PaymentMethod,
  type TossPayment,
  type TossPaymentStatus,
  tossMethodName,
} from '../toss-client/types.ts';
import type { CancelRow } from './ledger.ts';
import type { SandboxPaymentRow } from './tables.ts';

/** Toss writes times in KST with an offset: `2024-02-13T12:18:14+09:00`. */
export function kst(date: Date): string {
  const shifted = new Date(date.getTime() + 9 * 3600_000);
  return `${shifted.toISOString().slice(0, 19)}+09:00`;
}

/** Toss: vat = round((total − taxFree) / 11); suppliedAmount is the taxable rest. */
export function vatOf(totalAmount: number, taxFreeAmount: number): { vat: number; suppliedAmount: number } {
  const taxable = totalAmount - taxFreeAmount;
  const vat = Math.round(taxable / 11);
  return { vat, suppliedAmount: taxable - vat };
}

/** The Payment object, shaped like Toss's (API version 2022-11-16), from the ledger rows. */
export function paymentView(row: SandboxPaymentRow, cancels: readonly CancelRow[]): TossPayment {
  const { vat, suppliedAmount } = vatOf(row.total_amount, row.tax_free_amount);
  return {
    mId: 'tosspayments',
    version: '2022-11-16',
    lastTransactionKey: row.last_transaction_key,
    paymentKey: row.payment_key,
    orderId: row.order_id,
    orderName: row.order_name,
    status: row.status as TossPaymentStatus,
    type: 'NORMAL',
    method: tossMethodName(row.method as PaymentMethod),
    currency: 'KRW',
    country: 'KR',
    totalAmount: row.total_amount,
    balanceAmount: row.balance_amount,
    suppliedAmount,
    vat,
    taxFreeAmount: row.tax_free_amount,
    taxExemptionAmount: 0,
    requestedAt: kst(row.requested_at),
    approvedAt: row.approved_at === null ? null : kst(row.approved_at),
    cancels:
      cancels.length === 0
        ? null
        : cancels.map((c) => ({
            cancelAmount: c.cancel_amount,
            cancelReason: c.cancel_reason,
            taxFreeAmount: c.tax_free_amount,
            taxExemptionAmount: 0,
            refundableAmount: 0,
            easyPayDiscountAmount: 0,
            canceledAt: kst(c.canceled_at),
            transactionKey: c.transaction_key,
            receiptKey: null,
            cancelStatus: 'DONE',
            cancelRequestId: null,
          })),
    failure: (row.failure as { code: string; message: string } | null) ?? null,
    virtualAccount: (row.virtual_account as TossPayment['virtualAccount']) ?? null,
  };
}
