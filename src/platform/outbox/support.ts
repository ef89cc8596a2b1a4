import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../metrics.ts';

/**
 * Metrics that survive a second start in the same process (tests start several relays or consumer
 * runners on one runtime): the registry refuses a name twice, so reuse the one already there.
 */
export function counterOnce<L extends string>(
  metrics: Metrics,
  name: string,
  help: string,
  labels: readonly L[],
): Counter<L> {
  return (
    (metrics.registry.getSingleMetric(name) as Counter<L> | undefined) ?? metrics.counter(name, help, labels)
  );
}

export function gaugeOnce<L extends string>(
  metrics: Metrics,
  name: string,
  help: string,
  labels: readonly L[],
): Gauge<L> {
  return (
    (metrics.registry.getSingleMetric(name) as Gauge<L> | undefined) ?? metrics.gauge(name, help, labels)
  );
}

export function histogramOnce<L extends string>(
  metrics: Metrics,
  name: string,
  help: string,
  labels: readonly L[],
  buckets?: number[],
): Histogram<L> {
  return (
    (metrics.registry.getSingleMetric(name) as Histogram<L> | undefined) ??
    metrics.histogram(name, help, labels, buckets)
  );
}

/**
 * A sleep that a wake-up (LISTEN notification, stop) cuts short. A wake that arrives while the owner
 * is busy is remembered, so the next sleep returns at once and no notification is lost.
 */
export class Waker {
  #pending = false;
  #resolve: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  sleep(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#timer = setTimeout(() => this.#settle(), ms);
    });
  }

  wake(): void {
    if (this.#resolve === undefined) this.#pending = true;
    else this.#settle();
  }

  #settle(): void {
    clearTimeout(this.#timer);
    const resolve = this.#resolve;
    this.#resolve = undefined;
    this.#pending = false;
    resolve?.();
  }
}

/** Exponential backoff with a cap and a little jitter: 200 ms, 400 ms, ... up to `capMs`. */
export function backoffMs(attempt: number, capMs = 30_000): number {
  const base = Math.min(capMs, 200 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Shutdown must not hang on a client that never answers: give up waiting after `ms`. */
export function bounded(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
