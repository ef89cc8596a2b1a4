import type { CouponKind } from './kind.ts';

/** `value` percent (1–100) off the targeted lines, capped by `maxDiscount` when set. */
export const kind: CouponKind = {
  name: 'PERCENTAGE',
  description: 'value percent (integer 1–100) off the targeted tickets, capped by maxDiscount',
  validateConfig({ value }) {
    if (!Number.isInteger(value) || value < 1 || value > 100)
      return { field: 'value', message: 'a PERCENTAGE value is an integer percent from 1 to 100' };
    return null;
  },
  isApplicable: () => true,
  discount: ({ value }, draft) => (draft.eligibleSubtotal * value) / 100,
};
