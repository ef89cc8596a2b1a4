import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { pingDb } from '../platform/db.ts';
import { createHttpApp, type HttpApp } from '../platform/http/app.ts';
import { registerHealthRoutes } from '../platform/http/health.ts';
import { createAdmin, pingKafka } from '../platform/kafka.ts';
import type { Runtime } from '../platform/runtime.ts';
import { type Modules, moduleParts } from './modules.ts';
import { registerWebUi } from './web-ui.ts';

/** Builds the HTTP app (not listening): routes of every module, health, metrics, OpenAPI at /docs. */
export async function buildApi(rt: Runtime, modules: Modules): Promise<HttpApp> {
  const app = createHttpApp(rt);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'QueueTicket API', version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // The API document and its explorer are public, like the contract they describe.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/'))
      route.config = { ...route.config, auth: 'public' };
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

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

  for (const part of moduleParts(modules)) part.registerRoutes?.(app);
  // The web UI (web/dist, `make web`) at `/`, with index.html for the app's own paths.
  await registerWebUi(app);
  return app;
}

export async function startApi(rt: Runtime, modules: Modules): Promise<HttpApp> {
  const app = await buildApi(rt, modules);
  await app.listen({ host: rt.config.HTTP_HOST, port: rt.config.HTTP_PORT });
  rt.onShutdown('http', () => app.close());
  return app;
}
