import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  admitted,
  call,
  createShow,
  expectProblem,
  type HoldBody,
  holdSeats,
  type OrderBody,
  type Show,
  type System,
  signup,
  startSystem,
} from './support.ts';

/**
 * API.md statements the other contract files did not pin down yet: the Idempotency-Key scope is
 * (user, method, concrete path) and a key is 1–300 characters; maxTicketsPerBuyer counts what one
 * account holds in unpaid orders too, across the schedules of a performance.
 */
let s: System;

beforeAll(async () => {
  s = await startSystem('cover');
});
afterAll(async () => s?.close());

let keys = 0;
const newKey = () => `cv-${Date.now().toString(36)}-${++keys}`;
const idem = (key: string) => ({ 'Idempotency-Key': key });

async function twoNights(): Promise<{ show: Show; b: Account; tokens: [string, string] }> {
  const show = await createShow(s, { schedules: 2, seatsPerRow: 10 });
  const b = await signup(s, 'BUYER');
  const t1 = await admitted(s, show.scheduleIds[0] as string, b);
  const t2 = await admitted(s, show.scheduleIds[1] as string, b);
  return { show, b, tokens: [t1, t2] };
}

async function order(b: Account, scheduleId: string, token: string, seatIds: number[]): Promise<OrderBody> {
  const h = await holdSeats(s, b, scheduleId, token, { seatIds });
  expect(h.status, JSON.stringify(h.body)).toBe(201);
  const o = await call<OrderBody>(s, b, 'POST', '/api/v1/orders', { holdId: h.body.holdId });
  expect(o.status, JSON.stringify(o.body)).toBe(201);
  return o.body;
}

describe('Idempotency-Key scope: (user, method, concrete path)', () => {
  it('the same key and body on another concrete path is a new request, not a replay', async () => {
    const { show, b, tokens } = await twoNights();
    const [s1, s2] = show.scheduleIds as [string, string];
    const seat = (show.seats[0] as { id: number }).id; // seat ids are the venue's: the same on both nights
    const key = newKey();
    const first = await holdSeats(s, b, s1, tokens[0], { seatIds: [seat] }, idem(key));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const other = await holdSeats(s, b, s2, tokens[1], { seatIds: [seat] }, idem(key));
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    expect(other.body.holdId).not.toBe(first.body.holdId);
    // on its own path the key still replays the first answer
    const again = await holdSeats(s, b, s1, tokens[0], { seatIds: [seat] }, idem(key));
    expect(again.status).toBe(201);
    expect((again.body as HoldBody).holdId).toBe(first.body.holdId);

    // cancel: one key, two orders (two concrete paths) → both cancelled, each answering its own order
    const oa = await order(b, s1, tokens[0], [(show.seats[1] as { id: number }).id]);
    const ob = await order(b, s2, tokens[1], [(show.seats[2] as { id: number }).id]);
    const cancelKey = newKey();
    const ca = await call<OrderBody>(s, b, 'POST', `/api/v1/orders/${oa.id}/cancel`, {}, idem(cancelKey));
    const cb = await call<OrderBody>(s, b, 'POST', `/api/v1/orders/${ob.id}/cancel`, {}, idem(cancelKey));
    expect([ca.status, cb.status]).toEqual([200, 200]);
    expect(ca.body).toMatchObject({ id: oa.id, status: 'CANCELLED' });
    expect(cb.body).toMatchObject({ id: ob.id, status: 'CANCELLED' });
  });

  it('an empty key → 400 VALIDATION_FAILED naming the header (keys are 1–300 characters)', async () => {
    const { show, b, tokens } = await twoNights();
    const seat = (show.seats[3] as { id: number }).id;
    const empty = await holdSeats(s, b, show.scheduleId, tokens[0], { seatIds: [seat] }, idem(''));
    const body = expectProblem(empty, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(body).toLowerCase()).toContain('idempotency-key');
    const one = await holdSeats(s, b, show.scheduleId, tokens[0], { seatIds: [seat] }, idem('k'));
    expect(one.status, JSON.stringify(one.body)).toBe(201);
  });
});

describe('maxTicketsPerBuyer across all of an account’s orders', () => {
  it('unpaid orders on two nights of one performance count together: a fifth ticket is never ordered; a cancelled order frees its tickets', async () => {
    const { show, b, tokens } = await twoNights();
    const [s1, s2] = show.scheduleIds as [string, string];
    const ids = show.seats.slice(0, 6).map((x) => x.id);
    await order(b, s1, tokens[0], ids.slice(0, 2));
    const second = await order(b, s2, tokens[1], ids.slice(2, 4));
    // 2 + 2 in PENDING_PAYMENT orders = the default limit of 4: a fifth ticket is refused (at the hold,
    // or at the latest when it would go on an order)
    const fifth = await holdSeats(s, b, s1, tokens[0], { seatIds: [ids[4]] });
    if (fifth.status === 201) {
      const o = await call(s, b, 'POST', '/api/v1/orders', { holdId: fifth.body.holdId });
      expectProblem(o, 409, 'TICKET_LIMIT');
      expect((await call(s, b, 'DELETE', `/api/v1/holds/${fifth.body.holdId}`)).status).toBe(204);
    } else expectProblem(fifth, 409, 'TICKET_LIMIT');
    expect((await call<OrderBody>(s, b, 'POST', `/api/v1/orders/${second.id}/cancel`, {})).body.status).toBe(
      'CANCELLED',
    );
    const freed = await order(b, s2, tokens[1], ids.slice(4, 6));
    expect(freed.status).toBe('PENDING_PAYMENT');
  });

  // API.md: maxTicketsPerBuyer "caps the tickets one account holds and buys per performance across all
  // its orders": holds and unpaid orders on another night of the same performance count at the hold.
  it('the fifth ticket is refused at the hold already (409 TICKET_LIMIT), on either night', async () => {
    const { show, b, tokens } = await twoNights();
    const [s1, s2] = show.scheduleIds as [string, string];
    const ids = show.seats.slice(0, 5).map((x) => x.id);
    await order(b, s1, tokens[0], ids.slice(0, 2));
    await order(b, s2, tokens[1], ids.slice(2, 4));
    expectProblem(await holdSeats(s, b, s1, tokens[0], { seatIds: [ids[4]] }), 409, 'TICKET_LIMIT');
    expectProblem(await holdSeats(s, b, s2, tokens[1], { seatIds: [ids[4]] }), 409, 'TICKET_LIMIT');
  });
});
