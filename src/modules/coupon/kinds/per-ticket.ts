import { type CouponKind, intParam } from './kind.ts';

/**
 * `value` won off each targeted ticket, for at most `params.maxTickets` tickets when set — the
 * "5,000 won off every VIP seat, up to 2" a seller runs to move a grade.
 */
export const kind: CouponKind = {
  name: 'PER_TICKET',
  description: 'value won off each targeted ticket (params.maxTickets caps how many tickets count)',
  validateConfig({ value, params }) {
    if (!Number.isInteger(value) || value < 1)
      return { field: 'value', message: 'a PER_TICKET value is a positive whole number of won per ticket' };
    const maxTickets = intParam(params, 'maxTickets');
    if (maxTickets === 'invalid' || (maxTickets !== undefined && maxTickets < 1))
      return { field: 'params.maxTickets', message: 'maxTickets is a positive integer' };
    return null;
  },
  isApplicable: (_config, draft) => draft.lines.length > 0,
  discount({ value, params }, draft) {
    const maxTickets = intParam(params, 'maxTickets');
    const counted =
      typeof maxTickets === 'number' ? Math.min(maxTickets, draft.lines.length) : draft.lines.length;
    return value * counted;
  },
};
