import type { Tx } from '../../platform/db.ts';
import type { PerformanceRepository, PerformanceRow, ScheduleRow } from './performance-repository.ts';
import type { ScheduleCapacity, ScheduleForSale, SeatInfo, StandingSectionInfo } from './ports.ts';
import type { SeatMapCache } from './seat-map/cache.ts';
import type { SeatMapRepository } from './seat-map/seat-map-repository.ts';
import { seatInfoAt } from './seat-map/static-map.ts';
import type { CatalogTables, PerformanceStatus } from './tables.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids from other modules or URLs are checked before they reach PostgreSQL's uuid parser. */
export const isUuid = (id: string): boolean => UUID.test(id);

function toSale(
  p: PerformanceRow,
  s: ScheduleRow,
  grades: { grade: string; price: number }[],
): ScheduleForSale {
  return {
    scheduleId: s.id,
    performanceId: p.id,
    sellerId: p.sellerId,
    title: p.title,
    venueId: p.venueId,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    salesOpenAt: p.salesOpenAt,
    salesCloseAt: p.salesCloseAt,
    status: p.status,
    maxTicketsPerBuyer: p.maxTicketsPerBuyer,
    queue: { ...p.queue },
    cancellationPolicy: {
      deadlineHoursBeforeStart: p.cancellationPolicy.deadlineHoursBeforeStart,
      fees: p.cancellationPolicy.fees.map((f) => ({ ...f })),
    },
    grades: grades.map((g) => ({ ...g })),
  };
}

/** The functions docs/contracts.md names for queue, booking and coupon (reads only). */
export function saleQueries(
  performances: PerformanceRepository,
  cache: SeatMapCache,
  seatMaps: SeatMapRepository,
) {
  return {
    /** Always read from PostgreSQL: status and sales window must be current for whoever sells. */
    async getScheduleForSale(scheduleId: string): Promise<ScheduleForSale | null> {
      if (!isUuid(scheduleId)) return null;
      const found = await performances.findForSale(scheduleId);
      return found === undefined ? null : toSale(found.performance, found.schedule, found.grades);
    },

    async listSchedulesOfPerformance(performanceId: string): Promise<ScheduleForSale[]> {
      if (!isUuid(performanceId)) return [];
      const [p, grades, schedules] = await Promise.all([
        performances.findById(performanceId),
        performances.grades(performanceId),
        performances.schedules(performanceId),
      ]);
      return p === undefined ? [] : schedules.map((s) => toSale(p, s, grades));
    },

    /** Only seats of the schedule's venue; unknown ids are left out (compare lengths to detect them). */
    async getSeats(scheduleId: string, seatIds: number[]): Promise<SeatInfo[]> {
      if (!isUuid(scheduleId) || seatIds.length === 0) return [];
      const found = await cache.forSchedule(scheduleId);
      if (found === undefined) return [];
      const out: SeatInfo[] = [];
      for (const id of new Set(seatIds)) {
        const i = found.map.indexById.get(id);
        if (i !== undefined) out.push(seatInfoAt(found.map, i));
      }
      return out;
    },

    /**
     * How many tickets the schedule can sell: its venue's seats plus every standing section's capacity
     * (from the seat-map cache). Booking compares sold tickets with `total` to detect a sell-out.
     */
    async getScheduleCapacity(scheduleId: string): Promise<ScheduleCapacity | null> {
      if (!isUuid(scheduleId)) return null;
      const found = await cache.forSchedule(scheduleId);
      if (found === undefined) return null;
      const seats = found.map.ids.length;
      const standing = found.map.standing.reduce((sum, s) => sum + s.capacity, 0);
      return { seats, standing, total: seats + standing };
    },

    /**
     * `executor`: the caller's open transaction (booking marking an order paid inside payment's). Then
     * the section is read through it, not the cache: a cache miss would wait for a second pool
     * connection while that transaction holds one (a deadlock once every connection does).
     */
    async getStandingSection(
      scheduleId: string,
      sectionId: string,
      executor?: Tx,
    ): Promise<StandingSectionInfo | null> {
      if (!isUuid(scheduleId) || !isUuid(sectionId)) return null;
      if (executor !== undefined) {
        const trx = executor.withTables<CatalogTables>();
        const key = await performances.scheduleVersion(scheduleId, trx);
        if (key === undefined) return null;
        const id = sectionId.toLowerCase();
        const s = (await seatMaps.pricedSections(key.performanceId, trx)).find(
          (x) => x.id === id && x.kind === 'STANDING',
        );
        return s === undefined
          ? null
          : { sectionId: s.id, section: s.name, capacity: s.capacity, grade: s.grade, price: s.price };
      }
      const found = await cache.forSchedule(scheduleId);
      const section = found?.map.standing.find((s) => s.sectionId === sectionId.toLowerCase());
      return section === undefined ? null : { ...section };
    },

    async getPerformanceOwner(
      performanceId: string,
    ): Promise<{ sellerId: string; status: PerformanceStatus } | null> {
      if (!isUuid(performanceId)) return null;
      const p = await performances.findById(performanceId);
      return p === undefined ? null : { sellerId: p.sellerId, status: p.status };
    },
  };
}
