import { Type } from 'typebox';

export const ConfirmBody = Type.Object(
  {
    orderId: Type.String({ pattern: '^[A-Za-z0-9_-]{6,64}$' }),
    paymentKey: Type.String({ minLength: 1, maxLength: 200 }),
    amount: Type.Integer({ minimum: 0, maximum: 10_000_000_000 }),
  },
  { additionalProperties: false },
);

export const ConfirmView = Type.Object({
  orderId: Type.String(),
  status: Type.Union([Type.Literal('PAID'), Type.Literal('WAITING_FOR_DEPOSIT')]),
  approvedAt: Type.Union([Type.String(), Type.Null()]),
  dueDate: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  virtualAccount: Type.Optional(
    Type.Union([
      Type.Object({
        accountNumber: Type.String(),
        bank: Type.Union([Type.String(), Type.Null()]),
        dueDate: Type.String(),
      }),
      Type.Null(),
    ]),
  ),
});

/** Toss webhook bodies: only which payment to re-read matters; everything else is ignored. */
export const WebhookBody = Type.Object(
  {
    eventType: Type.Optional(Type.String({ maxLength: 100 })),
    createdAt: Type.Optional(Type.String({ maxLength: 100 })),
    data: Type.Optional(
      Type.Object(
        {
          paymentKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          status: Type.Optional(Type.String({ maxLength: 40 })),
        },
        { additionalProperties: true },
      ),
    ),
    paymentKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: true },
);

export const WebhookView = Type.Object({
  received: Type.Boolean(),
  handled: Type.Boolean(),
  status: Type.Optional(Type.String()),
});

export const OrderParams = Type.Object({ orderId: Type.String({ format: 'uuid' }) });
export const PerformanceParams = Type.Object({ performanceId: Type.String({ format: 'uuid' }) });

export const AttemptsView = Type.Object({
  orderId: Type.String(),
  attempts: Type.Array(
    Type.Object({
      kind: Type.String(),
      attempt: Type.Integer(),
      outcome: Type.String(),
      httpStatus: Type.Union([Type.Integer(), Type.Null()]),
      code: Type.Union([Type.String(), Type.Null()]),
      message: Type.Union([Type.String(), Type.Null()]),
      providerStatus: Type.Union([Type.String(), Type.Null()]),
      durationMs: Type.Integer(),
      createdAt: Type.String(),
    }),
  ),
});
