import { ExponentialBackoff, fullJitterGenerator, handleType, retry } from 'cockatiel';

export interface RetrySettings {
  /** Retries after the first call. */
  maxRetries: number;
  baseMs: number;
  capMs: number;
}

/**
 * "Full jitter" (AWS architecture blog): sleep = random(0, min(cap, base · 2^n)) before retry n
 * (n = 0 for the first retry). cockatiel's fullJitterGenerator computes exactly this; the function
 * is here to state the formula and to test it.
 */
export function fullJitterDelay(
  n: number,
  settings: RetrySettings,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(settings.capMs, settings.baseMs * 2 ** n));
}

/** Thrown by an attempt that should be retried (after the backoff); carries the last failure. */
export class RetryNeeded extends Error {
  readonly last: unknown;
  constructor(last: unknown) {
    super('retry needed');
    this.last = last;
  }
}

/**
 * Runs `attempt(n)` (n = 0, 1, ...) until it returns or throws something other than RetryNeeded, at
 * most 1 + maxRetries times, sleeping with capped exponential backoff and full jitter in between.
 * Gives up early once `signal` aborts (the caller's lease ends). Exhausted → the last RetryNeeded.
 */
export async function withRetries<T>(
  settings: RetrySettings,
  attempt: (n: number) => Promise<T>,
  options: { signal?: AbortSignal; onRetry?: (n: number, delayMs: number) => void } = {},
): Promise<T> {
  const policy = retry(handleType(RetryNeeded), {
    maxAttempts: settings.maxRetries,
    backoff: new ExponentialBackoff({
      generator: fullJitterGenerator,
      initialDelay: settings.baseMs,
      maxDelay: settings.capMs,
      exponent: 2,
    }),
  });
  if (options.onRetry !== undefined) {
    const onRetry = options.onRetry;
    policy.onRetry((e) => onRetry(e.attempt, e.delay));
  }
  return policy.execute(async ({ attempt: n }) => {
    if (n > 0 && options.signal?.aborted) throw new GaveUp();
    return attempt(n);
  }, options.signal);
}

/** The retry budget's deadline passed before the next attempt. */
export class GaveUp extends Error {
  constructor() {
    super('retry deadline reached');
  }
}
