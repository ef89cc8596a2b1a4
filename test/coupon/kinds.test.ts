import { describe, expect, it } from 'vitest';
import type { KindDraft } from '../../src/modules/coupon/kinds/kind.ts';
import { KINDS, KindRegistry } from '../../src/modules/coupon/kinds/registry.ts';
import {
  type CouponTerms,
  discountOf,
  type PricedDraft,
  rankOptions,
} from '../../src/modules/coupon/pricing.ts';

const kind = (name: string) => {
  const k = KINDS.get(name);
  if (k === undefined) throw new Error(`no kind ${name}`);
  return k;
};
const line = (grade: string, price: number) => ({ seatId: 1, sectionId: 's', grade, price });
const draftOf = (...lines: ReturnType<typeof line>[]): PricedDraft => ({
  userId: 'u',
  performanceId: 'p1',
  sellerId: 's',
  scheduleId: 'sch',
  lines,
  subtotal: lines.reduce((a, l) => a + l.price, 0),
});
const terms = (over: Partial<CouponTerms>): CouponTerms => ({
  kind: 'FIXED',
  value: 1000,
  maxDiscount: null,
  minSpend: 0,
  performanceId: null,
  grades: null,
  params: {},
  ...over,
});

describe('kinds registry', () => {
  it('discovers every kind file of the folder', () => {
    expect(KINDS.names()).toEqual(['BUY_N_PERCENTAGE', 'FIXED', 'PERCENTAGE', 'PER_TICKET']);
  });

  it('refuses duplicate or badly named kinds', () => {
    const k = kind('FIXED');
    expect(() => new KindRegistry([k, k])).toThrow(/twice/);
    expect(() => new KindRegistry([{ ...k, name: 'fixed' }])).toThrow(/UPPER_SNAKE/);
  });
});

describe('validateConfig', () => {
  const cfg = (value: number, params: Record<string, unknown> = {}) => ({ value, maxDiscount: null, params });
  it('PERCENTAGE: integer 1..100', () => {
    expect(kind('PERCENTAGE').validateConfig(cfg(1))).toBeNull();
    expect(kind('PERCENTAGE').validateConfig(cfg(100))).toBeNull();
    expect(kind('PERCENTAGE').validateConfig(cfg(0))?.field).toBe('value');
    expect(kind('PERCENTAGE').validateConfig(cfg(101))?.field).toBe('value');
    expect(kind('PERCENTAGE').validateConfig(cfg(12.5))?.field).toBe('value');
  });
  it('FIXED: positive won', () => {
    expect(kind('FIXED').validateConfig(cfg(5000))).toBeNull();
    expect(kind('FIXED').validateConfig(cfg(0))?.field).toBe('value');
  });
  it('PER_TICKET: positive won, optional positive maxTickets', () => {
    expect(kind('PER_TICKET').validateConfig(cfg(3000))).toBeNull();
    expect(kind('PER_TICKET').validateConfig(cfg(3000, { maxTickets: 2 }))).toBeNull();
    expect(kind('PER_TICKET').validateConfig(cfg(3000, { maxTickets: 0 }))?.field).toBe('params.maxTickets');
    expect(kind('PER_TICKET').validateConfig(cfg(3000, { maxTickets: '2' }))?.field).toBe(
      'params.maxTickets',
    );
  });
  it('BUY_N_PERCENTAGE: percent and a required minTickets ≥ 2', () => {
    expect(kind('BUY_N_PERCENTAGE').validateConfig(cfg(15, { minTickets: 4 }))).toBeNull();
    expect(kind('BUY_N_PERCENTAGE').validateConfig(cfg(15))?.field).toBe('params.minTickets');
    expect(kind('BUY_N_PERCENTAGE').validateConfig(cfg(15, { minTickets: 1 }))?.field).toBe(
      'params.minTickets',
    );
    expect(kind('BUY_N_PERCENTAGE').validateConfig(cfg(150, { minTickets: 2 }))?.field).toBe('value');
  });
});

