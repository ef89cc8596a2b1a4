import { Type } from 'typebox';

export const ScheduleParams = Type.Object(
  { scheduleId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

const State = Type.Union([
  Type.Literal('PRE_QUEUE'),
  Type.Literal('WAITING'),
  Type.Literal('ADMITTED'),
  Type.Literal('EXPIRED'),
  Type.Literal('CLOSED'),
  Type.Literal('NONE'),
]);
const NullableInt = Type.Union([Type.Integer(), Type.Null()]);

export const QueueViewSchema = Type.Object({
  state: State,
  ticketNumber: NullableInt,
  position: NullableInt,
  etaSeconds: NullableInt,
  paused: Type.Boolean(),
  opensAt: Type.Optional(Type.String()),
  admissionToken: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String()),
  closedReason: Type.Optional(Type.String()),
  pollAfterSeconds: Type.Integer(),
});

export const StreamQuery = Type.Object(
  {
    access_token: Type.Optional(Type.String({ maxLength: 4096 })),
    lastEventId: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e12 })),
  },
  { additionalProperties: false },
);

export const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: 32 })),
});

export const SettingsPatchBody = Type.Object(
  {
    paused: Type.Optional(Type.Boolean()),
    admitPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    maxActive: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

export const SettingsView = Type.Object({
  paused: Type.Boolean(),
  admitPerSecond: Type.Integer(),
  maxActive: Type.Integer(),
  admissionTtlSeconds: Type.Integer(),
});

export const StatsView = Type.Object({
  waiting: Type.Integer(),
  active: Type.Integer(),
  admittedTotal: Type.Integer(),
  admitPerSecond: Type.Integer(),
  maxActive: Type.Integer(),
  paused: Type.Boolean(),
  admissionTtlSeconds: Type.Integer(),
  preQueue: Type.Integer(),
  measuredAdmitPerSecond: Type.Number(),
  closed: Type.Union([Type.String(), Type.Null()]),
});
