import type { HttpApp } from '../../../platform/http/app.ts';
import { principalOf } from '../../../platform/http/app.ts';
import type { Idempotency } from '../../../platform/http/idempotency.ts';
import type { createPerformanceReads } from '../performance-reads.ts';
import type { PerformanceUseCases } from '../performances.ts';
import {
  CancelBody,
  CancelView,
  PerformanceBody,
  PerformanceCreated,
  PerformanceEditBody,
  PerformanceListQuery,
  PerformanceParams,
} from './schemas.ts';

const sellers = { roles: ['SELLER', 'ADMIN'] } as const;
const publicRoute = { auth: 'public' } as const;
const tags = ['catalog'];

export function registerPerformanceRoutes(
  app: HttpApp,
  use: PerformanceUseCases,
  reads: ReturnType<typeof createPerformanceReads>,
  idempotency: Idempotency,
): void {
  app.post(
    '/api/v1/performances',
    { config: sellers, schema: { tags, body: PerformanceBody, response: { 201: PerformanceCreated } } },
    async (request, reply) =>
      idempotency.run(request, reply, async () => {
        const p = await use.create(principalOf(request), request.body);
        return {
          statusCode: 201,
          body: {
            id: p.id,
            title: p.title,
            schedules: p.schedules.map((s) => ({
              id: s.id,
              startsAt: s.startsAt.toISOString(),
              endsAt: s.endsAt.toISOString(),
            })),
          },
        };
      }),
  );

  app.get(
    '/api/v1/performances',
    { config: publicRoute, schema: { tags, querystring: PerformanceListQuery } },
    async (request) => {
      const { q, sellerId, page, size } = request.query;
      return reads.list({
        ...(q === undefined ? {} : { q }),
        ...(sellerId === undefined ? {} : { sellerId }),
        page: page ?? 1,
        size: size ?? 20,
      });
    },
  );

  app.get(
    '/api/v1/performances/:performanceId',
    { config: publicRoute, schema: { tags, params: PerformanceParams } },
    async (request) => reads.detail(request.params.performanceId),
  );

  app.patch(
    '/api/v1/performances/:performanceId',
    { config: sellers, schema: { tags, params: PerformanceParams, body: PerformanceEditBody } },
    async (request) => {
      await use.update(principalOf(request), request.params.performanceId, request.body);
      return reads.detail(request.params.performanceId);
    },
  );

  app.delete(
    '/api/v1/performances/:performanceId',
    { config: sellers, schema: { tags, params: PerformanceParams } },
    async (request, reply) => {
      await use.remove(principalOf(request), request.params.performanceId);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/performances/:performanceId/cancel',
    {
      config: sellers,
      schema: { tags, params: PerformanceParams, body: CancelBody, response: { 202: CancelView } },
    },
    async (request, reply) =>
      idempotency.run(request, reply, async () => {
        const c = await use.cancel(
          principalOf(request),
          request.params.performanceId,
          request.body.reason.trim(),
        );
        return {
          statusCode: 202,
          body: { id: c.id, status: c.status, cancelledAt: c.cancelledAt.toISOString(), reason: c.reason },
        };
      }),
  );
}
