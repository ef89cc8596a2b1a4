import type { HttpApp } from '../../../platform/http/app.ts';
import { CatalogErrors } from '../errors.ts';
import type { SeatStatusSource } from '../ports.ts';
import { renderSeatMap } from '../seat-map/availability.ts';
import type { SeatMapCache } from '../seat-map/cache.ts';
import type { LiveSeatCache } from '../seat-map/live-cache.ts';
import { ScheduleParams } from './schemas.ts';

/**
 * `GET /api/v1/schedules/{scheduleId}/seats` (public). The body is bytes from the seat-map cache,
 * not serialised per request; its shape is `{scheduleId, status, seats:[{id, section, row, number,
 * grade, price, status}], standing:[{sectionId, section, grade, price, capacity, available}]}`.
 */
export function registerSeatRoutes(
  app: HttpApp,
  cache: SeatMapCache,
  live: LiveSeatCache,
  seatStatus: () => SeatStatusSource,
): void {
  app.get(
    '/api/v1/schedules/:scheduleId/seats',
    { config: { auth: 'public' }, schema: { tags: ['catalog'], params: ScheduleParams } },
    async (request, reply) => {
      const rendered = await renderSeatMap(cache, live, seatStatus(), request.params.scheduleId);
      if (rendered === undefined) throw CatalogErrors.scheduleNotFound();
      return reply
        .type('application/json; charset=utf-8')
        .header('content-length', String(rendered.length))
        .header('cache-control', 'no-store')
        .send(rendered.stream);
    },
  );
}
