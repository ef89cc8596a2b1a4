import { AppError, Errors } from '../../platform/errors.ts';

export const OpsErrors = {
  nothingFound: (id: string) =>
    new AppError(
      'not_found',
      'NOT_FOUND',
      `no user, order, payment, hold, coupon, campaign, performance, schedule or settlement has the id ${id}`,
    ),
  performanceNotFound: () => Errors.notFound('performance'),
  badPeriod: () => Errors.validation('query.to', 'to must be after from'),
};
