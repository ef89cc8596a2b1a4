import { Errors } from '../../platform/errors.ts';
import type { Principal } from '../../platform/tokens.ts';
import { QueueErrors } from './errors.ts';
import type { QueueCatalog } from './ports.ts';
import { publish, type QueueResources, withQueue } from './service.ts';

export interface QueueSettingsPatch {
  paused?: boolean;
  admitPerSecond?: number;
  maxActive?: number;
}

export interface QueueSettingsView {
  paused: boolean;
  admitPerSecond: number;
  maxActive: number;
  admissionTtlSeconds: number;
}

export interface QueueStatsView extends QueueSettingsView {
  waiting: number;
  active: number;
  admittedTotal: number;
  preQueue: number;
  measuredAdmitPerSecond: number;
  closed: string | null;
}

/** Owner SELLER of the performance, or any ADMIN. */
export async function assertOwner(
  catalog: QueueCatalog,
  scheduleId: string,
  principal: Principal,
): Promise<void> {
  const schedule = await catalog.getScheduleForSale(scheduleId);
  if (schedule === null || schedule.status === 'DELETED') throw Errors.notFound('schedule');
  if (principal.role === 'ADMIN') return;
  const owner = await catalog.getPerformanceOwner(schedule.performanceId);
  if (owner === null || owner.sellerId !== principal.userId) throw QueueErrors.notOwner();
}

/**
 * PATCH …/queue: durable in PostgreSQL (a rebuild keeps it), then in the Redis meta hash that the
 * leader's admission script reads every 100 ms, so a change takes effect within the next tick.
 */
export async function updateSettings(
  r: QueueResources,
  scheduleId: string,
  patch: QueueSettingsPatch,
): Promise<QueueSettingsView> {
  if (patch.paused === undefined && patch.admitPerSecond === undefined && patch.maxActive === undefined) {
    throw QueueErrors.emptyPatch();
  }
  await r.bootstrap.ensure(scheduleId);
  await r.repo.saveSettings(scheduleId, patch);
  const fields: Record<string, string | number> = {};
  if (patch.paused !== undefined) fields.paused = patch.paused ? '1' : '0';
  if (patch.admitPerSecond !== undefined) fields.rate = patch.admitPerSecond;
  if (patch.maxActive !== undefined) fields.maxActive = patch.maxActive;
  await withQueue(r, scheduleId, async () => ((await r.store.configure(scheduleId, fields)) ? true : null));
  if (patch.paused !== undefined) publish(r, { s: scheduleId, k: 'paused' });
  const stats = await queueStats(r, scheduleId);
  return {
    paused: stats.paused,
    admitPerSecond: stats.admitPerSecond,
    maxActive: stats.maxActive,
    admissionTtlSeconds: stats.admissionTtlSeconds,
  };
}

export async function queueStats(r: QueueResources, scheduleId: string): Promise<QueueStatsView> {
  const s = await withQueue(r, scheduleId, () => r.store.stats(scheduleId));
  return {
    waiting: s.waiting + s.preQueue,
    active: s.active,
    admittedTotal: s.admittedTotal,
    admitPerSecond: s.admitPerSecond,
    maxActive: s.maxActive,
    paused: s.paused,
    admissionTtlSeconds: s.admissionTtlSeconds,
    preQueue: s.preQueue,
    measuredAdmitPerSecond: s.measuredAdmitPerSecond,
    closed: s.closed,
  };
}
