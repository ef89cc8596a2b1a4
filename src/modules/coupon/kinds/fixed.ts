import type { CouponKind } from './kind.ts';

/** A fixed amount of won off the order (never more than the targeted lines cost). */
export const kind: CouponKind = {
  name: 'FIXED',
  description: 'value won off the order',
  validateConfig({ value }) {
    if (!Number.isInteger(value) || value < 1)
      return { field: 'value', message: 'a FIXED value is a positive whole number of won' };
    return null;
  },
  isApplicable: () => true,
  discount: ({ value }) => value,
};
