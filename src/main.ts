import { loadConfig } from './platform/config.ts';
import { createLogger } from './platform/logger.ts';
import { createRuntime } from './platform/runtime.ts';
import { startAdmitterRole } from './roles/admitter.ts';
import { startApi } from './roles/api.ts';
import { startHealthServer } from './roles/health-server.ts';
import { createModules } from './roles/modules.ts';
import { startRelayRole } from './roles/relay.ts';
import { startWorkerRole } from './roles/worker.ts';

// `node src/main.ts worker` (the container's command argument) overrides ROLES.
const roleArgument = process.argv[2];
const config = loadConfig(roleArgument === undefined ? process.env : { ...process.env, ROLES: roleArgument });
const logger = createLogger(config.LOG_LEVEL);
const rt = createRuntime(config, logger);
const modules = createModules(rt);

async function start(): Promise<void> {
  logger.info({ roles: [...rt.roles] }, 'starting QueueTicket');
  // Background-only processes still answer probes and scrapes; started first, so it closes last.
  if (!rt.roles.has('api')) await startHealthServer(rt);
  // Closers run in reverse order of registration: registering relay/worker before the api stops HTTP first.
  if (rt.roles.has('relay')) startRelayRole(rt);
  if (rt.roles.has('worker')) startWorkerRole(rt, modules);
  if (rt.roles.has('admitter')) startAdmitterRole(rt, modules);
  if (rt.roles.has('api')) {
    await modules.identity.bootstrapAdmin();
    if (config.DEMO_DATA) await modules.catalog.seedDemoData();
    await startApi(rt, modules);
  }
  logger.info(
    { url: `http://${config.HTTP_HOST}:${config.HTTP_PORT}`, roles: [...rt.roles] },
    'QueueTicket started',
  );
}

// Ordered shutdown: stop accepting HTTP first, then background roles, then pools (see Runtime.shutdown).
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.SHUTDOWN_DRAIN_MS + 15_000);
    force.unref();
    void rt.shutdown().then(() => process.exit(0));
  });
}

start().catch((err: unknown) => {
  logger.fatal({ err }, 'start-up failed');
  void rt.shutdown().finally(() => process.exit(1));
});
