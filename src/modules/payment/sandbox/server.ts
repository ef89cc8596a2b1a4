import type { AddressInfo } from 'node:net';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { HttpApp } from '../../../platform/http/app.ts';
import type { Logger } from '../../../platform/logger.ts';
import { registerSandbox, SANDBOX_PREFIX, type SandboxHandle } from './routes.ts';
import { type SandboxSettings, settingsFromEnv } from './settings.ts';
import type { SandboxDb } from './tables.ts';

export interface SandboxServer extends SandboxHandle {
  app: HttpApp;
  /** Base URL of the Toss API it serves, e.g. `http://127.0.0.1:8090/sandbox/toss`. */
  url: string;
  close(): Promise<void>;
}

/**
 * The sandbox on its own HTTP server (no QueueTicket routes, no JWT, no rate limits): what
 * `standalone.ts` runs and what tests use to play an external provider.
 */
export async function startSandboxServer(options: {
  db: SandboxDb;
  logger: Logger;
  host?: string;
  port?: number;
  defaults?: SandboxSettings;
}): Promise<SandboxServer> {
  const app = Fastify({
    loggerInstance: options.logger,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpApp;
  let base: string | null = null;
  const handle = registerSandbox(app, {
    db: options.db,
    logger: options.logger,
    defaults: options.defaults ?? settingsFromEnv(process.env, false),
    selfBaseUrl: () => base,
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  base = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return { ...handle, app, url: `${base}${SANDBOX_PREFIX}`, close: () => app.close() };
}
