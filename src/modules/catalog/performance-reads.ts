import { CatalogErrors } from './errors.ts';
import type { PerformanceRepository, PerformanceRow } from './performance-repository.ts';
import type { PerformanceSearchRepository } from './performance-search-repository.ts';
import type { SeatStatusSource } from './ports.ts';
import { isUuid } from './sale-queries.ts';
import { remainingByGrade } from './seat-map/availability.ts';
import type { SeatMapCache } from './seat-map/cache.ts';
import type { LiveSeatCache } from './seat-map/live-cache.ts';
import type { VenueRepository } from './venue-repository.ts';

export interface ListOptions {
  q?: string;
  sellerId?: string;
  page: number;
  size: number;
}

export function createPerformanceReads(
  performances: PerformanceRepository,
  search: PerformanceSearchRepository,
  venues: VenueRepository,
  cache: SeatMapCache,
  live: LiveSeatCache,
  seatStatus: () => SeatStatusSource,
) {
  return {
    /** Buyer listing: not deleted, newest first, `q` searches the title. */
    async list(options: ListOptions) {
      const { total, items } = await search.list({
        ...(options.q === undefined ? {} : { q: options.q.trim() }),
        ...(options.sellerId === undefined ? {} : { sellerId: options.sellerId }),
        limit: options.size,
        offset: (options.page - 1) * options.size,
      });
      const summaries = await search.summaries(items.map((p) => p.id));
      return {
        page: options.page,
        size: options.size,
        total,
        items: items.map((p) => {
          const s = summaries.get(p.id);
          return {
            id: p.id,
            title: p.title,
            status: p.status,
            sellerId: p.sellerId,
            venueId: p.venueId,
            venueName: p.venueName,
            salesOpenAt: p.salesOpenAt,
            salesCloseAt: p.salesCloseAt,
            firstStartsAt: s?.first ?? null,
            lastStartsAt: s?.last ?? null,
            minPrice: s?.minPrice ?? null,
            maxPrice: s?.maxPrice ?? null,
          };
        }),
      };
    },

    /** Public detail: schedules with remaining seats per grade, grades and prices, the sections. */
    async detail(id: string) {
      const p: PerformanceRow | undefined = isUuid(id) ? await performances.findById(id) : undefined;
      if (p === undefined || p.status === 'DELETED') throw CatalogErrors.performanceNotFound();
      const [grades, schedules, venue, sections, sectionGrades] = await Promise.all([
        performances.grades(id),
        performances.schedules(id),
        venues.findById(p.venueId),
        venues.sections(p.venueId),
        performances.sectionGrades(id),
      ]);
      const gradeOf = new Map(sectionGrades.map((s) => [s.sectionId, s.grade]));
      const source = seatStatus();
      const withRemaining = await Promise.all(
        schedules.map(async (s) => {
          const found = await cache.forSchedule(s.id);
          const left =
            found === undefined
              ? new Map<string, number>()
              : await remainingByGrade(found.map, live, source, s.id, found.key.status);
          const remaining = grades.map((g) => ({ grade: g.grade, available: left.get(g.grade) ?? 0 }));
          return {
            id: s.id,
            startsAt: s.startsAt,
            endsAt: s.endsAt,
            remainingSeats: remaining.reduce((n, r) => n + r.available, 0),
            remaining,
          };
        }),
      );
      const capacity = new Map<string, number>();
      for (const s of sections) {
        const g = gradeOf.get(s.id);
        if (g !== undefined) capacity.set(g, (capacity.get(g) ?? 0) + s.capacity);
      }
      return {
        id: p.id,
        title: p.title,
        description: p.description,
        status: p.status,
        sellerId: p.sellerId,
        venue: { id: p.venueId, name: venue?.name ?? '', address: venue?.address ?? '' },
        salesOpenAt: p.salesOpenAt,
        salesCloseAt: p.salesCloseAt,
        maxTicketsPerBuyer: p.maxTicketsPerBuyer,
        queue: p.queue,
        cancellationPolicy: p.cancellationPolicy,
        version: p.version,
        cancelledAt: p.cancelledAt,
        cancelReason: p.cancelReason,
        grades: grades.map((g) => ({ ...g, seatCount: capacity.get(g.grade) ?? 0 })),
        sections: sections.map((s) => ({
          id: s.id,
          name: s.name,
          kind: s.kind,
          rows: s.rows,
          seatsPerRow: s.seatsPerRow,
          capacity: s.capacity,
          grade: gradeOf.get(s.id) ?? null,
        })),
        schedules: withRemaining,
      };
    },
  };
}
