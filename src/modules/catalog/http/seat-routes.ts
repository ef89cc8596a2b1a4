import type { HttpApp } from '../../../platform/http/app.ts';
import { CatalogErrors } from '../errors.ts';
import type { SeatStatusSource } from '../ports.ts';
import { seatMapView } from '../seat-map/availability.ts';
import type { SeatMapCache } from '../seat-map/cache.ts';
import type { LiveSeatCache } from '../seat-map/live-cache.ts';
import { ScheduleParams } from './schemas.ts';

/**
 * `GET /api/v1/schedules/{scheduleId}/seats` (public). The body is bytes from the seat-map caches
 * (gzip when the client accepts it), not serialised per request; its shape is `{scheduleId, status, seats:[{id, section, row, number,
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
      const view = await seatMapView(cache, live, seatStatus(), request.params.scheduleId);
      if (view === undefined) throw CatalogErrors.scheduleNotFound();
      reply
        .type('application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('vary', 'accept-encoding');
      const accepts = request.headers['accept-encoding'];
      if (typeof accepts === 'string' && /\bgzip\b/.test(accepts)) {
        return reply.header('content-encoding', 'gzip').send(await view.gzipped());
      }
      return reply.send(view.json);
    },
  );
}
