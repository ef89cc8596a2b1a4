-- Catalog: venues with reusable seat maps, performances, grades and prices, schedules.
-- See docs/decisions/0004-seat-inventory.md: seats are stored once per venue (not per schedule);
-- a schedule's seat status is the static map overlaid with what booking reports as HELD / SOLD.
create extension if not exists pg_trgm;
create extension if not exists btree_gist;

create table venues (
  id uuid primary key default gen_random_uuid(),
  seller_id uuid not null references users (id),
  name text not null,
  address text not null default '',
  seat_count integer not null check (seat_count > 0),
  created_at timestamptz not null default now(),
  -- Soft delete: old performances (and the tickets sold for them) still resolve their seats.
  deleted_at timestamptz
);
create index venues_seller on venues (seller_id, created_at desc) where deleted_at is null;

create table venue_sections (
  id uuid primary key default gen_random_uuid(),
  venue_id uuid not null references venues (id),
  position integer not null,
  name text not null,
  kind text not null check (kind in ('SEATED', 'STANDING')),
  rows integer,
  seats_per_row integer,
  capacity integer not null check (capacity between 1 and 99999),
  unique (venue_id, name),
  unique (venue_id, position),
  check (
    (kind = 'SEATED' and rows >= 1 and seats_per_row >= 1 and rows * seats_per_row = capacity)
    or (kind = 'STANDING' and rows is null and seats_per_row is null)
  )
);

-- One row per physical seat. The identity id is unique across venues: a seat id alone names one
-- seat of one venue, which is what holds and tickets store.
create table venue_seats (
  id bigint generated always as identity primary key,
  venue_id uuid not null references venues (id),
  section_id uuid not null references venue_sections (id),
  row_no integer not null check (row_no >= 1),
  number integer not null check (number >= 1),
  unique (section_id, row_no, number)
);
create index venue_seats_venue on venue_seats (venue_id, id);

create table performances (
  id uuid primary key default gen_random_uuid(),
  seller_id uuid not null references users (id),
  venue_id uuid not null references venues (id),
  title text not null check (length(title) between 1 and 200),
  description text not null default '',
  status text not null default 'ON_SALE' check (status in ('ON_SALE', 'CANCELLED', 'DELETED')),
  sales_open_at timestamptz not null,
  sales_close_at timestamptz not null,
  max_tickets_per_buyer integer not null default 4 check (max_tickets_per_buyer between 1 and 100),
  queue_admit_per_second integer not null default 50 check (queue_admit_per_second > 0),
  queue_max_active integer not null default 500 check (queue_max_active > 0),
  queue_admission_ttl_seconds integer not null default 300 check (queue_admission_ttl_seconds > 0),
  cancellation_deadline_hours integer not null default 0 check (cancellation_deadline_hours >= 0),
  -- [{daysBeforeStart, percent}], validated by the application
  cancellation_fees jsonb not null default '[]'::jsonb,
  -- Bumped by every change of what a buyer sees; caches of the seat map are keyed by it.
  version integer not null default 1,
  cancel_reason text,
  cancelled_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (sales_close_at > sales_open_at)
);
create index performances_title_trgm on performances using gin (title gin_trgm_ops);
create index performances_listing on performances (created_at desc, id desc) where status <> 'DELETED';
create index performances_seller on performances (seller_id, created_at desc);
create index performances_venue on performances (venue_id);

create table performance_grades (
  performance_id uuid not null references performances (id),
  grade text not null,
  price integer not null check (price > 0),
  position integer not null,
  primary key (performance_id, grade)
);

create table performance_section_grades (
  performance_id uuid not null references performances (id),
  section_id uuid not null references venue_sections (id),
  grade text not null,
  primary key (performance_id, section_id),
  foreign key (performance_id, grade) references performance_grades (performance_id, grade)
);

create table schedules (
  id uuid primary key default gen_random_uuid(),
  performance_id uuid not null references performances (id),
  venue_id uuid not null references venues (id),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  -- false once the performance is cancelled or deleted: the venue is free again for that time.
  holds_venue boolean not null default true,
  check (ends_at > starts_at),
  -- Two live schedules never overlap in one venue, even when two sellers race.
  constraint schedules_no_overlap
    exclude using gist (venue_id with =, tstzrange(starts_at, ends_at) with &&) where (holds_venue)
);
create index schedules_performance on schedules (performance_id, starts_at);
