import { type Static, Type } from 'typebox';

/** Payment statuses of the Toss Payments API (Payment object `status`). */
export const TOSS_PAYMENT_STATUSES = [
  'READY',
  'IN_PROGRESS',
  'WAITING_FOR_DEPOSIT',
  'DONE',
  'CANCELED',
  'PARTIAL_CANCELED',
  'ABORTED',
  'EXPIRED',
] as const;
export type TossPaymentStatus = (typeof TOSS_PAYMENT_STATUSES)[number];

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const TossCancelSchema = Type.Object({
  cancelAmount: Type.Integer(),
  cancelReason: Type.String(),
  taxFreeAmount: Type.Optional(Type.Integer()),
  taxExemptionAmount: Type.Optional(Type.Integer()),
  refundableAmount: Type.Optional(Type.Integer()),
  easyPayDiscountAmount: Type.Optional(Type.Integer()),
  canceledAt: Type.String(),
  transactionKey: Type.String(),
  receiptKey: Type.Optional(Nullable(Type.String())),
  cancelStatus: Type.Optional(Type.String()),
  cancelRequestId: Type.Optional(Nullable(Type.String())),
});
export type TossCancel = Static<typeof TossCancelSchema>;

export const TossVirtualAccountSchema = Type.Object({
  accountType: Type.Optional(Type.String()),
  accountNumber: Type.String(),
  bankCode: Type.Optional(Type.String()),
  bank: Type.Optional(Type.String()),
  customerName: Type.Optional(Type.String()),
  dueDate: Type.String(),
  refundStatus: Type.Optional(Type.String()),
  expired: Type.Optional(Type.Boolean()),
  settlementStatus: Type.Optional(Type.String()),
});
export type TossVirtualAccount = Static<typeof TossVirtualAccountSchema>;

export const TossFailureSchema = Type.Object({ code: Type.String(), message: Type.String() });

/**
 * The fields of Toss's Payment object this system reads (the real object carries more; extra
 * members are allowed and ignored). Used both to check provider answers and to shape the sandbox.
 */
export const TossPaymentSchema = Type.Object({
  mId: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  lastTransactionKey: Type.Optional(Nullable(Type.String())),
  paymentKey: Type.String(),
  orderId: Type.String(),
  orderName: Type.Optional(Nullable(Type.String())),
  status: Type.Union([
    Type.Literal('READY'),
    Type.Literal('IN_PROGRESS'),
    Type.Literal('WAITING_FOR_DEPOSIT'),
    Type.Literal('DONE'),
    Type.Literal('CANCELED'),
    Type.Literal('PARTIAL_CANCELED'),
    Type.Literal('ABORTED'),
    Type.Literal('EXPIRED'),
  ]),
  type: Type.Optional(Type.String()),
  method: Type.Optional(Nullable(Type.String())),
  currency: Type.Optional(Type.String()),
  country: Type.Optional(Type.String()),
  totalAmount: Type.Integer(),
  balanceAmount: Type.Integer(),
  suppliedAmount: Type.Optional(Type.Integer()),
  vat: Type.Optional(Type.Integer()),
  taxFreeAmount: Type.Optional(Type.Integer()),
  taxExemptionAmount: Type.Optional(Type.Integer()),
  requestedAt: Type.Optional(Nullable(Type.String())),
  approvedAt: Type.Optional(Nullable(Type.String())),
  cancels: Type.Optional(Nullable(Type.Array(TossCancelSchema))),
  failure: Type.Optional(Nullable(TossFailureSchema)),
  virtualAccount: Type.Optional(Nullable(TossVirtualAccountSchema)),
});
export type TossPayment = Static<typeof TossPaymentSchema>;

/** Toss's Transaction object (transactions API): one row per approval or cancel. */
export const TossTransactionSchema = Type.Object({
  mId: Type.Optional(Type.String()),
  transactionKey: Type.String(),
  paymentKey: Type.String(),
  orderId: Type.String(),
  method: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  status: Type.String(),
  transactionAt: Type.String(),
  currency: Type.Optional(Type.String()),
  amount: Type.Integer(),
});
export type TossTransaction = Static<typeof TossTransactionSchema>;

export const TossErrorBodySchema = Type.Object({ code: Type.String(), message: Type.String() });

export interface ConfirmRequest {
  paymentKey: string;
  orderId: string;
  amount: number;
}

export interface CancelRequest {
  cancelReason: string;
  /** Absent: the whole remaining balance. */
  cancelAmount?: number;
}

/** Our method names (event payloads) from Toss's `method`, which Toss reports in Korean. */
export type PaymentMethod = 'CARD' | 'VIRTUAL_ACCOUNT' | 'TRANSFER' | 'EASY_PAY' | 'MOBILE_PHONE' | 'OTHER';

const METHOD_NAMES: Record<string, PaymentMethod> = {
  카드: 'CARD',
  CARD: 'CARD',
  가상계좌: 'VIRTUAL_ACCOUNT',
  VIRTUAL_ACCOUNT: 'VIRTUAL_ACCOUNT',
  계좌이체: 'TRANSFER',
  TRANSFER: 'TRANSFER',
  간편결제: 'EASY_PAY',
  EASY_PAY: 'EASY_PAY',
  휴대폰: 'MOBILE_PHONE',
  MOBILE_PHONE: 'MOBILE_PHONE',
};

export function methodOf(method: string | null | undefined): PaymentMethod {
  return (method && METHOD_NAMES[method]) || 'OTHER';
}

/** The Korean name Toss uses for a method (the sandbox answers like Toss). */
export function tossMethodName(method: PaymentMethod): string {
  const entry = Object.entries(METHOD_NAMES).find(([name, m]) => m === method && /[^\x20-\x7e]/.test(name));
  return entry?.[0] ?? '카드';
}

/** Statuses in which the buyer's money has been taken (at least partly still held). */
export const CHARGED_STATUSES: ReadonlySet<TossPaymentStatus> = new Set([
  'DONE',
  'PARTIAL_CANCELED',
  'CANCELED',
]);
