import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

/**
 * The payment events the ledger consumes (docs/contracts.md, "payment events"). The ledger checks
 * every payload against these schemas: a payload that does not match is recorded as REJECTED (and
 * logged), never retried forever, since redelivery cannot repair it.
 */
const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});
const Won = Type.Integer({ minimum: 0, maximum: 1e15 });
const Instant = Type.String({ minLength: 10, maxLength: 40 });

export const PaymentApproved = Type.Object({
  orderId: Uuid,
  tossOrderId: Type.Optional(Type.String()),
  paymentKey: Type.String({ minLength: 1, maxLength: 200 }),
  sellerId: Uuid,
  performanceId: Uuid,
  scheduleId: Type.Optional(Type.String()),
  buyerId: Type.Optional(Type.String()),
  approvedAt: Instant,
  grossAmount: Won,
  discountAmount: Won,
  discountFundedBy: Type.Optional(
    Type.Union([Type.Literal('SELLER'), Type.Literal('PLATFORM'), Type.Null()]),
  ),
  amount: Won,
  method: Type.Optional(Type.String()),
});
export type PaymentApproved = Static<typeof PaymentApproved>;

export const PaymentRefunded = Type.Object({
  orderId: Uuid,
  paymentKey: Type.String({ minLength: 1, maxLength: 200 }),
  refundId: Type.String({ minLength: 1, maxLength: 200 }),
  sellerId: Uuid,
  performanceId: Uuid,
  refundedAt: Instant,
  refundFaceValue: Won,
  refundDiscount: Won,
  refundAmount: Won,
  cancellationFee: Won,
  full: Type.Boolean(),
});
export type PaymentRefunded = Static<typeof PaymentRefunded>;

export const PAYMENT_APPROVED = 'payment.approved';
export const PAYMENT_REFUNDED = 'payment.refunded';

export type Parsed<T> = { ok: true; value: T; at: Date } | { ok: false; reason: string };

function parse<T>(
  schema: typeof PaymentApproved | typeof PaymentRefunded,
  payload: unknown,
  atField: string,
): Parsed<T> {
  if (!Value.Check(schema, payload)) {
    const first = [...Value.Errors(schema, payload)][0];
    return { ok: false, reason: `${first?.instancePath || '(payload)'} ${first?.message ?? 'is invalid'}` };
  }
  const text = (payload as Record<string, unknown>)[atField];
  const at = new Date(typeof text === 'string' ? text : '');
  if (Number.isNaN(at.getTime())) return { ok: false, reason: `/${atField} is not a date-time` };
  return { ok: true, value: payload as T, at };
}

export const parseApproved = (payload: unknown): Parsed<PaymentApproved> =>
  parse<PaymentApproved>(PaymentApproved, payload, 'approvedAt');

export function parseRefunded(payload: unknown): Parsed<PaymentRefunded> {
  const parsed = parse<PaymentRefunded>(PaymentRefunded, payload, 'refundedAt');
  if (!parsed.ok) return parsed;
  const r = parsed.value;
  if (r.refundDiscount > r.refundFaceValue)
    return { ok: false, reason: 'refundDiscount exceeds refundFaceValue' };
  return parsed;
}
