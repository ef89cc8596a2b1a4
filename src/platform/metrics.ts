import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics.ts';

/** One registry per process; modules add their business metrics through `metrics.registry`. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    /** http_request_duration_seconds and http_requests_total, recorded cheaply on every request */
    http: new HttpMetrics(registry),
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
