import fc from 'fast-check';
import type { RefCoupon, RefDraft } from './reference.ts';

export const PERFORMANCES = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
const GRADES = ['R', 'S', 'A'];
const BASE = Date.UTC(2035, 0, 1);

const couponArb = fc
  .record({
    kind: fc.constantFrom('PERCENTAGE', 'FIXED', 'PER_TICKET', 'BUY_N_PERCENTAGE') as fc.Arbitrary<
      RefCoupon['kind']
    >,
    percent: fc.integer({ min: 1, max: 100 }),
    won: fc.integer({ min: 1, max: 300_000 }),
    maxDiscount: fc.option(fc.integer({ min: 1, max: 200_000 }), { nil: null }),
    minSpend: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 500_000 })),
    performanceId: fc.option(fc.constantFrom(...PERFORMANCES), { nil: null }),
    grades: fc.option(fc.uniqueArray(fc.constantFrom(...GRADES), { minLength: 1, maxLength: 3 }), {
      nil: null,
    }),
    maxTickets: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    minTickets: fc.integer({ min: 2, max: 5 }),
    // few distinct instants, so ties on validUntil happen
    validDay: fc.integer({ min: 0, max: 5 }),
  })
  .map(
    (r): Omit<RefCoupon, 'id'> => ({
      kind: r.kind,
      value: r.kind === 'PERCENTAGE' || r.kind === 'BUY_N_PERCENTAGE' ? r.percent : r.won,
      maxDiscount: r.maxDiscount,
      minSpend: r.minSpend,
      performanceId: r.performanceId,
      grades: r.grades,
      params:
        r.kind === 'PER_TICKET'
          ? r.maxTickets === undefined
            ? {}
            : { maxTickets: r.maxTickets }
          : r.kind === 'BUY_N_PERCENTAGE'
            ? { minTickets: r.minTickets }
            : {},
      validUntil: new Date(BASE + r.validDay * 86_400_000),
    }),
  );

/** 0..12 coupons (ids assigned by the caller) and an order of 1..8 tickets. */
export const scenarioArb = fc.record({
  coupons: fc.array(couponArb, { minLength: 0, maxLength: 12 }),
  draft: fc.record({
    performanceId: fc.constantFrom(...PERFORMANCES),
    lines: fc.array(
      fc.record({
        grade: fc.constantFrom(...GRADES),
        // prices include odd amounts so percentages need flooring
        price: fc.oneof(fc.constantFrom(150_000, 100_000, 77_000), fc.integer({ min: 1_000, max: 250_000 })),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  }) as fc.Arbitrary<RefDraft>,
});
