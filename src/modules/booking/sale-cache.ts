import type { CatalogPort, ScheduleForSale } from './ports.ts';

interface Entry {
  at: number;
  value: Promise<ScheduleForSale | null>;
}

const MAX_ENTRIES = 2000;
const SIBLINGS_TTL_MS = 30_000;

/**
 * catalog.getScheduleForSale reads PostgreSQL every time (three queries); the hold path reads the
 * schedule of every request, so it is cached per process for `ttlMs` (sales window, status and
 * maxTicketsPerBuyer are then at most that old). Orders re-read it fresh.
 */
export class SaleCache {
  readonly #catalog: CatalogPort;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #siblings = new Map<string, { at: number; value: Promise<string[]> }>();

  constructor(catalog: CatalogPort, ttlMs: number) {
    this.#catalog = catalog;
    this.#ttlMs = ttlMs;
  }

  /**
   * Every schedule id of a performance, cached for SIBLINGS_TTL_MS (a performance's schedules are fixed
   * at creation; only status and times change, which this does not carry).
   */
  siblings(performanceId: string): Promise<string[]> {
    const now = Date.now();
    const hit = this.#siblings.get(performanceId);
    if (hit !== undefined && now - hit.at < SIBLINGS_TTL_MS) return hit.value;
    const value = this.#catalog
      .listSchedulesOfPerformance(performanceId)
      .then((list) => list.map((s) => s.scheduleId));
    this.#siblings.delete(performanceId);
    this.#siblings.set(performanceId, { at: now, value });
    value.catch(() => this.#siblings.delete(performanceId));
    if (this.#siblings.size > MAX_ENTRIES) {
      const oldest = this.#siblings.keys().next().value;
      if (oldest !== undefined) this.#siblings.delete(oldest);
    }
    return value;
  }

  schedule(scheduleId: string): Promise<ScheduleForSale | null> {
    const now = Date.now();
    const hit = this.#entries.get(scheduleId);
    if (hit !== undefined && now - hit.at < this.#ttlMs) return hit.value;
    const value = this.#catalog.getScheduleForSale(scheduleId);
    this.#entries.delete(scheduleId);
    this.#entries.set(scheduleId, { at: now, value });
    value.catch(() => this.#entries.delete(scheduleId));
    if (this.#entries.size > MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return value;
  }
}
