import { type HttpApp, principalOf } from '../../../platform/http/app.ts';
import type { AuditRepository } from '../audit/repository.ts';
import { OpsErrors } from '../errors.ts';
import { type LookupResult, lookupAnyId } from '../lookup.ts';
import type { OpsSources } from '../ports.ts';
import type { SalesGate } from '../sales/gate.ts';
import type { SalesSwitch } from '../sales/switch.ts';
import {
  AuditPage,
  AuditQuery,
  ForcedReleaseView,
  HoldParams,
  LookupParams,
  LookupView,
  PerformanceParams,
  ReasonBody,
  SalesBody,
  SalesView,
} from './schemas.ts';

export interface OpsRouteDeps {
  audit: AuditRepository;
  sources: OpsSources;
  gate: SalesGate;
  salesSwitch: SalesSwitch;
  logger: import('../../../platform/logger.ts').Logger;
}

const admin = { roles: ['ADMIN'] as const };
const tags = ['ops'];

/** Operator tools: audit log search, lookup by any id, force-release of a hold, sales kill switch. */
export function registerOpsRoutes(app: HttpApp, deps: OpsRouteDeps): void {
  const { audit, sources, gate, salesSwitch } = deps;

  app.get(
    '/api/v1/admin/audit',
    { config: admin, schema: { tags, querystring: AuditQuery, response: { 200: AuditPage } } },
    async (request) => {
      const q = request.query;
      const from = q.from === undefined ? undefined : new Date(q.from);
      const to = q.to === undefined ? undefined : new Date(q.to);
      if (from !== undefined && to !== undefined && to <= from) throw OpsErrors.badPeriod();
      const page = q.page ?? 1;
      const pageSize = q.pageSize ?? 50;
      const found = await audit.search({
        ...(q.actorId === undefined ? {} : { actorId: q.actorId }),
        ...(q.action === undefined ? {} : { action: q.action }),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        page,
        pageSize,
      });
      return {
        items: found.items.map((e) => ({
          ...e,
          at: e.at.toISOString(),
          recordedAt: e.recordedAt.toISOString(),
        })),
        page,
        pageSize,
        hasMore: found.hasMore,
      };
    },
  );

  app.get(
    '/api/v1/admin/lookup/:anyId',
    { config: admin, schema: { tags, params: LookupParams, response: { 200: LookupView } } },
    async (request): Promise<LookupResult> =>
      lookupAnyId(sources, (id) => gate.haltOfPerformance(id), deps.logger, request.params.anyId.trim()),
  );

  app.post(
    '/api/v1/admin/holds/:holdId/release',
    {
      config: admin,
      schema: { tags, params: HoldParams, body: ReasonBody, response: { 200: ForcedReleaseView } },
    },
    async (request) => sources.booking.forceReleaseHold(request.params.holdId, request.body.reason),
  );

  app.get(
    '/api/v1/admin/performances/:id/sales',
    { config: admin, schema: { tags, params: PerformanceParams, response: { 200: SalesView } } },
    async (request) => salesSwitch.get(request.params.id),
  );

  app.post(
    '/api/v1/admin/performances/:id/sales',
    {
      config: admin,
      schema: { tags, params: PerformanceParams, body: SalesBody, response: { 200: SalesView } },
    },
    async (request) =>
      salesSwitch.set({
        performanceId: request.params.id,
        enabled: request.body.enabled,
        reason: request.body.reason,
        actorId: principalOf(request).userId,
      }),
  );
}
