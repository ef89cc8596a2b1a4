import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import type { JobSpec } from '../../platform/jobs.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { Redis } from '../../platform/redis.ts';
import { registerAuditHooks } from './audit/hook.ts';
import { AuditRepository } from './audit/repository.ts';
import { AuditWriter, type AuditWriterOptions } from './audit/writer.ts';
import { registerOpsRoutes } from './http/routes.ts';
import type { OpsSources } from './ports.ts';
import { type GateOptions, SalesGate } from './sales/gate.ts';
import { SalesRedisCopy } from './sales/redis-copy.ts';
import { SalesSwitchRepository } from './sales/repository.ts';
import { SalesSwitch } from './sales/switch.ts';
import type { OpsTables } from './tables.ts';

export type { AuditEntry, AuditRecord } from './audit/repository.ts';
export type { LookupMatch, LookupResult } from './lookup.ts';
export type { OpsSources } from './ports.ts';
export type { SalesHalt } from './sales/gate.ts';
export type { SalesSwitchView } from './sales/switch.ts';

export interface OpsDeps extends OpsSources {
  db: Kysely<PlatformTables>;
  redis: Redis;
  logger: Logger;
  metrics: Metrics;
  onShutdown?: (name: string, close: () => Promise<void>) => void;
  audit?: AuditWriterOptions;
  gate?: GateOptions;
  /** How often the worker copies the kill-switch record to Redis (default 5 s). */
  salesSyncIntervalMs?: number;
}

/**
 * Operator tools (issue 11): the audit log of every seller/admin write (recorded by app-wide hooks,
 * written in the background), lookup by any id, force-release of a hold, and the per-performance sales
 * kill switch whose gate queue and booking consult (plugged in by src/roles/modules.ts).
 */
export function createOpsModule(deps: OpsDeps) {
  const db = deps.db.withTables<OpsTables>();
  const logger = deps.logger.child({ module: 'ops' });
  const auditRepo = new AuditRepository(db);
  const writer = new AuditWriter(auditRepo, logger, deps.metrics, deps.audit);
  deps.onShutdown?.('ops-audit', () => writer.close());
  const sources: OpsSources = {
    identity: deps.identity,
    catalog: deps.catalog,
    booking: deps.booking,
    coupon: deps.coupon,
    payment: deps.payment,
    settlement: deps.settlement,
  };
  const repo = new SalesSwitchRepository(db);
  const copy = new SalesRedisCopy(deps.redis);
  const gate = new SalesGate({
    copy,
    repo,
    performanceOf: async (scheduleId) =>
      (await deps.catalog.getScheduleForSale(scheduleId))?.performanceId ?? null,
    logger,
    ...(deps.gate === undefined ? {} : { options: deps.gate }),
  });
  const salesSwitch = new SalesSwitch({ repo, copy, gate, catalog: deps.catalog, logger });

  return {
    registerRoutes(app: HttpApp): void {
      // `app` is the root instance (src/roles/api.ts): these hooks see every module's routes.
      registerAuditHooks(app, writer);
      registerOpsRoutes(app, { audit: auditRepo, sources, gate, salesSwitch, logger });
    },
    jobs: (): JobSpec[] => [
      {
        name: 'ops.sales-switch-sync',
        intervalMs: deps.salesSyncIntervalMs ?? 5000,
        run: async () => void (await salesSwitch.sync()),
      },
    ],

    /** queue.setSalesGate / booking.setSalesGate (src/roles/modules.ts). */
    salesGate: gate,
    /** Writes buffered audit entries now (tests, operations). */
    flushAudit: (): Promise<boolean> => writer.flush(),
    setSales: (input: { performanceId: string; enabled: boolean; reason: string; actorId: string }) =>
      salesSwitch.set(input),
  };
}

export type OpsModule = ReturnType<typeof createOpsModule>;
