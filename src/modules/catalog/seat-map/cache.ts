import type { PerformanceStatus } from '../tables.ts';
import type { SeatMapRepository } from './seat-map-repository.ts';
import { buildStaticSeatMap, type StaticSeatMap } from './static-map.ts';

export interface ScheduleKey {
  performanceId: string;
  venueId: string;
  version: number;
  status: PerformanceStatus;
}

export interface SeatMapCacheOptions {
  /** How long a schedule's (performance, version) is trusted before one indexed lookup re-checks it. */
  revalidateMs: number;
  /** Memory budget for static maps; the least recently used go first. */
  maxBytes: number;
  onBuild?: () => void;
}

type VersionLookup = (scheduleId: string) => Promise<ScheduleKey | undefined>;

/**
 * Process-local cache of static seat maps keyed by (performance, version). Nothing here can
 * contradict another api process for longer than `revalidateMs`: a schedule's version is re-read
 * from PostgreSQL that often, and a new version builds a new map. Concurrent misses share one load.
 */
export class SeatMapCache {
  readonly #lookup: VersionLookup;
  readonly #repo: SeatMapRepository;
  readonly #options: SeatMapCacheOptions;
  readonly #keys = new Map<string, { at: number; key: Promise<ScheduleKey | undefined> }>();
  readonly #maps = new Map<string, { promise: Promise<StaticSeatMap>; bytes: number }>();
  #bytes = 0;

  constructor(lookup: VersionLookup, repo: SeatMapRepository, options: SeatMapCacheOptions) {
    this.#lookup = lookup;
    this.#repo = repo;
    this.#options = options;
  }

  /** The schedule's performance, version and status (cached for `revalidateMs`). */
  async scheduleKey(scheduleId: string): Promise<ScheduleKey | undefined> {
    const now = Date.now();
    const hit = this.#keys.get(scheduleId);
    if (hit !== undefined && now - hit.at < this.#options.revalidateMs) return hit.key;
    const key = this.#lookup(scheduleId);
    if (this.#keys.size >= 20_000) this.#keys.clear();
    this.#keys.set(scheduleId, { at: now, key });
    try {
      return await key;
    } catch (error) {
      this.#keys.delete(scheduleId);
      throw error;
    }
  }

  async forSchedule(scheduleId: string): Promise<{ key: ScheduleKey; map: StaticSeatMap } | undefined> {
    const key = await this.scheduleKey(scheduleId);
    if (key === undefined) return undefined;
    return { key, map: await this.#map(key) };
  }

  /** Forget what this process knows about a performance's schedules (after it changed it). */
  invalidateSchedules(scheduleIds: readonly string[]): void {
    for (const id of scheduleIds) this.#keys.delete(id);
  }

  async #map(key: ScheduleKey): Promise<StaticSeatMap> {
    const cacheKey = `${key.performanceId}:${key.version}`;
    const hit = this.#maps.get(cacheKey);
    if (hit !== undefined) {
      // LRU: move to the end
      this.#maps.delete(cacheKey);
      this.#maps.set(cacheKey, hit);
      return hit.promise;
    }
    const entry = { promise: this.#load(key), bytes: 0 };
    this.#maps.set(cacheKey, entry);
    try {
      const map = await entry.promise;
      if (this.#maps.get(cacheKey) === entry && entry.bytes === 0) {
        entry.bytes = map.bytes;
        this.#bytes += map.bytes;
        this.#evict(cacheKey);
      }
      return map;
    } catch (error) {
      if (this.#maps.get(cacheKey) === entry) this.#maps.delete(cacheKey);
      throw error;
    }
  }

  async #load(key: ScheduleKey): Promise<StaticSeatMap> {
    const [sections, seats] = await Promise.all([
      this.#repo.pricedSections(key.performanceId),
      this.#repo.seats(key.venueId),
    ]);
    this.#options.onBuild?.();
    return buildStaticSeatMap(key, sections, seats);
  }

  #evict(keep: string): void {
    for (const [k, entry] of this.#maps) {
      if (this.#bytes <= this.#options.maxBytes) return;
      if (k === keep) continue;
      this.#maps.delete(k);
      this.#bytes -= entry.bytes;
    }
  }

  get stats(): { maps: number; bytes: number } {
    return { maps: this.#maps.size, bytes: this.#bytes };
  }
}
