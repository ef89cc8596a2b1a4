-- Waiting room. Redis holds the live queue (sorted sets per schedule); these tables are its durable
-- journal, written asynchronously in batches (docs/decisions/0005-queue-durability.md), from which
-- the Redis keys are rebuilt after Redis loses data.

-- One row per place in a queue: a join creates it, admission / expiry / leave / payment end it.
-- A user who leaves and joins again gets a new row (a new ticket number); the newest row is the place.
create table queue_entries (
  schedule_id uuid not null,
  ticket_number bigint not null check (ticket_number > 0),
  user_id uuid not null,
  -- joined before salesOpenAt: the order comes from the draw (queue_draws), not the ticket number
  pre_queue boolean not null default false,
  status text not null default 'WAITING'
    check (status in ('WAITING', 'ADMITTED', 'EXPIRED', 'LEFT', 'PAID', 'CLOSED')),
  -- null only while the journal has seen the admission of a place before its join (batches race)
  joined_at timestamptz,
  admitted_at timestamptz,
  -- the admission slot's expiry (admissionTtlSeconds, extended while a hold or order lives)
  expires_at timestamptz,
  ended_at timestamptz,
  primary key (schedule_id, ticket_number)
);
create index queue_entries_user on queue_entries (schedule_id, user_id, ticket_number desc);
create index queue_entries_live on queue_entries (schedule_id) where status in ('WAITING', 'ADMITTED');

-- Per-schedule queue state that must survive Redis: settings changed by PATCH, closure, liveness.
create table queue_schedules (
  schedule_id uuid primary key,
  paused boolean not null default false,
  -- null: the performance's setting from catalog applies
  admit_per_second integer check (admit_per_second > 0),
  max_active integer check (max_active > 0),
  closed_reason text check (closed_reason in ('SOLD_OUT', 'SALES_CLOSED', 'CANCELLED')),
  closed_at timestamptz,
  -- the admitter role looks here (besides Redis) for queues to run, so a Redis wipe loses none
  live boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index queue_schedules_live on queue_schedules (schedule_id) where live;

-- The pre-queue draw at opening, for audit and replay: shuffling `participant_tickets` (ascending)
-- with `algorithm` seeded by `seed` gives `result_tickets` (front of the queue first).
create table queue_draws (
  schedule_id uuid primary key,
  seed text not null,
  algorithm text not null,
  participant_tickets bigint[] not null,
  participant_users uuid[] not null,
  result_tickets bigint[] not null,
  drawn_at timestamptz not null default now(),
  check (cardinality(participant_tickets) = cardinality(participant_users)),
  check (cardinality(participant_tickets) = cardinality(result_tickets))
);
