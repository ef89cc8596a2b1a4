import { startJobs } from '../platform/jobs.ts';
import { startConsumers } from '../platform/outbox/consumer-runner.ts';
import { retentionJob } from '../platform/retention.ts';
import type { Runtime } from '../platform/runtime.ts';
import { type Modules, moduleParts } from './modules.ts';

/** The worker role: every module's Kafka consumers and periodic jobs. */
export function startWorkerRole(rt: Runtime, modules: Modules): void {
  const parts = moduleParts(modules);
  const consumers = parts.flatMap((p) => p.consumers?.() ?? []);
  const jobs = [retentionJob(rt.db), ...parts.flatMap((p) => p.jobs?.() ?? [])];
  const stopConsumers = startConsumers(rt, consumers);
  const stopJobs = startJobs(jobs, rt.logger);
  rt.onShutdown('worker', async () => {
    await Promise.all([stopConsumers(), stopJobs()]);
  });
  rt.logger.info(
    { consumers: consumers.map((c) => c.name), jobs: jobs.map((j) => j.name) },
    'worker role started',
  );
}
