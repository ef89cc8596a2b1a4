import type { SandboxTables } from '../../../src/modules/payment/sandbox/tables.ts';
import { createDb } from '../../../src/platform/db.ts';

/** A direct connection to the run's database, for assertions on ledgers. */
export function openDb() {
  const { db } = createDb(process.env.DATABASE_URL ?? '', 3);
  return { db: db.withTables<SandboxTables>() };
}
