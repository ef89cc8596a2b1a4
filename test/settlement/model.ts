import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { EventEnvelope } from '../../src/platform/outbox/enqueue.ts';

/**
 * An independent model of orders, partial/full refunds and the events payment emits for them
 * (docs/contracts.md), plus the money identity every settlement must satisfy. It never calls the
 * settlement code: expected figures come from the API.md rules written out again here.
 */

export interface Rates {
  pg: number;
  platform: number;
  vat: number;
}

export interface RefundSpec {
  seats: number[]; // indexes into the order's seats
  delayMinutes: number;
  feePercent: number;
}

export interface OrderSpec {
  orderId: string;
  paymentKey: string;
  sellerId: string;
  performanceId: string;
  prices: number[];
  discount: number;
  fundedBy: 'SELLER' | 'PLATFORM' | null;
  approvedAt: Date;
  refunds: { refundId: string; seats: number[]; at: Date; feePercent: number }[];
}

export const DAY = 86_400_000;

const refundPlanArb = (seatCount: number) =>
  fc
    .tuple(
      fc.shuffledSubarray(
        Array.from({ length: seatCount }, (_, i) => i),
        { minLength: 0 },
      ),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.integer({ min: 0, max: 3 * 24 * 60 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.constantFrom(0, 0, 10, 20, 30, 33), { minLength: 3, maxLength: 3 }),
    )
    .map(([seats, sizes, delays, fees]) => {
      const refunds: RefundSpec[] = [];
      let i = 0;
      for (let k = 0; k < 3 && i < seats.length; k++) {
        const take = k === 2 ? seats.length - i : Math.min(sizes[k] ?? 1, seats.length - i);
        refunds.push({
          seats: seats.slice(i, i + take),
          delayMinutes: delays[k] ?? 0,
          feePercent: fees[k] ?? 0,
        });
        i += take;
      }
      return refunds;
    });

export const orderArb = (base: number, sellers: readonly string[]) =>
  fc
    .record({
      seller: fc.integer({ min: 0, max: sellers.length - 1 }),
      prices: fc.array(
        fc.oneof(
          fc.integer({ min: 0, max: 250_000 }),
          fc.constantFrom(55_000, 99_000, 132_000, 154_000, 0, 1, 7),
        ),
        { minLength: 1, maxLength: 4 },
      ),
      discountPermille: fc.integer({ min: 0, max: 1000 }),
      fundedBy: fc.constantFrom('SELLER' as const, 'PLATFORM' as const, null),
      approvedMinute: fc.integer({ min: 0, max: 6 * 24 * 60 }),
      second: fc.integer({ min: 0, max: 59_999 }),
    })
    .chain((o) => refundPlanArb(o.prices.length).map((refunds) => ({ ...o, refunds })))
    .map((o): OrderSpec => {
      const gross = o.prices.reduce((a, b) => a + b, 0);
      const discount = o.fundedBy === null ? 0 : Math.floor((gross * o.discountPermille) / 1000);
      const approvedAt = new Date(base + o.approvedMinute * 60_000 + o.second);
      let at = approvedAt.getTime();
      return {
        orderId: randomUUID(),
        paymentKey: `pk_${randomUUID().replaceAll('-', '')}`,
        sellerId: sellers[o.seller] as string,
        performanceId: randomUUID(),
        prices: o.prices,
        discount,
        fundedBy: o.fundedBy,
        approvedAt,
        refunds: o.refunds.map((r) => {
          at += r.delayMinutes * 60_000 + 1;
          return {
            refundId: `tx_${randomUUID()}`,
            seats: r.seats,
            at: new Date(at),
            feePercent: r.feePercent,
          };
        }),
      };
    });

/** The discount spread over seats pro rata of price, floored, the dearest seat taking the remainder. */
export function seatDiscounts(o: OrderSpec): number[] {
  const gross = o.prices.reduce((a, b) => a + b, 0);
  if (gross === 0) return o.prices.map(() => 0);
  const shares = o.prices.map((p) => Math.floor((o.discount * p) / gross));
  const rest = o.discount - shares.reduce((a, b) => a + b, 0);
  const dearest = o.prices.indexOf(Math.max(...o.prices));
  shares[dearest] = (shares[dearest] ?? 0) + rest;
  return shares;
}

export interface RefundFacts {
  face: number;
  discount: number;
  fee: number;
  returned: number;
  full: boolean;
}

export function refundFacts(o: OrderSpec): RefundFacts[] {
  const discounts = seatDiscounts(o);
  const refunded = new Set<number>();
  return o.refunds.map((r) => {
    const face = r.seats.reduce((a, s) => a + (o.prices[s] ?? 0), 0);
    const discount = r.seats.reduce((a, s) => a + (discounts[s] ?? 0), 0);
    const fee = Math.floor(((face - discount) * r.feePercent) / 100);
    for (const s of r.seats) refunded.add(s);
    return { face, discount, fee, returned: face - discount - fee, full: refunded.size === o.prices.length };
  });
}

export function eventsOf(o: OrderSpec): EventEnvelope[] {
  const gross = o.prices.reduce((a, b) => a + b, 0);
  const approved: EventEnvelope = {
    eventId: randomUUID(),
    type: 'payment.approved',
    key: o.orderId,
    occurredAt: o.approvedAt.toISOString(),
    payload: {
      orderId: o.orderId,
      tossOrderId: `qt_${o.orderId.slice(0, 8)}`,
      paymentKey: o.paymentKey,
      sellerId: o.sellerId,
      performanceId: o.performanceId,
      scheduleId: randomUUID(),
      buyerId: randomUUID(),
      approvedAt: o.approvedAt.toISOString(),
      grossAmount: gross,
      discountAmount: o.discount,
      discountFundedBy: o.fundedBy,
      amount: gross - o.discount,
      method: 'CARD',
    },
  };
  const facts = refundFacts(o);
  const refunds = o.refunds.map((r, i): EventEnvelope => {
    const f = facts[i] as RefundFacts;
    return {
      eventId: randomUUID(),
      type: 'payment.refunded',
      key: o.orderId,
      occurredAt: r.at.toISOString(),
      payload: {
        orderId: o.orderId,
        paymentKey: o.paymentKey,
        refundId: r.refundId,
        sellerId: o.sellerId,
        performanceId: o.performanceId,
        refundedAt: r.at.toISOString(),
        refundFaceValue: f.face,
        refundDiscount: f.discount,
        refundAmount: f.returned,
        cancellationFee: f.fee,
        full: f.full,
      },
    };
  });
  return [approved, ...refunds];
}

const floorBps = (amount: number, bps: number) => Math.floor((amount * bps) / 10_000);

export interface Expected {
  captured: number;
  refunded: number;
  fees: number; // PG fee + platform fee + VAT, net of reversals
  platformDiscount: number; // platform-funded discount net of the refunded share
  payout: number; // what the payout formula sums to over the order's lines
}

/** The identity, per order: payout = captured − refunded − fees + platform-funded discount. */
export function expectedOf(o: OrderSpec, rates: Rates): Expected {
  const gross = o.prices.reduce((a, b) => a + b, 0);
  const charged = gross - o.discount;
  const sellerDiscount = o.fundedBy === 'SELLER' ? o.discount : 0;
  const platformDiscount = o.fundedBy === 'SELLER' ? 0 : o.discount;
  const pg = floorBps(charged, rates.pg);
  const pf = floorBps(gross - sellerDiscount, rates.platform);
  const figures = [pg, pf, floorBps(pg, rates.vat), floorBps(pf, rates.vat)];
  const facts = refundFacts(o);
  const face = facts.reduce((a, f) => a + f.face, 0);
  const complete = facts.some((f) => f.full) || (facts.length > 0 && face >= gross);
  const kept = (x: number) => (complete || gross === 0 ? 0 : x - Math.floor((x * face) / gross));
  const fees = figures.reduce((a, x) => a + kept(x), 0);
  const refundedDiscount = facts.reduce((a, f) => a + f.discount, 0);
  const refunded = facts.reduce((a, f) => a + f.returned, 0);
  const netPlatformDiscount = platformDiscount === 0 ? 0 : platformDiscount - refundedDiscount;
  return {
    captured: charged,
    refunded,
    fees,
    platformDiscount: netPlatformDiscount,
    payout: charged - refunded - fees + netPlatformDiscount,
  };
}
