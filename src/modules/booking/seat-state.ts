import type { Logger } from '../../platform/logger.ts';
import type { HoldRepository } from './hold-repository.ts';
import type { OrderRepository } from './order-repository.ts';
import type { CatalogPort } from './ports.ts';
import type { SeatStore, SeedData } from './redis/seat-store.ts';

const KEYS_OUTLIVE_SHOW_MS = 7 * 24 * 3600 * 1000;

/**
 * Loads a schedule's seat state into Redis from PostgreSQL's record: on first use, and whenever the
 * scripts answer INIT because Redis lost the data (restart without persistence, failover, flush).
 * What comes back: sold seats and standing counts (valid tickets), live holds (ACTIVE, or ORDERED
 * with a pending order), per-user paid counts, and a fencing floor above every fence ever issued.
 */
export class SeatStateLoader {
  readonly #store: SeatStore;
  readonly #holds: HoldRepository;
  readonly #orders: OrderRepository;
  readonly #catalog: CatalogPort;
  readonly #logger: Logger;
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(
    store: SeatStore,
    holds: HoldRepository,
    orders: OrderRepository,
    catalog: CatalogPort,
    logger: Logger,
  ) {
    this.#store = store;
    this.#holds = holds;
    this.#orders = orders;
    this.#catalog = catalog;
    this.#logger = logger;
  }

  /** Seeds the schedule unless loaded; concurrent callers in this process share one load. */
  ensure(scheduleId: string): Promise<void> {
    const running = this.#inFlight.get(scheduleId);
    if (running !== undefined) return running;
    const load = this.#load(scheduleId).finally(() => this.#inFlight.delete(scheduleId));
    this.#inFlight.set(scheduleId, load);
    return load;
  }

  async #load(scheduleId: string): Promise<void> {
    if (await this.#store.isLoaded(scheduleId)) return;
    const schedule = await this.#catalog.getScheduleForSale(scheduleId);
    if (schedule === null) return;
    const now = new Date();
    const [sold, standing, paid, holds, maxFence] = await Promise.all([
      this.#orders.soldSeats(scheduleId),
      this.#orders.standingSold(scheduleId),
      this.#orders.paidCounts(schedule.performanceId),
      this.#holds.liveForSeed(scheduleId, now),
      this.#holds.maxFence(scheduleId),
    ]);
    // Fences are monotonic across reloads: above anything in the record and above the clock-based
    // floor (fences issued by Redis but never committed are below now*1000 by construction).
    const fenceFloor = Math.max(maxFence + 1, now.getTime() * 1000);
    const exat = Math.max(schedule.endsAt.getTime(), now.getTime()) + KEYS_OUTLIVE_SHOW_MS;
    const data: SeedData = {
      exat: String(exat),
      keepMs: String(this.#store.keepMs),
      fenceFloor: String(fenceFloor),
      sold: sold.map((s) => [String(s.seatId), s.orderId]),
      standingSold: [...standing].map(([sec, n]) => [sec, String(n)]),
      paid: [...paid].map(([u, n]) => [u, String(n)]),
      users: [...new Set(holds.map((h) => h.userId))],
      holds: holds.map((h) => ({
        id: h.id,
        u: h.userId,
        k: h.kind === 'SEATS' ? 'S' : 'T',
        seats: h.seatIds.join(','),
        sec: h.sectionId ?? '',
        n: String(h.quantity),
        e: String(h.expiresAt.getTime()),
        cap: String(h.maxExpiresAt.getTime()),
        f: String(h.fence),
        st: h.status === 'ORDERED' ? 'O' : 'H',
        o: h.orderId ?? '',
        p: h.performanceId,
        ax: h.admissionExpiresAt === null ? '' : String(h.admissionExpiresAt.getTime()),
      })),
    };
    const seeded = await this.#store.seed(scheduleId, data);
    if (seeded) {
      this.#logger.info(
        { scheduleId, sold: sold.length, holds: holds.length, fenceFloor },
        'seat state loaded into Redis from PostgreSQL',
      );
    }
  }
}
