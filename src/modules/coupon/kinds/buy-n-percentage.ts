import { type CouponKind, intParam } from './kind.ts';

/**
 * Group discount: `value` percent off when the order has at least `params.minTickets` targeted
 * tickets ("bring friends: 4 or more tickets, 15% off").
 */
export const kind: CouponKind = {
  name: 'BUY_N_PERCENTAGE',
  description: 'value percent (1–100) off when the order has at least params.minTickets targeted tickets',
  validateConfig({ value, params }) {
    if (!Number.isInteger(value) || value < 1 || value > 100)
      return { field: 'value', message: 'a BUY_N_PERCENTAGE value is an integer percent from 1 to 100' };
    const minTickets = intParam(params, 'minTickets');
    if (minTickets === undefined || minTickets === 'invalid' || minTickets < 2)
      return { field: 'params.minTickets', message: 'minTickets is required: an integer of at least 2' };
    return null;
  },
  isApplicable: ({ params }, draft) => draft.lines.length >= Number(params.minTickets),
  discount: ({ value }, draft) => (draft.eligibleSubtotal * value) / 100,
};
