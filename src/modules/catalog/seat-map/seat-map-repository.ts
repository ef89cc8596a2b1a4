import { sql } from 'kysely';
import type { CatalogDb, SectionKind } from '../tables.ts';

export interface SeatRow {
  id: number;
  sectionId: string;
  rowNo: number;
  number: number;
}

export interface PricedSection {
  id: string;
  name: string;
  kind: SectionKind;
  capacity: number;
  grade: string;
  price: number;
}

/** The static inputs of a performance's seat map: sections with their grade and price, and the seats. */
export class SeatMapRepository {
  readonly #db: CatalogDb;

  constructor(db: CatalogDb) {
    this.#db = db;
  }

  async pricedSections(performanceId: string, db: CatalogDb = this.#db): Promise<PricedSection[]> {
    const rows = await sql<PricedSection>`
      select sec.id, sec.name, sec.kind, sec.capacity, g.grade, g.price
      from performances p
      join venue_sections sec on sec.venue_id = p.venue_id
      join performance_section_grades sg on sg.performance_id = p.id and sg.section_id = sec.id
      join performance_grades g on g.performance_id = p.id and g.grade = sg.grade
      where p.id = ${performanceId}
      order by sec.position
    `.execute(db);
    return rows.rows;
  }

  async seats(venueId: string): Promise<SeatRow[]> {
    const rows = await sql<SeatRow>`
      select s.id, s.section_id as "sectionId", s.row_no as "rowNo", s.number
      from venue_seats s join venue_sections sec on sec.id = s.section_id
      where s.venue_id = ${venueId}
      order by sec.position, s.row_no, s.number
    `.execute(this.#db);
    return rows.rows;
  }
}
