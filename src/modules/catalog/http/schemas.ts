import { Type } from 'typebox';

export const Uuid = Type.String({ format: 'uuid' });
/** Text PostgreSQL can store: no NUL characters (they would fail in the database, not here). */
const Text = (minLength: number, maxLength: number) =>
  Type.String({ minLength, maxLength, pattern: '^[^\\u0000]*$' });
const Time = Type.String({ format: 'date-time' });
const GradeName = Text(1, 20);
const Price = Type.Integer({ minimum: 1, maximum: 100_000_000 });
const SeatsDimension = Type.Integer({ minimum: 1, maximum: 99_999 });

export const VenueParams = Type.Object({ venueId: Uuid });
export const PerformanceParams = Type.Object({ performanceId: Uuid });
export const ScheduleParams = Type.Object({ scheduleId: Uuid });

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const PerformanceListQuery = Type.Object({
  q: Type.Optional(Text(0, 100)),
  sellerId: Type.Optional(Uuid),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const SectionBody = Type.Object(
  {
    name: Text(1, 100),
    kind: Type.Optional(Type.Union([Type.Literal('SEATED'), Type.Literal('STANDING')])),
    rows: Type.Optional(SeatsDimension),
    seatsPerRow: Type.Optional(SeatsDimension),
    capacity: Type.Optional(SeatsDimension),
  },
  { additionalProperties: false },
);

export const VenueBody = Type.Object(
  {
    name: Text(1, 200),
    address: Type.Optional(Text(0, 500)),
    sections: Type.Array(SectionBody, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false },
);

export const VenueCreated = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Type.String(),
  seatCount: Type.Integer(),
  createdAt: Type.String(),
});

const QueueBody = Type.Object(
  {
    admitPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    maxActive: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    admissionTtlSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

const CancellationPolicyBody = Type.Object(
  {
    deadlineHoursBeforeStart: Type.Optional(Type.Integer({ minimum: 0, maximum: 8760 })),
    fees: Type.Optional(
      Type.Array(
        Type.Object(
          {
            daysBeforeStart: Type.Integer({ minimum: 0, maximum: 3650 }),
            percent: Type.Integer({ minimum: 0, maximum: 100 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 30 },
      ),
    ),
  },
  { additionalProperties: false },
);

const GradesBody = Type.Array(
  Type.Object({ grade: GradeName, price: Price }, { additionalProperties: false }),
  {
    minItems: 1,
    maxItems: 30,
  },
);

export const PerformanceBody = Type.Object(
  {
    venueId: Uuid,
    title: Text(1, 200),
    description: Type.Optional(Text(0, 10_000)),
    grades: GradesBody,
    sectionGrades: Type.Record(Text(1, 100), GradeName),
    schedules: Type.Array(
      Type.Object({ startsAt: Time, endsAt: Type.Optional(Time) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 100 },
    ),
    salesOpenAt: Time,
    salesCloseAt: Time,
    maxTicketsPerBuyer: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    queue: Type.Optional(QueueBody),
    cancellationPolicy: Type.Optional(CancellationPolicyBody),
  },
  { additionalProperties: false },
);

export const PerformanceEditBody = Type.Object(
  {
    title: Type.Optional(Text(1, 200)),
    description: Type.Optional(Text(0, 10_000)),
    grades: Type.Optional(GradesBody),
    salesOpenAt: Type.Optional(Time),
    salesCloseAt: Type.Optional(Time),
    maxTicketsPerBuyer: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    queue: Type.Optional(QueueBody),
    cancellationPolicy: Type.Optional(CancellationPolicyBody),
  },
  { additionalProperties: false },
);

export const PerformanceCreated = Type.Object({
  id: Type.String(),
  title: Type.String(),
  schedules: Type.Array(Type.Object({ id: Type.String(), startsAt: Type.String(), endsAt: Type.String() })),
});

export const CancelBody = Type.Object({ reason: Text(1, 500) }, { additionalProperties: false });

export const CancelView = Type.Object({
  id: Type.String(),
  status: Type.String(),
  cancelledAt: Type.String(),
  reason: Type.String(),
});
