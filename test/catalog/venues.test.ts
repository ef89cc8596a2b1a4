import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { type Actor, actor, createPerformance, createVenue } from './support.ts';

let t: TestApp;
let sellerA: Actor;
let sellerB: Actor;
let admin: Actor;
let buyer: Actor;

beforeAll(async () => {
  t = await startTestApp();
  [sellerA, sellerB, admin, buyer] = await Promise.all([
    actor(t, 'SELLER'),
    actor(t, 'SELLER'),
    actor(t, 'ADMIN'),
    actor(t, 'BUYER'),
  ]);
});
afterAll(async () => t.close());

async function venueCount(sellerId: string): Promise<number> {
  const row = await t.rt.db
    .withTables<{ venues: { seller_id: string } }>()
    .selectFrom('venues')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('seller_id', '=', sellerId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('venues', () => {
  it('creates a venue with seated and standing sections; seatCount includes standing capacity', async () => {
    const res = await api(t.baseUrl, 'POST', '/api/v1/venues', {
      token: sellerA.token,
      body: {
        name: 'Olympic Hall',
        address: 'Seoul',
        sections: [
          { name: 'A', rows: 10, seatsPerRow: 20 },
          { name: 'GA', kind: 'STANDING', capacity: 300 },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Olympic Hall', seatCount: 500 });
    expect(typeof res.body.id).toBe('string');
    const detail = await api<{ sections: { name: string; kind: string; capacity: number }[] }>(
      t.baseUrl,
      'GET',
      `/api/v1/venues/${res.body.id}`,
      { token: sellerA.token },
    );
    expect(detail.status).toBe(200);
    expect(detail.body.sections.map((s) => [s.name, s.kind, s.capacity])).toEqual([
      ['A', 'SEATED', 200],
      ['GA', 'STANDING', 300],
    ]);
  });

  it('gives every seat a positive integer id, unique across venues', async () => {
    const sections = [{ name: 'Main', rows: 3, seatsPerRow: 3 }];
    const [v1, v2] = await Promise.all([
      createVenue(t, sellerA, sections),
      createVenue(t, sellerB, sections),
    ]);
    const ids: number[] = [];
    for (const [who, v] of [
      [sellerA, v1],
      [sellerB, v2],
    ] as const) {
      const p = await createPerformance(t, who, v.id, {
        grades: [{ grade: 'R', price: 1000 }],
        sectionGrades: { Main: 'R' },
      });
      const seats = await api<{ seats: { id: number }[] }>(
        t.baseUrl,
        'GET',
        `/api/v1/schedules/${p.schedules[0]?.id}/seats`,
      );
      ids.push(...seats.body.seats.map((s) => s.id));
    }
    expect(ids).toHaveLength(18);
    expect(new Set(ids).size).toBe(18);
    for (const id of ids) expect(Number.isInteger(id) && id > 0).toBe(true);
  });

  it('lists only the caller’s venues; ADMIN sees all; BUYER is refused', async () => {
    const a = await createVenue(t, sellerA);
    const b = await createVenue(t, sellerB);
    const listA = await api<{ id: string }[]>(t.baseUrl, 'GET', '/api/v1/venues?size=100', {
      token: sellerA.token,
    });
    expect(listA.status).toBe(200);
    expect(listA.body.map((v) => v.id)).toContain(a.id);
    expect(listA.body.map((v) => v.id)).not.toContain(b.id);
    const all = await api<{ id: string }[]>(t.baseUrl, 'GET', '/api/v1/venues?size=100', {
      token: admin.token,
    });
    expect(all.body.map((v) => v.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    const asBuyer = await api(t.baseUrl, 'GET', '/api/v1/venues', { token: buyer.token });
    expect(asBuyer.status).toBe(403);
    const other = await api(t.baseUrl, 'GET', `/api/v1/venues/${b.id}`, { token: sellerA.token });
    expect(other.status).toBe(403);
  });

  it('checks the token and role before the body: 401 without token, 403 for a buyer', async () => {
    const noToken = await api(t.baseUrl, 'POST', '/api/v1/venues', { body: { nonsense: true } });
    expect(noToken.status).toBe(401);
    const asBuyer = await api(t.baseUrl, 'POST', '/api/v1/venues', { token: buyer.token, body: {} });
    expect(asBuyer.status).toBe(403);
  });

  it.each([
    ['a section of 0 rows', [{ name: 'A', rows: 0, seatsPerRow: 10 }], 'body.sections.0.rows'],
    ['a section of 0 seats per row', [{ name: 'A', rows: 5, seatsPerRow: 0 }], 'body.sections.0.seatsPerRow'],
    ['a section of 100,000 seats', [{ name: 'A', rows: 100, seatsPerRow: 1000 }], 'sections.0'],
    [
      'a second section of 100,000 seats',
      [
        { name: 'A', rows: 1, seatsPerRow: 1 },
        { name: 'B', rows: 400, seatsPerRow: 250 },
      ],
      'sections.1',
    ],
    ['a standing section without capacity', [{ name: 'GA', kind: 'STANDING' }], 'sections.0.capacity'],
    [
      'a standing section of 0 places',
      [{ name: 'GA', kind: 'STANDING', capacity: 0 }],
      'body.sections.0.capacity',
    ],
    [
      'two sections with one name',
      [
        { name: 'A', rows: 1, seatsPerRow: 1 },
        { name: 'A', rows: 1, seatsPerRow: 2 },
      ],
      'sections.1.name',
    ],
    ['no section at all', [], 'body.sections'],
    ['a seated section without rows', [{ name: 'A', seatsPerRow: 3 }], 'sections.0.rows'],
  ])('refuses %s with 400 naming the field, creating nothing', async (_what, sections, field) => {
    const before = await venueCount(sellerA.id);
    const res = await api(t.baseUrl, 'POST', '/api/v1/venues', {
      token: sellerA.token,
      body: { name: 'Bad', address: 'x', sections },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(String(res.body.field)).toContain(field);
    expect(await venueCount(sellerA.id)).toBe(before);
  });

  it('answers 400 (not 500) for a malformed venue id', async () => {
    const res = await api(t.baseUrl, 'GET', '/api/v1/venues/not-a-uuid', { token: sellerA.token });
    expect(res.status).toBe(400);
    const del = await api(t.baseUrl, 'DELETE', '/api/v1/venues/123', { token: sellerA.token });
    expect(del.status).toBe(400);
  });

  it('refuses to delete a venue in use (409 VENUE_IN_USE); an unused one is soft deleted', async () => {
    const used = await createVenue(t, sellerA);
    await createPerformance(t, sellerA, used.id);
    const refused = await api(t.baseUrl, 'DELETE', `/api/v1/venues/${used.id}`, { token: sellerA.token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('VENUE_IN_USE');

    const unused = await createVenue(t, sellerA);
    const foreign = await api(t.baseUrl, 'DELETE', `/api/v1/venues/${unused.id}`, { token: sellerB.token });
    expect(foreign.status).toBe(403);
    const gone = await api(t.baseUrl, 'DELETE', `/api/v1/venues/${unused.id}`, { token: sellerA.token });
    expect(gone.status).toBe(204);
    const list = await api<{ id: string }[]>(t.baseUrl, 'GET', '/api/v1/venues?size=100', {
      token: sellerA.token,
    });
    expect(list.body.map((v) => v.id)).not.toContain(unused.id);
    const reuse = await api(t.baseUrl, 'POST', '/api/v1/performances', {
      token: sellerA.token,
      body: {
        venueId: unused.id,
        title: 'x',
        grades: [{ grade: 'R', price: 1 }],
        sectionGrades: { Floor: 'R', Balcony: 'R', Pit: 'R' },
        schedules: [{ startsAt: '2040-01-01T10:00:00Z' }],
        salesOpenAt: '2039-01-01T00:00:00Z',
        salesCloseAt: '2039-12-01T00:00:00Z',
      },
    });
    expect(reuse.status).toBe(404);
    expect(reuse.body.field).toBe('venueId');
  });
});
