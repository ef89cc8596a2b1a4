import { sql } from 'kysely';
import type { OpsDb } from '../tables.ts';

export interface SalesHaltRecord {
  performanceId: string;
  reason: string;
  changedBy: string;
  changedAt: Date;
}

export interface SwitchState {
  performanceId: string;
  enabled: boolean;
  reason: string;
  changedBy: string;
  changedAt: Date;
  version: number;
}

/** Every halted performance as of one version: what the Redis copy holds. */
export interface HaltSnapshot {
  version: number;
  halts: SalesHaltRecord[];
}

/** All SQL on `ops_sales_switches`. */
export class SalesSwitchRepository {
  readonly #db: OpsDb;

  constructor(db: OpsDb) {
    this.#db = db;
  }

  /**
   * Records a change under a transaction-wide lock, so versions (one sequence) commit in the order
   * they were taken: a snapshot that sees version v sees every change up to v.
   */
  async set(input: {
    performanceId: string;
    enabled: boolean;
    reason: string;
    changedBy: string;
  }): Promise<SwitchState> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended('ops.sales-switch', 0))`.execute(trx);
      const row = await trx
        .insertInto('ops_sales_switches')
        .values({
          performance_id: input.performanceId,
          enabled: input.enabled,
          reason: input.reason,
          changed_by: input.changedBy,
          changed_at: new Date(),
          version: sql<number>`nextval('ops_sales_switch_version')`,
        })
        .onConflict((oc) =>
          oc.column('performance_id').doUpdateSet((eb) => ({
            enabled: eb.ref('excluded.enabled'),
            reason: eb.ref('excluded.reason'),
            changed_by: eb.ref('excluded.changed_by'),
            changed_at: eb.ref('excluded.changed_at'),
            version: eb.ref('excluded.version'),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return stateOf(row);
    });
  }

  async get(performanceId: string): Promise<SwitchState | null> {
    const row = await this.#db
      .selectFrom('ops_sales_switches')
      .selectAll()
      .where('performance_id', '=', performanceId)
      .executeTakeFirst();
    return row === undefined ? null : stateOf(row);
  }

  /** One statement, so the version and the halts come from the same snapshot. */
  async snapshot(): Promise<HaltSnapshot> {
    const { rows } = await sql<{ version: string | number | null; halts: SalesHaltRecord[] | null }>`
      select (select max(version) from ops_sales_switches) as version,
        (select json_agg(json_build_object('performanceId', performance_id, 'reason', reason,
          'changedBy', changed_by, 'changedAt', changed_at))
          from ops_sales_switches where not enabled) as halts`.execute(this.#db);
    const row = rows[0];
    return {
      version: Number(row?.version ?? 0),
      halts: (row?.halts ?? []).map((h) => ({ ...h, changedAt: new Date(h.changedAt) })),
    };
  }
}

function stateOf(r: {
  performance_id: string;
  enabled: boolean;
  reason: string;
  changed_by: string;
  changed_at: Date;
  version: number;
}): SwitchState {
  return {
    performanceId: r.performance_id,
    enabled: r.enabled,
    reason: r.reason,
    changedBy: r.changed_by,
    changedAt: r.changed_at,
    version: Number(r.version),
  };
}
