-- Operator tools (src/modules/ops): the audit log of seller/admin actions and the per-performance
-- sales kill switch. Both tables belong to the ops module; nobody else reads them.

-- One row per successful (2xx) write by a SELLER or ADMIN, written in small asynchronous batches
-- by the api process that served it. `action` is `METHOD /route/:pattern`; `target` the main id
-- (the route's last parameter, else the id the response created); `input` a redacted summary.
create table ops_audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null,
  actor_id uuid not null,
  actor_role text not null check (actor_role in ('SELLER', 'ADMIN')),
  action text not null,
  method text not null,
  path text not null,
  target text,
  request_id text not null,
  status_code integer not null,
  input jsonb not null default '{}'::jsonb,
  recorded_at timestamptz not null default now()
);
create index ops_audit_log_at on ops_audit_log (at desc, id desc);
create index ops_audit_log_actor on ops_audit_log (actor_id, at desc, id desc);
create index ops_audit_log_action on ops_audit_log (action, at desc, id desc);

-- The sales kill switch, per performance. Redis holds a copy for the hot paths (hash `ops:sales`),
-- stamped with `version`: a change takes the next value of the sequence under a transaction lock,
-- so versions commit in order and the copy with the highest version is the newest state.
create sequence ops_sales_switch_version;
create table ops_sales_switches (
  performance_id uuid primary key,
  enabled boolean not null,
  reason text not null,
  changed_by uuid not null,
  changed_at timestamptz not null default now(),
  version bigint not null
);
create index ops_sales_switches_disabled on ops_sales_switches (performance_id) where not enabled;
