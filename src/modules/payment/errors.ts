import { AppError } from '../../platform/errors.ts';

/** Payment error codes (the HTTP layer maps the kind to a status). */
export const PaymentErrors = {
  orderNotFound: () => new AppError('not_found', 'ORDER_NOT_FOUND', 'no order with this orderId'),
  notOwner: () => new AppError('forbidden', 'FORBIDDEN', 'this order belongs to another account'),
  amountMismatch: (expected: number, got: number) =>
    new AppError('validation', 'AMOUNT_MISMATCH', `the amount ${got} does not match the order amount`, {
      extra: { field: 'body.amount', amount: got, orderAmount: expected },
    }),
  orderExpired: () => new AppError('conflict', 'ORDER_EXPIRED', 'the order has expired; nothing was charged'),
  orderNotPayable: (status: string) =>
    new AppError('conflict', 'ORDER_NOT_PAYABLE', `the order is ${status}`, { extra: { status } }),
  alreadyPaidOtherwise: () =>
    new AppError(
      'conflict',
      'ORDER_ALREADY_PAID',
      'the order was paid with another payment; this one was not charged',
    ),
  paymentInProgress: () =>
    new AppError(
      'conflict',
      'PAYMENT_IN_PROGRESS',
      'a payment of this order is being confirmed; try again shortly',
      {
        retryAfterSeconds: 2,
      },
    ),
  paymentFailed: (providerCode: string, providerMessage: string) =>
    new AppError('payment_required', 'PAYMENT_FAILED', 'the payment provider declined the payment', {
      extra: { providerCode, providerMessage },
    }),
  providerUnavailable: (providerCode: string) =>
    new AppError(
      'unavailable',
      'PAYMENT_PROVIDER_UNAVAILABLE',
      'the payment provider did not answer in time; nothing was charged, try again',
      { extra: { providerCode }, retryAfterSeconds: 2 },
    ),
  outcomeUnknown: () =>
    new AppError(
      'unavailable',
      'PAYMENT_OUTCOME_UNKNOWN',
      'the outcome at the payment provider is being resolved; the order stays PAYMENT_PENDING',
      { extra: { status: 'PAYMENT_PENDING' }, retryAfterSeconds: 3 },
    ),
  seatAlreadySold: (refunded: boolean) =>
    new AppError(
      'conflict',
      'SEAT_ALREADY_SOLD',
      refunded
        ? 'a seat of this order was sold meanwhile; the payment was refunded in full'
        : 'a seat of this order was sold meanwhile; the payment is being refunded in full',
      { extra: { refunded } },
    ),
  notRefundable: (status: string) =>
    new AppError('conflict', 'ORDER_NOT_CANCELLABLE', `an order that is ${status} cannot be refunded`, {
      extra: { status },
    }),
  cancellationClosed: (deadline: Date) =>
    new AppError(
      'conflict',
      'CANCELLATION_CLOSED',
      'the cancellation deadline of this performance has passed',
      {
        extra: { deadline: deadline.toISOString() },
      },
    ),
  refundInProgress: () =>
    new AppError(
      'conflict',
      'REFUND_IN_PROGRESS',
      'a refund of this order is being processed; try again shortly',
      {
        retryAfterSeconds: 2,
      },
    ),
  nothingToRefund: () => new AppError('conflict', 'NOTHING_TO_REFUND', 'these tickets are already refunded'),
  refundFailed: (providerCode: string, providerMessage: string) =>
    new AppError('conflict', 'REFUND_FAILED', 'the payment provider refused the refund', {
      extra: { providerCode, providerMessage },
    }),
  refundPending: () =>
    new AppError(
      'unavailable',
      'REFUND_PENDING',
      'the refund was requested from the provider and is being completed; check the order shortly',
      { retryAfterSeconds: 3 },
    ),
};
