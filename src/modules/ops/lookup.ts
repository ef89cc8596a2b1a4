import type { Logger } from '../../platform/logger.ts';
import { OpsErrors } from './errors.ts';
import type { OpsSources } from './ports.ts';
import type { SalesHalt } from './sales/gate.ts';

export type MatchType =
  | 'USER'
  | 'ORDER'
  | 'PAYMENT'
  | 'HOLD'
  | 'COUPON'
  | 'CAMPAIGN'
  | 'PERFORMANCE'
  | 'SCHEDULE'
  | 'SETTLEMENT';

export interface LookupMatch {
  type: MatchType;
  id: string;
  /** Which of the thing's ids matched: `id`, `tossOrderId` or `paymentKey`. */
  matchedBy: string;
  summary: Record<string, unknown>;
  /** Where to look next: API paths (GET unless the name says otherwise), lookups of related ids. */
  links: Record<string, string>;
}

export interface LookupResult {
  id: string;
  matches: LookupMatch[];
  /** Sources that failed to answer (the matches may be incomplete). */
  unavailable: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOSS_ORDER_ID = /^[A-Za-z0-9_-]{6,64}$/;
const lookup = (id: string) => `/api/v1/admin/lookup/${encodeURIComponent(id)}`;

type Probe = { source: string; run: () => Promise<LookupMatch[]> };

/**
 * "What is this id?": asks every module that could own it, in parallel, through their exported reads
 * (UUIDs: users, orders, holds, coupons and campaigns, payments by id, performances, schedules,
 * settlements; other strings: Toss order ids and payment keys). Every match comes with a summary and
 * links to the related things. A source that fails is named in `unavailable`, the others still answer.
 */
export async function lookupAnyId(
  sources: OpsSources,
  haltOf: (performanceId: string) => Promise<SalesHalt | null>,
  logger: Logger,
  id: string,
): Promise<LookupResult> {
  const probes = UUID.test(id) ? uuidProbes(sources, haltOf, id) : textProbes(sources, id);
  const settled = await Promise.allSettled(probes.map((p) => p.run()));
  const matches: LookupMatch[] = [];
  const unavailable: string[] = [];
  settled.forEach((s, i) => {
    const source = probes[i]?.source ?? 'unknown';
    if (s.status === 'fulfilled') matches.push(...s.value);
    else {
      unavailable.push(source);
      logger.warn({ err: s.reason, source, id }, 'lookup source failed');
    }
  });
  if (matches.length === 0 && unavailable.length === 0) throw OpsErrors.nothingFound(id);
  return { id, matches, unavailable };
}

const one = async <T>(found: Promise<T | null | undefined>, make: (value: T) => LookupMatch) => {
  const value = await found;
  return value === null || value === undefined ? [] : [make(value)];
};

function textProbes(s: OpsSources, id: string): Probe[] {
  const probes: Probe[] = [
    { source: 'payment', run: () => one(s.payment.describeById(id), (x) => paymentMatch(x, id)) },
  ];
  if (TOSS_ORDER_ID.test(id)) {
    probes.push({
      source: 'booking',
      run: () => one(s.booking.findOrderByTossOrderId(id), (o) => orderMatch(o, 'tossOrderId')),
    });
  }
  return probes;
}

function uuidProbes(
  s: OpsSources,
  haltOf: (performanceId: string) => Promise<SalesHalt | null>,
  id: string,
): Probe[] {
  return [
    { source: 'identity', run: () => one(s.identity.findUser(id), userMatch) },
    { source: 'booking', run: () => one(s.booking.findOrder(id), (o) => orderMatch(o, 'id')) },
    { source: 'booking', run: () => one(s.booking.describeHold(id), holdMatch) },
    { source: 'payment', run: () => one(s.payment.describeById(id), (x) => paymentMatch(x, id)) },
    { source: 'coupon', run: () => one(s.coupon.describeById(id), couponMatch) },
    { source: 'catalog', run: () => performanceMatches(s, haltOf, id) },
    { source: 'catalog', run: () => one(s.catalog.getScheduleForSale(id), scheduleMatch) },
    { source: 'settlement', run: () => one(s.settlement.describeById(id), settlementMatch) },
  ];
}

type Found<K extends keyof OpsSources, F extends keyof OpsSources[K]> = OpsSources[K][F] extends (
  ...args: never[]
) => Promise<infer R>
  ? NonNullable<R>
  : never;

function userMatch(u: Found<'identity', 'findUser'>): LookupMatch {
  const links: Record<string, string> = { self: lookup(u.id) };
  if (u.role !== 'BUYER') links.audit = `/api/v1/admin/audit?actorId=${u.id}`;
  if (u.role === 'SELLER') links.settlements = `/api/v1/seller/settlements?sellerId=${u.id}`;
  return { type: 'USER', id: u.id, matchedBy: 'id', summary: { ...u }, links };
}

function orderMatch(o: Found<'booking', 'findOrder'>, matchedBy: string): LookupMatch {
  const links: Record<string, string> = {
    order: `/api/v1/orders/${o.id}`,
    buyer: lookup(o.userId),
    seller: lookup(o.sellerId),
    performance: `/api/v1/performances/${o.performanceId}`,
    schedule: lookup(o.scheduleId),
    seats: `/api/v1/schedules/${o.scheduleId}/seats`,
    tossOrderId: lookup(o.tossOrderId),
  };
  if (o.couponId !== null) links.coupon = lookup(o.couponId);
  const { lines, ...rest } = o;
  return {
    type: 'ORDER',
    id: o.id,
    matchedBy,
    summary: {
      ...rest,
      seatIds: lines.flatMap((l) => (l.seatId === null ? [] : [l.seatId])),
      tickets: lines.length,
      lines,
    },
    links,
  };
}

function holdMatch(h: Found<'booking', 'describeHold'>): LookupMatch {
  const links: Record<string, string> = {
    release: `/api/v1/admin/holds/${h.holdId}/release`,
    user: lookup(h.userId),
    schedule: lookup(h.scheduleId),
    seats: `/api/v1/schedules/${h.scheduleId}/seats`,
    performance: `/api/v1/performances/${h.performanceId}`,
  };
  if (h.orderId !== null) links.order = lookup(h.orderId);
  return { type: 'HOLD', id: h.holdId, matchedBy: 'id', summary: { ...h }, links };
}

function paymentMatch(p: Found<'payment', 'describeById'>, asked: string): LookupMatch {
  return {
    type: 'PAYMENT',
    id: p.paymentId,
    matchedBy: p.paymentKey === asked ? 'paymentKey' : 'id',
    summary: { ...p },
    links: {
      order: `/api/v1/orders/${p.orderId}`,
      orderLookup: lookup(p.orderId),
      buyer: lookup(p.buyerId),
      seller: lookup(p.sellerId),
      performance: `/api/v1/performances/${p.performanceId}`,
      schedule: lookup(p.scheduleId),
    },
  };
}

function couponMatch(c: Found<'coupon', 'describeById'>): LookupMatch {
  if (c.type === 'CAMPAIGN') {
    const k = c.campaign;
    const links: Record<string, string> = { campaign: `/api/v1/coupon-campaigns/${k.id}` };
    if (k.performanceId !== null) links.performance = lookup(k.performanceId);
    if (k.sellerId !== null) links.seller = lookup(k.sellerId);
    return { type: 'CAMPAIGN', id: k.id, matchedBy: 'id', summary: { ...k }, links };
  }
  const k = c.coupon;
  const links: Record<string, string> = {
    campaign: `/api/v1/coupon-campaigns/${k.campaignId}`,
    campaignLookup: lookup(k.campaignId),
    user: lookup(k.userId),
  };
  if (k.orderId !== null) links.order = lookup(k.orderId);
  return { type: 'COUPON', id: k.id, matchedBy: 'id', summary: { ...k }, links };
}

async function performanceMatches(
  s: OpsSources,
  haltOf: (performanceId: string) => Promise<SalesHalt | null>,
  id: string,
): Promise<LookupMatch[]> {
  const owner = await s.catalog.getPerformanceOwner(id);
  if (owner === null) return [];
  const [schedules, halt] = await Promise.all([s.catalog.listSchedulesOfPerformance(id), haltOf(id)]);
  const first = schedules[0];
  return [
    {
      type: 'PERFORMANCE',
      id,
      matchedBy: 'id',
      summary: {
        id,
        title: first?.title ?? null,
        sellerId: owner.sellerId,
        status: owner.status,
        salesOpenAt: first?.salesOpenAt ?? null,
        salesCloseAt: first?.salesCloseAt ?? null,
        salesEnabled: halt === null,
        salesHalt: halt,
        schedules: schedules.map((x) => ({ id: x.scheduleId, startsAt: x.startsAt, endsAt: x.endsAt })),
      },
      links: {
        performance: `/api/v1/performances/${id}`,
        sales: `/api/v1/admin/performances/${id}/sales`,
        seller: lookup(owner.sellerId),
        ...Object.fromEntries(schedules.map((x, i) => [`schedule${i + 1}`, lookup(x.scheduleId)])),
      },
    },
  ];
}

function scheduleMatch(x: Found<'catalog', 'getScheduleForSale'>): LookupMatch {
  return {
    type: 'SCHEDULE',
    id: x.scheduleId,
    matchedBy: 'id',
    summary: {
      scheduleId: x.scheduleId,
      performanceId: x.performanceId,
      sellerId: x.sellerId,
      title: x.title,
      venueId: x.venueId,
      startsAt: x.startsAt,
      endsAt: x.endsAt,
      salesOpenAt: x.salesOpenAt,
      salesCloseAt: x.salesCloseAt,
      status: x.status,
      queue: x.queue,
    },
    links: {
      seats: `/api/v1/schedules/${x.scheduleId}/seats`,
      queueStats: `/api/v1/schedules/${x.scheduleId}/queue/stats`,
      performance: lookup(x.performanceId),
      seller: lookup(x.sellerId),
    },
  };
}

function settlementMatch(x: Found<'settlement', 'describeById'>): LookupMatch {
  return {
    type: 'SETTLEMENT',
    id: x.id,
    matchedBy: 'id',
    summary: { ...x },
    links: {
      lines: `/api/v1/seller/settlements/${x.id}/lines`,
      csv: `/api/v1/seller/settlements/${x.id}/lines.csv`,
      seller: lookup(x.sellerId),
    },
  };
}
