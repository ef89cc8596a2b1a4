/**
 * The checks of bench/invariants.ts: read PostgreSQL (orders, tickets, coupons, payments, ledger), Redis
 * (seat state, coupon grants, queue counters), Kafka (every committed event) and the sandbox's ledger
 * (the provider's view of charges and cancels). Read-only. A `violation` fails the bench; a `warning` is
 * a drift worth reading (e.g. a cache behind PostgreSQL); `info` is a figure.
 */

import type pg from 'pg';
import type { KafkaSnapshot } from './kafka-read.ts';
import type { AnyRedis as Redis } from './redis-client.ts';

export type Severity = 'violation' | 'warning' | 'info';
export interface Check {
  area: string;
  name: string;
  value: number | string;
  ok: boolean;
  severity: Severity;
  detail?: string;
}

type Q = <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<T[]>;
const n = (v: unknown) => Number(v ?? 0);

export class Checks {
  readonly list: Check[] = [];
  /** A count that must be zero. */
  zero(area: string, name: string, value: number, detail?: string): void {
    this.list.push({
      area,
      name,
      value,
      ok: value === 0,
      severity: 'violation',
      ...(detail ? { detail } : {}),
    });
  }
  must(area: string, name: string, value: number | string, ok: boolean, detail?: string): void {
    this.list.push({ area, name, value, ok, severity: 'violation', ...(detail ? { detail } : {}) });
  }
  warn(area: string, name: string, value: number | string, ok: boolean, detail?: string): void {
    this.list.push({ area, name, value, ok, severity: 'warning', ...(detail ? { detail } : {}) });
  }
  info(area: string, name: string, value: number | string, detail?: string): void {
    this.list.push({ area, name, value, ok: true, severity: 'info', ...(detail ? { detail } : {}) });
  }
}

export async function seatChecks(q: Q, redis: Redis, c: Checks): Promise<void> {
  const schedules = await q<{ id: string; capacity: string; sold: string }>(`
    select s.id,
      (select coalesce(sum(capacity), 0) from venue_sections vs where vs.venue_id = s.venue_id) as capacity,
      (select count(*) from tickets t where t.schedule_id = s.id and t.status = 'VALID') as sold
    from schedules s
    where exists (select 1 from holds h where h.schedule_id = s.id)`);
  let over = 0;
  for (const s of schedules) {
    c.info('seats', `sold / capacity (schedule ${s.id.slice(0, 8)})`, `${n(s.sold)} / ${n(s.capacity)}`);
    if (n(s.sold) > n(s.capacity)) over++;
  }
  c.zero('seats', 'schedules sold over capacity', over);
  const [dbl] = await q<{ seats: string; entries: string; lines: string }>(`
    select
      (select count(*) from (select 1 from tickets where status = 'VALID' and seat_id is not null
        group by schedule_id, seat_id having count(*) > 1) d) as seats,
      (select count(*) from (select 1 from tickets where status = 'VALID' and entry_number is not null
        group by schedule_id, section_id, entry_number having count(*) > 1) d) as entries,
      (select count(*) from (select 1 from order_lines where active and seat_id is not null
        group by schedule_id, seat_id having count(*) > 1) d) as lines`);
  c.zero('seats', 'double sales (a seat with two valid tickets)', n(dbl?.seats));
  const [held] = await q<{ n: string }>(`
    select count(*) as n from (select 1 from holds, unnest(seat_ids) as seat
      where status in ('ACTIVE', 'ORDERED') and expires_at > now()
      group by schedule_id, seat having count(*) > 1) d`);
  // Redis decides holds (decision 0006); the PostgreSQL rows are its record and may lag it when a write failed
  c.warn('seats', 'seats in two unexpired holds in the PostgreSQL record', n(held?.n), n(held?.n) === 0);
  c.zero('seats', 'double standing entries', n(dbl?.entries));
  c.zero('seats', 'seats claimed by two live order lines', n(dbl?.lines));
  const [bad] = await q<{ unpaid: string; missing: string; foreign: string }>(`
    select
      (select count(*) from tickets t join orders o on o.id = t.order_id
        where t.status = 'VALID' and o.status not in ('PAID', 'PARTIALLY_REFUNDED')) as unpaid,
      (select count(*) from orders o where o.status = 'PAID' and
        (select count(*) from order_lines l where l.order_id = o.id) <>
        (select count(*) from tickets t where t.order_id = o.id and t.status = 'VALID')) as missing,
      (select count(*) from tickets t join schedules s on s.id = t.schedule_id
        left join venue_seats v on v.id = t.seat_id and v.venue_id = s.venue_id
        where t.seat_id is not null and v.id is null) as foreign`);
  c.zero('seats', 'valid tickets of orders not paid', n(bad?.unpaid));
  c.zero('seats', 'paid orders whose lines are not all ticketed', n(bad?.missing));
  c.zero('seats', "tickets for a seat outside the schedule's venue", n(bad?.foreign));
  // Redis follows PostgreSQL after a sale: SOLD there should read `S|orderId` in the seat hash.
  let drift = 0;
  let redisSold = 0;
  for (const s of schedules) {
    const pgSold = new Set(
      (
        await q<{ seat_id: string }>(
          `select seat_id from tickets where schedule_id = $1 and status = 'VALID' and seat_id is not null`,
          [s.id],
        )
      ).map((r) => String(r.seat_id)),
    );
    const hash = await redis.hgetall(`seat:{s:${s.id}}:seats`);
    const sold = new Set(
      Object.entries(hash)
        .filter(([, v]) => v.startsWith('S|'))
        .map(([k]) => k),
    );
    redisSold += sold.size;
    if (Object.keys(hash).length === 0) continue; // not loaded (lost or never used): reseeded from PostgreSQL
    for (const id of pgSold) if (!sold.has(id)) drift++;
    for (const id of sold) if (!pgSold.has(id)) drift++;
  }
  c.info('seats', 'seats SOLD in Redis', redisSold);
  c.warn('seats', 'Redis seat state differing from PostgreSQL tickets', drift, drift === 0);
}

