import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { SeatStatusSource } from '../ports.ts';
import { overlayStatuses, type StaticSeatMap } from './static-map.ts';

export interface StandingView {
  sectionId: string;
  section: string;
  grade: string;
  price: number;
  capacity: number;
  available: number;
}

/** One schedule's seat map merged into response bytes, shared by every reader while it is fresh. */
export interface LiveView {
  /** The whole JSON response body. */
  json: Buffer;
  /** The same, gzip-compressed once on first demand (off the event loop). */
  gzipped(): Promise<Buffer>;
  standing: StandingView[];
  unavailable: Map<number, 'HELD' | 'SOLD'>;
}

const gzipAsync = promisify(gzip);

export interface LiveCacheOptions {
  /** Without `statusVersion`: how long a merged view is reused (the map may lag holds that long). */
  ttlMs: number;
  /** With `statusVersion`: reuse while the version is unchanged, but never longer than this (holds lapse by time). */
  versionedMaxAgeMs: number;
}

interface Entry {
  mapKey: string;
  version: unknown;
  startedAt: number;
  settled: boolean;
  view: Promise<LiveView>;
}

/**
 * Coalesces seat-status reads per schedule. Booking's source reads Redis (and PostgreSQL) for the
 * whole schedule; at 50,000 seats that is the expensive part, so concurrent readers share one read
 * and one merged buffer: always while it is in flight, then for `ttlMs`, or — when the source
 * reports a status version — until the version moves (bounded by `versionedMaxAgeMs`).
 */
export class LiveSeatCache {
  readonly #options: LiveCacheOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(options: LiveCacheOptions) {
    this.#options = options;
  }

  async view(
    scheduleId: string,
    status: string,
    map: StaticSeatMap,
    source: SeatStatusSource,
  ): Promise<LiveView> {
    const mapKey = `${map.performanceId}:${map.version}:${status}`;
    const version = source.statusVersion === undefined ? undefined : await source.statusVersion(scheduleId);
    const now = Date.now();
    const hit = this.#entries.get(scheduleId);
    if (hit !== undefined && hit.mapKey === mapKey && this.#fresh(hit, version, now)) return hit.view;
    if (this.#entries.size >= 256) this.#sweep(now);
    const entry: Entry = {
      mapKey,
      version,
      startedAt: now,
      settled: false,
      view: render(scheduleId, status, map, source),
    };
    this.#entries.set(scheduleId, entry);
    try {
      const view = await entry.view;
      entry.settled = true;
      return view;
    } catch (error) {
      if (this.#entries.get(scheduleId) === entry) this.#entries.delete(scheduleId);
      throw error;
    }
  }

  #fresh(entry: Entry, version: unknown, now: number): boolean {
    const age = now - entry.startedAt;
    if (version !== undefined) return entry.version === version && age < this.#options.versionedMaxAgeMs;
    return !entry.settled || age < this.#options.ttlMs;
  }

  #sweep(now: number): void {
    const maxAge = Math.max(this.#options.ttlMs, this.#options.versionedMaxAgeMs);
    for (const [id, entry] of this.#entries) {
      if (entry.settled && now - entry.startedAt >= maxAge) this.#entries.delete(id);
    }
  }
}

async function render(
  scheduleId: string,
  status: string,
  map: StaticSeatMap,
  source: SeatStatusSource,
): Promise<LiveView> {
  const [unavailable, standing] = await Promise.all([
    source.unavailableSeats(scheduleId),
    Promise.all(
      map.standing.map(async (s) => {
        const taken = await source.standingTaken(scheduleId, s.sectionId);
        return { ...s, available: Math.max(0, s.capacity - taken) };
      }),
    ),
  ]);
  const json = Buffer.concat([
    Buffer.from(`{"scheduleId":"${scheduleId}","status":"${status}","seats":[`),
    overlayStatuses(map, unavailable),
    Buffer.from(`],"standing":${JSON.stringify(standing)}}`),
  ]);
  let compressed: Promise<Buffer> | undefined;
  return {
    json,
    // Level 1: a 5 MB stadium map shrinks ~15× in a few ms of a libuv thread, once per view.
    gzipped: () => {
      compressed ??= gzipAsync(json, { level: constants.Z_BEST_SPEED });
      return compressed;
    },
    standing,
    unavailable,
  };
}
