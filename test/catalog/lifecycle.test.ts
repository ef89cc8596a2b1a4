import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import {
  type Actor,
  actor,
  createPerformance,
  createVenue,
  FakeSeatStatus,
  outboxEvents,
} from './support.ts';

let t: TestApp;
let seller: Actor;
let other: Actor;
let admin: Actor;
let buyer: Actor;
const fake = new FakeSeatStatus();

beforeAll(async () => {
  t = await startTestApp();
  t.modules.catalog.setSeatStatusSource(fake);
  [seller, other, admin, buyer] = await Promise.all([
    actor(t, 'SELLER'),
    actor(t, 'SELLER'),
    actor(t, 'ADMIN'),
    actor(t, 'BUYER'),
  ]);
});
afterAll(async () => t.close());

async function fixture() {
  const venue = await createVenue(t, seller);
  return { venue, p: await createPerformance(t, seller, venue.id) };
}

describe('ownership', () => {
  it('lets only the owner or an ADMIN change a performance (403 otherwise)', async () => {
    const { p } = await fixture();
    const path = `/api/v1/performances/${p.id}`;
    for (const who of [other, buyer]) {
      expect((await api(t.baseUrl, 'PATCH', path, { token: who.token, body: { title: 'x' } })).status).toBe(
        403,
      );
      expect((await api(t.baseUrl, 'DELETE', path, { token: who.token })).status).toBe(403);
      expect(
        (await api(t.baseUrl, 'POST', `${path}/cancel`, { token: who.token, body: { reason: 'x' } })).status,
      ).toBe(403);
    }
    const byAdmin = await api(t.baseUrl, 'PATCH', path, {
      token: admin.token,
      body: { title: 'Renamed by admin' },
    });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.title).toBe('Renamed by admin');
  });

  it('answers 400 for malformed ids and 404 for unknown ones', async () => {
    expect((await api(t.baseUrl, 'GET', '/api/v1/performances/xyz')).status).toBe(400);
    expect((await api(t.baseUrl, 'DELETE', '/api/v1/performances/1', { token: seller.token })).status).toBe(
      400,
    );
    const unknown = '00000000-0000-4000-8000-000000000001';
    expect((await api(t.baseUrl, 'GET', `/api/v1/performances/${unknown}`)).status).toBe(404);
    const cancel = await api(t.baseUrl, 'POST', `/api/v1/performances/${unknown}/cancel`, {
      token: seller.token,
      body: { reason: 'x' },
    });
    expect(cancel.status).toBe(404);
  });
});

