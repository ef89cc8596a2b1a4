import { isAppError } from '../../platform/errors.ts';
import type { JobSpec } from '../../platform/jobs.ts';
import { type Calendar, localDayPeriod, type Period, previousLocalMonth } from './calendar.ts';
import { type RunDeps, runSettlement } from './run.ts';
import { findRun } from './settlement-repository.ts';

export interface ScheduleDeps extends RunDeps {
  calendar: Calendar;
  schedule: { daily: boolean; monthly: boolean };
  backfillDays: number;
  jobIntervalMs: number;
  logWarn(obj: object, msg: string): void;
}

/** The periods due now, oldest first: the last `backfillDays` local days, then the previous month. */
export function duePeriods(
  now: Date,
  deps: Pick<ScheduleDeps, 'calendar' | 'schedule' | 'backfillDays'>,
): Period[] {
  const periods: Period[] = [];
  if (deps.schedule.daily) {
    for (let daysAgo = deps.backfillDays; daysAgo >= 1; daysAgo--) {
      periods.push(localDayPeriod(now, daysAgo, deps.calendar));
    }
  }
  if (deps.schedule.monthly) periods.push(previousLocalMonth(now, deps.calendar));
  return periods;
}

/**
 * The worker role's scheduled runs. Every tick settles each due period no run covers yet (a rerun
 * would be a no-op anyway; skipping it spares the catch-up wait). Several workers may tick at once:
 * the ledger lock serialises their runs and the second finds nothing to do.
 */
export function settlementJobs(deps: ScheduleDeps): JobSpec[] {
  if (!deps.schedule.daily && !deps.schedule.monthly) return [];
  return [
    {
      name: 'settlement-scheduled-runs',
      intervalMs: deps.jobIntervalMs,
      async run() {
        for (const period of duePeriods(deps.now(), deps)) {
          if ((await findRun(deps.db, period.periodStart, period.periodEnd)) !== null) continue;
          try {
            await runSettlement(deps, { ...period, trigger: 'SCHEDULE' });
          } catch (err) {
            if (isAppError(err) && err.code === 'LEDGER_NOT_CAUGHT_UP') {
              deps.logWarn({ period, err: err.message }, 'scheduled settlement run waits for the ledger');
              return; // later periods wait too, so carry-forwards keep their order
            }
            throw err;
          }
        }
      },
    },
  ];
}
