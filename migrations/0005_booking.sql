-- Booking: holds, orders, order lines and tickets. Redis is the arbiter of who holds a seat now
-- (docs/decisions/0006-holds.md); these tables are the record, and their unique indexes are the last
-- defence against a double sale even when Redis lost data or granted two holds.

-- One row per hold, written in group-commit batches right after the Redis Lua granted it (the 201
-- is sent only once the row is committed). `fence` is the schedule's monotonic fencing version.
create table holds (
  id uuid primary key,
  schedule_id uuid not null,
  performance_id uuid not null,
  seller_id uuid not null,
  user_id uuid not null,
  kind text not null check (kind in ('SEATS', 'STANDING')),
  seat_ids bigint[] not null default '{}',
  section_id uuid,
  quantity integer not null check (quantity between 1 and 8),
  fence bigint not null,
  status text not null default 'ACTIVE'
    check (status in ('ACTIVE', 'ORDERED', 'RELEASED', 'EXPIRED', 'CONSUMED')),
  expires_at timestamptz not null,
  -- the extend cap: expires_at never passes this (HOLD_TTL_SECONDS + HOLD_MAX_EXTEND_SECONDS)
  max_expires_at timestamptz not null,
  -- when the admission token used for the hold stops being valid on its own
  admission_expires_at timestamptz,
  created_at timestamptz not null default now(),
  ended_at timestamptz,
  check ((kind = 'SEATS') = (section_id is null)),
  check (kind = 'STANDING' or cardinality(seat_ids) = quantity)
);
create index holds_active_expiry on holds (expires_at) where status = 'ACTIVE';
create index holds_schedule_live on holds (schedule_id) where status in ('ACTIVE', 'ORDERED');
create index holds_user_live on holds (user_id, schedule_id) where status in ('ACTIVE', 'ORDERED');

create table orders (
  id uuid primary key,
  toss_order_id text not null unique check (toss_order_id ~ '^[A-Za-z0-9_-]{6,64}$'),
  -- one order per hold, ever
  hold_id uuid not null unique references holds (id),
  user_id uuid not null,
  schedule_id uuid not null,
  performance_id uuid not null,
  seller_id uuid not null,
  starts_at timestamptz not null,
  status text not null default 'PENDING_PAYMENT' check (status in (
    'PENDING_PAYMENT', 'PAYMENT_PENDING', 'PAID', 'EXPIRED', 'CANCELLED', 'REFUNDED', 'PARTIALLY_REFUNDED'
  )),
  subtotal bigint not null check (subtotal >= 0),
  discount bigint not null default 0 check (discount >= 0 and discount <= subtotal),
  amount bigint not null check (amount = subtotal - discount),
  coupon_id uuid,
  discount_funded_by text check (discount_funded_by in ('SELLER', 'PLATFORM')),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  paid_at timestamptz,
  ended_at timestamptz,
  end_reason text,
  -- Redis follows PAID / refunds after the commit: the sync job applies changes while
  -- change_seq > synced_seq (a transaction cannot know when its caller commits).
  change_seq integer not null default 0,
  synced_seq integer not null default 0
);
create index orders_user on orders (user_id, created_at desc);
create index orders_pending_expiry on orders (expires_at) where status = 'PENDING_PAYMENT';
create index orders_seat_sync on orders (schedule_id) where change_seq > synced_seq;
create index orders_schedule_unpaid on orders (schedule_id, expires_at)
  where status in ('PENDING_PAYMENT', 'PAYMENT_PENDING');
create index orders_perf_user on orders (performance_id, user_id);

-- One line per ticket to be: a seat, or one entry of a standing section.
create table order_lines (
  id bigint generated always as identity primary key,
  order_id uuid not null references orders (id),
  schedule_id uuid not null,
  seat_id bigint,
  section_id uuid not null,
  grade text not null,
  price bigint not null check (price >= 0),
  -- true while the order is pending or the ticket valid: a second live claim of a seat is refused
  active boolean not null default true,
  ticket_id uuid
);
create index order_lines_order on order_lines (order_id);
create unique index order_lines_live_seat on order_lines (schedule_id, seat_id)
  where active and seat_id is not null;

create table tickets (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references orders (id),
  line_id bigint not null unique references order_lines (id),
  schedule_id uuid not null,
  performance_id uuid not null,
  user_id uuid not null,
  seat_id bigint,
  section_id uuid not null,
  entry_number integer check (entry_number >= 1),
  price bigint not null,
  status text not null default 'VALID' check (status in ('VALID', 'REFUNDED')),
  issued_at timestamptz not null,
  refunded_at timestamptz,
  check ((seat_id is null) <> (entry_number is null))
);
-- The last defence: a seat of a schedule is sold at most once (until refunded).
create unique index tickets_seat_sold on tickets (schedule_id, seat_id)
  where status = 'VALID' and seat_id is not null;
-- Standing entries are numbered per schedule and section, each number sold at most once.
create unique index tickets_entry_sold on tickets (schedule_id, section_id, entry_number)
  where status = 'VALID' and entry_number is not null;
create index tickets_perf_user on tickets (performance_id, user_id) where status = 'VALID';
create index tickets_schedule on tickets (schedule_id) where status = 'VALID';
create index tickets_order on tickets (order_id);
