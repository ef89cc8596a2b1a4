import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { AuditRepository } from '../../src/modules/ops/audit/repository.ts';
import { AuditWriter } from '../../src/modules/ops/audit/writer.ts';
import type { OpsTables } from '../../src/modules/ops/tables.ts';
import { createDb } from '../../src/platform/db.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { api } from '../support/harness.ts';
import {
  accounts,
  at,
  expectStatus,
  joinQueue,
  newSale,
  type OpsTestApp,
  patchQueue,
  setSales,
  startOpsApp,
} from './support.ts';

interface AuditItem {
  id: number;
  at: string;
  actorId: string;
  actorRole: string;
  action: string;
  method: string;
  path: string;
  target: string | null;
  requestId: string;
  statusCode: number;
  input: Record<string, unknown>;
}
interface AuditPage {
  items: AuditItem[];
  page: number;
  pageSize: number;
  hasMore: boolean;
  code?: string;
}

let t: OpsTestApp;
let admin: BulkAccount;
let seller: BulkAccount;
let buyer: BulkAccount;
beforeAll(async () => {
  t = await startOpsApp();
  admin = at(await accounts(t, 1, 'ADMIN'), 0);
  seller = at(await accounts(t, 1, 'SELLER'), 0);
  buyer = at(await accounts(t, 1, 'BUYER'), 0);
});
afterAll(async () => t.close());

const audit = async (query: Record<string, string | number>, token = admin.accessToken) => {
  await t.modules.ops.flushAudit();
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  return api<AuditPage>(t.baseUrl, 'GET', `/api/v1/admin/audit?${qs}`, { token });
};

describe('audit log', () => {
  it('records seller and admin writes of every module (root-level hooks), never buyers, reads or refusals', async () => {
    const started = new Date(Date.now() - 1000).toISOString();
    // A seller's writes in catalog (venue, performance) and queue (PATCH), with our own request id.
    const requestId = `audit-${randomUUID()}`;
    const venue = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/venues', {
      token: seller.accessToken,
      headers: { 'x-request-id': requestId },
      body: { name: 'Audit Hall', address: 'Seoul', sections: [{ name: 'Floor', rows: 1, seatsPerRow: 2 }] },
    });
    expectStatus(venue, 201);
    const sale = await newSale(t);
    const patched = await patchQueue(t, sale.seller, sale.scheduleId, { admitPerSecond: 77 });
    expectStatus(patched, 200);
    // An admin's write (the kill switch) and a seller's logout, whose refresh token must not be kept.
    expectStatus(await setSales(t, admin, sale.performanceId, { enabled: true, reason: 'audit check' }), 200);
    const logout = await api(t.baseUrl, 'POST', '/api/v1/auth/logout', {
      token: seller.accessToken,
      body: { refreshToken: 'secret-refresh-token-value' },
    });
    expectStatus(logout, 204);
    // Not recorded: a buyer's write, a seller's read, a seller's refused write.
    expectStatus(await joinQueue(t, buyer, sale.scheduleId), 202);
    expectStatus(await api(t.baseUrl, 'GET', '/api/v1/venues', { token: seller.accessToken }), 200);
    const refused = await api(t.baseUrl, 'POST', '/api/v1/venues', {
      token: seller.accessToken,
      body: { name: '' },
    });
    expectStatus(refused, 400);

    const mine = await audit({ actorId: seller.id, from: started, pageSize: 200 });
    expectStatus(mine, 200);
    const actions = mine.body.items.map((i) => i.action);
    expect(actions.sort()).toEqual(['POST /api/v1/auth/logout', 'POST /api/v1/venues']);
    const created = mine.body.items.find((i) => i.action === 'POST /api/v1/venues');
    expect(created).toMatchObject({
      actorId: seller.id,
      actorRole: 'SELLER',
      method: 'POST',
      path: '/api/v1/venues',
      target: venue.body.id,
      requestId,
      statusCode: 201,
      input: { body: { name: 'Audit Hall', address: 'Seoul' } },
    });
    const loggedOut = mine.body.items.find((i) => i.action === 'POST /api/v1/auth/logout');
    expect(loggedOut?.input).toEqual({ body: { refreshToken: '[redacted]' } });
    expect(JSON.stringify(mine.body)).not.toContain('secret-refresh-token-value');

    const saleSeller = await audit({ actorId: sale.seller.id, from: started });
    expect(saleSeller.body.items.map((i) => i.action).sort()).toEqual([
      'PATCH /api/v1/schedules/:scheduleId/queue',
      'POST /api/v1/performances',
      'POST /api/v1/venues',
    ]);
    const patch = saleSeller.body.items.find((i) => i.method === 'PATCH');
    expect(patch).toMatchObject({
      target: sale.scheduleId,
      path: `/api/v1/schedules/${sale.scheduleId}/queue`,
      input: { params: { scheduleId: sale.scheduleId }, body: { admitPerSecond: 77 } },
    });
    const perf = saleSeller.body.items.find((i) => i.action === 'POST /api/v1/performances');
    expect(perf?.target).toBe(sale.performanceId);

    const admins = await audit({ actorId: admin.id, from: started });
    expect(admins.body.items).toHaveLength(1);
    expect(admins.body.items[0]).toMatchObject({
      actorRole: 'ADMIN',
      action: 'POST /api/v1/admin/performances/:id/sales',
      target: sale.performanceId,
      input: { body: { enabled: true, reason: 'audit check' } },
    });
    const buyers = await audit({ actorId: buyer.id });
    expect(buyers.body.items).toEqual([]);
  });

  it('filters by action (any part of it, any case) and time, newest first, in pages', async () => {
    const from = new Date().toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const v = await api<{ id: string }>(t.baseUrl, 'POST', '/api/v1/venues', {
        token: seller.accessToken,
        body: { name: `Paged ${i}`, address: 'Busan', sections: [{ name: 'A', rows: 1, seatsPerRow: 1 }] },
      });
      expectStatus(v, 201);
      ids.push(v.body.id);
    }
    const to = new Date(Date.now() + 1000).toISOString();
    const all = await audit({ actorId: seller.id, action: 'post /API/v1/VENUES', from, to });
    expect(all.body.items.map((i) => i.target)).toEqual([...ids].reverse());
    expect(all.body).toMatchObject({ page: 1, pageSize: 50, hasMore: false });
    const page2 = await audit({ actorId: seller.id, action: 'venues', from, to, pageSize: 2, page: 2 });
    expect(page2.body.items.map((i) => i.target)).toEqual([ids[0]]);
    expect(page2.body.hasMore).toBe(false);
    const page1 = await audit({ actorId: seller.id, action: 'venues', from, to, pageSize: 2 });
    expect(page1.body.hasMore).toBe(true);
    const none = await audit({ actorId: seller.id, action: 'settlements', from, to });
    expect(none.body.items).toEqual([]);
    const before = await audit({ actorId: seller.id, to: from, action: 'Paged' });
    expect(before.body.items).toEqual([]);
  });

  it('is for admins only and validates its query', async () => {
    expect((await audit({}, seller.accessToken)).status).toBe(403);
    expect((await api(t.baseUrl, 'GET', '/api/v1/admin/audit')).status).toBe(401);
    const bad = await audit({ actorId: 'not-a-uuid' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const backwards = await audit({
      from: new Date().toISOString(),
      to: new Date(Date.now() - 1).toISOString(),
    });
    expect(backwards.status).toBe(400);
  });
});

