import { type Kysely, sql } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import type { Idempotency } from '../../platform/http/idempotency.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { type DemoAccounts, seedDemoData } from './demo-data.ts';
import { registerPerformanceRoutes } from './http/performance-routes.ts';
import { registerSeatRoutes } from './http/seat-routes.ts';
import { registerVenueRoutes } from './http/venue-routes.ts';
import { createPerformanceReads } from './performance-reads.ts';
import { PerformanceRepository } from './performance-repository.ts';
import { PerformanceSearchRepository } from './performance-search-repository.ts';
import { createPerformanceUseCases } from './performances.ts';
import { EMPTY_SEAT_STATUS, type SeatStatusSource } from './ports.ts';
import { saleQueries } from './sale-queries.ts';
import { SeatMapCache } from './seat-map/cache.ts';
import { LiveSeatCache } from './seat-map/live-cache.ts';
import { SeatMapRepository } from './seat-map/seat-map-repository.ts';
import type { CatalogTables } from './tables.ts';
import { VenueRepository } from './venue-repository.ts';
import { createVenueUseCases } from './venues.ts';

export type { PerformanceCancelled, PerformanceCreated, PerformanceUpdated } from './events.ts';
export type {
  CancellationPolicy,
  QueueSettings,
  SaleStatus,
  ScheduleCapacity,
  ScheduleForSale,
  SeatInfo,
  SeatStatus,
  SeatStatusSource,
  StandingSectionInfo,
} from './ports.ts';

export interface CatalogDeps {
  db: Kysely<PlatformTables>;
  logger: Logger;
  metrics: Metrics;
  idempotency: Idempotency;
  /** identity's `ensureAccount`, for the demo seller. */
  accounts: DemoAccounts;
  /** Seat-map cache tuning (defaults: re-check a schedule's version every 1 s, 256 MB of maps). */
  seatMapRevalidateMs?: number;
  seatMapMaxBytes?: number;
  /** How long concurrent readers share one merged seat status (default 100 ms; see LiveSeatCache). */
  seatStatusTtlMs?: number;
}

/** Venues, seat maps, performances, schedules, grades and prices (docs/contracts.md, catalog). */
export function createCatalogModule(deps: CatalogDeps) {
  const db = deps.db.withTables<CatalogTables>();
  const builds = deps.metrics.counter(
    'catalog_seat_map_builds_total',
    'Static seat maps built (cache misses)',
  );
  const venueRepo = new VenueRepository(db);
  const performanceRepo = new PerformanceRepository(db);
  const seatMapRepo = new SeatMapRepository(db);
  const cache = new SeatMapCache((id) => performanceRepo.scheduleVersion(id), seatMapRepo, {
    revalidateMs: deps.seatMapRevalidateMs ?? 1000,
    maxBytes: deps.seatMapMaxBytes ?? 256 * 1024 * 1024,
    onBuild: () => builds.inc(),
  });
  const live = new LiveSeatCache({ ttlMs: deps.seatStatusTtlMs ?? 100, versionedMaxAgeMs: 1000 });
  let statusSource: SeatStatusSource = EMPTY_SEAT_STATUS;
  const seatStatus = () => statusSource;
  const venues = createVenueUseCases(db, venueRepo);
  const performances = createPerformanceUseCases({
    db,
    platformDb: deps.db,
    venues: venueRepo,
    performances: performanceRepo,
    seatStatus,
    invalidate: (ids) => cache.invalidateSchedules(ids),
  });
  const reads = createPerformanceReads(
    performanceRepo,
    new PerformanceSearchRepository(db),
    venueRepo,
    cache,
    live,
    seatStatus,
  );
  return {
    registerRoutes(app: HttpApp): void {
      registerVenueRoutes(app, venues, deps.idempotency);
      registerPerformanceRoutes(app, performances, reads, deps.idempotency);
      registerSeatRoutes(app, cache, live, seatStatus);
    },
    ...saleQueries(performanceRepo, cache, seatMapRepo),
    /** Booking plugs in the live HELD / SOLD state (src/roles/modules.ts). */
    setSeatStatusSource(source: SeatStatusSource): void {
      statusSource = source;
    },
    /** Idempotent demo seller, venue and performance (main.ts, when DEMO_DATA is true). */
    // Under a session advisory lock, so api processes starting together seed once.
    seedDemoData: (now?: Date) =>
      db.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(hashtext('catalog.demo-data'))`.execute(conn);
        try {
          return await seedDemoData(deps.accounts, venues, performances, deps.logger, now);
        } finally {
          await sql`select pg_advisory_unlock(hashtext('catalog.demo-data'))`.execute(conn);
        }
      }),
  };
}

export type CatalogModule = ReturnType<typeof createCatalogModule>;
