import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { api } from '../support/harness.ts';
import {
  accounts,
  admit,
  type BookingTestApp,
  checkRecordInvariants,
  createSale,
  type HoldBody,
  hold,
  pool,
  redisSeats,
  sample,
  startBookingApp,
} from './support.ts';

let t: BookingTestApp;
beforeAll(async () => {
  t = await startBookingApp();
});
afterAll(async () => t.close());

describe('1,000 buyers racing for the same 10 seats', () => {
  it('grants every seat to at most one hold, all-or-nothing, and tells losers which seats were taken', async () => {
    const sale = await createSale(t, { rows: 1, perRow: 5, maxTicketsPerBuyer: 4 });
    const seatIds = sale.seats.map((s) => s.id);
    expect(seatIds).toHaveLength(10);
    const buyers = await accounts(t, 1000);
    const tokens = await admit(t, sale.scheduleId, buyers);

    const wants = buyers.map(() => sample(seatIds, 1 + Math.floor(Math.random() * 4)));
    // Everyone fires at once.
    const results = await Promise.all(
      buyers.map((b, i) => hold(t, b, sale.scheduleId, tokens.get(b.id), { seatIds: wants[i] })),
    );

    const winners: { buyer: BulkAccount; body: HoldBody; wanted: number[] }[] = [];
    for (const [i, r] of results.entries()) {
      const wanted = wants[i] as number[];
      if (r.status === 201) {
        expect(r.body.seatIds).toEqual(wanted);
        winners.push({ buyer: buyers[i] as BulkAccount, body: r.body, wanted });
      } else {
        expect(r.status, JSON.stringify(r.body)).toBe(409);
        expect(r.body.code).toBe('SEATS_UNAVAILABLE');
        const unavailable = r.body.unavailableSeatIds ?? [];
        expect(unavailable.length).toBeGreaterThan(0);
        for (const s of unavailable) expect(wanted).toContain(s);
      }
    }
    // Disjoint winners, every seat of a winner held by it in Redis and in the record.
    const owner = new Map<number, string>();
    for (const w of winners) {
      for (const s of w.body.seatIds) {
        expect(owner.has(s), `seat ${s} granted twice`).toBe(false);
        owner.set(s, w.body.holdId);
      }
    }
    expect(winners.length).toBeGreaterThan(0);
    const redis = await redisSeats(t, sale.scheduleId);
    for (const [seat, holdId] of owner) expect(redis.get(seat)?.split('|')[0]).toBe(holdId);
    expect([...redis.keys()].every((s) => owner.has(s))).toBe(true);
    // Every loser's unavailable seats were really taken by a winner.
    for (const r of results) {
      for (const s of r.body.unavailableSeatIds ?? [])
        expect(owner.has(s), `seat ${s} refused but free`).toBe(true);
    }
    const rows = await t.rt.db
      .selectFrom('holds' as never)
      .select(['id as id', 'seat_ids as seat_ids'] as never)
      .where('schedule_id' as never, '=', sale.scheduleId as never)
      .where('status' as never, '=', 'ACTIVE' as never)
      .execute();
    expect(rows).toHaveLength(winners.length);
    console.log(
      `race: ${winners.length} winners holding ${owner.size} seats, ${results.length - winners.length} × 409 SEATS_UNAVAILABLE`,
    );
    await checkRecordInvariants(t, sale.scheduleId);
  });

  it('under churn (hold, release, retry) no seat is ever granted while its previous hold is certainly alive', async () => {
    const sale = await createSale(t, { rows: 1, perRow: 5, maxTicketsPerBuyer: 4 });
    const seatIds = sale.seats.map((s) => s.id);
    const buyers = await accounts(t, 60);
    const tokens = await admit(t, sale.scheduleId, buyers);

    interface Grant {
      holdId: string;
      seats: number[];
      fence: number;
      grantedBy: number;
      releaseSentAt: number;
    }
    const grants: Grant[] = [];
    let refused = 0;
    // At least 6 s of churn and at least 100 grants (a loaded machine needs longer), at most 40 s.
    const until = Date.now() + 6000;
    const hardStop = Date.now() + 40_000;
    const churning = () => Date.now() < until || (grants.length <= 100 && Date.now() < hardStop);
    await pool(buyers, 60, async (b) => {
      while (churning()) {
        const wanted = sample(seatIds, 1 + Math.floor(Math.random() * 4));
        const r = await hold(t, b, sale.scheduleId, tokens.get(b.id), { seatIds: wanted });
        const grantedBy = performance.now();
        if (r.status !== 201) {
          expect(r.status, JSON.stringify(r.body)).toBe(409);
          refused++;
          continue;
        }
        await new Promise((res) => setTimeout(res, Math.random() * 20));
        const releaseSentAt = performance.now();
        const del = await api(t.baseUrl, 'DELETE', `/api/v1/holds/${r.body.holdId}`, {
          token: b.accessToken,
        });
        expect(del.status).toBe(204);
        grants.push({ holdId: r.body.holdId, seats: r.body.seatIds, fence: 0, grantedBy, releaseSentAt });
      }
    });
    // Order the grants by their fencing version (the order the Lua scripts ran in).
    const fences = await t.rt.db
      .selectFrom('holds' as never)
      .select(['id as id', 'fence as fence'] as never)
      .where('schedule_id' as never, '=', sale.scheduleId as never)
      .execute();
    const fenceOf = new Map(
      (fences as unknown as { id: string; fence: number }[]).map((f) => [f.id, Number(f.fence)]),
    );
    for (const g of grants) g.fence = fenceOf.get(g.holdId) ?? Number.NaN;
    expect(grants.every((g) => Number.isFinite(g.fence))).toBe(true);
    grants.sort((a, b) => a.fence - b.fence);
    const last = new Map<number, Grant>();
    let overlaps = 0;
    for (const g of grants) {
      for (const s of g.seats) {
        const prev = last.get(s);
        // g was granted (response received) before prev's release was even sent: both alive at once.
        if (prev !== undefined && g.grantedBy < prev.releaseSentAt) overlaps++;
        last.set(s, g);
      }
    }
    console.log(`churn: ${grants.length} holds granted and released, ${refused} refused`);
    expect(grants.length).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(0);
    expect(overlaps).toBe(0);
    expect((await redisSeats(t, sale.scheduleId)).size).toBe(0);
  });
});