export async function couponChecks(
  q: Q,
  redis: Redis,
  kafka: KafkaSnapshot | null,
  c: Checks,
  issued202: Record<string, string[]> = {},
): Promise<void> {
  const campaigns = await q<{ id: string; total_quantity: number; stored: string; name: string }>(`
    select c.id, c.name, c.total_quantity, (select count(*) from coupons k where k.campaign_id = c.id) as stored
    from coupon_campaigns c order by c.created_at`);
  const kafkaByCampaign = new Map<string, Set<string>>();
  for (const e of kafka?.events ?? []) {
    if (e.topic !== 'coupon.issues') continue;
    const id = String(e.payload.campaignId ?? e.key);
    const set = kafkaByCampaign.get(id) ?? new Set<string>();
    set.add(e.eventId);
    kafkaByCampaign.set(id, set);
  }
  for (const k of campaigns) {
    const label = `${k.name} (${k.id.slice(0, 8)})`;
    const grants = await redis.hkeys(`cpn:{c:${k.id}}:grants`);
    const stored = new Set(
      (await q<{ id: string }>('select id from coupons where campaign_id = $1', [k.id])).map((r) => r.id),
    );
    const onKafka = kafkaByCampaign.get(k.id)?.size ?? 0;
    c.info(
      'coupons',
      `${label}: granted (Redis) / stored / on Kafka / limit`,
      `${grants.length} / ${stored.size} / ${onKafka} / ${k.total_quantity}`,
    );
    c.zero('coupons', `${label}: stored over the limit`, Math.max(0, stored.size - k.total_quantity));
    c.zero('coupons', `${label}: granted over the limit`, Math.max(0, grants.length - k.total_quantity));
    c.zero('coupons', `${label}: Redis grants never stored`, grants.filter((g) => !stored.has(g)).length);
    const answered = issued202[k.id] ?? [];
    if (answered.length > 0) {
      c.info('coupons', `${label}: 202 answers seen by clients`, answered.length);
      c.zero(
        'coupons',
        `${label}: 202 answers never stored`,
        answered.filter((id) => !stored.has(id)).length,
      );
    }
  }
  const [x] = await q<{ over_user: string; used_unpaid: string; unlinked: string; reused: string }>(`
    select
      (select count(*) from (select k.campaign_id, k.user_id, count(*) as n, max(c.per_user_limit) as lim
        from coupons k join coupon_campaigns c on c.id = k.campaign_id group by 1, 2) x where n > lim) as over_user,
      (select count(*) from coupons k left join orders o on o.id = k.order_id
        where k.status = 'USED' and (o.id is null or o.paid_at is null)) as used_unpaid,
      (select count(*) from orders o left join coupons k on k.id = o.coupon_id
        where o.coupon_id is not null and o.status in ('PENDING_PAYMENT', 'PAYMENT_PENDING', 'PAID', 'PARTIALLY_REFUNDED')
          and (k.id is null or k.order_id is distinct from o.id)) as unlinked,
      (select count(*) from (select coupon_id from orders where coupon_id is not null
        and status in ('PENDING_PAYMENT', 'PAYMENT_PENDING', 'PAID', 'PARTIALLY_REFUNDED')
        group by coupon_id having count(*) > 1) d) as reused`);
  c.zero('coupons', 'users over the per-user limit', n(x?.over_user));
  c.zero('coupons', 'coupons USED without a paid order', n(x?.used_unpaid));
  c.zero('coupons', 'live orders whose coupon does not point back', n(x?.unlinked));
  c.zero('coupons', 'coupons on two live orders', n(x?.reused));
}

