import { createIdentityModule } from '../modules/identity/index.ts';
import type { Runtime } from '../platform/runtime.ts';

/**
 * Wires every module by hand, in dependency order. Each module gets only what it needs; modules
 * reach each other only through what these factories return.
 */
export function createModules(rt: Runtime) {
  const identity = createIdentityModule({
    db: rt.db,
    config: rt.config,
    logger: rt.logger,
    tokens: rt.tokens,
    rateLimiter: rt.rateLimiter,
  });
  return { identity };
}

export type Modules = ReturnType<typeof createModules>;
