import type { Kysely } from 'kysely';
import type { PlatformTables, Tx } from '../../platform/db.ts';
import { Errors } from '../../platform/errors.ts';
import type { Principal } from '../../platform/tokens.ts';
import { CatalogErrors } from './errors.ts';
import { CatalogEvents } from './events.ts';
import { assertOwner } from './ownership.ts';
import {
  type CheckedPerformance,
  checkCancellationPolicy,
  checkGrades,
  checkPerformance,
  checkSalesWindow,
  mapSections,
  type PerformanceInput,
  parseTime,
} from './performance-input.ts';
import type {
  PerformanceChanges,
  PerformanceRepository,
  PerformanceRow,
  ScheduleRow,
} from './performance-repository.ts';
import type { CancellationPolicy, QueueSettings, SeatStatusSource } from './ports.ts';
import type { CatalogDb, CatalogTables } from './tables.ts';
import type { VenueRepository } from './venue-repository.ts';

export interface PerformanceEdit {
  title?: string;
  description?: string;
  salesOpenAt?: string;
  salesCloseAt?: string;
  maxTicketsPerBuyer?: number;
  queue?: Partial<QueueSettings>;
  cancellationPolicy?: Partial<CancellationPolicy>;
  grades?: { grade: string; price: number }[];
}

export interface PerformanceDeps {
  db: CatalogDb;
  /** The same database untyped by module: transactions whose handle goes to another module's port. */
  platformDb: Kysely<PlatformTables>;
  venues: VenueRepository;
  performances: PerformanceRepository;
  seatStatus: () => SeatStatusSource;
  /** Called after a commit that changed what buyers see of these schedules. */
  invalidate: (scheduleIds: string[]) => void;
  now?: () => Date;
}

const EXCLUSION_VIOLATION = '23P01';
const isExclusionViolation = (e: unknown) =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === EXCLUSION_VIOLATION;

