import type { SeatStatusSource } from '../ports.ts';
import type { SeatMapCache } from './cache.ts';
import type { LiveSeatCache, LiveView } from './live-cache.ts';
import type { StaticSeatMap } from './static-map.ts';

export type { StandingView } from './live-cache.ts';

/**
 * The public seat map of one schedule, as response bytes shared by concurrent readers (see
 * LiveSeatCache). Undefined when the schedule is unknown or its performance deleted.
 */
export async function seatMapView(
  cache: SeatMapCache,
  live: LiveSeatCache,
  source: SeatStatusSource,
  scheduleId: string,
): Promise<LiveView | undefined> {
  const found = await cache.forSchedule(scheduleId);
  if (found === undefined || found.key.status === 'DELETED') return undefined;
  return live.view(scheduleId, found.key.status, found.map, source);
}

/** Remaining seats and places per grade of one schedule (performance detail). */
export async function remainingByGrade(
  map: StaticSeatMap,
  live: LiveSeatCache,
  source: SeatStatusSource,
  scheduleId: string,
  status: string,
): Promise<Map<string, number>> {
  const view = await live.view(scheduleId, status, map, source);
  const left = [...map.gradeTotals];
  for (const id of view.unavailable.keys()) {
    const i = map.indexById.get(id);
    if (i === undefined) continue;
    const g = map.gradeIdx[i] as number;
    left[g] = (left[g] ?? 0) - 1;
  }
  const out = new Map<string, number>();
  for (const [g, grade] of map.grades.entries()) out.set(grade, left[g] ?? 0);
  for (const s of view.standing) out.set(s.grade, (out.get(s.grade) ?? 0) + s.available);
  return out;
}