describe('audit writer', () => {
  const entry = (n: number) => ({
    at: new Date(),
    actorId: randomUUID(),
    actorRole: 'ADMIN' as const,
    action: `POST /test/${n}`,
    method: 'POST',
    path: `/test/${n}`,
    target: null,
    requestId: `w-${n}`,
    statusCode: 200,
    input: { n },
  });

  function capture() {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          cb();
        },
      }),
    );
    return { lines, logger };
  }

  it('writes in batches off the request path', async () => {
    const writer = new AuditWriter(
      new AuditRepository(t.rt.db.withTables<OpsTables>()),
      t.rt.logger,
      createMetrics(),
      { batchSize: 3, intervalMs: 50 },
    );
    const batch = [1, 2, 3, 4, 5].map(entry);
    for (const e of batch) writer.record(e);
    expect(writer.pending).toBe(5); // nothing awaited by record()
    await new Promise((r) => setTimeout(r, 300));
    expect(writer.pending).toBe(0);
    const page = await audit({ actorId: at(batch, 4).actorId });
    expect(page.body.items.map((i) => i.requestId)).toEqual(['w-5']);
  });

  it('never drops silently: failures are retried, counted and logged; what cannot be written is logged in full', async () => {
    // A real PostgreSQL that refuses: the database does not exist.
    const broken = createDb(
      `${(process.env.DATABASE_URL ?? '').replace(/\/[^/]*$/, '')}/no_such_db_${Date.now()}`,
      1,
    );
    const metrics = createMetrics();
    const { lines, logger } = capture();
    const writer = new AuditWriter(new AuditRepository(broken.db.withTables<OpsTables>()), logger, metrics, {
      batchSize: 10,
      intervalMs: 10,
      maxBuffered: 3,
      retryBaseMs: 20,
      retryCapMs: 50,
    });
    try {
      for (const n of [1, 2, 3, 4]) writer.record(entry(n));
      // the buffer holds 3: the oldest went to the error log, with its content
      const overflow = lines.find((l) => String(l.msg).startsWith('audit buffer full'));
      expect(((overflow?.audit ?? {}) as { requestId?: string }).requestId).toBe('w-1');
      expect(await writer.flush()).toBe(false);
      await new Promise((r) => setTimeout(r, 200)); // retried with backoff meanwhile
      expect(writer.pending).toBe(3);
      const failures = await metrics.registry.getSingleMetric('ops_audit_write_failures_total')?.get();
      expect(failures?.values[0]?.value ?? 0).toBeGreaterThanOrEqual(2);
      expect(
        lines.filter((l) => l.msg === 'audit write failed; retrying with backoff').length,
      ).toBeGreaterThan(1);
      await writer.close();
      const last = lines.find((l) => String(l.msg).startsWith('audit entries not written at shutdown'));
      expect(((last?.audit ?? []) as { requestId: string }[]).map((a) => a.requestId)).toEqual([
        'w-2',
        'w-3',
        'w-4',
      ]);
      const entries = await metrics.registry.getSingleMetric('ops_audit_entries_total')?.get();
      const dropped = entries?.values.find((v) => v.labels.outcome === 'dropped')?.value;
      expect(dropped).toBe(4);
      expect(writer.pending).toBe(0);
    } finally {
      await broken.db.destroy();
    }
  });
});
