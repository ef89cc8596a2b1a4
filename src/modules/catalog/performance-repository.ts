import { sql } from 'kysely';
import type { CancellationPolicy, QueueSettings } from './ports.ts';
import type { CatalogDb, PerformanceStatus } from './tables.ts';

export interface NewPerformance {
  sellerId: string;
  venueId: string;
  title: string;
  description: string;
  salesOpenAt: Date;
  salesCloseAt: Date;
  maxTicketsPerBuyer: number;
  queue: QueueSettings;
  cancellationPolicy: CancellationPolicy;
  grades: { grade: string; price: number }[];
  /** section id → grade */
  sectionGrades: Map<string, string>;
  schedules: { startsAt: Date; endsAt: Date }[];
}

export interface PerformanceRow {
  id: string;
  sellerId: string;
  venueId: string;
  title: string;
  description: string;
  status: PerformanceStatus;
  salesOpenAt: Date;
  salesCloseAt: Date;
  maxTicketsPerBuyer: number;
  queue: QueueSettings;
  cancellationPolicy: CancellationPolicy;
  version: number;
  cancelReason: string | null;
  cancelledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScheduleRow {
  id: string;
  performanceId: string;
  startsAt: Date;
  endsAt: Date;
}

export interface PerformanceChanges {
  title?: string;
  description?: string;
  salesOpenAt?: Date;
  salesCloseAt?: Date;
  maxTicketsPerBuyer?: number;
  queue?: QueueSettings;
  cancellationPolicy?: CancellationPolicy;
}

export const PERFORMANCE_COLUMNS = [
  'p.id',
  'p.seller_id as sellerId',
  'p.venue_id as venueId',
  'p.title',
  'p.description',
  'p.status',
  'p.sales_open_at as salesOpenAt',
  'p.sales_close_at as salesCloseAt',
  'p.max_tickets_per_buyer as maxTicketsPerBuyer',
  'p.queue_admit_per_second',
  'p.queue_max_active',
  'p.queue_admission_ttl_seconds',
  'p.cancellation_deadline_hours',
  'p.cancellation_fees',
  'p.version',
  'p.cancel_reason as cancelReason',
  'p.cancelled_at as cancelledAt',
  'p.created_at as createdAt',
  'p.updated_at as updatedAt',
] as const;

export type RawPerformance = Omit<PerformanceRow, 'queue' | 'cancellationPolicy'> & {
  queue_admit_per_second: number;
  queue_max_active: number;
  queue_admission_ttl_seconds: number;
  cancellation_deadline_hours: number;
  cancellation_fees: unknown;
};

export function toPerformance(r: RawPerformance): PerformanceRow {
  const {
    queue_admit_per_second,
    queue_max_active,
    queue_admission_ttl_seconds,
    cancellation_deadline_hours,
    cancellation_fees,
    ...rest
  } = r;
  return {
    ...rest,
    queue: {
      admitPerSecond: queue_admit_per_second,
      maxActive: queue_max_active,
      admissionTtlSeconds: queue_admission_ttl_seconds,
    },
    cancellationPolicy: {
      deadlineHoursBeforeStart: cancellation_deadline_hours,
      fees: cancellation_fees as CancellationPolicy['fees'],
    },
  };
}

/** Performances, grades, section → grade mapping and schedules: every catalog SQL about them lives here. */
export class PerformanceRepository {
  readonly #db: CatalogDb;

  constructor(db: CatalogDb) {
    this.#db = db;
  }

  get db(): CatalogDb {
    return this.#db;
  }