export async function paymentChecks(q: Q, c: Checks): Promise<void> {
  const paid = await q<{
    id: string;
    amount: string;
    total: string | null;
    balance: string | null;
    refunded: string;
    confirmed: string;
  }>(`
    select o.id, o.amount, sp.total_amount as total, sp.balance_amount as balance,
      (select coalesce(sum(r.amount), 0) from payment_refunds r where r.order_id = o.id and r.status = 'DONE') as refunded,
      (select count(*) from sandbox_payments x where x.order_id = o.toss_order_id and x.confirmed_at is not null) as confirmed
    from orders o
    left join sandbox_payments sp on sp.order_id = o.toss_order_id and sp.confirmed_at is not null
    where o.paid_at is not null`);
  let noCharge = 0;
  let wrongAmount = 0;
  let twoCharges = 0;
  let wrongBalance = 0;
  for (const o of paid) {
    if (o.total === null) noCharge++;
    else if (n(o.total) !== n(o.amount)) wrongAmount++;
    if (n(o.confirmed) > 1) twoCharges++;
    if (o.balance !== null && n(o.balance) !== n(o.amount) - n(o.refunded)) wrongBalance++;
  }
  const [st] = await q<Record<string, string>>(`
    select
      (select count(*) from orders where status = 'PAID') as paid,
      (select count(*) from orders where status = 'PARTIALLY_REFUNDED') as partial,
      (select count(*) from orders where status = 'REFUNDED') as refunded,
      (select count(*) from orders where status = 'CANCELLED') as cancelled,
      (select count(*) from orders where status = 'EXPIRED') as expired,
      (select count(*) from orders where status in ('PENDING_PAYMENT', 'PAYMENT_PENDING')) as pending,
      (select count(*) from sandbox_payments where confirmed_at is not null) as charges,
      (select coalesce(sum(total_amount), 0) from sandbox_payments where confirmed_at is not null) as charged,
      (select coalesce(sum(cancel_amount), 0) from sandbox_cancels) as cancelled_amount,
      (select count(*) from payment_refunds where status = 'DONE') as refunds,
      (select coalesce(sum(amount), 0) from payment_refunds where status = 'DONE') as refunded_amount,
      (select count(*) from payments where status = 'CONFIRMING') as confirming,
      (select count(*) from payments where status = 'REFUND_REQUIRED') as refund_required,
      (select count(*) from payment_refunds where status = 'REQUESTED') as refunds_open`);
  c.info(
    'payments',
    'orders PAID / PARTIALLY_REFUNDED / REFUNDED / CANCELLED / EXPIRED / pending',
    `${st?.paid} / ${st?.partial} / ${st?.refunded} / ${st?.cancelled} / ${st?.expired} / ${st?.pending}`,
  );
  c.info('payments', 'provider charges (sandbox) / amount', `${st?.charges} / ${st?.charged}`);
  c.info(
    'payments',
    'refunds DONE / amount; provider cancels amount',
    `${st?.refunds} / ${st?.refunded_amount}; ${st?.cancelled_amount}`,
  );
  c.zero('payments', 'paid orders without a provider charge', noCharge);
  c.zero('payments', 'paid orders charged a different amount', wrongAmount);
  c.zero('payments', 'orders charged twice', twoCharges);
  c.zero('payments', 'provider balance ≠ amount − refunds', wrongBalance);
  const [orphan] = await q<{ kept: string; resolving: string; voided: string }>(`
    select
      (select count(*) from sandbox_payments sp left join orders o on o.toss_order_id = sp.order_id
        where sp.confirmed_at is not null and (o.id is null or o.paid_at is null) and sp.balance_amount > 0
          and not exists (select 1 from payments p where p.payment_key = sp.payment_key
            and p.status in ('CONFIRMING', 'REFUND_REQUIRED'))) as kept,
      (select count(*) from sandbox_payments sp
        where sp.confirmed_at is not null and sp.balance_amount > 0
          and exists (select 1 from payments p where p.payment_key = sp.payment_key
            and p.status in ('CONFIRMING', 'REFUND_REQUIRED'))) as resolving,
      (select count(*) from sandbox_payments sp left join orders o on o.toss_order_id = sp.order_id
        where sp.confirmed_at is not null and (o.id is null or o.paid_at is null) and sp.balance_amount = 0) as voided`);
  c.zero('payments', 'charges kept without a paid order (money without a ticket)', n(orphan?.kept));
  c.warn(
    'payments',
    'charges whose outcome our side is still resolving (lease, recovery)',
    n(orphan?.resolving),
    n(orphan?.resolving) === 0,
  );
  c.info('payments', 'charges returned automatically (seat sold meanwhile, order gone)', n(orphan?.voided));
  c.warn(
    'payments',
    'payments still CONFIRMING / REFUND_REQUIRED / refunds open',
    `${st?.confirming} / ${st?.refund_required} / ${st?.refunds_open}`,
    n(st?.confirming) + n(st?.refund_required) + n(st?.refunds_open) === 0,
  );
}

