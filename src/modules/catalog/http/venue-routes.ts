import type { HttpApp } from '../../../platform/http/app.ts';
import { principalOf } from '../../../platform/http/app.ts';
import type { Idempotency } from '../../../platform/http/idempotency.ts';
import type { VenueUseCases } from '../venues.ts';
import { PageQuery, VenueBody, VenueCreated, VenueParams } from './schemas.ts';

const sellers = { roles: ['SELLER', 'ADMIN'] } as const;
const tags = ['catalog'];

export function registerVenueRoutes(app: HttpApp, venues: VenueUseCases, idempotency: Idempotency): void {
  app.post(
    '/api/v1/venues',
    { config: sellers, schema: { tags, body: VenueBody, response: { 201: VenueCreated } } },
    async (request, reply) =>
      idempotency.run(request, reply, async () => {
        const v = await venues.create(principalOf(request), request.body);
        return {
          statusCode: 201,
          body: {
            id: v.id,
            name: v.name,
            address: v.address,
            seatCount: v.seatCount,
            createdAt: v.createdAt.toISOString(),
          },
        };
      }),
  );

  // A SELLER sees its own venues; an ADMIN every venue.
  app.get('/api/v1/venues', { config: sellers, schema: { tags, querystring: PageQuery } }, async (request) =>
    venues.list(principalOf(request), request.query.page ?? 1, request.query.size ?? 20),
  );

  app.get(
    '/api/v1/venues/:venueId',
    { config: sellers, schema: { tags, params: VenueParams } },
    async (request) => venues.get(principalOf(request), request.params.venueId),
  );

  app.delete(
    '/api/v1/venues/:venueId',
    { config: sellers, schema: { tags, params: VenueParams } },
    async (request, reply) => {
      await venues.remove(principalOf(request), request.params.venueId);
      return reply.code(204).send();
    },
  );
}
