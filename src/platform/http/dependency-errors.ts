import { AppError } from '../errors.ts';

// PostgreSQL SQLSTATEs meaning "the database is not reachable or refusing work right now":
// class 08 (connection exception), 57P01-57P03 (shutdown / cannot connect now), 53300 (too many connections).
const PG_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const REDIS_MESSAGES = [
  /Connection is closed/i,
  /Reached the max retries per request/i,
  /Stream isn't writeable/i,
];

/**
 * An error caused by PostgreSQL or Redis being unreachable becomes 503 + Retry-After, not 500:
 * the request was fine and a retry will likely work once the dependency is back.
 */
export function fromDependencyError(error: unknown): AppError | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  const isPg = typeof code === 'string' && PG_UNAVAILABLE.test(code);
  const isNetwork = typeof code === 'string' && NETWORK_CODES.has(code);
  const isRedis =
    error.name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((re) => re.test(error.message));
  const isPoolTimeout = /timeout exceeded when trying to connect/i.test(error.message);
  if (!isPg && !isNetwork && !isRedis && !isPoolTimeout) return null;
  return new AppError(
    'unavailable',
    'DEPENDENCY_UNAVAILABLE',
    'a backing service is unavailable; retry shortly',
    {
      retryAfterSeconds: 2,
      cause: error,
    },
  );
}

/**
 * PostgreSQL "data exception" (SQLSTATE class 22: NUL in text, number out of range, bad datetime,
 * invalid text for a type) raised by a value the request carried: the request is wrong, not the
 * server, so it is a 400 naming no field (the database does not say which one) rather than a 500.
 */
export function fromDataException(error: unknown): AppError | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^22[0-9A-Z]{3}$/.test(code)) return null;
  return new AppError(
    'validation',
    'VALIDATION_FAILED',
    'a value in the request cannot be stored or compared (e.g. a NUL character or an out-of-range number)',
    {
      extra: { field: 'request' },
      cause: error,
    },
  );
}