export async function settlementChecks(q: Q, c: Checks): Promise<void> {
  const [s] = await q<Record<string, string>>(`
    select
      (select count(*) from orders o where o.paid_at is not null
        and not exists (select 1 from settlement_ledger_lines l where l.source_ref = 'sale:' || o.id)) as missing_sale,
      (select count(*) from settlement_ledger_lines l join orders o on o.id = l.order_id
        where l.type = 'SALE' and (l.gross_amount <> o.subtotal or l.charged_amount <> o.amount)) as wrong_sale,
      (select count(*) from settlement_ledger_lines l where l.type = 'SALE'
        and not exists (select 1 from orders o where o.id = l.order_id and o.paid_at is not null)) as sale_unpaid,
      (select count(*) from settlement_ledger_lines where type = 'REFUND') as refund_lines,
      (select count(*) from payment_refunds where status = 'DONE') as refunds_done,
      (select coalesce(-sum(charged_amount), 0) from settlement_ledger_lines where type = 'REFUND') as ledger_refunded,
      (select coalesce(sum(amount), 0) from payment_refunds where status = 'DONE') as refunded,
      (select coalesce(sum(charged_amount), 0) from settlement_ledger_lines) as ledger_net,
      (select coalesce(sum(sp.balance_amount), 0) from sandbox_payments sp join orders o on o.toss_order_id = sp.order_id
        where sp.confirmed_at is not null and o.paid_at is not null) as provider_net,
      (select count(*) from settlement_events where status = 'REJECTED') as rejected,
      (select count(*) from settlement_events where status = 'PARKED') as parked,
      (select count(*) from settlements) as settlements,
      (select count(*) from settlement_ledger_lines where settlement_id is not null) as settled_lines,
      (select count(*) from settlement_ledger_lines) as lines`);
  c.zero('settlement', 'paid orders without a SALE line', n(s?.missing_sale));
  c.zero('settlement', 'SALE lines disagreeing with the order (face value, charged)', n(s?.wrong_sale));
  c.zero('settlement', 'SALE lines of orders never paid', n(s?.sale_unpaid));
  c.must(
    'settlement',
    'REFUND lines = refunds DONE',
    `${s?.refund_lines} = ${s?.refunds_done}`,
    n(s?.refund_lines) === n(s?.refunds_done),
  );
  c.must(
    'settlement',
    'ledger refunded = refunds DONE amount',
    `${s?.ledger_refunded} = ${s?.refunded}`,
    n(s?.ledger_refunded) === n(s?.refunded),
  );
  c.must(
    'settlement',
    'ledger net charged = provider balance of paid orders',
    `${s?.ledger_net} = ${s?.provider_net}`,
    n(s?.ledger_net) === n(s?.provider_net),
  );
  c.zero('settlement', 'payment events rejected by the ledger', n(s?.rejected));
  c.warn('settlement', 'refund events parked (sale not seen yet)', n(s?.parked), n(s?.parked) === 0);
  c.info(
    'settlement',
    'settlements / settled lines / ledger lines',
    `${s?.settlements} / ${s?.settled_lines} / ${s?.lines}`,
  );
  const [h] = await q<{ bad: string }>(`
    select count(*) as bad from (
      select s.id from settlements s left join settlement_ledger_lines l on l.settlement_id = s.id
      group by s.id
      having max(s.gross_amount) <> coalesce(sum(l.gross_amount), 0)
        or max(s.refund_amount) <> coalesce(sum(l.refund_amount), 0)
        or max(s.discount_amount) <> coalesce(sum(l.discount_amount), 0)
        or max(s.pg_fee_amount) <> coalesce(sum(l.pg_fee_amount), 0)
        or max(s.platform_fee_amount) <> coalesce(sum(l.platform_fee_amount), 0)
        or max(s.vat_amount) <> coalesce(sum(l.vat_amount), 0)
        or max(s.payout_amount) <> coalesce(sum(l.payout_amount), 0)) x`);
  c.zero('settlement', 'settlement headers ≠ sum of their lines', n(h?.bad));
}

