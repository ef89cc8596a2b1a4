import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process; modules add their business metrics through `metrics.registry`. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  return {
    registry,
    httpDuration,
    httpRequests,
    counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
      return new Counter<L>({ name, help, labelNames, registers: [registry] });
    },
    gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
      return new Gauge<L>({ name, help, labelNames, registers: [registry] });
    },
    histogram<L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[] = [],
      buckets?: number[],
    ) {
      return new Histogram<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        ...(buckets === undefined ? {} : { buckets }),
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
