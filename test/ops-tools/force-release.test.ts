import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { api } from '../support/harness.ts';
import {
  accounts,
  admit,
  at,
  expectStatus,
  hold,
  newSale,
  type OpsTestApp,
  order,
  seatMap,
  startOpsApp,
} from './support.ts';

interface Released {
  holdId: string;
  outcome: string;
  status: string;
  orderId: string | null;
  seatIds: number[];
  code?: string;
}

let t: OpsTestApp;
let admin: BulkAccount;
beforeAll(async () => {
  t = await startOpsApp();
  admin = at(await accounts(t, 1, 'ADMIN'), 0);
});
afterAll(async () => t.close());

const release = (holdId: string, token = admin.accessToken, reason = 'stuck checkout') =>
  api<Released>(t.baseUrl, 'POST', `/api/v1/admin/holds/${holdId}/release`, { token, body: { reason } });

const statusOf = async (scheduleId: string, seatIds: number[]) => {
  const map = await seatMap(t, scheduleId);
  return seatIds.map((id) => map.seats.find((s) => s.id === id)?.status);
};

describe('force-release of a hold', () => {
  it("returns another buyer's seats at once, is audited, and is idempotent", async () => {
    const sale = await newSale(t);
    const [a, b] = await accounts(t, 2);
    if (a === undefined || b === undefined) throw new Error('no buyers');
    const tokens = await admit(t, sale.scheduleId, [a, b]);
    const seats = sale.seats.slice(0, 2).map((s) => s.id);
    const h = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: seats });
    expectStatus(h, 201);
    expect(await statusOf(sale.scheduleId, seats)).toEqual(['HELD', 'HELD']);

    // Only admins; the owner's seller may not either.
    expect((await release(h.body.holdId, sale.seller.accessToken)).status).toBe(403);
    expect((await release(h.body.holdId, a.accessToken)).status).toBe(403);

    const r = await release(h.body.holdId);
    expectStatus(r, 200);
    expect(r.body).toMatchObject({
      holdId: h.body.holdId,
      outcome: 'RELEASED',
      status: 'RELEASED',
      orderId: null,
    });
    expect(r.body.seatIds).toEqual(seats);
    // At once: the seat map and another buyer see the seats free.
    expect(await statusOf(sale.scheduleId, seats)).toEqual(['AVAILABLE', 'AVAILABLE']);
    const mine = await api<{ status: string }>(t.baseUrl, 'GET', `/api/v1/holds/${h.body.holdId}`, {
      token: a.accessToken,
    });
    expect(mine.body.status).toBe('RELEASED');
    const taken = await hold(t, b, sale.scheduleId, tokens.get(b.id), { seatIds: seats });
    expectStatus(taken, 201);

    const again = await release(h.body.holdId);
    expectStatus(again, 200);
    expect(again.body).toMatchObject({ outcome: 'ALREADY_ENDED', status: 'RELEASED' });

    await t.modules.ops.flushAudit();
    const log = await api<{ items: { action: string; target: string; input: { body: unknown } }[] }>(
      t.baseUrl,
      'GET',
      `/api/v1/admin/audit?actorId=${admin.id}&action=holds`,
      { token: admin.accessToken },
    );
    expect(log.body.items.map((i) => [i.action, i.target, i.input.body])).toEqual([
      ['POST /api/v1/admin/holds/:holdId/release', h.body.holdId, { reason: 'stuck checkout' }],
      ['POST /api/v1/admin/holds/:holdId/release', h.body.holdId, { reason: 'stuck checkout' }],
    ]);
  });

  it('frees a hold inside an unpaid order by cancelling that order', async () => {
    const sale = await newSale(t);
    const [a] = await accounts(t, 1);
    if (a === undefined) throw new Error('no buyer');
    const tokens = await admit(t, sale.scheduleId, [a]);
    const seat = at(sale.seats, 3).id;
    const h = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: [seat] });
    expectStatus(h, 201);
    const o = await order(t, a, { holdId: h.body.holdId });
    expectStatus(o, 201);

    const r = await release(h.body.holdId);
    expectStatus(r, 200);
    expect(r.body).toMatchObject({ outcome: 'ORDER_CANCELLED', orderId: o.body.id });
    expect(await statusOf(sale.scheduleId, [seat])).toEqual(['AVAILABLE']);
    const after = await api<{ status: string }>(t.baseUrl, 'GET', `/api/v1/orders/${o.body.id}`, {
      token: a.accessToken,
    });
    expect(after.body.status).toBe('CANCELLED');
  });

  it('answers 404 for an unknown hold and 400 for a bad id or a missing reason', async () => {
    const unknown = await release('00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('HOLD_NOT_FOUND');
    expect((await release('not-a-uuid')).status).toBe(400);
    const noReason = await api(
      t.baseUrl,
      'POST',
      '/api/v1/admin/holds/00000000-0000-4000-8000-000000000000/release',
      {
        token: admin.accessToken,
        body: {},
      },
    );
    expect(noReason.status).toBe(400);
  });
});
