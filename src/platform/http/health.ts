import { Gauge, type Registry } from 'prom-client';
import type { HttpApp } from './app.ts';

export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2000;

/** /healthz: the process runs. /readyz: every dependency answers, else 503 naming the ones that do not. */
export function registerHealthRoutes(
  app: HttpApp,
  checks: Record<string, ReadinessCheck>,
  registry: Registry,
): void {
  const config = { auth: 'public', skipIpLimit: true } as const;
  app.get('/healthz', { config, schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config, schema: { hide: true } }, async (_request, reply) => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const),
    );
    const results = Object.fromEntries(entries);
    const failing = entries.filter(([, r]) => r !== 'ok').map(([n]) => n);
    if (failing.length === 0) return { status: 'ready', checks: results };
    return reply.code(503).send({ status: 'not ready', failing, checks: results });
  });

  // The same checks as gauges, run at each scrape, so Prometheus alerts on a role that is not ready.
  if (registry.getSingleMetric('qt_readiness_check') === undefined) {
    new Gauge({
      name: 'qt_readiness_check',
      help: '1 when the readiness check (postgres, redis, kafka, shutdown) passes, else 0',
      labelNames: ['check'],
      registers: [registry],
      async collect() {
        const results = await Promise.all(
          Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const),
        );
        for (const [name, result] of results) this.set({ check: name }, result === 'ok' ? 1 : 0);
      },
    });
  }

  app.get('/metrics', { config, schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

async function runCheck(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
