import { Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const Won = Type.Integer();
const Instant = Type.String({ format: 'date-time' });

export const RunBody = Type.Object(
  { periodStart: Instant, periodEnd: Instant },
  { additionalProperties: false },
);

export const RunView = Type.Object({
  runId: Type.String(),
  periodStart: Type.String(),
  periodEnd: Type.String(),
  settlements: Type.Array(Type.Object({ id: Type.String(), sellerId: Type.String() })),
  created: Type.Array(Type.String()),
});

export const IdParams = Type.Object({ id: Uuid });
export const SellerParams = Type.Object({ sellerId: Uuid });

export const Status = Type.Union([
  Type.Literal('CALCULATED'),
  Type.Literal('CONFIRMED'),
  Type.Literal('PAID_OUT'),
]);

export const ListQuery = Type.Object(
  {
    sellerId: Type.Optional(Uuid),
    status: Type.Optional(Status),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
);

const Figures = {
  grossAmount: Won,
  refundAmount: Won,
  discountAmount: Won,
  pgFeeAmount: Won,
  platformFeeAmount: Won,
  vatAmount: Won,
  cancellationFeeAmount: Won,
  payoutAmount: Won,
};

/** The same settlement in the Toss settlements API's terms (fee includes VAT). */
const TossView = Type.Object({
  amount: Won,
  fee: Won,
  supplyAmount: Won,
  vat: Won,
  payOutAmount: Won,
  paidOutDate: Type.String(),
});

export const SettlementView = Type.Object({
  id: Type.String(),
  sellerId: Type.String(),
  periodStart: Type.String(),
  periodEnd: Type.String(),
  ...Figures,
  status: Status,
  payoutDate: Type.String(),
  runId: Type.String(),
  lineCount: Type.Integer(),
  createdAt: Type.String(),
  confirmedAt: Type.Union([Type.String(), Type.Null()]),
  paidOutAt: Type.Union([Type.String(), Type.Null()]),
  toss: TossView,
});

export const LineView = Type.Object({
  orderId: Type.Union([Type.String(), Type.Null()]),
  type: Type.Union([Type.Literal('SALE'), Type.Literal('REFUND'), Type.Literal('CARRY_FORWARD')]),
  recordedAt: Type.String(),
  ...Figures,
  occurredAt: Type.String(),
  performanceId: Type.Union([Type.String(), Type.Null()]),
  paymentKey: Type.Union([Type.String(), Type.Null()]),
  refundId: Type.Union([Type.String(), Type.Null()]),
  platformDiscountAmount: Won,
});

export const FeeRuleBody = Type.Object(
  {
    // null first: with type coercion on, a null tried against the integer branch would become 0
    pgFeeRateBps: Type.Union([Type.Null(), Type.Integer({ minimum: 0, maximum: 10_000 })]),
    platformFeeRateBps: Type.Union([Type.Null(), Type.Integer({ minimum: 0, maximum: 10_000 })]),
  },
  { additionalProperties: false },
);

export const FeeRuleView = Type.Object({
  sellerId: Type.String(),
  pgFeeRateBps: Type.Union([Type.Integer(), Type.Null()]),
  platformFeeRateBps: Type.Union([Type.Integer(), Type.Null()]),
  effective: Type.Object({
    pgFeeRateBps: Type.Integer(),
    platformFeeRateBps: Type.Integer(),
    vatRateBps: Type.Integer(),
  }),
});

export const ReconciliationQuery = Type.Object(
  { periodStart: Instant, periodEnd: Instant },
  { additionalProperties: false },
);

const Side = Type.Object({
  captured: Won,
  refunded: Won,
  net: Won,
  captures: Type.Integer(),
  refunds: Type.Integer(),
});

const SourceState = Type.Object({ status: Type.String(), detail: Type.Optional(Type.String()) });

export const ReconciliationView = Type.Object({
  periodStart: Type.String(),
  periodEnd: Type.String(),
  ledger: Type.Object({
    ...Side.properties,
    pgFeeAmount: Won,
    platformFeeAmount: Won,
    vatAmount: Won,
    discountAmount: Won,
    platformDiscountAmount: Won,
    payoutAmount: Won,
    unsettledLines: Type.Integer(),
    parkedRefunds: Type.Integer(),
    rejectedEvents: Type.Integer(),
  }),
  payments: Type.Union([Side, Type.Null()]),
  provider: Type.Union([Side, Type.Null()]),
  sources: Type.Object({ payments: SourceState, provider: SourceState }),
  differences: Type.Array(
    Type.Object({
      kind: Type.String(),
      ref: Type.String(),
      orderId: Type.String(),
      ledger: Type.Union([Won, Type.Null()]),
      payments: Type.Union([Won, Type.Null()]),
      provider: Type.Union([Won, Type.Null()]),
      issues: Type.Array(Type.String()),
    }),
  ),
  differencesTruncated: Type.Boolean(),
  balanced: Type.Boolean(),
});
