-- Platform tables: transactional outbox, consumer inbox (dedupe), idempotency keys.
create extension if not exists pgcrypto;

create table outbox (
  id bigserial primary key,
  event_id uuid not null unique,
  topic text not null,
  key text not null,
  -- Work is split in shards by key so one relay owns a key at a time and order per key holds.
  shard smallint not null,
  type text not null,
  payload jsonb not null,
  headers jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  published_at timestamptz
);
create index outbox_unpublished on outbox (shard, id) where published_at is null;

create table inbox (
  consumer text not null,
  event_id uuid not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);

create table idempotency_keys (
  scope text not null,
  idem_key text not null,
  request_hash text not null,
  state text not null check (state in ('IN_PROGRESS', 'DONE')),
  status_code int,
  response_body jsonb,
  created_at timestamptz not null default now(),
  primary key (scope, idem_key)
);
create index idempotency_keys_created on idempotency_keys (created_at);