export function createPerformanceUseCases(deps: PerformanceDeps) {
  const { db, venues, performances } = deps;
  const now = deps.now ?? (() => new Date());

  /** Locks a live performance the principal may change; 404 when missing or deleted, 403 when not its. */
  async function lockOwned(trx: CatalogDb, principal: Principal, id: string): Promise<PerformanceRow> {
    const p = await performances.findById(id, trx, true);
    if (p === undefined || p.status === 'DELETED') throw CatalogErrors.performanceNotFound();
    assertOwner(principal, p.sellerId, 'performance');
    return p;
  }

  async function hasSales(schedules: ScheduleRow[], trx: Tx): Promise<boolean> {
    const source = deps.seatStatus();
    const ids = schedules.map((s) => s.id);
    if (source.hasSales !== undefined) return source.hasSales(ids, trx);
    for (const id of ids) {
      const unavailable = await source.unavailableSeats(id);
      for (const status of unavailable.values()) if (status === 'SOLD') return true;
    }
    return false;
  }

  async function insertChecked(
    trx: CatalogDb,
    principal: Principal,
    venueId: string,
    checked: CheckedPerformance,
    sectionGrades: Record<string, string>,
  ) {
    const venue = await venues.lockLive(trx, venueId);
    if (venue === undefined) throw CatalogErrors.venueNotFound('venueId');
    assertOwner(principal, venue.sellerId, 'venue', 'venueId');
    const mapping = mapSections(await venues.sections(venueId, trx), sectionGrades);
    for (const [i, s] of checked.schedules.entries()) {
      if ((await performances.findOverlap(trx, venueId, s.startsAt, s.endsAt)) !== undefined)
        throw CatalogErrors.scheduleOverlap(`schedules.${i}`);
    }
    // The venue's owner is the seller, also when an ADMIN lists the performance for it.
    const created = await performances.insert(trx, {
      ...checked,
      sellerId: venue.sellerId,
      venueId,
      sectionGrades: mapping,
    });
    await CatalogEvents.created(trx, {
      performanceId: created.id,
      sellerId: venue.sellerId,
      venueId,
      title: checked.title,
      scheduleIds: created.schedules.map((s) => s.id),
      salesOpenAt: checked.salesOpenAt.toISOString(),
      salesCloseAt: checked.salesCloseAt.toISOString(),
      version: 1,
    });
    return created;
  }

  return {
    /** One transaction: venue locked, every rule checked, then everything inserted, or nothing. */
    async create(principal: Principal, input: PerformanceInput) {
      const checked = checkPerformance(input);
      try {
        const created = await db
          .transaction()
          .execute((trx) => insertChecked(trx, principal, input.venueId, checked, input.sectionGrades));
        return { id: created.id, title: checked.title, schedules: created.schedules };
      } catch (error) {
        // Lost a race against another seller on the same venue: the exclusion constraint decided.
        if (isExclusionViolation(error)) throw CatalogErrors.scheduleOverlap('schedules');
        throw error;
      }
    },

    /**
     * Prices and grades change only before sales open (docs/decisions: refuse, not version);
     * salesOpenAt likewise. Every edit bumps the version, so seat-map caches rebuild.
     */
    async update(principal: Principal, id: string, edit: PerformanceEdit): Promise<PerformanceRow> {
      const scheduleIds = await db.transaction().execute(async (trx) => {
        const p = await lockOwned(trx, principal, id);
        if (p.status !== 'ON_SALE') throw CatalogErrors.notOnSale(p.status);
        const opened = p.salesOpenAt.getTime() <= now().getTime();
        const changes: PerformanceChanges = {};
        if (edit.title !== undefined) {
          changes.title = edit.title.trim();
          if (changes.title === '') throw Errors.validation('title', 'title must not be blank');
        }
        if (edit.description !== undefined) changes.description = edit.description.trim();
        if (edit.salesOpenAt !== undefined) {
          changes.salesOpenAt = parseTime(edit.salesOpenAt, 'salesOpenAt');
          if (opened && changes.salesOpenAt.getTime() !== p.salesOpenAt.getTime())
            throw CatalogErrors.salesAlreadyOpen();
        }
        if (edit.salesCloseAt !== undefined)
          changes.salesCloseAt = parseTime(edit.salesCloseAt, 'salesCloseAt');
        checkSalesWindow(changes.salesOpenAt ?? p.salesOpenAt, changes.salesCloseAt ?? p.salesCloseAt);
        if (edit.maxTicketsPerBuyer !== undefined) changes.maxTicketsPerBuyer = edit.maxTicketsPerBuyer;
        if (edit.queue !== undefined) changes.queue = { ...p.queue, ...edit.queue };
        if (edit.cancellationPolicy !== undefined)
          changes.cancellationPolicy = checkCancellationPolicy({
            ...p.cancellationPolicy,
            ...edit.cancellationPolicy,
          });
        const changed: string[] = Object.keys(changes);
        if (edit.grades !== undefined) {
          const grades = checkGrades(edit.grades);
          const current = new Map((await performances.grades(id, trx)).map((g) => [g.grade, g.price]));
          grades.forEach((g, i) => {
            if (!current.has(g.grade))
              throw Errors.validation(
                `grades.${i}.grade`,
                `grade "${g.grade}" is not a grade of this performance`,
              );
          });
          const moved = grades.filter((g) => current.get(g.grade) !== g.price);
          if (moved.length > 0) {
            if (opened) throw CatalogErrors.pricesLocked();
            await performances.setPrices(trx, id, moved);
            changed.push('grades');
          }
        }
        const version = await performances.update(trx, id, changes);
        const schedules = await performances.schedules(id, trx);
        await CatalogEvents.updated(trx, {
          performanceId: id,
          sellerId: p.sellerId,
          status: 'ON_SALE',
          scheduleIds: schedules.map((s) => s.id),
          changed,
          version,
        });
        return schedules.map((s) => s.id);
      });
      deps.invalidate(scheduleIds);
      const updated = await performances.findById(id);
      if (updated === undefined) throw CatalogErrors.performanceNotFound();
      return updated;
    },

    /** The show is off: status CANCELLED, the venue freed, `performance.cancelled` for queue and payment. */
    async cancel(principal: Principal, id: string, reason: string) {
      const result = await db.transaction().execute(async (trx) => {
        const p = await lockOwned(trx, principal, id);
        const schedules = await performances.schedules(id, trx);
        if (p.status === 'CANCELLED')
          return {
            id,
            status: p.status,
            cancelledAt: p.cancelledAt ?? now(),
            reason: p.cancelReason ?? reason,
            schedules,
          };
        const at = now();
        await performances.setStatus(trx, id, 'CANCELLED', reason, at);
        await CatalogEvents.cancelled(trx, {
          performanceId: id,
          sellerId: p.sellerId,
          scheduleIds: schedules.map((s) => s.id),
          reason,
          cancelledAt: at.toISOString(),
        });
        return { id, status: 'CANCELLED' as const, cancelledAt: at, reason, schedules };
      });
      deps.invalidate(result.schedules.map((s) => s.id));
      return { id: result.id, status: result.status, cancelledAt: result.cancelledAt, reason: result.reason };
    },

    /** Soft delete while nothing is sold: hidden from buyers, history kept. 409 HAS_SALES after a sale. */
    async remove(principal: Principal, id: string): Promise<void> {
      // booking answers hasSales through this transaction: no second pool connection while it is held.
      const scheduleIds = await deps.platformDb.transaction().execute(async (tx) => {
        const trx = tx.withTables<CatalogTables>();
        const p = await lockOwned(trx, principal, id);
        const schedules = await performances.schedules(id, trx);
        if (await hasSales(schedules, tx)) throw CatalogErrors.hasSales();
        await performances.setStatus(trx, id, 'DELETED', null, now());
        await CatalogEvents.updated(trx, {
          performanceId: id,
          sellerId: p.sellerId,
          status: 'DELETED',
          scheduleIds: schedules.map((s) => s.id),
          changed: ['status'],
          version: p.version + 1,
        });
        return schedules.map((s) => s.id);
      });
      deps.invalidate(scheduleIds);
    },
  };
}

export type PerformanceUseCases = ReturnType<typeof createPerformanceUseCases>;