describe('kind rules', () => {
  const kd = (prices: number[]): KindDraft => ({
    lines: prices.map((p) => line('R', p)),
    eligibleSubtotal: prices.reduce((a, b) => a + b, 0),
    subtotal: prices.reduce((a, b) => a + b, 0),
  });
  it('PERCENTAGE is value percent of the targeted lines', () => {
    expect(
      kind('PERCENTAGE').discount({ value: 15, maxDiscount: null, params: {} }, kd([99_999])),
    ).toBeCloseTo(14_999.85);
  });
  it('PER_TICKET counts tickets up to maxTickets', () => {
    const k = kind('PER_TICKET');
    expect(k.discount({ value: 5000, maxDiscount: null, params: {} }, kd([1, 2, 3]))).toBe(15_000);
    expect(k.discount({ value: 5000, maxDiscount: null, params: { maxTickets: 2 } }, kd([1, 2, 3]))).toBe(
      10_000,
    );
  });
  it('BUY_N_PERCENTAGE applies from minTickets on', () => {
    const k = kind('BUY_N_PERCENTAGE');
    const config = { value: 10, maxDiscount: null, params: { minTickets: 3 } };
    expect(k.isApplicable(config, kd([100, 100]))).toBe(false);
    expect(k.isApplicable(config, kd([100, 100, 100]))).toBe(true);
  });
});

describe('shared pricing rules', () => {
  it('floors to the won', () => {
    expect(discountOf(terms({ kind: 'PERCENTAGE', value: 15 }), draftOf(line('R', 99_999)), KINDS)).toBe(
      14_999,
    );
  });
  it('caps by maxDiscount', () => {
    expect(
      discountOf(
        terms({ kind: 'PERCENTAGE', value: 50, maxDiscount: 30_000 }),
        draftOf(line('R', 150_000)),
        KINDS,
      ),
    ).toBe(30_000);
  });
  it('never exceeds the subtotal', () => {
    expect(discountOf(terms({ kind: 'FIXED', value: 500_000 }), draftOf(line('R', 150_000)), KINDS)).toBe(
      150_000,
    );
    expect(discountOf(terms({ kind: 'PERCENTAGE', value: 100 }), draftOf(line('R', 150_000)), KINDS)).toBe(
      150_000,
    );
  });
  it('needs the minimum spend', () => {
    expect(discountOf(terms({ minSpend: 200_000 }), draftOf(line('R', 150_000)), KINDS)).toBe(0);
    expect(discountOf(terms({ minSpend: 150_000 }), draftOf(line('R', 150_000)), KINDS)).toBe(1000);
  });
  it('targets a performance', () => {
    expect(discountOf(terms({ performanceId: 'other' }), draftOf(line('R', 150_000)), KINDS)).toBe(0);
    expect(discountOf(terms({ performanceId: 'p1' }), draftOf(line('R', 150_000)), KINDS)).toBe(1000);
  });
  it('counts only targeted grades, for the discount and the minimum spend', () => {
    const d = draftOf(line('R', 150_000), line('S', 100_000));
    expect(discountOf(terms({ kind: 'PERCENTAGE', value: 10, grades: ['S'] }), d, KINDS)).toBe(10_000);
    expect(discountOf(terms({ kind: 'FIXED', value: 120_000, grades: ['S'] }), d, KINDS)).toBe(100_000);
    expect(discountOf(terms({ grades: ['S'], minSpend: 150_000 }), d, KINDS)).toBe(0);
    expect(discountOf(terms({ grades: ['VIP'] }), d, KINDS)).toBe(0);
  });
  it('gives 0 for an unknown kind', () => {
    expect(discountOf(terms({ kind: 'NOPE' }), draftOf(line('R', 1000)), KINDS)).toBe(0);
  });
  it('ranks by discount, then earliest validUntil, then id; drops zero discounts', () => {
    const t0 = new Date('2030-01-01T00:00:00Z');
    const t1 = new Date('2030-02-01T00:00:00Z');
    const ranked = rankOptions([
      { couponId: 'a', discount: 100, validUntil: t1 },
      { couponId: 'b', discount: 100, validUntil: t0 },
      { couponId: 'c', discount: 200, validUntil: t1 },
      { couponId: 'd', discount: 0, validUntil: t0 },
    ]);
    expect(ranked.map((o) => o.couponId)).toEqual(['c', 'b', 'a']);
  });
});
