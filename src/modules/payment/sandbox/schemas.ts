import { Type } from 'typebox';

export const TOSS_ORDER_ID = '^[A-Za-z0-9_-]{6,64}$';
const Amount = Type.Integer({ minimum: 0, maximum: 10_000_000_000 });
const PaymentKey = Type.String({ minLength: 1, maxLength: 200 });

export const CheckoutBody = Type.Object(
  {
    orderId: Type.String({ pattern: TOSS_ORDER_ID }),
    amount: Amount,
    method: Type.Optional(
      Type.Union(
        [
          'CARD',
          'VIRTUAL_ACCOUNT',
          'TRANSFER',
          'EASY_PAY',
          'MOBILE_PHONE',
          '카드',
          '가상계좌',
          '계좌이체',
          '간편결제',
          '휴대폰',
        ].map((m) => Type.Literal(m)),
      ),
    ),
    orderName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    taxFreeAmount: Type.Optional(Amount),
    /**
     * Virtual account: whole hours until the deposit deadline (Toss's `validHours`, stored as an
     * integer). Shorter windows for tests: the merchant setting `virtualAccountValidHours`.
     */
    validHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720 })),
  },
  { additionalProperties: false },
);

export const CheckoutHeaders = Type.Object({
  'tosspayments-test-code': Type.Optional(Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,63}$' })),
  /** Sandbox extension: the test code fails only the first N confirms (default: every one). */
  'sandbox-test-code-times': Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

export const CheckoutView = Type.Object({
  paymentKey: Type.String(),
  orderId: Type.String(),
  amount: Type.Integer(),
});

export const ApiHeaders = Type.Object({
  authorization: Type.Optional(Type.String({ maxLength: 1000 })),
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  'tosspayments-test-code': Type.Optional(Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,63}$' })),
});

export const ConfirmBody = Type.Object({
  paymentKey: PaymentKey,
  orderId: Type.String({ pattern: TOSS_ORDER_ID }),
  amount: Amount,
});

export const CancelBody = Type.Object({
  cancelReason: Type.String({ minLength: 1, maxLength: 200 }),
  cancelAmount: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000_000 })),
  taxFreeAmount: Type.Optional(Amount),
  refundReceiveAccount: Type.Optional(Type.Object({}, { additionalProperties: true })),
});

export const PaymentKeyParams = Type.Object({ paymentKey: PaymentKey });
export const OrderIdParams = Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 64 }) });

export const LedgerQuery = Type.Object({
  orderId: Type.Optional(Type.String({ maxLength: 64 })),
  after: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

export const WebhookQuery = Type.Object({ paymentKey: Type.String({ minLength: 1, maxLength: 200 }) });

export const TransactionsQuery = Type.Object({
  startDate: Type.String({ minLength: 10, maxLength: 40 }),
  endDate: Type.String({ minLength: 10, maxLength: 40 }),
  startingAfter: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});
