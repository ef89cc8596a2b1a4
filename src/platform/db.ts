import { Kysely, PostgresDialect, type QueryExecutorProvider, sql, type Transaction } from 'kysely';
import pg from 'pg';

// BIGINT and NUMERIC come back as JS numbers: every amount here is KRW below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));

/** Tables owned by the platform itself; each module declares its own and widens with `db.withTables<T>()`. */
export type PlatformTables = {
  outbox: {
    id: import('kysely').Generated<number>;
    event_id: string;
    topic: string;
    key: string;
    type: string;
    payload: unknown;
    headers: unknown;
    created_at: import('kysely').Generated<Date>;
    published_at: Date | null;
  };
  inbox: {
    consumer: string;
    event_id: string;
    processed_at: import('kysely').Generated<Date>;
  };
  idempotency_keys: {
    scope: string;
    idem_key: string;
    request_hash: string;
    state: 'IN_PROGRESS' | 'DONE';
    status_code: number | null;
    response_body: unknown;
    created_at: import('kysely').Generated<Date>;
  };
};

export type Db = Kysely<PlatformTables>;
export type Tx<T = PlatformTables> = Transaction<T>;

export function createDb(databaseUrl: string, poolMax: number): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // A checked-out client whose server connection is terminated (PostgreSQL restart, admin kill) emits
  // 'error' on the client itself; unhandled, that would crash the process. The query in flight still
  // fails and the pool discards the client.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<PlatformTables>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}

export async function pingDb(db: QueryExecutorProvider): Promise<void> {
  await sql`select 1`.execute(db);
}

export { sql };
