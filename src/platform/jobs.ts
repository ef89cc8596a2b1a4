import type { Logger } from './logger.ts';

/** A periodic background task of the worker (or admitter) role. */
export interface JobSpec {
  name: string;
  intervalMs: number;
  run(): Promise<void>;
}

/**
 * Runs each job every `intervalMs`, never overlapping itself; errors are logged and the job goes on.
 * Returns a stop function that waits for runs in flight.
 */
export function startJobs(jobs: readonly JobSpec[], logger: Logger): () => Promise<void> {
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const timers = jobs.map((job) => {
    const tick = async () => {
      if (stopped) return;
      const run = job.run().catch((err: unknown) => logger.error({ err, job: job.name }, 'job failed'));
      inFlight.add(run);
      await run;
      inFlight.delete(run);
      if (!stopped) timer.ref = setTimeout(tick, job.intervalMs);
    };
    const timer: { ref: NodeJS.Timeout } = { ref: setTimeout(tick, job.intervalMs) };
    return timer;
  });
  return async () => {
    stopped = true;
    for (const t of timers) clearTimeout(t.ref);
    await Promise.all(inFlight);
  };
}
