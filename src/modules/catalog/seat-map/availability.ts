import { Readable } from 'node:stream';
import type { SeatStatusSource } from '../ports.ts';
import type { SeatMapCache } from './cache.ts';
import { overlayStatuses, type StaticSeatMap } from './static-map.ts';

export interface StandingView {
  sectionId: string;
  section: string;
  grade: string;
  price: number;
  capacity: number;
  available: number;
}

async function standingOf(
  map: StaticSeatMap,
  source: SeatStatusSource,
  scheduleId: string,
): Promise<StandingView[]> {
  return Promise.all(
    map.standing.map(async (s) => {
      const taken = await source.standingTaken(scheduleId, s.sectionId);
      return { ...s, available: Math.max(0, s.capacity - taken) };
    }),
  );
}

/**
 * The public seat map of one schedule as a JSON byte stream: the cached static seats (a shared
 * buffer when every seat is free, else one copy with the HELD / SOLD bytes written in) between a
 * small head and a tail carrying the standing sections. Undefined when the schedule is unknown
 * or its performance deleted.
 */
export async function renderSeatMap(
  cache: SeatMapCache,
  source: SeatStatusSource,
  scheduleId: string,
): Promise<{ stream: Readable; length: number } | undefined> {
  const found = await cache.forSchedule(scheduleId);
  if (found === undefined || found.key.status === 'DELETED') return undefined;
  const { map } = found;
  const [unavailable, standing] = await Promise.all([
    source.unavailableSeats(scheduleId),
    standingOf(map, source, scheduleId),
  ]);
  const seats = overlayStatuses(map, unavailable);
  const head = Buffer.from(`{"scheduleId":"${scheduleId}","status":"${found.key.status}","seats":[`);
  const tail = Buffer.from(`],"standing":${JSON.stringify(standing)}}`);
  return {
    stream: Readable.from([head, seats, tail], { objectMode: false }),
    length: head.length + seats.length + tail.length,
  };
}

/** Remaining seats and places per grade of one schedule (performance detail). */
export async function remainingByGrade(
  map: StaticSeatMap,
  source: SeatStatusSource,
  scheduleId: string,
): Promise<Map<string, number>> {
  const [unavailable, standing] = await Promise.all([
    source.unavailableSeats(scheduleId),
    standingOf(map, source, scheduleId),
  ]);
  const left = [...map.gradeTotals];
  for (const id of unavailable.keys()) {
    const i = map.indexById.get(id);
    if (i === undefined) continue;
    const g = map.gradeIdx[i] as number;
    left[g] = (left[g] ?? 0) - 1;
  }
  const out = new Map<string, number>();
  for (const [g, grade] of map.grades.entries()) out.set(grade, left[g] ?? 0);
  for (const s of standing) out.set(s.grade, (out.get(s.grade) ?? 0) + s.available);
  return out;
}
