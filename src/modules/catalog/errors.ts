import { AppError } from '../../platform/errors.ts';

/** Catalog error codes. `field` names the offending input where there is one. */
export const CatalogErrors = {
  venueNotFound: (field?: string) =>
    new AppError('not_found', 'VENUE_NOT_FOUND', 'venue not found', field ? { extra: { field } } : {}),
  performanceNotFound: () => new AppError('not_found', 'PERFORMANCE_NOT_FOUND', 'performance not found'),
  scheduleNotFound: () => new AppError('not_found', 'SCHEDULE_NOT_FOUND', 'schedule not found'),
  notOwner: (what: string, field?: string) =>
    new AppError(
      'forbidden',
      'NOT_OWNER',
      `this ${what} belongs to another seller`,
      field ? { extra: { field } } : {},
    ),
  hasSales: () =>
    new AppError('conflict', 'HAS_SALES', 'tickets of this performance were sold; cancel it instead'),
  venueInUse: () =>
    new AppError('conflict', 'VENUE_IN_USE', 'a performance on sale uses this venue; it cannot be deleted'),
  scheduleOverlap: (field: string) =>
    new AppError('conflict', 'SCHEDULE_OVERLAP', 'another schedule uses this venue at that time', {
      extra: { field },
    }),
  pricesLocked: () =>
    new AppError(
      'conflict',
      'PRICES_LOCKED',
      'sales have opened: prices and grades can no longer change (cancel and re-list instead)',
      { extra: { field: 'grades' } },
    ),
  salesAlreadyOpen: () =>
    new AppError('conflict', 'SALES_ALREADY_OPEN', 'sales have opened: salesOpenAt can no longer change', {
      extra: { field: 'salesOpenAt' },
    }),
  notOnSale: (status: string) =>
    new AppError('conflict', 'PERFORMANCE_NOT_ON_SALE', `the performance is ${status}`),
};
