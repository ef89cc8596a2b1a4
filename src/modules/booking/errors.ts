import { AppError } from '../../platform/errors.ts';

/** Booking error codes (the HTTP layer maps the kind to a status). */
export const BookingErrors = {
  admissionRequired: () =>
    new AppError('forbidden', 'ADMISSION_REQUIRED', 'a valid admission token for this schedule is required'),
  scheduleNotFound: () => new AppError('not_found', 'SCHEDULE_NOT_FOUND', 'schedule not found'),
  salesClosed: (detail = 'this schedule is not on sale now') =>
    new AppError('conflict', 'SALES_CLOSED', detail),
  salesPaused: (reason: string) =>
    new AppError('conflict', 'SALES_PAUSED', 'sales of this performance are paused by an operator', {
      extra: { reason },
    }),
  unknownSeats: (ids: number[]) =>
    new AppError(
      'validation',
      'VALIDATION_FAILED',
      `seats ${ids.join(', ')} are not seats of this schedule`,
      {
        extra: { field: 'body.seatIds', unknownSeatIds: ids },
      },
    ),
  duplicateSeats: () =>
    new AppError('validation', 'VALIDATION_FAILED', 'seatIds must not repeat a seat', {
      extra: { field: 'body.seatIds' },
    }),
  unknownSection: () =>
    new AppError('validation', 'VALIDATION_FAILED', 'sectionId is not a standing section of this schedule', {
      extra: { field: 'body.sectionId' },
    }),
  seatsUnavailable: (unavailableSeatIds: number[]) =>
    new AppError('conflict', 'SEATS_UNAVAILABLE', 'some seats are held or sold by someone else', {
      extra: { unavailableSeatIds },
    }),
  standingFull: (available: number) =>
    new AppError('conflict', 'SEATS_UNAVAILABLE', `only ${available} entries of this section are left`, {
      extra: { unavailableSeatIds: [], available },
    }),
  ticketLimit: (limit: number, current: number) =>
    new AppError(
      'conflict',
      'TICKET_LIMIT',
      `at most ${limit} tickets per buyer for this performance (you already hold or bought ${current})`,
      { extra: { limit, current } },
    ),
  holdNotFound: () => new AppError('not_found', 'HOLD_NOT_FOUND', 'hold not found'),
  holdExpired: () =>
    new AppError('conflict', 'HOLD_EXPIRED', 'the hold has lapsed or was released; its seats may be taken'),
  holdInOrder: (orderId?: string) =>
    new AppError('conflict', 'HOLD_IN_ORDER', 'the hold belongs to an order; cancel the order instead', {
      extra: orderId === undefined ? {} : { orderId },
    }),
  extendLimit: (maxExpiresAt: Date) =>
    new AppError('conflict', 'EXTEND_LIMIT_REACHED', 'the hold cannot be extended any further', {
      extra: { maxExpiresAt: maxExpiresAt.toISOString() },
    }),
  holdNotRecorded: () =>
    new AppError(
      'unavailable',
      'HOLD_NOT_RECORDED',
      'the hold could not be recorded; its seats were returned',
    ),
  orderNotFound: () => new AppError('not_found', 'ORDER_NOT_FOUND', 'order not found'),
  orderExpired: () => new AppError('conflict', 'ORDER_EXPIRED', 'the order has expired'),
  orderNotPayable: (status: string) =>
    new AppError('conflict', 'ORDER_NOT_PAYABLE', `the order is ${status}`, { extra: { status } }),
  orderNotCancellable: (status: string) =>
    new AppError('conflict', 'ORDER_NOT_CANCELLABLE', `an order that is ${status} cannot be cancelled`, {
      extra: { status },
    }),
  paymentInProgress: () =>
    new AppError(
      'conflict',
      'PAYMENT_IN_PROGRESS',
      'the payment outcome is being resolved with the provider; try again shortly',
    ),
  partialCancelUnpaid: () =>
    new AppError(
      'conflict',
      'PARTIAL_CANCEL_UNPAID',
      'an unpaid order is cancelled as a whole (omit seatIds)',
    ),
  notSeatsOfOrder: (ids: number[]) =>
    new AppError(
      'validation',
      'VALIDATION_FAILED',
      `seats ${ids.join(', ')} are not valid tickets of this order`,
      {
        extra: { field: 'body.seatIds', seatIds: ids },
      },
    ),
  performanceCancelled: () =>
    new AppError(
      'conflict',
      'PERFORMANCE_CANCELLED',
      'the performance was cancelled; nothing can be paid for it',
    ),
  refundUnavailable: () =>
    new AppError('conflict', 'REFUND_UNAVAILABLE', 'refunds are not available yet; try again later'),
  couponsUnavailable: () =>
    new AppError('conflict', 'COUPONS_UNAVAILABLE', 'coupons cannot be applied right now; order without one'),
  seatAlreadySold: (seatIds: number[]) =>
    new AppError(
      'conflict',
      'SEAT_ALREADY_SOLD',
      'a seat of this order was already sold; the payment is refunded',
      {
        extra: { seatIds },
      },
    ),
};
