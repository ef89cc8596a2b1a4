import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/harness.ts';
import {
  accounts,
  admit,
  type BookingTestApp,
  createSale,
  hold,
  order,
  redisSeats,
  seatMap,
  startBookingApp,
} from './support.ts';

let t: BookingTestApp;
beforeAll(async () => {
  t = await startBookingApp();
});
afterAll(async () => t.close());

const statusOf = async (scheduleId: string, seatId: number) =>
  (await seatMap(t, scheduleId)).seats.find((s) => s.id === seatId)?.status;

describe('holds', () => {
  it('holds seats all-or-nothing, shows them HELD, and returns them at once on DELETE', async () => {
    const sale = await createSale(t);
    const [a, b] = await accounts(t, 2);
    if (a === undefined || b === undefined) throw new Error('accounts');
    const tokens = await admit(t, sale.scheduleId, [a, b]);
    const [s1, s2, s3] = sale.seats.map((s) => s.id);
    if (s1 === undefined || s2 === undefined || s3 === undefined) throw new Error('seats');

    const held = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: [s1, s2] });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect(held.body.seatIds).toEqual([s1, s2]);
    expect(Date.parse(held.body.expiresAt)).toBeGreaterThan(Date.now() + 590_000);
    expect(await statusOf(sale.scheduleId, s1)).toBe('HELD');

    // b wants s2 and s3: nothing is held for b, and s2 is named.
    const clash = await hold(t, b, sale.scheduleId, tokens.get(b.id), { seatIds: [s3, s2] });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('SEATS_UNAVAILABLE');
    expect(clash.body.unavailableSeatIds).toEqual([s2]);
    expect(await statusOf(sale.scheduleId, s3)).toBe('AVAILABLE');

    const gone = await api(t.baseUrl, 'DELETE', `/api/v1/holds/${held.body.holdId}`, {
      token: a.accessToken,
    });
    expect(gone.status).toBe(204);
    expect(await statusOf(sale.scheduleId, s2)).toBe('AVAILABLE');
    const retry = await hold(t, b, sale.scheduleId, tokens.get(b.id), { seatIds: [s3, s2] });
    expect(retry.status).toBe(201);

    // The record and the events follow.
    const row = await t.rt.db
      .selectFrom('holds' as never)
      .select(['status' as never])
      .where('id' as never, '=', held.body.holdId as never)
      .executeTakeFirst();
    expect(row).toEqual({ status: 'RELEASED' });
    const events = await t.rt.db
      .selectFrom('outbox')
      .select(['type'])
      .where('key', '=', sale.scheduleId)
      .where('topic', '=', 'booking.events')
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['hold.created', 'hold.released', 'hold.created']);
  });

  it('refuses without a valid admission token (403 ADMISSION_REQUIRED), and checks auth before the body', async () => {
    const sale = await createSale(t);
    const other = await createSale(t);
    const [a] = await accounts(t, 1);
    if (a === undefined) throw new Error('accounts');
    const tokens = await admit(t, other.scheduleId, [a]);
    const seat = sale.seats[0]?.id;
    const none = await hold(t, a, sale.scheduleId, undefined, { seatIds: [seat] });
    expect(none.status).toBe(403);
    expect(none.body.code).toBe('ADMISSION_REQUIRED');
    const foreign = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: [seat] });
    expect(foreign.body.code).toBe('ADMISSION_REQUIRED');
    const garbage = await hold(t, a, sale.scheduleId, 'not-a-token', { seatIds: [seat] });
    expect(garbage.body.code).toBe('ADMISSION_REQUIRED');
    const anonymous = await api(t.baseUrl, 'POST', `/api/v1/schedules/${sale.scheduleId}/holds`, {
      body: { nonsense: true },
    });
    expect(anonymous.status).toBe(401);
    const [seller] = await accounts(t, 1, 'SELLER');
    const wrongRole = await api(t.baseUrl, 'POST', `/api/v1/schedules/${sale.scheduleId}/holds`, {
      token: seller?.accessToken,
      body: { nonsense: true },
    });
    expect(wrongRole.status).toBe(403);
  });

  it('answers bad input with 400 naming the field', async () => {
    const sale = await createSale(t);
    const [a] = await accounts(t, 1);
    if (a === undefined) throw new Error('accounts');
    const tokens = await admit(t, sale.scheduleId, [a]);
    const adm = tokens.get(a.id);
    const ids = sale.seats.map((s) => s.id);
    const cases: [unknown, string][] = [
      [{ seatIds: [] }, 'body.seatIds'],
      [{ seatIds: ids.slice(0, 9).concat([1, 2, 3]) }, 'body.seatIds'],
      [{ seatIds: ['x'] }, 'body.seatIds'],
      [{ seatIds: [ids[0], ids[0]] }, 'body.seatIds'],
      [{ seatIds: [999_999_999] }, 'body.seatIds'],
      [{}, 'body'],
      [{ seatIds: [ids[0]], sectionId: '00000000-0000-4000-8000-000000000000' }, 'body'],
      [{ sectionId: '00000000-0000-4000-8000-000000000000', quantity: 1 }, 'body.sectionId'],
      [{ sectionId: 'nope', quantity: 1 }, 'body.sectionId'],
    ];
    for (const [body, field] of cases) {
      const res = await hold(t, a, sale.scheduleId, adm, body as Record<string, unknown>);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        (res.body as unknown as { field: string }).field.startsWith(field),
        JSON.stringify(res.body),
      ).toBe(true);
    }
    const badPath = await hold(t, a, 'not-a-uuid', adm, { seatIds: [ids[0]] });
    expect(badPath.status).toBe(400);
    const raw = await api(t.baseUrl, 'POST', `/api/v1/schedules/${sale.scheduleId}/holds`, {
      token: a.accessToken,
      rawBody: '{"seatIds": [1,',
      headers: { 'x-admission-token': adm ?? '' },
    });
    expect(raw.status).toBe(400);
  });

  it('caps tickets per buyer across holds and purchases (409 TICKET_LIMIT)', async () => {
    const sale = await createSale(t, { maxTicketsPerBuyer: 3 });
    const [a] = await accounts(t, 1);
    if (a === undefined) throw new Error('accounts');
    const tokens = await admit(t, sale.scheduleId, [a]);
    const ids = sale.seats.map((s) => s.id);
    const four = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: ids.slice(0, 4) });
    expect(four.status).toBe(409);
    expect(four.body.code).toBe('TICKET_LIMIT');
    const two = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: ids.slice(0, 2) });
    expect(two.status).toBe(201);
    const twoMore = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: ids.slice(2, 4) });
    expect(twoMore.body.code).toBe('TICKET_LIMIT');
    const one = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: [ids[2]] });
    expect(one.status).toBe(201);
  });

  it('honours Idempotency-Key: the same request returns the same hold, another body is refused', async () => {
    const sale = await createSale(t);
    const [a] = await accounts(t, 1);
    if (a === undefined) throw new Error('accounts');
    const tokens = await admit(t, sale.scheduleId, [a]);
    const seat = sale.seats[0]?.id;
    const headers = { 'idempotency-key': `hold-${Date.now()}` };
    const first = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: [seat] }, headers);
    const again = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: [seat] }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.holdId).toBe(first.body.holdId);
    const other = await hold(
      t,
      a,
      sale.scheduleId,
      tokens.get(a.id),
      { seatIds: [sale.seats[1]?.id] },
      headers,
    );
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('extends a hold up to its cap (HOLD_TTL + HOLD_MAX_EXTEND), then refuses', async () => {
    const sale = await createSale(t);
    const [a, b] = await accounts(t, 2);
    if (a === undefined || b === undefined) throw new Error('accounts');
    const tokens = await admit(t, sale.scheduleId, [a, b]);
    const held = await hold(t, a, sale.scheduleId, tokens.get(a.id), { seatIds: [sale.seats[0]?.id] });
    const path = `/api/v1/holds/${held.body.holdId}/extend`;
    const ext = await api<{ expiresAt: string; maxExpiresAt: string }>(t.baseUrl, 'POST', path, {
      token: a.accessToken,
      body: { seconds: 120 },
    });
    expect(ext.status, JSON.stringify(ext.body)).toBe(200);
    expect(Date.parse(ext.body.expiresAt) - Date.parse(held.body.expiresAt)).toBe(120_000);
    const cap = Date.parse(ext.body.maxExpiresAt);
    expect(cap - Date.parse(held.body.expiresAt)).toBe(t.rt.config.HOLD_MAX_EXTEND_SECONDS * 1000);
    const toCap = await api<{ expiresAt: string }>(t.baseUrl, 'POST', path, { token: a.accessToken });
    const more = await api<{ expiresAt: string }>(t.baseUrl, 'POST', path, {
      token: a.accessToken,
      body: {},
    });
    const last = more.status === 200 ? more : toCap;
    expect(Date.parse(last.body.expiresAt)).toBeLessThanOrEqual(cap);
    let refused = await api(t.baseUrl, 'POST', path, { token: a.accessToken, body: { seconds: 7200 } });
    for (let i = 0; i < 5 && refused.status === 200; i++) {
      refused = await api(t.baseUrl, 'POST', path, { token: a.accessToken, body: { seconds: 7200 } });
    }
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('EXTEND_LIMIT_REACHED');
    // Redis carries the new expiry on the seat, the record too.
    const entry = (await redisSeats(t, sale.scheduleId)).get(sale.seats[0]?.id ?? 0) ?? '';
    expect(Number(entry.split('|')[1])).toBe(cap);
    const notMine = await api(t.baseUrl, 'POST', path, { token: b.accessToken });
    expect(notMine.status).toBe(404);
  });

  it('holds standing entries by count within the capacity', async () => {
    const sale = await createSale(t, { standing: 5, maxTicketsPerBuyer: 8 });
    const pit = sale.standing[0];
    if (pit === undefined) throw new Error('no standing section');
    const [a, b] = await accounts(t, 2);
    if (a === undefined || b === undefined) throw new Error('accounts');
    const tokens = await admit(t, sale.scheduleId, [a, b]);
    const three = await hold(t, a, sale.scheduleId, tokens.get(a.id), {
      sectionId: pit.sectionId,
      quantity: 3,
    });
    expect(three.status, JSON.stringify(three.body)).toBe(201);
    expect(three.body).toMatchObject({ sectionId: pit.sectionId, quantity: 3, seatIds: [] });
    const tooMany = await hold(t, b, sale.scheduleId, tokens.get(b.id), {
      sectionId: pit.sectionId,
      quantity: 3,
    });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.code).toBe('SEATS_UNAVAILABLE');
    expect((await seatMap(t, sale.scheduleId)).standing[0]?.available).toBe(2);
    const two = await hold(t, b, sale.scheduleId, tokens.get(b.id), {
      sectionId: pit.sectionId,
      quantity: 2,
    });
    expect(two.status).toBe(201);
    const created = await order(t, b, { holdId: two.body.holdId });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.subtotal).toBe(140_000);
    expect(created.body.lines.map((l) => l.seatId)).toEqual([null, null]);
    await api(t.baseUrl, 'DELETE', `/api/v1/holds/${three.body.holdId}`, { token: a.accessToken });
    expect((await seatMap(t, sale.scheduleId)).standing[0]?.available).toBe(3);
  });
});
