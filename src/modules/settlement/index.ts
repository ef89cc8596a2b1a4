import type { Kysely } from 'kysely';
import type { PlatformTables, Tx } from '../../platform/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import type { Idempotency } from '../../platform/http/idempotency.ts';
import type { JobSpec } from '../../platform/jobs.ts';
import { TOPICS } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { ConsumerSpec } from '../../platform/outbox/consumer.ts';
import type { EventEnvelope } from '../../platform/outbox/enqueue.ts';
import type { Calendar } from './calendar.ts';
import { loadSettlementConfig, type SettlementConfig } from './config.ts';
import { type PerformanceTitleSource, registerSettlementRoutes } from './http/routes.ts';
import { handlePaymentEvent, type IngestDeps } from './ingest.ts';
import type { FeeRates } from './money.ts';
import { type ReconciliationSource, reconcile } from './reconciliation.ts';
import { ledgerWatermark, type RunDeps, type RunInput, runSettlement } from './run.ts';
import { settlementJobs } from './schedule.ts';
import { findSettlement, type Settlement } from './settlement-repository.ts';
import type { SettlementTables } from './tables.ts';

export type { PerformanceTitleSource } from './http/routes.ts';
export type { LineFigures, LineType } from './money.ts';
export type {
  Difference,
  ReconciliationMovement,
  ReconciliationReport,
  ReconciliationSource,
} from './reconciliation.ts';
export type { RunResult } from './run.ts';
export type { Settlement } from './settlement-repository.ts';
export { loadSettlementConfig, type SettlementConfig };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Consumer group / inbox name of the ledger. */
export const SETTLEMENT_CONSUMER = 'settlement-ledger';

export interface SettlementDeps {
  db: Kysely<PlatformTables>;
  logger: Logger;
  metrics: Metrics;
  idempotency: Idempotency;
  /** Default: loadSettlementConfig() from the environment. */
  config?: SettlementConfig;
  /** The clock (tests move it); default the wall clock. */
  now?: () => Date;
}

function metricOnce<T>(metrics: Metrics, name: string, make: () => T): T {
  return (metrics.registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * Settlement: the ledger fed by payment events (Kafka, TOPICS.payment), settlement runs per period,
 * payouts, seller views and CSV, and reconciliation against payment's records and the provider's.
 * It reads other modules only through ports plugged in by src/roles/modules.ts.
 */
export function createSettlementModule(deps: SettlementDeps) {
  const config = deps.config ?? loadSettlementConfig();
  const db = deps.db.withTables<SettlementTables>();
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ module: 'settlement' });
  const calendar: Calendar = { utcOffsetMinutes: config.utcOffsetMinutes, holidays: config.holidays };
  const defaults: FeeRates = {
    pgFeeRateBps: config.pgFeeRateBps,
    platformFeeRateBps: config.platformFeeRateBps,
    vatRateBps: config.vatRateBps,
  };
  const eventsCounter = metricOnce(deps.metrics, 'settlement_ledger_events_total', () =>
    deps.metrics.counter('settlement_ledger_events_total', 'Payment events by what the ledger made of them', [
      'outcome',
    ]),
  );
  const runsCounter = metricOnce(deps.metrics, 'settlement_runs_total', () =>
    deps.metrics.counter('settlement_runs_total', 'Settlement runs by outcome', ['outcome']),
  );
  const runSeconds = metricOnce(deps.metrics, 'settlement_run_duration_seconds', () =>
    deps.metrics.histogram('settlement_run_duration_seconds', 'Settlement run time, catch-up wait included'),
  );
  const ports: { reconciliation: ReconciliationSource | null; titles: PerformanceTitleSource | null } = {
    reconciliation: null,
    titles: null,
  };

  const ingestDeps: IngestDeps = {
    defaults,
    log,
    counted: (outcome) => eventsCounter.inc({ outcome }),
  };
  const runDeps: RunDeps = {
    db,
    calendar,
    payoutBusinessDays: config.payoutBusinessDays,
    catchUpTimeoutMs: config.catchUpTimeoutMs,
    catchUpGraceMs: config.catchUpGraceMs,
    now,
    log,
    observed: (outcome, _count, seconds) => {
      runsCounter.inc({ outcome });
      runSeconds.observe(seconds);
    },
  };

  const handle = (event: EventEnvelope, trx: Tx) =>
    handlePaymentEvent(trx.withTables<SettlementTables>(), event, ingestDeps);

  return {
    registerRoutes: (app: HttpApp) =>
      registerSettlementRoutes(app, {
        db,
        idempotency: deps.idempotency,
        run: runDeps,
        calendar,
        defaults,
        reconciliationSource: () => ports.reconciliation,
        titleSource: () => ports.titles,
      }),
    consumers: (): ConsumerSpec[] => [{ name: SETTLEMENT_CONSUMER, topics: [TOPICS.payment], handle }],
    jobs: (): JobSpec[] =>
      settlementJobs({
        ...runDeps,
        schedule: config.schedule,
        backfillDays: config.backfillDays,
        jobIntervalMs: config.jobIntervalMs,
        logWarn: (obj, msg) => log.warn(obj, msg),
      }),
    /** The ledger's event handler (what the consumer runs), for callers holding their own transaction. */
    handlePaymentEvent: handle,
    runSettlement: (input: RunInput) => runSettlement(runDeps, input),
    reconcile: (periodStart: Date, periodEnd: Date) =>
      reconcile(db, ports.reconciliation, periodStart, periodEnd),
    /** Operations (ops lookup): a settlement by id with its totals, or null. */
    describeById: (id: string): Promise<Settlement | null> =>
      UUID.test(id) ? findSettlement(db, id) : Promise.resolve(null),
    /** The instant up to which every payment event is in the ledger (see docs/decisions/0009). */
    ledgerWatermark: (from: Date, upTo: Date) => ledgerWatermark(runDeps, from, upTo),
    /** Payment plugs in what it recorded and what the provider reports (null unplugs it). */
    setReconciliationSource(source: ReconciliationSource | null): void {
      ports.reconciliation = source;
    },
    /** Catalog plugs in performance titles for the CSV export. */
    setPerformanceTitleSource(source: PerformanceTitleSource): void {
      ports.titles = source;
    },
  };
}

export type SettlementModule = ReturnType<typeof createSettlementModule>;

/** Adapts a per-performance lookup (catalog.listSchedulesOfPerformance) to the CSV's title source. */
export function titleSourceFrom(
  lookup: (performanceId: string) => Promise<readonly { title: string }[]>,
): PerformanceTitleSource {
  return {
    async titles(performanceIds) {
      const found = await Promise.all(
        performanceIds.map(async (id) => [id, (await lookup(id))[0]?.title] as const),
      );
      return new Map(found.flatMap(([id, title]) => (title === undefined ? [] : [[id, title] as const])));
    },
  };
}
