import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { PerformanceRepository } from './performance-repository.ts';
import { EMPTY_SEAT_STATUS, type SeatStatusSource } from './ports.ts';
import { saleQueries } from './sale-queries.ts';
import { SeatMapCache } from './seat-map/cache.ts';
import { SeatMapRepository } from './seat-map/seat-map-repository.ts';
import type { CatalogTables } from './tables.ts';
import { VenueRepository } from './venue-repository.ts';

export type { PerformanceCancelled, PerformanceCreated, PerformanceUpdated } from './events.ts';
export type {
  CancellationPolicy,
  QueueSettings,
  SaleStatus,
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
  /** Seat-map cache tuning (defaults: re-check a schedule's version every 1 s, 256 MB of maps). */
  seatMapRevalidateMs?: number;
  seatMapMaxBytes?: number;
}

/** Venues, seat maps, performances, schedules, grades and prices (docs/contracts.md, catalog). */
export function createCatalogModule(deps: CatalogDeps) {
  const db = deps.db.withTables<CatalogTables>();
  const venues = new VenueRepository(db);
  const performances = new PerformanceRepository(db);
  const cache = new SeatMapCache((id) => performances.scheduleVersion(id), new SeatMapRepository(db), {
    revalidateMs: deps.seatMapRevalidateMs ?? 1000,
    maxBytes: deps.seatMapMaxBytes ?? 256 * 1024 * 1024,
  });
  const status: { source: SeatStatusSource } = { source: EMPTY_SEAT_STATUS };
  const queries = saleQueries(performances, cache);
  void venues;
  return {
    // Routes arrive in the next commit; the exported reads below are final.
    registerRoutes: (_app: HttpApp): void => {},
    ...queries,
    /** Booking plugs in the live HELD / SOLD state (src/roles/modules.ts). */
    setSeatStatusSource(source: SeatStatusSource): void {
      status.source = source;
    },
  };
}

export type CatalogModule = ReturnType<typeof createCatalogModule>;
