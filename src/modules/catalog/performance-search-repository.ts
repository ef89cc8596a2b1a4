import { sql } from 'kysely';
import {
  PERFORMANCE_COLUMNS,
  type PerformanceRow,
  type RawPerformance,
  toPerformance,
} from './performance-repository.ts';
import type { CatalogDb } from './tables.ts';

/** The buyer-facing listing queries (title search on the pg_trgm index, paging, summaries). */
export class PerformanceSearchRepository {
  readonly #db: CatalogDb;

  constructor(db: CatalogDb) {
    this.#db = db;
  }

  /** Buyer listing: live performances, newest first, optional title search (pg_trgm index). */
  async list(options: { q?: string; sellerId?: string; limit: number; offset: number }): Promise<{
    total: number;
    items: (PerformanceRow & { venueName: string })[];
  }> {
    let base = this.#db.selectFrom('performances as p').where('p.status', '<>', 'DELETED');
    if (options.q !== undefined && options.q !== '') {
      const pattern = `%${options.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      base = base.where('p.title', 'ilike', pattern);
    }
    if (options.sellerId !== undefined) base = base.where('p.seller_id', '=', options.sellerId);
    const [count, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      base
        .innerJoin('venues as v', 'v.id', 'p.venue_id')
        .select([...PERFORMANCE_COLUMNS, 'v.name as venueName'])
        .orderBy('p.created_at', 'desc')
        .orderBy('p.id', 'desc')
        .limit(options.limit)
        .offset(options.offset)
        .execute(),
    ]);
    return {
      total: Number(count.n),
      items: rows.map((r) => ({ ...toPerformance(r as unknown as RawPerformance), venueName: r.venueName })),
    };
  }

  /** Schedules and grade price range of many performances at once (listing). */
  async summaries(
    ids: string[],
  ): Promise<Map<string, { first: Date; last: Date; minPrice: number; maxPrice: number }>> {
    const out = new Map<string, { first: Date; last: Date; minPrice: number; maxPrice: number }>();
    if (ids.length === 0) return out;
    const rows = await sql<{ id: string; first: Date; last: Date; min_price: number; max_price: number }>`
      select p.id,
        (select min(starts_at) from schedules s where s.performance_id = p.id) as first,
        (select max(starts_at) from schedules s where s.performance_id = p.id) as last,
        (select min(price) from performance_grades g where g.performance_id = p.id) as min_price,
        (select max(price) from performance_grades g where g.performance_id = p.id) as max_price
      from performances p where p.id = any(${ids}::uuid[])
    `.execute(this.#db);
    for (const r of rows.rows) {
      out.set(r.id, { first: r.first, last: r.last, minPrice: r.min_price, maxPrice: r.max_price });
    }
    return out;
  }
}