  async insert(trx: CatalogDb, p: NewPerformance): Promise<{ id: string; schedules: ScheduleRow[] }> {
    const { id } = await trx
      .insertInto('performances')
      .values({
        seller_id: p.sellerId,
        venue_id: p.venueId,
        title: p.title,
        description: p.description,
        sales_open_at: p.salesOpenAt,
        sales_close_at: p.salesCloseAt,
        max_tickets_per_buyer: p.maxTicketsPerBuyer,
        queue_admit_per_second: p.queue.admitPerSecond,
        queue_max_active: p.queue.maxActive,
        queue_admission_ttl_seconds: p.queue.admissionTtlSeconds,
        cancellation_deadline_hours: p.cancellationPolicy.deadlineHoursBeforeStart,
        cancellation_fees: JSON.stringify(p.cancellationPolicy.fees),
        cancel_reason: null,
        cancelled_at: null,
        deleted_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('performance_grades')
      .values(
        p.grades.map((g, position) => ({ performance_id: id, grade: g.grade, price: g.price, position })),
      )
      .execute();
    await trx
      .insertInto('performance_section_grades')
      .values(
        [...p.sectionGrades].map(([sectionId, grade]) => ({
          performance_id: id,
          section_id: sectionId,
          grade,
        })),
      )
      .execute();
    const schedules = await trx
      .insertInto('schedules')
      .values(
        p.schedules.map((s) => ({
          performance_id: id,
          venue_id: p.venueId,
          starts_at: s.startsAt,
          ends_at: s.endsAt,
        })),
      )
      .returning(['id', 'performance_id as performanceId', 'starts_at as startsAt', 'ends_at as endsAt'])
      .execute();
    schedules.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
    return { id, schedules };
  }

  /** A live schedule of the venue overlapping [startsAt, endsAt), if any. */
  async findOverlap(
    trx: CatalogDb,
    venueId: string,
    startsAt: Date,
    endsAt: Date,
  ): Promise<string | undefined> {
    const row = await trx
      .selectFrom('schedules')
      .select('id')
      .where('venue_id', '=', venueId)
      .where('holds_venue', '=', true)
      .where(
        sql<boolean>`tstzrange(starts_at, ends_at) && tstzrange(${startsAt}::timestamptz, ${endsAt}::timestamptz)`,
      )
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  async findById(id: string, db: CatalogDb = this.#db, lock = false): Promise<PerformanceRow | undefined> {
    let query = db.selectFrom('performances as p').select(PERFORMANCE_COLUMNS).where('p.id', '=', id);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row === undefined ? undefined : toPerformance(row as RawPerformance);
  }

  grades(performanceId: string, db: CatalogDb = this.#db): Promise<{ grade: string; price: number }[]> {
    return db
      .selectFrom('performance_grades')
      .select(['grade', 'price'])
      .where('performance_id', '=', performanceId)
      .orderBy('position')
      .execute();
  }

  sectionGrades(
    performanceId: string,
    db: CatalogDb = this.#db,
  ): Promise<{ sectionId: string; grade: string }[]> {
    return db
      .selectFrom('performance_section_grades')
      .select(['section_id as sectionId', 'grade'])
      .where('performance_id', '=', performanceId)
      .execute();
  }

  schedules(performanceId: string, db: CatalogDb = this.#db): Promise<ScheduleRow[]> {
    return db
      .selectFrom('schedules')
      .select(['id', 'performance_id as performanceId', 'starts_at as startsAt', 'ends_at as endsAt'])
      .where('performance_id', '=', performanceId)
      .orderBy('starts_at')
      .execute();
  }

  /** One round trip for the sale view of a schedule: schedule, performance and grades. */
  async findForSale(
    scheduleId: string,
  ): Promise<
    | { schedule: ScheduleRow; performance: PerformanceRow; grades: { grade: string; price: number }[] }
    | undefined
  > {
    const row = await this.#db
      .selectFrom('schedules as s')
      .innerJoin('performances as p', 'p.id', 's.performance_id')
      .select([
        ...PERFORMANCE_COLUMNS,
        's.id as scheduleId',
        's.starts_at as startsAt',
        's.ends_at as endsAt',
        sql<{ grade: string; price: number }[]>`(
          select coalesce(json_agg(json_build_object('grade', g.grade, 'price', g.price) order by g.position), '[]')
          from performance_grades g where g.performance_id = p.id
        )`.as('grades'),
      ])
      .where('s.id', '=', scheduleId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const { scheduleId: id, startsAt, endsAt, grades, ...performance } = row;
    return {
      schedule: { id, performanceId: performance.id, startsAt, endsAt },
      performance: toPerformance(performance as unknown as RawPerformance),
      grades,
    };
  }

  async findSchedule(scheduleId: string): Promise<ScheduleRow | undefined> {
    return this.#db
      .selectFrom('schedules')
      .select(['id', 'performance_id as performanceId', 'starts_at as startsAt', 'ends_at as endsAt'])
      .where('id', '=', scheduleId)
      .executeTakeFirst();
  }

  /** What the seat-map cache revalidates with: one indexed lookup. */
  async scheduleVersion(
    scheduleId: string,
    db: CatalogDb = this.#db,
  ): Promise<
    { performanceId: string; venueId: string; version: number; status: PerformanceStatus } | undefined
  > {
    return db
      .selectFrom('schedules as s')
      .innerJoin('performances as p', 'p.id', 's.performance_id')
      .select(['p.id as performanceId', 'p.venue_id as venueId', 'p.version', 'p.status'])
      .where('s.id', '=', scheduleId)
      .executeTakeFirst();
  }

  async update(trx: CatalogDb, id: string, c: PerformanceChanges): Promise<number> {
    const row = await trx
      .updateTable('performances')
      .set((eb) => ({
        ...(c.title === undefined ? {} : { title: c.title }),
        ...(c.description === undefined ? {} : { description: c.description }),
        ...(c.salesOpenAt === undefined ? {} : { sales_open_at: c.salesOpenAt }),
        ...(c.salesCloseAt === undefined ? {} : { sales_close_at: c.salesCloseAt }),
        ...(c.maxTicketsPerBuyer === undefined ? {} : { max_tickets_per_buyer: c.maxTicketsPerBuyer }),
        ...(c.queue === undefined
          ? {}
          : {
              queue_admit_per_second: c.queue.admitPerSecond,
              queue_max_active: c.queue.maxActive,
              queue_admission_ttl_seconds: c.queue.admissionTtlSeconds,
            }),
        ...(c.cancellationPolicy === undefined
          ? {}
          : {
              cancellation_deadline_hours: c.cancellationPolicy.deadlineHoursBeforeStart,
              cancellation_fees: JSON.stringify(c.cancellationPolicy.fees),
            }),
        version: eb('version', '+', 1),
        updated_at: new Date(),
      }))
      .where('id', '=', id)
      .returning('version')
      .executeTakeFirstOrThrow();
    return row.version;
  }

  async setPrices(trx: CatalogDb, id: string, grades: { grade: string; price: number }[]): Promise<void> {
    for (const g of grades) {
      await trx
        .updateTable('performance_grades')
        .set({ price: g.price })
        .where('performance_id', '=', id)
        .where('grade', '=', g.grade)
        .execute();
    }
  }

  /** CANCELLED or DELETED: the schedules stop holding the venue; the version moves so caches reload. */
  async setStatus(
    trx: CatalogDb,
    id: string,
    status: 'CANCELLED' | 'DELETED',
    reason: string | null,
    at: Date,
  ): Promise<void> {
    await trx
      .updateTable('performances')
      .set((eb) => ({
        status,
        version: eb('version', '+', 1),
        updated_at: at,
        ...(status === 'CANCELLED' ? { cancel_reason: reason, cancelled_at: at } : { deleted_at: at }),
      }))
      .where('id', '=', id)
      .execute();
    await trx.updateTable('schedules').set({ holds_venue: false }).where('performance_id', '=', id).execute();
  }
}
