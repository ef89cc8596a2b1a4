import type { Generated, Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';

/** The ops module's own tables (migration 0009). Nobody else reads them. */
export type OpsTables = {
  ops_audit_log: {
    id: Generated<number>;
    at: Date;
    actor_id: string;
    actor_role: 'SELLER' | 'ADMIN';
    action: string;
    method: string;
    path: string;
    target: string | null;
    request_id: string;
    status_code: number;
    input: unknown;
    recorded_at: Generated<Date>;
  };
  ops_sales_switches: {
    performance_id: string;
    enabled: boolean;
    reason: string;
    changed_by: string;
    changed_at: Date;
    version: number;
  };
};

export type OpsDb = Kysely<PlatformTables & OpsTables>;
