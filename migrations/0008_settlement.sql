-- Settlement: an append-only ledger of money movements fed by payment events, settled per period.
-- Money is bigint won. docs/decisions/0009-settlement-money.md explains every figure.

-- Per-seller fee overrides; a null rate falls back to the configured default.
create table seller_fee_rules (
  seller_id uuid primary key,
  pg_fee_rate_bps int check (pg_fee_rate_bps between 0 and 10000),
  platform_fee_rate_bps int check (platform_fee_rate_bps between 0 and 10000),
  updated_at timestamptz not null default now()
);

-- Every payment event the ledger received, whatever became of it: the ledger's own dedupe (on top of
-- the platform inbox) and the "caught up" side of the run watermark. A refund whose sale has not
-- arrived yet waits here as PARKED and becomes a line when the sale comes.
create table settlement_events (
  event_id uuid primary key,
  type text not null,
  order_id text,
  status text not null check (status in ('APPLIED', 'PARKED', 'IGNORED', 'REJECTED')),
  reason text,
  occurred_at timestamptz,
  payload jsonb not null,
  received_at timestamptz not null default now()
);
create index settlement_events_parked on settlement_events (order_id, occurred_at) where status = 'PARKED';

-- One row per settled period [period_start, period_end). A closed period never takes another line:
-- a line arriving late is recorded at the first instant no run covers (see recordedAtFor).
create table settlement_runs (
  id uuid primary key default gen_random_uuid(),
  period_start timestamptz not null,
  period_end timestamptz not null,
  trigger text not null check (trigger in ('API', 'SCHEDULE')),
  created_at timestamptz not null default now(),
  unique (period_start, period_end),
  check (period_start < period_end)
);

create table settlements (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null references settlement_runs (id),
  seller_id uuid not null,
  period_start timestamptz not null,
  period_end timestamptz not null,
  gross_amount bigint not null,
  refund_amount bigint not null,
  discount_amount bigint not null,
  pg_fee_amount bigint not null,
  platform_fee_amount bigint not null,
  vat_amount bigint not null,
  cancellation_fee_amount bigint not null,
  payout_amount bigint not null,
  line_count int not null,
  status text not null default 'CALCULATED' check (status in ('CALCULATED', 'CONFIRMED', 'PAID_OUT')),
  payout_date date not null,
  created_at timestamptz not null default now(),
  confirmed_at timestamptz,
  paid_out_at timestamptz,
  unique (run_id, seller_id),
  constraint settlements_payout_formula check (payout_amount = gross_amount - refund_amount - discount_amount
    - pg_fee_amount - platform_fee_amount - vat_amount + cancellation_fee_amount)
);
create index settlements_seller on settlements (seller_id, period_start desc, id);
create index settlements_period on settlements (period_start desc, id);

create table settlement_ledger_lines (
  id bigserial primary key,
  type text not null check (type in ('SALE', 'REFUND', 'CARRY_FORWARD')),
  -- What the line stands for, unique: sale:<orderId>, refund:<refundId>, cf-out:/cf-in:<settlementId>.
  source_ref text not null unique,
  source_event_id uuid unique,
  order_id uuid,
  seller_id uuid not null,
  performance_id uuid,
  payment_key text,
  refund_id text,
  -- When the money moved (approvedAt / refundedAt); recorded_at decides the period (never inside a
  -- settled period); ingested_at is when this row was written.
  occurred_at timestamptz not null,
  recorded_at timestamptz not null,
  ingested_at timestamptz not null default now(),
  gross_amount bigint not null,
  refund_amount bigint not null,
  discount_amount bigint not null,
  platform_discount_amount bigint not null,
  charged_amount bigint not null,
  pg_fee_amount bigint not null,
  platform_fee_amount bigint not null,
  pg_vat_amount bigint not null,
  platform_vat_amount bigint not null,
  vat_amount bigint not null,
  cancellation_fee_amount bigint not null,
  payout_amount bigint not null,
  pg_fee_rate_bps int,
  platform_fee_rate_bps int,
  vat_rate_bps int,
  -- REFUND: nothing of the order remains after it (later refunds of the order reverse no more fees).
  completes_order boolean not null default false,
  settlement_id uuid references settlements (id),
  constraint settlement_lines_vat check (vat_amount = pg_vat_amount + platform_vat_amount),
  constraint settlement_lines_payout_formula check (payout_amount = gross_amount - refund_amount - discount_amount
    - pg_fee_amount - platform_fee_amount - vat_amount + cancellation_fee_amount),
  constraint settlement_lines_order check ((type = 'CARRY_FORWARD') = (order_id is null))
);
create index settlement_lines_unsettled on settlement_ledger_lines (recorded_at) where settlement_id is null;
create index settlement_lines_settlement on settlement_ledger_lines (settlement_id, recorded_at, id);
create index settlement_lines_recorded on settlement_ledger_lines (recorded_at);
create index settlement_lines_occurred on settlement_ledger_lines (occurred_at);
create index settlement_lines_order on settlement_ledger_lines (order_id, type);

-- Lines are immutable: the only change ever allowed is an unsettled line joining a settlement, once.
create function settlement_lines_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'settlement ledger lines are immutable' using errcode = 'check_violation';
  end if;
  if old.settlement_id is not null or new.settlement_id is null
     or (to_jsonb(new) - 'settlement_id') <> (to_jsonb(old) - 'settlement_id') then
    raise exception 'settlement ledger lines are immutable (only an unsettled line may join a settlement, once)'
      using errcode = 'check_violation';
  end if;
  return new;
end $$;
create trigger settlement_lines_immutable before update or delete on settlement_ledger_lines
  for each row execute function settlement_lines_guard();

-- A settlement's figures never change after its run; only the status moves forward.
create function settlements_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'settlements are never deleted' using errcode = 'check_violation';
  end if;
  if (to_jsonb(new) - array['status', 'confirmed_at', 'paid_out_at'])
     <> (to_jsonb(old) - array['status', 'confirmed_at', 'paid_out_at']) then
    raise exception 'settlement figures are immutable' using errcode = 'check_violation';
  end if;
  return new;
end $$;
create trigger settlements_immutable before update or delete on settlements
  for each row execute function settlements_guard();
