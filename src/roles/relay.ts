import { startRelay } from '../platform/outbox/relay.ts';
import type { Runtime } from '../platform/runtime.ts';

/** The relay role: outbox → Kafka. Stopped after HTTP and before the pools (see main.ts). */
export function startRelayRole(rt: Runtime): void {
  const stop = startRelay(rt);
  rt.onShutdown('relay', stop);
}
