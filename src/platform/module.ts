import type { HttpApp } from './http/app.ts';
import type { JobSpec } from './jobs.ts';
import type { ConsumerSpec } from './outbox/consumer.ts';

/**
 * What a module may contribute to the roles. `src/roles/*` collects these from every module:
 * routes go to the api role, consumers and jobs to the worker role.
 */
export interface ModuleParts {
  registerRoutes?(app: HttpApp): void;
  consumers?(): ConsumerSpec[];
  jobs?(): JobSpec[];
}