/** `readFrom`: when the Kafka read started (database clock); rows published later are not required on Kafka. */
export async function outboxChecks(
  q: Q,
  kafka: KafkaSnapshot | null,
  c: Checks,
  readFrom: Date,
): Promise<void> {
  const [o] = await q<{ pending: string; published: string }>(`
    select count(*) filter (where published_at is null) as pending,
           count(*) filter (where published_at is not null) as published from outbox`);
  c.warn('kafka', 'outbox rows not yet published', n(o?.pending), n(o?.pending) === 0);
  // an unread or cut-short read proves nothing about lost events: it fails the run instead of passing it
  if (kafka === null) {
    c.must('kafka', 'Kafka read', 'failed', false);
    return;
  }
  c.must(
    'kafka',
    'Kafka read to the end',
    kafka.complete ? 'yes' : 'stopped at the time limit',
    kafka.complete,
  );
  const seen = new Map<string, number>();
  const byType = new Map<string, number>();
  for (const e of kafka.events) {
    seen.set(e.eventId, (seen.get(e.eventId) ?? 0) + 1);
    byType.set(`${e.topic}:${e.type}`, (byType.get(`${e.topic}:${e.type}`) ?? 0) + 1);
  }
  const published = await q<{
    event_id: string;
    topic: string;
    type: string;
    created_at: Date;
    published_at: Date;
  }>('select event_id, topic, type, created_at, published_at from outbox where published_at < $1', [
    readFrom,
  ]);
  const missing = published.filter((r) => !seen.has(r.event_id));
  const lost = missing.length;
  const lostDetail = missing
    .slice(0, 5)
    .map(
      (r) =>
        `${r.topic}:${r.type} ${r.event_id.slice(0, 8)} created ${r.created_at.toISOString().slice(11, 23)} published ${r.published_at.toISOString().slice(11, 23)}`,
    )
    .join('; ');
  const dupes = [...seen.values()].filter((v) => v > 1).length;
  c.info(
    'kafka',
    'events read (committed)',
    kafka.events.length,
    kafka.complete ? undefined : 'read stopped at the time limit',
  );
  c.info('kafka', 'by topic:type', [...byType].map(([k, v]) => `${k}=${v}`).join(', ') || '-');
  c.info('kafka', 'event ids delivered more than once (consumers dedupe)', dupes);
  c.zero('kafka', 'outbox rows marked published but absent from Kafka', lost, lostDetail || undefined);
  c.zero('kafka', 'malformed messages', kafka.malformed);
}

export async function queueChecks(
  q: Q,
  redis: Redis,
  c: Checks,
  maxActiveSeen?: Record<string, number>,
): Promise<void> {
  const [d] = await q<{ n: string }>(`
    select count(*) as n from (select 1 from queue_entries where status in ('WAITING', 'ADMITTED')
      group by schedule_id, user_id having count(*) > 1) x`);
  c.zero('queue', 'users with two live places in one queue', n(d?.n));
  const rows = await q<{ schedule_id: string; status: string; n: string }>(
    'select schedule_id, status, count(*) as n from queue_entries group by 1, 2 order by 1, 2',
  );
  const per = new Map<string, string[]>();
  for (const r of rows) per.set(r.schedule_id, [...(per.get(r.schedule_id) ?? []), `${r.status}=${r.n}`]);
  for (const [id, parts] of per) c.info('queue', `journal (schedule ${id.slice(0, 8)})`, parts.join(' '));
  const draws = await q<{ n: string }>('select count(*) as n from queue_draws');
  c.info('queue', 'pre-queue draws recorded', n(draws[0]?.n));
  for (const [id, seen] of Object.entries(maxActiveSeen ?? {})) {
    const meta = await q<{ max_active: number | null; perf: number }>(
      `select qs.max_active, p.queue_max_active as perf from schedules s join performances p on p.id = s.performance_id
        left join queue_schedules qs on qs.schedule_id = s.id where s.id = $1`,
      [id],
    );
    const cap = meta[0]?.max_active ?? meta[0]?.perf ?? 0;
    c.must(
      'queue',
      `most active seen ≤ maxActive (schedule ${id.slice(0, 8)})`,
      `${seen} ≤ ${cap}`,
      seen <= cap,
    );
  }
  void redis;
}
