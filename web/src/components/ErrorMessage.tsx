import { isApiError } from '../api/client.ts';
import type { MessageKey } from '../i18n/dictionary.ts';
import { type Translate, useI18n } from '../i18n/I18n.tsx';

const KNOWN: Record<string, MessageKey> = {
  NETWORK: 'error.network',
  INVALID_CREDENTIALS: 'error.invalidCredentials',
  EMAIL_TAKEN: 'error.emailTaken',
  SEATS_UNAVAILABLE: 'error.seatsUnavailable',
  TICKET_LIMIT: 'error.ticketLimit',
  ADMISSION_REQUIRED: 'error.admissionRequired',
  SOLD_OUT: 'error.soldOut',
  SALES_CLOSED: 'error.salesClosed',
  LIMIT_REACHED: 'error.limitReached',
  NOT_ISSUING: 'error.notIssuing',
  PAYMENT_FAILED: 'error.paymentFailed',
  ORDER_EXPIRED: 'error.orderExpired',
  CANCELLATION_CLOSED: 'error.cancellationClosed',
  HAS_SALES: 'error.hasSales',
  COUPON_NOT_USABLE: 'error.couponNotUsable',
  RATE_LIMITED: 'error.rateLimited',
  HOLD_EXPIRED: 'error.holdExpired',
};

/** A sentence for any failure: known problem codes in the reader's language, else the server's detail. */
export function describeError(error: unknown, t: Translate): string {
  if (isApiError(error)) {
    const key = KNOWN[error.code];
    if (key !== undefined) {
      const provider = error.problem.providerMessage;
      return typeof provider === 'string' ? `${t(key)} (${provider})` : t(key);
    }
    if (error.status === 401) return t('error.signInAgain');
    if (error.status === 403) return t('error.forbidden');
    if (error.status === 404) return t('error.notFound');
    return error.message || error.code;
  }
  return error instanceof Error ? error.message : t('error.unknown');
}

export function ErrorMessage({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error === undefined || error === null) return null;
  return (
    <p className="alert alert-error" role="alert">
      {describeError(error, t)}
    </p>
  );
}
