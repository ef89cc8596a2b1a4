/**
 * Domain code throws AppError with a stable upper-snake `code` and a *kind*; it never picks an HTTP
 * status. The HTTP layer maps kinds to statuses (see http/problem.ts), so use cases stay transport-free.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payment_required'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'internal';

export class AppError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  /** Extra members of the problem document (e.g. `unavailableSeatIds`). */
  readonly extra: Record<string, unknown>;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    kind: ErrorKind,
    code: string,
    detail: string,
    options: { extra?: Record<string, unknown>; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.extra = options.extra ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Small constructors for the codes every module shares. Module-specific codes live in each module's errors.ts. */
export const Errors = {
  validation: (field: string, detail: string) =>
    new AppError('validation', 'VALIDATION_FAILED', detail, { extra: { field } }),
  unauthenticated: (detail = 'a valid access token is required') =>
    new AppError('unauthenticated', 'UNAUTHENTICATED', detail),
  forbidden: (detail = 'not allowed for this account') => new AppError('forbidden', 'FORBIDDEN', detail),
  notFound: (what: string) => new AppError('not_found', 'NOT_FOUND', `${what} not found`),
  conflict: (code: string, detail: string, extra?: Record<string, unknown>) =>
    new AppError('conflict', code, detail, extra === undefined ? {} : { extra }),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError('rate_limited', 'RATE_LIMITED', 'too many requests; retry later', { retryAfterSeconds }),
  unavailable: (code: string, detail: string) => new AppError('unavailable', code, detail),
};
