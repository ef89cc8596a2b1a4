import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/harness.ts';
import {
  accounts,
  admit,
  type BookingTestApp,
  createSale,
  hold,
  redisSeats,
  sleep,
  startBookingApp,
} from './support.ts';

// Hold and release count the per-address limit inside their own Lua script (per address and schedule)
// instead of the platform's separate Redis call: docs/decisions/0006-holds.md.
const LIMIT = 40;
let t: BookingTestApp;
beforeAll(async () => {
  t = await startBookingApp({ RATE_LIMIT_IP_PER_SECOND: String(LIMIT) });
});
afterAll(async () => t.close());

const secondsSpanned = (from: number) => Math.floor(Date.now() / 1000) - Math.floor(from / 1000) + 1;

describe('per-address limit on holds and releases', () => {
  it('answers 429 with Retry-After over the limit; a refused hold holds nothing; the address gets in again', async () => {
    const sale = await createSale(t, { rows: 4, perRow: 10 });
    const buyers = await accounts(t, 6);
    const tokens = await admit(t, sale.scheduleId, buyers);
    const seats = sale.seats.map((s) => s.id);

    const started = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 120 }, (_, i) => {
        const buyer = buyers[i % buyers.length];
        if (buyer === undefined) throw new Error('buyer');
        return hold(t, buyer, sale.scheduleId, tokens.get(buyer.id), { seatIds: [seats[i % seats.length]] });
      }),
    );
    const spanned = secondsSpanned(started);
    const limited = replies.filter((r) => r.status === 429);
    const answered = replies.filter((r) => r.status !== 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThanOrEqual(LIMIT * spanned);
    for (const r of limited) {
      expect(r.body.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    for (const r of answered) expect([201, 409]).toContain(r.status);
    // Redis holds exactly the seats of the 201s: a refused request changed nothing.
    const granted = answered.filter((r) => r.status === 201);
    const held = [...(await redisSeats(t, sale.scheduleId)).values()].map((v) => v.split('|')[0]);
    expect(held.sort()).toEqual(granted.flatMap((r) => r.body.seatIds.map(() => r.body.holdId)).sort());

    // After Retry-After the address gets through; then a burst of releases of one hold is limited too.
    const [first] = granted;
    if (first === undefined) throw new Error('no hold was granted');
    const owner = buyers[replies.indexOf(first) % buyers.length];
    if (owner === undefined) throw new Error('owner');
    await sleep(1100);
    const again = await hold(t, owner, sale.scheduleId, tokens.get(owner.id), { seatIds: [seats.at(-1)] });
    expect(again.status, JSON.stringify(again.body)).not.toBe(429);
    await sleep(1100);
    const releases = await Promise.all(
      Array.from({ length: 3 * LIMIT }, () =>
        api(t.baseUrl, 'DELETE', `/api/v1/holds/${first.body.holdId}`, { token: owner.accessToken }),
      ),
    );
    expect(releases.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(releases.filter((r) => r.status !== 429).every((r) => r.status === 204)).toBe(true);
    expect(
      [...(await redisSeats(t, sale.scheduleId)).values()].some((v) => v.startsWith(first.body.holdId)),
    ).toBe(false);
  });
});
