import type { Registry } from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  labels: { method: string; route: string; status_code: string };
  /** observations per bucket (not cumulative), the last one past the largest bound (+Inf) */
  counts: number[];
  sum: number;
  count: number;
}

interface ValuePair {
  labels: Record<string, string | number>;
  sharedLabels: Series['labels'];
  value: number;
  /** the series name; absent for a counter (the metric's name), as prom-client's Counter leaves it */
  metricName?: string;
}

/**
 * `http_request_duration_seconds` (histogram) and `http_requests_total` (counter) by method, route and
 * status code, exposed in the registry exactly as prom-client's Histogram and Counter print them.
 *
 * Recorded on every request, so recording is a Map lookup by a precomputed key and a bucket scan:
 * prom-client's `observe(labels)` / `inc(labels)` rebuild and validate a label hash per call (~1 µs a
 * request, measured; its `labels()` children do the same). The text is built only when scraped.
 */
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export class HttpMetrics {
  readonly #series = new Map<string, Series>();
  /** per route object (its config: stable per route and method) → (status, method) → series */
  readonly #byRoute = new WeakMap<object, Map<number | string, Series>>();

  constructor(registry: Registry) {
    registry.registerMetric(this.#metric('http_request_duration_seconds', 'histogram') as never);
    registry.registerMetric(this.#metric('http_requests_total', 'counter') as never);
  }

  /**
   * One finished request: `route` is the route pattern ('unmatched' for a 404), `routeKey` any object
   * that stands for the route (Fastify's route config), so the series is found without building a key.
   */
  record(routeKey: object, method: string, route: string, statusCode: number, seconds: number): void {
    let byRoute = this.#byRoute.get(routeKey);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.#byRoute.set(routeKey, byRoute);
    }
    const m = METHODS.indexOf(method);
    const key = m >= 0 ? statusCode * 8 + m : `${statusCode} ${method}`;
    let s = byRoute.get(key);
    if (s === undefined) {
      s = this.#seriesOf(method, route, statusCode);
      byRoute.set(key, s);
    }
    let b = 0;
    while (b < BUCKETS.length && seconds > (BUCKETS[b] as number)) b++;
    s.counts[b] = (s.counts[b] as number) + 1;
    s.sum += seconds;
    s.count += 1;
  }

  #seriesOf(method: string, route: string, statusCode: number): Series {
    const key = `${statusCode} ${method} ${route}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      s = {
        labels: { method, route, status_code: String(statusCode) },
        counts: new Array<number>(BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#series.set(key, s);
    }
    return s;
  }

  /** A metric object as the registry reads it (name, help, type, getForPromString/get, reset). */
  #metric(name: string, type: 'histogram' | 'counter') {
    const help =
      type === 'histogram'
        ? 'HTTP request latency by route, method and status code'
        : 'HTTP requests by route, method and status code';
    const values = () => (type === 'histogram' ? this.#histogramValues(name) : this.#counterValues());
    return {
      name,
      help,
      type,
      aggregator: 'sum',
      getForPromString: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
      get: async () => ({
        name,
        help,
        type,
        aggregator: 'sum',
        values: values().map((v) => ({
          value: v.value,
          metricName: v.metricName,
          labels: { ...v.sharedLabels, ...v.labels },
        })),
      }),
      reset: () => {
        for (const s of this.#series.values()) {
          s.counts.fill(0);
          s.sum = 0;
          s.count = 0;
        }
      },
    };
  }

  #histogramValues(name: string): ValuePair[] {
    const out: ValuePair[] = [];
    for (const s of this.#series.values()) {
      let acc = 0;
      BUCKETS.forEach((le, i) => {
        acc += s.counts[i] as number;
        out.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: `${name}_bucket` });
      });
      out.push({
        labels: { le: '+Inf' },
        sharedLabels: s.labels,
        value: s.count,
        metricName: `${name}_bucket`,
      });
      out.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${name}_sum` });
      out.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${name}_count` });
    }
    return out;
  }

  #counterValues(): ValuePair[] {
    return [...this.#series.values()].map((s) => ({
      labels: {},
      sharedLabels: s.labels,
      value: s.count,
    }));
  }
}
