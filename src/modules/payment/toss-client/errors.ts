/** A Toss API answer that is not 2xx: Toss's `{code, message}` body with its HTTP status. */
export class TossApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'TossApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * No usable answer from Toss. `CONNECT`: the request never left (refused, DNS, connect timeout), so
 * nothing can have happened at Toss. `TIMEOUT` / `RESET` / `BAD_RESPONSE`: the request may have been
 * processed; the outcome is unclear until the payment is queried.
 */
export type TransportFailure = 'CONNECT' | 'TIMEOUT' | 'RESET' | 'BAD_RESPONSE';

export class TossTransportError extends Error {
  readonly kind: TransportFailure;

  constructor(kind: TransportFailure, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TossTransportError';
    this.kind = kind;
  }
}

/**
 * What a failed call means for the caller:
 * - `RETRYABLE`: nothing happened at Toss (or Toss asks for a retry); retry under the same key.
 * - `UNCLEAR`: Toss may have processed it; query the payment before retrying.
 * - `FINAL`: a decision (decline, bad request, session gone); retrying cannot change it.
 * The table is documented in docs/decisions/0008-payments.md.
 */
export type FailureClass = 'RETRYABLE' | 'UNCLEAR' | 'FINAL';

const RETRYABLE_CODES = new Set([
  'PROVIDER_ERROR',
  'FAILED_INTERNAL_SYSTEM_PROCESSING',
  'FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING',
  'FAILED_CARD_COMPANY_RESPONSE',
  'FAILED_METHOD_HANDLING_CANCEL',
  'IDEMPOTENT_REQUEST_PROCESSING',
  'FORBIDDEN_CONSECUTIVE_REQUEST',
  'TOO_MANY_REQUESTS',
  'COMMON_ERROR',
]);

/** Codes that mean "maybe done already": the payment must be read to know. */
const UNCLEAR_CODES = new Set([
  'UNKNOWN_PAYMENT_ERROR',
  'ALREADY_PROCESSED_PAYMENT',
  'ALREADY_CANCELED_PAYMENT',
]);

export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof TossTransportError) return error.kind === 'CONNECT' ? 'RETRYABLE' : 'UNCLEAR';
  if (error instanceof TossApiError) {
    if (UNCLEAR_CODES.has(error.code)) return 'UNCLEAR';
    if (RETRYABLE_CODES.has(error.code) || error.status === 429) return 'RETRYABLE';
    if (error.status >= 500) return 'UNCLEAR';
    return 'FINAL';
  }
  // A bug or an abort on our side: treat as unclear, the payment is then queried.
  return 'UNCLEAR';
}

export function failureCode(error: unknown): string {
  if (error instanceof TossApiError) return error.code;
  if (error instanceof TossTransportError) return `NETWORK_${error.kind}`;
  return 'CLIENT_ERROR';
}
