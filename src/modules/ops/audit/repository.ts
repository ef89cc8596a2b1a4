import { sql } from 'kysely';
import type { OpsDb } from '../tables.ts';

export interface AuditEntry {
  at: Date;
  actorId: string;
  actorRole: 'SELLER' | 'ADMIN';
  action: string;
  method: string;
  path: string;
  target: string | null;
  requestId: string;
  statusCode: number;
  input: unknown;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  recordedAt: Date;
}

export interface AuditFilter {
  actorId?: string;
  /** Case-insensitive part of the action (`METHOD /route/:pattern`). */
  action?: string;
  from?: Date;
  to?: Date;
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** All SQL on `ops_audit_log`. */
export class AuditRepository {
  readonly #db: OpsDb;

  constructor(db: OpsDb) {
    this.#db = db;
  }

  async insertMany(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#db
      .insertInto('ops_audit_log')
      .values(
        entries.map((e) => ({
          at: e.at,
          actor_id: e.actorId,
          actor_role: e.actorRole,
          action: e.action,
          method: e.method,
          path: e.path,
          target: e.target,
          request_id: e.requestId,
          status_code: e.statusCode,
          input: JSON.stringify(e.input ?? {}),
        })),
      )
      .execute();
  }

  /** Newest first; one row more than a page is read to tell whether another page follows. */
  async search(filter: AuditFilter): Promise<{ items: AuditRecord[]; hasMore: boolean }> {
    let q = this.#db.selectFrom('ops_audit_log').selectAll();
    if (filter.actorId !== undefined) q = q.where('actor_id', '=', filter.actorId);
    if (filter.action !== undefined)
      q = q.where(sql<boolean>`strpos(lower(action), lower(${filter.action})) > 0`);
    if (filter.from !== undefined) q = q.where('at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('at', '<', filter.to);
    const rows = await q
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.pageSize + 1)
      .offset((filter.page - 1) * filter.pageSize)
      .execute();
    return {
      hasMore: rows.length > filter.pageSize,
      items: rows.slice(0, filter.pageSize).map((r) => ({
        id: Number(r.id),
        at: r.at,
        actorId: r.actor_id,
        actorRole: r.actor_role,
        action: r.action,
        method: r.method,
        path: r.path,
        target: r.target,
        requestId: r.request_id,
        statusCode: r.status_code,
        input: r.input,
        recordedAt: r.recorded_at,
      })),
    };
  }
}
