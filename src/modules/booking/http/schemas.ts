import { Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const SeatId = Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 });
const Time = Type.String({ format: 'date-time' });

export const ScheduleParams = Type.Object({ scheduleId: Uuid });
export const HoldParams = Type.Object({ holdId: Uuid });
export const OrderParams = Type.Object({ id: Uuid });

/** `X-Admission-Token` is checked by the handler so a missing one is 403 ADMISSION_REQUIRED, not 400. */
export const AdmissionHeaders = Type.Object({
  'x-admission-token': Type.Optional(Type.String({ maxLength: 4096 })),
});

/** Either `{seatIds}` (1–8 seats) or `{sectionId, quantity}` (standing); the handler enforces one form. */
export const HoldBody = Type.Object(
  {
    seatIds: Type.Optional(Type.Array(SeatId, { minItems: 1, maxItems: 8 })),
    sectionId: Type.Optional(Uuid),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
  },
  { additionalProperties: false },
);

export const ExtendBody = Type.Object(
  { seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7200 })) },
  { additionalProperties: false },
);

/** Plain types (no anyOf): fast-json-stringify then writes the field directly instead of trying options. */
const NullableText = Type.Unsafe<string | null>({ type: ['string', 'null'] });

export const HoldView = Type.Object({
  holdId: Type.String(),
  scheduleId: Type.String(),
  seatIds: Type.Array(Type.Integer()),
  sectionId: NullableText,
  quantity: Type.Integer(),
  status: Type.String(),
  expiresAt: Time,
  maxExpiresAt: Time,
});

export const QuoteView = Type.Object({
  subtotal: Type.Integer(),
  options: Type.Array(Type.Object({ couponId: Type.String(), discount: Type.Integer() })),
  best: Type.Union([Type.Object({ couponId: Type.String(), discount: Type.Integer() }), Type.Null()]),
});

export const CreateOrderBody = Type.Object(
  {
    holdId: Uuid,
    couponId: Type.Optional(Type.Union([Type.Literal('BEST'), Type.String({ format: 'uuid' }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const CancelBody = Type.Object(
  {
    seatIds: Type.Optional(Type.Array(SeatId, { minItems: 1, maxItems: 100 })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const OrderView = Type.Object({
  id: Type.String(),
  status: Type.String(),
  subtotal: Type.Integer(),
  discount: Type.Integer(),
  amount: Type.Integer(),
  couponId: Type.Union([Type.String(), Type.Null()]),
  tossOrderId: Type.String(),
  holdId: Type.String(),
  scheduleId: Type.String(),
  performanceId: Type.String(),
  expiresAt: Time,
  createdAt: Time,
  paidAt: Type.Union([Time, Type.Null()]),
  lines: Type.Array(
    Type.Object({
      seatId: Type.Union([Type.Integer(), Type.Null()]),
      sectionId: Type.String(),
      grade: Type.String(),
      price: Type.Integer(),
      entryNumber: Type.Union([Type.Integer(), Type.Null()]),
      status: Type.String(),
    }),
  ),
});

export const MyOrdersQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    before: Type.Optional(Time),
  },
  { additionalProperties: false },
);
