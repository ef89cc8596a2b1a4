import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../src/modules/coupon/kinds/registry.ts';
import { discountOf, type PricedDraft, rankOptions } from '../../src/modules/coupon/pricing.ts';
import { scenarioArb } from './support/arbitraries.ts';
import { bruteForceBest, refDiscount } from './support/reference.ts';

const hexId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

describe('best coupon (pure pricing) equals a brute-force optimum', () => {
  it('over random coupon sets and orders', () => {
    fc.assert(
      fc.property(scenarioArb, ({ coupons, draft }) => {
        const withIds = coupons.map((c, i) => ({ ...c, id: hexId(i) }));
        const priced: PricedDraft = {
          userId: 'u',
          performanceId: draft.performanceId,
          sellerId: 's',
          scheduleId: 'sch',
          lines: draft.lines.map((l, i) => ({
            seatId: i + 1,
            sectionId: 'x',
            grade: l.grade,
            price: l.price,
          })),
          subtotal: draft.lines.reduce((a, l) => a + l.price, 0),
        };
        const options = withIds.map((c) => ({
          couponId: c.id,
          discount: discountOf(c, priced, KINDS),
          validUntil: c.validUntil,
        }));
        for (const [i, c] of withIds.entries()) {
          expect(options[i]?.discount).toBe(refDiscount(c, draft));
          expect(Number.isInteger(options[i]?.discount)).toBe(true);
          expect(options[i]?.discount).toBeLessThanOrEqual(priced.subtotal);
        }
        const best = rankOptions(options)[0];
        expect(best === undefined ? null : { couponId: best.couponId, discount: best.discount }).toEqual(
          bruteForceBest(withIds, draft),
        );
      }),
      { numRuns: 2000 },
    );
  });
});
