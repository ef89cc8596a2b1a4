import { sql } from 'kysely';
import type { CatalogDb, SectionKind } from './tables.ts';

export interface NewSection {
  name: string;
  kind: SectionKind;
  rows: number | null;
  seatsPerRow: number | null;
  capacity: number;
}

export interface VenueRow {
  id: string;
  sellerId: string;
  name: string;
  address: string;
  seatCount: number;
  createdAt: Date;
}

export interface SectionRow {
  id: string;
  venueId: string;
  position: number;
  name: string;
  kind: SectionKind;
  rows: number | null;
  seatsPerRow: number | null;
  capacity: number;
}

const VENUE_COLUMNS = [
  'id',
  'seller_id as sellerId',
  'name',
  'address',
  'seat_count as seatCount',
  'created_at as createdAt',
] as const;

const SECTION_COLUMNS = [
  'id',
  'venue_id as venueId',
  'position',
  'name',
  'kind',
  'rows',
  'seats_per_row as seatsPerRow',
  'capacity',
] as const;

/** Venues, their sections and their physical seats: every catalog SQL about venues lives here. */
export class VenueRepository {
  readonly #db: CatalogDb;

  constructor(db: CatalogDb) {
    this.#db = db;
  }

  /** Inserts the venue, its sections and one row per seat (generated in SQL), in the caller's transaction. */
  async insert(
    trx: CatalogDb,
    venue: { sellerId: string; name: string; address: string; sections: NewSection[] },
  ): Promise<VenueRow> {
    const seatCount = venue.sections.reduce((n, s) => n + s.capacity, 0);
    const row = await trx
      .insertInto('venues')
      .values({
        seller_id: venue.sellerId,
        name: venue.name,
        address: venue.address,
        seat_count: seatCount,
        deleted_at: null,
      })
      .returning(VENUE_COLUMNS)
      .executeTakeFirstOrThrow();
    const sections = await trx
      .insertInto('venue_sections')
      .values(
        venue.sections.map((s, position) => ({
          venue_id: row.id,
          position,
          name: s.name,
          kind: s.kind,
          rows: s.rows,
          seats_per_row: s.seatsPerRow,
          capacity: s.capacity,
        })),
      )
      .returning(['id', 'kind', 'rows', 'seats_per_row'])
      .execute();
    for (const s of sections) {
      if (s.kind !== 'SEATED' || s.rows === null || s.seats_per_row === null) continue;
      await sql`
        insert into venue_seats (venue_id, section_id, row_no, number)
        select ${row.id}::uuid, ${s.id}::uuid, r, n
        from generate_series(1, ${s.rows}::int) r, generate_series(1, ${s.seats_per_row}::int) n
        order by r, n
      `.execute(trx);
    }
    return row;
  }

  findById(id: string, db: CatalogDb = this.#db): Promise<(VenueRow & { deleted: boolean }) | undefined> {
    return db
      .selectFrom('venues')
      .select([...VENUE_COLUMNS, sql<boolean>`deleted_at is not null`.as('deleted')])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Live venues of one seller, or of everyone when `sellerId` is null (ADMIN). */
  list(sellerId: string | null, limit: number, offset: number): Promise<VenueRow[]> {
    let query = this.#db.selectFrom('venues').select(VENUE_COLUMNS).where('deleted_at', 'is', null);
    if (sellerId !== null) query = query.where('seller_id', '=', sellerId);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
  }

  sections(venueId: string, db: CatalogDb = this.#db): Promise<SectionRow[]> {
    return db
      .selectFrom('venue_sections')
      .select(SECTION_COLUMNS)
      .where('venue_id', '=', venueId)
      .orderBy('position')
      .execute();
  }

  /** Locks the venue row so a delete and a new performance on it cannot cross. */
  async lockLive(trx: CatalogDb, id: string): Promise<{ sellerId: string } | undefined> {
    return trx
      .selectFrom('venues')
      .select('seller_id as sellerId')
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
  }

  async isUsedByLivePerformance(trx: CatalogDb, venueId: string): Promise<boolean> {
    const row = await trx
      .selectFrom('performances')
      .select('id')
      .where('venue_id', '=', venueId)
      .where('status', '=', 'ON_SALE')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async softDelete(trx: CatalogDb, id: string): Promise<void> {
    await trx.updateTable('venues').set({ deleted_at: new Date() }).where('id', '=', id).execute();
  }
}
