import type { Insertable, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';
import type { BookingTables, HoldKind, HoldStatus } from './tables.ts';

type Db = Kysely<PlatformTables & BookingTables>;
export type NewHoldRow = Insertable<BookingTables['holds']>;

export interface Hold {
  id: string;
  scheduleId: string;
  performanceId: string;
  sellerId: string;
  userId: string;
  kind: HoldKind;
  seatIds: number[];
  sectionId: string | null;
  quantity: number;
  fence: number;
  status: HoldStatus;
  expiresAt: Date;
  maxExpiresAt: Date;
  admissionExpiresAt: Date | null;
  createdAt: Date;
}

const COLUMNS = [
  'id',
  'schedule_id',
  'performance_id',
  'seller_id',
  'user_id',
  'kind',
  'seat_ids',
  'section_id',
  'quantity',
  'fence',
  'status',
  'expires_at',
  'max_expires_at',
  'admission_expires_at',
  'created_at',
] as const;

type Row = {
  id: string;
  schedule_id: string;
  performance_id: string;
  seller_id: string;
  user_id: string;
  kind: HoldKind;
  seat_ids: (number | string)[];
  section_id: string | null;
  quantity: number;
  fence: number;
  status: HoldStatus;
  expires_at: Date;
  max_expires_at: Date;
  admission_expires_at: Date | null;
  created_at: Date;
};

export function toHold(r: Row): Hold {
  return {
    id: r.id,
    scheduleId: r.schedule_id,
    performanceId: r.performance_id,
    sellerId: r.seller_id,
    userId: r.user_id,
    kind: r.kind,
    seatIds: r.seat_ids.map(Number),
    sectionId: r.section_id,
    quantity: r.quantity,
    fence: Number(r.fence),
    status: r.status,
    expiresAt: r.expires_at,
    maxExpiresAt: r.max_expires_at,
    admissionExpiresAt: r.admission_expires_at,
    createdAt: r.created_at,
  };
}

/** SQL of the holds table (the record; Redis decides availability). */
export class HoldRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insertMany(db: Db, rows: readonly NewHoldRow[]): Promise<void> {
    if (rows.length > 0)
      await db
        .insertInto('holds')
        .values([...rows])
        .execute();
  }

  /** Ends ACTIVE holds (a hold that is ORDERED or already ended is left alone). */
  async endMany(db: Db, ids: readonly string[], status: 'RELEASED' | 'EXPIRED', at: Date): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await db
      .updateTable('holds')
      .set({ status, ended_at: at })
      .where('id', 'in', [...ids])
      .where('status', '=', 'ACTIVE')
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async setExpiry(db: Db, id: string, expiresAt: Date): Promise<void> {
    await db
      .updateTable('holds')
      .set({ expires_at: expiresAt })
      .where('id', '=', id)
      .where('status', '=', 'ACTIVE')
      .execute();
  }

  async setStatus(db: Db, id: string, status: HoldStatus, at: Date | null = null): Promise<void> {
    await db.updateTable('holds').set({ status, ended_at: at }).where('id', '=', id).execute();
  }

  async find(id: string, db: Db = this.#db): Promise<Hold | null> {
    const row = await db.selectFrom('holds').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toHold(row);
  }

  async findForUpdate(db: Db, id: string): Promise<Hold | null> {
    const row = await db
      .selectFrom('holds')
      .select(COLUMNS)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    return row === undefined ? null : toHold(row);
  }

  /** ACTIVE holds past their expiry, locked for the sweeper (others skip them). */
  async lapsedForUpdate(db: Db, now: Date, limit: number): Promise<Hold[]> {
    const rows = await db
      .selectFrom('holds')
      .select(COLUMNS)
      .where('status', '=', 'ACTIVE')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    return rows.map(toHold);
  }

  async activeOfSchedule(scheduleId: string, limit: number): Promise<Hold[]> {
    const rows = await this.#db
      .selectFrom('holds')
      .select(COLUMNS)
      .where('schedule_id', '=', scheduleId)
      .where('status', '=', 'ACTIVE')
      .limit(limit)
      .execute();
    return rows.map(toHold);
  }

  /** Live holds of a schedule with the pending order of an ORDERED one (for seeding Redis). */
  async liveForSeed(scheduleId: string, now: Date): Promise<(Hold & { orderId: string | null })[]> {
    const rows = await this.#db
      .selectFrom('holds as h')
      .leftJoin('orders as o', 'o.hold_id', 'h.id')
      .select(COLUMNS.map((c) => `h.${c}` as const))
      .select('o.id as order_id')
      .where('h.schedule_id', '=', scheduleId)
      .where('h.status', 'in', ['ACTIVE', 'ORDERED'])
      .where('h.expires_at', '>', now)
      .where((eb) =>
        eb.or([eb('h.status', '=', 'ACTIVE'), eb('o.status', 'in', ['PENDING_PAYMENT', 'PAYMENT_PENDING'])]),
      )
      .execute();
    return rows.map((r) => ({ ...toHold(r), orderId: r.order_id }));
  }

  async maxFence(scheduleId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('holds')
      .select(sql<number | null>`max(fence)`.as('f'))
      .where('schedule_id', '=', scheduleId)
      .executeTakeFirst();
    return Number(row?.f ?? 0);
  }

  /** Whether the user still has a hold or pending order in the schedule other than `exceptHoldId`. */
  async hasOtherLive(userId: string, scheduleId: string, exceptHoldId: string, now: Date): Promise<boolean> {
    const row = await this.#db
      .selectFrom('holds')
      .select('id')
      .where('user_id', '=', userId)
      .where('schedule_id', '=', scheduleId)
      .where('status', 'in', ['ACTIVE', 'ORDERED'])
      .where('id', '<>', exceptHoldId)
      .where('expires_at', '>', now)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
