import { Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const Instant = Type.String({ format: 'date-time' });
const Won = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

export const CampaignIdParams = Type.Object({ id: Uuid });

export const CampaignBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** One of the registered kinds (checked against the registry: 400 naming body.kind). */
    kind: Type.String({ minLength: 1, maxLength: 40 }),
    value: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    maxDiscount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
    minSpend: Type.Optional(Won),
    performanceId: Type.Optional(Uuid),
    /** Only tickets of these grades count (absent: every grade). */
    grades: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { minItems: 1, maxItems: 20 }),
    ),
    /** Kind-specific settings, e.g. `{ minTickets: 4 }` for BUY_N_PERCENTAGE. */
    params: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.Unknown(), { maxProperties: 20 })),
    totalQuantity: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
    perUserLimit: Type.Integer({ minimum: 1, maximum: 100 }),
    issueStartsAt: Instant,
    issueEndsAt: Instant,
    validUntil: Instant,
  },
  { additionalProperties: false },
);

export const CampaignView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  value: Type.Integer(),
  maxDiscount: Type.Union([Type.Integer(), Type.Null()]),
  minSpend: Type.Integer(),
  performanceId: Type.Union([Type.String(), Type.Null()]),
  grades: Type.Union([Type.Array(Type.String()), Type.Null()]),
  params: Type.Record(Type.String(), Type.Unknown()),
  sellerId: Type.Union([Type.String(), Type.Null()]),
  fundedBy: Type.Union([Type.Literal('SELLER'), Type.Literal('PLATFORM')]),
  totalQuantity: Type.Integer(),
  perUserLimit: Type.Integer(),
  issueStartsAt: Type.String(),
  issueEndsAt: Type.String(),
  validUntil: Type.String(),
  createdAt: Type.String(),
  stoppedAt: Type.Union([Type.String(), Type.Null()]),
  stopReason: Type.Union([Type.String(), Type.Null()]),
  issuedCount: Type.Integer(),
  remaining: Type.Integer(),
  issuing: Type.Boolean(),
});

export const CampaignListQuery = Type.Object(
  {
    performanceId: Type.Optional(Uuid),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
  },
  { additionalProperties: false },
);

export const CampaignList = Type.Object({ items: Type.Array(CampaignView) });

export const IssueHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{1,300}$' })),
});

export const IssueView = Type.Object({
  status: Type.Literal('ISSUED'),
  couponId: Type.String(),
});

export const MyCouponView = Type.Object({
  id: Type.String(),
  campaignId: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  value: Type.Integer(),
  maxDiscount: Type.Union([Type.Integer(), Type.Null()]),
  minSpend: Type.Integer(),
  performanceId: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([
    Type.Literal('AVAILABLE'),
    Type.Literal('RESERVED'),
    Type.Literal('USED'),
    Type.Literal('EXPIRED'),
  ]),
  validUntil: Type.String(),
  orderId: Type.Union([Type.String(), Type.Null()]),
});

export const MyCouponsView = Type.Array(MyCouponView);

export const KindsView = Type.Array(Type.Object({ name: Type.String(), description: Type.String() }));
