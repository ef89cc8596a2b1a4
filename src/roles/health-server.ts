import { pingDb } from '../platform/db.ts';
import { createHttpApp, type HttpApp } from '../platform/http/app.ts';
import { registerHealthRoutes } from '../platform/http/health.ts';
import { createAdmin, pingKafka } from '../platform/kafka.ts';
import type { Runtime } from '../platform/runtime.ts';

/**
 * A process without the api role (admitter, relay, worker) still serves `/healthz`, `/readyz` and
 * `/metrics` on HTTP_PORT, so every role has the same probes and Prometheus scrapes every role.
 * Registered before the background roles start, so it closes after them (closers run in reverse).
 */
export async function startHealthServer(rt: Runtime): Promise<HttpApp> {
  const app = createHttpApp(rt);
  const kafkaAdmin = createAdmin(rt.kafka);
  app.addHook('onClose', async () => kafkaAdmin.close());
  registerHealthRoutes(
    app,
    {
      postgres: () => pingDb(rt.db),
      redis: async () => void (await rt.redis.ping()),
      kafka: () => pingKafka(kafkaAdmin),
      shutdown: async () => {
        if (rt.draining) throw new Error('draining for shutdown');
      },
    },
    rt.metrics.registry,
  );
  await app.listen({ host: rt.config.HTTP_HOST, port: rt.config.HTTP_PORT });
  rt.onShutdown('health-http', () => app.close());
  return app;
}
