import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import {
  type Actor,
  actor,
  createPerformance,
  createVenue,
  freshStart,
  outboxEvents,
  performanceBody,
} from './support.ts';

let t: TestApp;
let seller: Actor;
let other: Actor;
let admin: Actor;
let buyer: Actor;

beforeAll(async () => {
  t = await startTestApp();
  [seller, other, admin, buyer] = await Promise.all([
    actor(t, 'SELLER'),
    actor(t, 'SELLER'),
    actor(t, 'ADMIN'),
    actor(t, 'BUYER'),
  ]);
});
afterAll(async () => t.close());

/** Performances and schedules of the test's sellers (other files share the database). */
const counts = async () => {
  const db = t.rt.db.withTables<{
    performances: { id: string; seller_id: string };
    schedules: { id: string; performance_id: string };
  }>();
  const sellers = [seller.id, other.id];
  const [p, s] = await Promise.all([
    db
      .selectFrom('performances')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('seller_id', 'in', sellers)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('schedules')
      .innerJoin('performances', 'performances.id', 'schedules.performance_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('performances.seller_id', 'in', sellers)
      .executeTakeFirstOrThrow(),
  ]);
  return { performances: Number(p.n), schedules: Number(s.n) };
};

describe('creating performances', () => {
  it('answers 201 {id, title, schedules}, defaults endsAt to +3 h and emits performance.created', async () => {
    const venue = await createVenue(t, seller);
    const start = freshStart();
    const res = await api<{
      id: string;
      title: string;
      schedules: { id: string; startsAt: string; endsAt: string }[];
    }>(t.baseUrl, 'POST', '/api/v1/performances', {
      token: seller.token,
      body: performanceBody(venue.id, {
        title: 'Aurora World Tour',
        schedules: [
          { startsAt: start.toISOString() },
          {
            startsAt: new Date(start.getTime() + 86_400_000).toISOString(),
            endsAt: new Date(start.getTime() + 86_400_000 + 7_200_000).toISOString(),
          },
        ],
      }),
    });
    expect(res.status).toBe(201);
    expect(res.body.title).toBe('Aurora World Tour');
    expect(res.body.schedules).toHaveLength(2);
    expect(new Date(res.body.schedules[0]?.endsAt ?? '').getTime() - start.getTime()).toBe(3 * 3600_000);
    expect(new Date(res.body.schedules[1]?.endsAt ?? '').getTime() - start.getTime()).toBe(
      86_400_000 + 7_200_000,
    );
    const events = await outboxEvents(t, res.body.id);
    expect(events.map((e) => [e.topic, e.type])).toEqual([['catalog.events', 'performance.created']]);
    expect(events[0]?.payload.scheduleIds).toEqual(res.body.schedules.map((s) => s.id));

    const sale = await t.modules.catalog.getScheduleForSale(res.body.schedules[0]?.id ?? '');
    expect(sale).toMatchObject({
      performanceId: res.body.id,
      sellerId: seller.id,
      venueId: venue.id,
      status: 'ON_SALE',
      maxTicketsPerBuyer: 4,
      queue: { admitPerSecond: 50, maxActive: 500, admissionTtlSeconds: 300 },
      cancellationPolicy: { deadlineHoursBeforeStart: 0, fees: [] },
      grades: [
        { grade: 'R', price: 150_000 },
        { grade: 'S', price: 100_000 },
      ],
    });
  });

  it('lets an ADMIN list a performance on a seller’s venue; the seller owns it', async () => {
    const venue = await createVenue(t, seller);
    const p = await createPerformance(t, admin, venue.id);
    expect(await t.modules.catalog.getPerformanceOwner(p.id)).toEqual({
      sellerId: seller.id,
      status: 'ON_SALE',
    });
  });

  it('refuses a buyer (403) and a missing token (401) before looking at the body', async () => {
    expect(
      (await api(t.baseUrl, 'POST', '/api/v1/performances', { token: buyer.token, body: {} })).status,
    ).toBe(403);
    expect((await api(t.baseUrl, 'POST', '/api/v1/performances', { body: { x: 1 } })).status).toBe(401);
  });

  const start = () => freshStart();
  const cases: [string, (venueId: string) => Record<string, unknown>, number, string, string?][] = [
    [
      'a zero price',
      () => ({
        grades: [
          { grade: 'R', price: 0 },
          { grade: 'S', price: 1 },
        ],
      }),
      400,
      'grades.0.price',
    ],
    [
      'a negative price',
      () => ({
        grades: [
          { grade: 'R', price: 10 },
          { grade: 'S', price: -5 },
        ],
      }),
      400,
      'grades.1.price',
    ],
    [
      'a fractional price',
      () => ({
        grades: [
          { grade: 'R', price: 10.5 },
          { grade: 'S', price: 5 },
        ],
      }),
      400,
      'grades.0.price',
    ],
    [
      'a section without a grade',
      () => ({ sectionGrades: { Floor: 'R', Balcony: 'S' } }),
      400,
      'sectionGrades.Pit',
    ],
    [
      'a grade not listed',
      () => ({ sectionGrades: { Floor: 'R', Balcony: 'VIP', Pit: 'S' } }),
      400,
      'sectionGrades.Balcony',
    ],
    [
      'a section the venue lacks',
      () => ({ sectionGrades: { Floor: 'R', Balcony: 'S', Pit: 'S', Roof: 'S' } }),
      400,
      'sectionGrades.Roof',
    ],
    [
      'a grade listed twice',
      () => ({
        grades: [
          { grade: 'R', price: 1 },
          { grade: 'R', price: 2 },
        ],
      }),
      400,
      'grades.1.grade',
    ],
    ['no grades', () => ({ grades: [] }), 400, 'grades'],
    [
      'a sales window ending before it opens',
      () => ({ salesOpenAt: '2030-02-01T00:00:00Z', salesCloseAt: '2030-01-01T00:00:00Z' }),
      400,
      'salesCloseAt',
    ],
    [
      'a schedule ending before it starts',
      () => {
        const s = start();
        return {
          schedules: [{ startsAt: s.toISOString(), endsAt: new Date(s.getTime() - 1000).toISOString() }],
        };
      },
      400,
      'schedules.0.endsAt',
    ],
    [
      'two schedules of the request overlapping',
      () => {
        const s = start();
        return {
          schedules: [
            { startsAt: s.toISOString() },
            { startsAt: new Date(s.getTime() + 3600_000).toISOString() },
          ],
        };
      },
      400,
      'schedules.1.startsAt',
    ],
    ['no schedules', () => ({ schedules: [] }), 400, 'schedules'],
    ['a malformed time', () => ({ salesOpenAt: 'tomorrow' }), 400, 'salesOpenAt'],
    ['a malformed venue id', () => ({ venueId: 'venue-1' }), 400, 'venueId'],
    [
      'an unknown venue id',
      () => ({ venueId: '00000000-0000-4000-8000-000000000000' }),
      404,
      'venueId',
      'VENUE_NOT_FOUND',
    ],
    ['a NUL character in the title', () => ({ title: 'a\u0000b' }), 400, 'title'],
    ['maxTicketsPerBuyer of 0', () => ({ maxTicketsPerBuyer: 0 }), 400, 'maxTicketsPerBuyer'],
    [
      'a fee over 100 percent',
      () => ({ cancellationPolicy: { fees: [{ daysBeforeStart: 1, percent: 101 }] } }),
      400,
      'cancellationPolicy.fees.0.percent',
    ],
  ];

  it.each(cases)(
    'refuses %s, naming the field, creating nothing',
    async (_what, make, status, field, code) => {
      const venue = await createVenue(t, seller);
      const before = await counts();
      const res = await api(t.baseUrl, 'POST', '/api/v1/performances', {
        token: seller.token,
        body: performanceBody(venue.id, make(venue.id)),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.code).toBe(code ?? 'VALIDATION_FAILED');
      expect(String(res.body.field)).toContain(field);
      expect(await counts()).toEqual(before);
    },
  );

  it('refuses another seller’s venue with 403 naming venueId', async () => {
    const venue = await createVenue(t, other);
    const before = await counts();
    const res = await api(t.baseUrl, 'POST', '/api/v1/performances', {
      token: seller.token,
      body: performanceBody(venue.id),
    });
    expect(res.status).toBe(403);
    expect(res.body.field).toBe('venueId');
    expect(await counts()).toEqual(before);
  });

  it('refuses a schedule overlapping another performance in the venue (409), creating nothing', async () => {
    const venue = await createVenue(t, seller);
    const first = await createPerformance(t, seller, venue.id);
    const clash = first.schedules[1]?.startsAt ?? '';
    const before = await counts();
    const res = await api(t.baseUrl, 'POST', '/api/v1/performances', {
      token: seller.token,
      body: performanceBody(venue.id, {
        schedules: [
          { startsAt: freshStart().toISOString() },
          { startsAt: new Date(new Date(clash).getTime() + 3600_000).toISOString() },
        ],
      }),
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('SCHEDULE_OVERLAP');
    expect(res.body.field).toBe('schedules.1');
    expect(await counts()).toEqual(before);
  });

  it('lets exactly one of many concurrent overlapping performances through', async () => {
    const venue = await createVenue(t, seller);
    const at = freshStart().toISOString();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api(t.baseUrl, 'POST', '/api/v1/performances', {
          token: seller.token,
          body: performanceBody(venue.id, { title: `race ${i}`, schedules: [{ startsAt: at }] }),
        }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) expect(r.body.code).toBe('SCHEDULE_OVERLAP');
  });
});

describe('listing and search', () => {
  it('pages, searches the title (case-insensitive, % is literal) and hides deleted ones', async () => {
    const tag = `zq${Date.now().toString(36)}`;
    const venue = await createVenue(t, seller);
    const made = [];
    for (const title of [
      `${tag} Alpha`,
      `${tag} Beta`,
      `The ${tag.toUpperCase()} Gamma`,
      `${tag} 100% Live`,
    ]) {
      made.push(await createPerformance(t, seller, venue.id, { title }));
    }
    const page1 = await api<{
      items: { id: string; title: string; minPrice: number }[];
      total: number;
      page: number;
    }>(t.baseUrl, 'GET', `/api/v1/performances?q=${tag}&size=3&page=1`);
    expect(page1.status).toBe(200);
    expect(page1.body.total).toBe(4);
    expect(page1.body.items).toHaveLength(3);
    expect(page1.body.items[0]?.minPrice).toBe(100_000);
    const page2 = await api<{ items: { id: string }[] }>(
      t.baseUrl,
      'GET',
      `/api/v1/performances?q=${tag}&size=3&page=2`,
    );
    expect(page2.body.items).toHaveLength(1);
    const seen = [...page1.body.items, ...page2.body.items].map((i) => i.id);
    expect(new Set(seen)).toEqual(new Set(made.map((m) => m.id)));

    const percent = await api<{ total: number }>(
      t.baseUrl,
      'GET',
      `/api/v1/performances?q=${encodeURIComponent(`${tag} 100%`)}`,
    );
    expect(percent.body.total).toBe(1);
    const wildcard = await api<{ total: number }>(t.baseUrl, 'GET', `/api/v1/performances?q=${tag}%25Alpha`);
    expect(wildcard.body.total).toBe(0);

    expect(
      (await api(t.baseUrl, 'DELETE', `/api/v1/performances/${made[0]?.id}`, { token: seller.token })).status,
    ).toBe(204);
    const after = await api<{ total: number; items: { id: string }[] }>(
      t.baseUrl,
      'GET',
      `/api/v1/performances?q=${tag}`,
    );
    expect(after.body.total).toBe(3);
    expect(after.body.items.map((i) => i.id)).not.toContain(made[0]?.id);
  });

  it('refuses bad paging with 400', async () => {
    expect((await api(t.baseUrl, 'GET', '/api/v1/performances?page=0')).status).toBe(400);
    expect((await api(t.baseUrl, 'GET', '/api/v1/performances?size=1000')).status).toBe(400);
    expect((await api(t.baseUrl, 'GET', '/api/v1/performances?sellerId=nope')).status).toBe(400);
    expect((await api(t.baseUrl, 'GET', '/api/v1/performances?q=a%00b')).status).toBe(400);
  });

  it('has a trigram index for title search', async () => {
    const idx = await t.rt.db
      .withTables<{ pg_indexes: { indexname: string; indexdef: string } }>()
      .selectFrom('pg_indexes')
      .select('indexdef')
      .where('indexname', '=', 'performances_title_trgm')
      .executeTakeFirstOrThrow();
    expect(idx.indexdef).toContain('gin_trgm_ops');
  });
});
