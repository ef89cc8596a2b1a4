-- Payments: our record of every confirmation, provider call and refund, plus the Toss-compatible
-- sandbox's own state (sandbox_*), which is the "provider ledger" the invariant checks compare with.

-- ---------------------------------------------------------------------------------------------
-- Our side
-- ---------------------------------------------------------------------------------------------

-- One row per (order, paymentKey) the buyer asked us to confirm. Order ids are booking's; no foreign
-- key crosses the module boundary.
create table payments (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null,
  toss_order_id text not null,
  payment_key text not null unique,
  buyer_id uuid not null,
  seller_id uuid not null,
  performance_id uuid not null,
  schedule_id uuid not null,
  amount bigint not null check (amount >= 0),
  gross_amount bigint not null,
  discount_amount bigint not null,
  discount_funded_by text,
  method text,
  -- CONFIRMING: provider outcome being resolved; REFUND_REQUIRED: charged but the order could not
  -- take it (seat sold meanwhile...), the charge is being returned; VOIDED: charged and returned.
  status text not null check (status in ('CONFIRMING', 'WAITING_FOR_DEPOSIT', 'DONE', 'PARTIAL_CANCELED',
    'CANCELED', 'FAILED', 'EXPIRED', 'REFUND_REQUIRED', 'VOIDED')),
  -- The one Idempotency-Key of this confirmation, reused by every retry and by recovery.
  idempotency_key text not null,
  -- Whoever holds an unexpired lease is working on the row; recovery takes only expired ones.
  lease_until timestamptz,
  balance_amount bigint not null default 0,
  approved_at timestamptz,
  due_date timestamptz,
  failure_code text,
  failure_message text,
  provider_status text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- At most one live payment per order: no second charge can even be attempted while one is in
-- flight, waiting for a deposit, or done. (A REFUND_REQUIRED charge is being returned: not live.)
create unique index payments_one_live_per_order on payments (order_id)
  where status in ('CONFIRMING', 'WAITING_FOR_DEPOSIT', 'DONE', 'PARTIAL_CANCELED', 'CANCELED');
create index payments_unsettled on payments (lease_until)
  where status in ('CONFIRMING', 'WAITING_FOR_DEPOSIT', 'REFUND_REQUIRED');
create index payments_paid_by_performance on payments (performance_id)
  where status in ('DONE', 'PARTIAL_CANCELED');
create index payments_order on payments (order_id);

-- Every call to the provider (and every refused confirmation), for support and audits.
create table payment_attempts (
  id bigserial primary key,
  payment_id uuid references payments (id),
  order_id uuid not null,
  kind text not null check (kind in ('CONFIRM', 'QUERY', 'CANCEL', 'REJECTED')),
  attempt int not null,
  idempotency_key text,
  outcome text not null check (outcome in ('SUCCESS', 'FINAL', 'RETRYABLE', 'UNCLEAR', 'REJECTED')),
  http_status int,
  code text,
  message text,
  provider_status text,
  duration_ms int not null,
  created_at timestamptz not null default now()
);
create index payment_attempts_payment on payment_attempts (payment_id, id);
create index payment_attempts_order on payment_attempts (order_id, id);

create table payment_refunds (
  id uuid primary key,
  payment_id uuid not null references payments (id),
  order_id uuid not null,
  payment_key text not null,
  -- seats this refund returns; `full` = every line still unrefunded (standing entries included)
  seat_ids integer[] not null,
  full_refund boolean not null,
  initiated_by text not null check (initiated_by in ('BUYER', 'SELLER', 'ADMIN', 'SYSTEM')),
  reason text not null,
  face_value bigint not null,
  discount bigint not null,
  fee bigint not null,
  amount bigint not null check (amount >= 0),
  status text not null check (status in ('REQUESTED', 'DONE', 'FAILED')),
  idempotency_key text not null,
  lease_until timestamptz,
  transaction_key text,
  failure_code text,
  failure_message text,
  requested_at timestamptz not null default now(),
  refunded_at timestamptz
);
-- One refund of a payment at a time: refunds of one order are serialised.
create unique index payment_refunds_one_open on payment_refunds (payment_id) where status = 'REQUESTED';
create index payment_refunds_order on payment_refunds (order_id);
create index payment_refunds_open on payment_refunds (lease_until) where status = 'REQUESTED';

-- Performance cancelled: every paid order refunded in full, resumably.
create table payment_bulk_refunds (
  performance_id uuid primary key,
  event_id uuid not null,
  reason text not null,
  status text not null check (status in ('RUNNING', 'DONE')),
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create table payment_bulk_refund_items (
  performance_id uuid not null references payment_bulk_refunds (performance_id),
  order_id uuid not null,
  status text not null check (status in ('PENDING', 'DONE', 'SKIPPED')),
  attempts int not null default 0,
  last_error text,
  next_attempt_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (performance_id, order_id)
);
create index payment_bulk_refund_items_due on payment_bulk_refund_items (next_attempt_at)
  where status = 'PENDING';

-- ---------------------------------------------------------------------------------------------
-- The Toss-compatible sandbox (stands in for the provider; never read by our payment code)
-- ---------------------------------------------------------------------------------------------

create table sandbox_payments (
  payment_key text primary key,
  order_id text not null,
  order_name text not null,
  method text not null,
  status text not null,
  total_amount bigint not null,
  balance_amount bigint not null,
  tax_free_amount bigint not null default 0,
  -- TossPayments-Test-Code given at checkout: the later confirm fails with it
  test_code text,
  test_code_remaining int,
  valid_hours int,
  merchant text,
  requested_at timestamptz not null default now(),
  session_expires_at timestamptz not null,
  confirmed_at timestamptz,
  approved_at timestamptz,
  due_date timestamptz,
  virtual_account jsonb,
  failure jsonb,
  last_transaction_key text,
  last_cancel_at timestamptz,
  updated_at timestamptz not null default now()
);
-- Like Toss: an orderId is confirmed at most once.
create unique index sandbox_payments_one_confirmed_per_order on sandbox_payments (order_id)
  where confirmed_at is not null;
create index sandbox_payments_order on sandbox_payments (order_id, requested_at desc);

create table sandbox_cancels (
  transaction_key text primary key,
  payment_key text not null references sandbox_payments (payment_key),
  cancel_amount bigint not null,
  tax_free_amount bigint not null default 0,
  cancel_reason text not null,
  canceled_at timestamptz not null default now()
);
create index sandbox_cancels_payment on sandbox_cancels (payment_key, canceled_at);

create table sandbox_idempotency (
  merchant text not null,
  idem_key text not null,
  request_hash text not null,
  state text not null check (state in ('IN_PROGRESS', 'DONE')),
  status_code int,
  response jsonb,
  created_at timestamptz not null default now(),
  primary key (merchant, idem_key)
);

-- Fault and behaviour settings per merchant (secret key), so tests with their own key never
-- disturb anyone else's.
create table sandbox_settings (
  merchant text primary key,
  settings jsonb not null,
  updated_at timestamptz not null default now()
);

create table sandbox_webhook_deliveries (
  id bigserial primary key,
  merchant text,
  url text,
  event_type text not null,
  payment_key text not null,
  body jsonb not null,
  status text not null check (status in ('PENDING', 'DELIVERED', 'FAILED')),
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status int,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz
);
create index sandbox_webhook_deliveries_due on sandbox_webhook_deliveries (next_attempt_at)
  where status = 'PENDING';