describe('soft delete', () => {
  it('hides the performance from buyers and keeps its history', async () => {
    const { p } = await fixture();
    const scheduleId = p.schedules[0]?.id ?? '';
    expect(
      (await api(t.baseUrl, 'DELETE', `/api/v1/performances/${p.id}`, { token: seller.token })).status,
    ).toBe(204);
    expect((await api(t.baseUrl, 'GET', `/api/v1/performances/${p.id}`)).status).toBe(404);
    expect((await api(t.baseUrl, 'GET', `/api/v1/schedules/${scheduleId}/seats`)).status).toBe(404);
    expect(
      (await api(t.baseUrl, 'DELETE', `/api/v1/performances/${p.id}`, { token: seller.token })).status,
    ).toBe(404);
    // History stays for the modules that sold or will settle it.
    const sale = await t.modules.catalog.getScheduleForSale(scheduleId);
    expect(sale?.status).toBe('DELETED');
    const events = await outboxEvents(t, p.id);
    expect(events.at(-1)).toMatchObject({ type: 'performance.updated', payload: { status: 'DELETED' } });
  });

  it('frees the venue time for another performance', async () => {
    const { venue, p } = await fixture();
    await api(t.baseUrl, 'DELETE', `/api/v1/performances/${p.id}`, { token: seller.token });
    await createPerformance(t, seller, venue.id, {
      schedules: p.schedules.map((s) => ({ startsAt: s.startsAt })),
    });
  });

  it('answers 409 HAS_SALES once a seat is sold, and deletes while seats are only held', async () => {
    const { p } = await fixture();
    const scheduleId = p.schedules[1]?.id ?? '';
    const seats = await api<{ seats: { id: number }[] }>(
      t.baseUrl,
      'GET',
      `/api/v1/schedules/${scheduleId}/seats`,
    );
    const [first, second] = seats.body.seats;
    fake.seats.set(scheduleId, new Map([[first?.id ?? 0, 'SOLD']]));
    const refused = await api(t.baseUrl, 'DELETE', `/api/v1/performances/${p.id}`, { token: seller.token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('HAS_SALES');
    expect((await api(t.baseUrl, 'GET', `/api/v1/performances/${p.id}`)).status).toBe(200);

    fake.seats.set(scheduleId, new Map([[second?.id ?? 0, 'HELD']]));
    expect(
      (await api(t.baseUrl, 'DELETE', `/api/v1/performances/${p.id}`, { token: seller.token })).status,
    ).toBe(204);
    fake.seats.delete(scheduleId);
  });

  it('asks the port’s hasSales when booking provides it (standing sales count)', async () => {
    const { p } = await fixture();
    const asked: string[][] = [];
    t.modules.catalog.setSeatStatusSource({
      unavailableSeats: async () => new Map(),
      standingTaken: async () => 0,
      hasSales: async (ids) => {
        asked.push(ids);
        return true;
      },
    });
    try {
      const res = await api(t.baseUrl, 'DELETE', `/api/v1/performances/${p.id}`, { token: seller.token });
      expect(res.status).toBe(409);
      expect(asked).toEqual([p.schedules.map((s) => s.id)]);
    } finally {
      t.modules.catalog.setSeatStatusSource(fake);
    }
  });
});

describe('cancellation', () => {
  it('answers 202, marks it CANCELLED, frees the venue and emits performance.cancelled once', async () => {
    const { venue, p } = await fixture();
    const res = await api(t.baseUrl, 'POST', `/api/v1/performances/${p.id}/cancel`, {
      token: seller.token,
      body: { reason: 'artist illness' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: p.id, status: 'CANCELLED', reason: 'artist illness' });
    const again = await api(t.baseUrl, 'POST', `/api/v1/performances/${p.id}/cancel`, {
      token: admin.token,
      body: { reason: 'again' },
    });
    expect(again.status).toBe(202);
    expect(again.body.reason).toBe('artist illness');

    const cancelled = (await outboxEvents(t, p.id)).filter((e) => e.type === 'performance.cancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]?.topic).toBe('catalog.events');
    expect(cancelled[0]?.payload).toMatchObject({
      performanceId: p.id,
      sellerId: seller.id,
      scheduleIds: p.schedules.map((s) => s.id),
      reason: 'artist illness',
    });
    expect(typeof cancelled[0]?.payload.cancelledAt).toBe('string');

    for (const s of p.schedules)
      expect((await t.modules.catalog.getScheduleForSale(s.id))?.status).toBe('CANCELLED');
    const detail = await api(t.baseUrl, 'GET', `/api/v1/performances/${p.id}`);
    expect(detail.body).toMatchObject({ status: 'CANCELLED', cancelReason: 'artist illness' });
    await createPerformance(t, seller, venue.id, {
      schedules: p.schedules.map((s) => ({ startsAt: s.startsAt })),
    });
  });

  it('refuses a cancel without a reason (400) and edits of a cancelled show (409)', async () => {
    const { p } = await fixture();
    const path = `/api/v1/performances/${p.id}`;
    expect((await api(t.baseUrl, 'POST', `${path}/cancel`, { token: seller.token, body: {} })).status).toBe(
      400,
    );
    await api(t.baseUrl, 'POST', `${path}/cancel`, { token: seller.token, body: { reason: 'x' } });
    const edit = await api(t.baseUrl, 'PATCH', path, { token: seller.token, body: { title: 'y' } });
    expect(edit.status).toBe(409);
    expect(edit.body.code).toBe('PERFORMANCE_NOT_ON_SALE');
  });
});

describe('editing', () => {
  it('changes prices before sales open; the seat map follows at once', async () => {
    const venue = await createVenue(t, seller);
    const p = await createPerformance(t, seller, venue.id, {
      salesOpenAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const scheduleId = p.schedules[0]?.id ?? '';
    await api(t.baseUrl, 'GET', `/api/v1/schedules/${scheduleId}/seats`); // warm the cache
    const res = await api<{ grades: { grade: string; price: number }[]; version: number }>(
      t.baseUrl,
      'PATCH',
      `/api/v1/performances/${p.id}`,
      { token: seller.token, body: { grades: [{ grade: 'R', price: 170_000 }] } },
    );
    expect(res.status).toBe(200);
    expect(res.body.grades).toEqual([
      { grade: 'R', price: 170_000, seatCount: 10 },
      { grade: 'S', price: 100_000, seatCount: 62 },
    ]);
    expect(res.body.version).toBe(2);
    const seats = await api<{ seats: { id: number; grade: string; price: number }[] }>(
      t.baseUrl,
      'GET',
      `/api/v1/schedules/${scheduleId}/seats`,
    );
    expect(seats.body.seats.filter((s) => s.grade === 'R').every((s) => s.price === 170_000)).toBe(true);
    const rSeat = seats.body.seats.find((s) => s.grade === 'R')?.id ?? 0;
    const [info] = await t.modules.catalog.getSeats(scheduleId, [rSeat]);
    expect(info?.price).toBe(170_000);
    const updated = (await outboxEvents(t, p.id)).filter((e) => e.type === 'performance.updated');
    expect(updated.at(-1)?.payload).toMatchObject({ changed: ['grades'], version: 2 });
  });

  it('refuses price changes after sales opened (409 PRICES_LOCKED), other edits pass', async () => {
    const { p } = await fixture();
    const path = `/api/v1/performances/${p.id}`;
    const locked = await api(t.baseUrl, 'PATCH', path, {
      token: seller.token,
      body: { grades: [{ grade: 'S', price: 1 }] },
    });
    expect(locked.status).toBe(409);
    expect(locked.body.code).toBe('PRICES_LOCKED');
    const same = await api(t.baseUrl, 'PATCH', path, {
      token: seller.token,
      body: { grades: [{ grade: 'S', price: 100_000 }], maxTicketsPerBuyer: 2 },
    });
    expect(same.status).toBe(200);
    expect(same.body.maxTicketsPerBuyer).toBe(2);
    const openMove = await api(t.baseUrl, 'PATCH', path, {
      token: seller.token,
      body: { salesOpenAt: new Date(Date.now() + 3600_000).toISOString() },
    });
    expect(openMove.body.code).toBe('SALES_ALREADY_OPEN');
    const unknownGrade = await api(t.baseUrl, 'PATCH', path, {
      token: seller.token,
      body: { grades: [{ grade: 'VIP', price: 5 }] },
    });
    expect(unknownGrade.status).toBe(400);
    expect(unknownGrade.body.field).toBe('grades.0.grade');
    const window = await api(t.baseUrl, 'PATCH', path, {
      token: seller.token,
      body: { salesCloseAt: '2001-01-01T00:00:00Z' },
    });
    expect(window.status).toBe(400);
    expect(window.body.field).toBe('salesCloseAt');
  });
});
