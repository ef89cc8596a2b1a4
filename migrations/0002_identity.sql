create extension if not exists citext;

create table users (
  id uuid primary key default gen_random_uuid(),
  email citext not null unique,
  name text not null,
  role text not null check (role in ('BUYER', 'SELLER', 'ADMIN')),
  password_hash text not null,
  created_at timestamptz not null default now()
);

-- Refresh tokens rotate: each use marks the token used and issues the next of the same family.
-- A second use of a used token means it leaked: the whole family is revoked.
create table refresh_tokens (
  id uuid primary key,
  family_id uuid not null,
  user_id uuid not null references users (id) on delete cascade,
  token_hash text not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);
create index refresh_tokens_family on refresh_tokens (family_id);
