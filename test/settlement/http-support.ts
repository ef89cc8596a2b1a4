import { randomUUID } from 'node:crypto';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import type { EventEnvelope } from '../../src/platform/outbox/enqueue.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export type SettlementBody = Record<string, number | string | null> & {
  id: string;
  sellerId: string;
  status: string;
};
export type LineBody = Record<string, number | string | null> & { type: string; orderId: string | null };

export interface HttpFixture {
  t: TestApp;
  admin: BulkAccount;
  sellerA: BulkAccount;
  sellerB: BulkAccount;
  buyer: BulkAccount;
  /** Feeds the ledger through its handler, each event in its own transaction. */
  feed(...events: EventEnvelope[]): Promise<void>;
  run(
    token: string,
    periodStart: Date,
    periodEnd: Date,
    headers?: Record<string, string>,
  ): ReturnType<
    typeof api<{ runId: string; settlements: { id: string; sellerId: string }[]; created: string[] }>
  >;
}

/** A test app with an admin, two sellers and a buyer. */
export async function startHttpFixture(tag: string): Promise<HttpFixture> {
  const t = await startTestApp();
  const make = async (role: 'ADMIN' | 'SELLER' | 'BUYER') => {
    const [a] = await t.modules.identity.bulkCreateAccounts({
      count: 1,
      role,
      emailPrefix: `${tag}-${role.toLowerCase()}-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}-`,
    });
    if (a === undefined) throw new Error('no account');
    return a;
  };
  const [admin, sellerA, sellerB, buyer] = await Promise.all([
    make('ADMIN'),
    make('SELLER'),
    make('SELLER'),
    make('BUYER'),
  ]);
  return {
    t,
    admin,
    sellerA,
    sellerB,
    buyer,
    async feed(...events) {
      for (const e of events) {
        await t.rt.db.transaction().execute((trx) => t.modules.settlement.handlePaymentEvent(e, trx));
      }
    },
    run: (token, periodStart, periodEnd, headers = {}) =>
      api<{ runId: string; settlements: { id: string; sellerId: string }[]; created: string[] }>(
        t.baseUrl,
        'POST',
        '/api/v1/admin/settlements/run',
        {
          token,
          headers,
          body: { periodStart: periodStart.toISOString(), periodEnd: periodEnd.toISOString() },
        },
      ),
  };
}
