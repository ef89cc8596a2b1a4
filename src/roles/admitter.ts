import type { Runtime } from '../platform/runtime.ts';
import type { Modules } from './modules.ts';

/**
 * The admitter role: leads the live queues it holds a lease for (one leader per schedule across all
 * admitter processes; the others stand by and take over when a lease runs out). Wiring only.
 */
export function startAdmitterRole(rt: Runtime, modules: Modules): void {
  const admitter = modules.queue.createAdmitter();
  admitter.start();
  rt.onShutdown('admitter', () => admitter.stop({ release: true }));
  rt.logger.info({ owner: admitter.owner }, 'admitter role started');
}
