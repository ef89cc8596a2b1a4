import { Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const Time = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const AuditQuery = Type.Object(
  {
    actorId: Type.Optional(Uuid),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    from: Type.Optional(Time),
    to: Type.Optional(Time),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

export const AuditPage = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      at: Time,
      actorId: Type.String(),
      actorRole: Type.String(),
      action: Type.String(),
      method: Type.String(),
      path: Type.String(),
      target: Nullable(Type.String()),
      requestId: Type.String(),
      statusCode: Type.Integer(),
      input: Type.Unknown(),
      recordedAt: Time,
    }),
  ),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  hasMore: Type.Boolean(),
});

export const LookupParams = Type.Object({ anyId: Type.String({ minLength: 1, maxLength: 200 }) });

export const LookupView = Type.Object({
  id: Type.String(),
  matches: Type.Array(
    Type.Object({
      type: Type.String(),
      id: Type.String(),
      matchedBy: Type.String(),
      summary: Type.Record(Type.String(), Type.Unknown()),
      links: Type.Record(Type.String(), Type.String()),
    }),
  ),
  unavailable: Type.Array(Type.String()),
});

export const HoldParams = Type.Object({ holdId: Uuid });

export const ReasonBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);

export const ForcedReleaseView = Type.Object({
  holdId: Type.String(),
  scheduleId: Type.String(),
  userId: Type.String(),
  seatIds: Type.Array(Type.Integer()),
  sectionId: Nullable(Type.String()),
  quantity: Type.Integer(),
  outcome: Type.Union([
    Type.Literal('RELEASED'),
    Type.Literal('ORDER_CANCELLED'),
    Type.Literal('ALREADY_ENDED'),
  ]),
  status: Type.String(),
  orderId: Nullable(Type.String()),
});

export const PerformanceParams = Type.Object({ id: Uuid });

export const SalesBody = Type.Object(
  { enabled: Type.Boolean(), reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);

export const SalesView = Type.Object({
  performanceId: Type.String(),
  enabled: Type.Boolean(),
  reason: Nullable(Type.String()),
  changedBy: Nullable(Type.String()),
  changedAt: Nullable(Time),
  propagated: Type.Optional(Type.Boolean()),
});
