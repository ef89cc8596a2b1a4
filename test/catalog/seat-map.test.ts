import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { type Actor, actor, createPerformance, createVenue, FakeSeatStatus } from './support.ts';

let t: TestApp;
let seller: Actor;
const fake = new FakeSeatStatus();

beforeAll(async () => {
  t = await startTestApp();
  t.modules.catalog.setSeatStatusSource(fake);
  seller = await actor(t, 'SELLER');
});
afterAll(async () => t.close());

interface SeatMap {
  scheduleId: string;
  seats: {
    id: number;
    section: string;
    row: string;
    number: number;
    grade: string;
    price: number;
    status: string;
  }[];
  standing: {
    sectionId: string;
    section: string;
    grade: string;
    price: number;
    capacity: number;
    available: number;
  }[];
}

const seatMap = (scheduleId: string) =>
  api<SeatMap>(t.baseUrl, 'GET', `/api/v1/schedules/${scheduleId}/seats`);

describe('seat map', () => {
  it('is public and lists every seat AVAILABLE until booking reports otherwise', async () => {
    const venue = await createVenue(t, seller);
    const p = await createPerformance(t, seller, venue.id);
    const res = await seatMap(p.schedules[0]?.id ?? '');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('content-encoding')).toBe('gzip'); // fetch asks for gzip and inflates
    // A client that does not ask for gzip gets the plain JSON bytes with the same content.
    const plain = await new Promise<string>((resolve, reject) => {
      get(`${t.baseUrl}/api/v1/schedules/${p.schedules[0]?.id}/seats`, (r) => {
        expect(r.headers['content-encoding']).toBeUndefined();
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => {
          text += c;
        });
        r.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(plain)).toEqual(res.body);
    expect(res.body.seats).toHaveLength(22);
    expect(res.body.seats[0]).toEqual({
      id: expect.any(Number),
      section: 'Floor',
      row: 'A',
      number: 1,
      grade: 'R',
      price: 150_000,
      status: 'AVAILABLE',
    });
    expect(res.body.seats[5]).toMatchObject({ section: 'Floor', row: 'B', number: 1 });
    expect(res.body.seats.at(-1)).toMatchObject({
      section: 'Balcony',
      row: 'C',
      number: 4,
      grade: 'S',
      price: 100_000,
    });
    expect(res.body.seats.every((s) => s.status === 'AVAILABLE')).toBe(true);
    expect(res.body.standing).toEqual([
      {
        sectionId: expect.any(String),
        section: 'Pit',
        grade: 'S',
        price: 100_000,
        capacity: 50,
        available: 50,
      },
    ]);
  });

  it('merges HELD and SOLD from the SeatStatusSource per schedule, and standing availability', async () => {
    const venue = await createVenue(t, seller);
    const p = await createPerformance(t, seller, venue.id);
    const [s1, s2] = p.schedules.map((s) => s.id) as [string, string];
    const base = await seatMap(s1);
    const ids = base.body.seats.map((s) => s.id);
    const pit = base.body.standing[0]?.sectionId ?? '';
    fake.seats.set(
      s1,
      new Map<number, 'HELD' | 'SOLD'>([
        [ids[0] ?? 0, 'SOLD'],
        [ids[3] ?? 0, 'HELD'],
        [ids[21] ?? 0, 'SOLD'],
        [999_999_999, 'SOLD'], // not a seat of this venue: ignored
      ]),
    );
    fake.standing.set(`${s1}/${pit}`, 45);
    const merged = await seatMap(s1);
    const status = new Map(merged.body.seats.map((s) => [s.id, s.status]));
    expect(status.get(ids[0] ?? 0)).toBe('SOLD');
    expect(status.get(ids[3] ?? 0)).toBe('HELD');
    expect(status.get(ids[21] ?? 0)).toBe('SOLD');
    expect([...status.values()].filter((s) => s === 'AVAILABLE')).toHaveLength(19);
    expect(merged.body.standing[0]?.available).toBe(5);
    // The other schedule of the same performance is untouched (the static map is shared, not the overlay).
    const other = await seatMap(s2);
    expect(other.body.seats.every((s) => s.status === 'AVAILABLE')).toBe(true);
    expect(other.body.standing[0]?.available).toBe(50);

    // Remaining seats per grade on the performance page agree with the map.
    const detail = await api<{
      schedules: { id: string; remainingSeats: number; remaining: { grade: string; available: number }[] }[];
    }>(t.baseUrl, 'GET', `/api/v1/performances/${p.id}`);
    const first = detail.body.schedules.find((s) => s.id === s1);
    expect(first?.remaining).toEqual([
      { grade: 'R', available: 8 },
      { grade: 'S', available: 11 + 5 },
    ]);
    expect(first?.remainingSeats).toBe(24);
    expect(detail.body.schedules.find((s) => s.id === s2)?.remainingSeats).toBe(72);

    // Concurrent readers all see the same merged state.
    const many = await Promise.all(Array.from({ length: 20 }, () => seatMap(s1)));
    for (const r of many) expect(r.body).toEqual(merged.body);
    fake.seats.delete(s1);
    fake.standing.clear();
  });

  it('escapes section names and labels rows A…Z, AA…', async () => {
    const venue = await createVenue(t, seller, [
      { name: '1층 "VIP" \\ 구역', rows: 28, seatsPerRow: 1 },
      { name: 'Pit', kind: 'STANDING', capacity: 10 },
    ]);
    const p = await createPerformance(t, seller, venue.id, {
      grades: [{ grade: 'VIP', price: 200_000 }],
      sectionGrades: { '1층 "VIP" \\ 구역': 'VIP', Pit: 'VIP' },
    });
    const scheduleId = p.schedules[0]?.id ?? '';
    const res = await seatMap(scheduleId);
    expect(res.status).toBe(200);
    expect(res.body.seats.map((s) => s.row).slice(24)).toEqual(['Y', 'Z', 'AA', 'AB']);
    expect(res.body.seats[0]?.section).toBe('1층 "VIP" \\ 구역');
    fake.seats.set(scheduleId, new Map([[res.body.seats[27]?.id ?? 0, 'HELD']]));
    const merged = await seatMap(scheduleId);
    expect(merged.body.seats[27]).toMatchObject({ row: 'AB', status: 'HELD' });
    fake.seats.delete(scheduleId);
  });

  it('answers 404 for an unknown schedule and 400 for a malformed id', async () => {
    expect((await seatMap('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await seatMap('not-a-uuid')).status).toBe(400);
  });
});

describe('exported reads (docs/contracts.md)', () => {
  it('getSeats returns only seats of the schedule’s venue; getStandingSection its standing sections', async () => {
    const v1 = await createVenue(t, seller);
    const v2 = await createVenue(t, seller);
    const p1 = await createPerformance(t, seller, v1.id);
    const p2 = await createPerformance(t, seller, v2.id);
    const s1 = p1.schedules[0]?.id ?? '';
    const map1 = (await seatMap(s1)).body;
    const map2 = (await seatMap(p2.schedules[0]?.id ?? '')).body;
    const mine = map1.seats.slice(0, 2).map((s) => s.id);
    const foreign = map2.seats[0]?.id ?? 0;
    const infos = await t.modules.catalog.getSeats(s1, [...mine, foreign, 123_456_789]);
    expect(infos.map((i) => i.id)).toEqual(mine);
    expect(infos[0]).toEqual({
      id: mine[0],
      sectionId: expect.any(String),
      section: 'Floor',
      row: 'A',
      number: 1,
      grade: 'R',
      price: 150_000,
    });
    expect(await t.modules.catalog.getSeats('nope', mine)).toEqual([]);

    const pit = map1.standing[0]?.sectionId ?? '';
    expect(await t.modules.catalog.getStandingSection(s1, pit)).toEqual({
      sectionId: pit,
      section: 'Pit',
      capacity: 50,
      grade: 'S',
      price: 100_000,
    });
    expect(await t.modules.catalog.getStandingSection(s1, map2.standing[0]?.sectionId ?? '')).toBeNull();
    expect(await t.modules.catalog.getStandingSection(s1, infos[0]?.sectionId ?? '')).toBeNull();
  });

  it('listSchedulesOfPerformance, getScheduleForSale and getPerformanceOwner; malformed ids give null', async () => {
    const venue = await createVenue(t, seller);
    const p = await createPerformance(t, seller, venue.id, {
      maxTicketsPerBuyer: 2,
      queue: { admitPerSecond: 7, maxActive: 70 },
      cancellationPolicy: {
        deadlineHoursBeforeStart: 48,
        fees: [
          { daysBeforeStart: 3, percent: 20 },
          { daysBeforeStart: 7, percent: 10 },
        ],
      },
    });
    const list = await t.modules.catalog.listSchedulesOfPerformance(p.id);
    expect(list.map((s) => s.scheduleId)).toEqual(p.schedules.map((s) => s.id));
    expect(list[0]).toMatchObject({
      maxTicketsPerBuyer: 2,
      queue: { admitPerSecond: 7, maxActive: 70, admissionTtlSeconds: 300 },
      cancellationPolicy: {
        deadlineHoursBeforeStart: 48,
        fees: [
          { daysBeforeStart: 7, percent: 10 },
          { daysBeforeStart: 3, percent: 20 },
        ],
      },
    });
    expect(list[0]?.startsAt).toBeInstanceOf(Date);
    expect(list[0]?.salesOpenAt).toBeInstanceOf(Date);
    expect(await t.modules.catalog.getScheduleForSale('x')).toBeNull();
    expect(await t.modules.catalog.getScheduleForSale('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await t.modules.catalog.listSchedulesOfPerformance('x')).toEqual([]);
    expect(await t.modules.catalog.getPerformanceOwner('x')).toBeNull();
  });
});

describe('demo data', () => {
  it('seeds one seller, a ~2,000-seat venue with R/S/A/B and a performance on sale, once', async () => {
    // Two api processes starting together: one seeds, the other waits and skips.
    const both = await Promise.all([t.modules.catalog.seedDemoData(), t.modules.catalog.seedDemoData()]);
    expect(both.filter((r) => r.seeded)).toHaveLength(1);
    const first = both.find((r) => r.seeded) ?? { performanceId: '' };
    expect((await t.modules.catalog.seedDemoData()).seeded).toBe(false);
    const detail = await api<{
      status: string;
      salesOpenAt: string;
      grades: { grade: string; price: number; seatCount: number }[];
      schedules: { id: string; remainingSeats: number }[];
    }>(t.baseUrl, 'GET', `/api/v1/performances/${first.performanceId}`);
    expect(detail.body.status).toBe('ON_SALE');
    expect(detail.body.grades.map((g) => g.grade)).toEqual(['R', 'S', 'A', 'B']);
    expect(detail.body.schedules).toHaveLength(2);
    expect(new Date(detail.body.salesOpenAt).getTime()).toBeLessThanOrEqual(Date.now());
    const seats = await seatMap(detail.body.schedules[0]?.id ?? '');
    expect(seats.body.seats.length).toBeGreaterThanOrEqual(1900);
    expect(seats.body.seats.length).toBeLessThanOrEqual(2100);
    const login = await api(t.baseUrl, 'POST', '/api/v1/auth/login', {
      body: { email: 'seller@queueticket.local', password: 'seller-password' },
    });
    expect(login.status).toBe(200);
  });
});

describe('seat status reads under load', () => {
  it('shares one status read among concurrent readers and re-reads after the TTL', async () => {
    const venue = await createVenue(t, seller);
    const p = await createPerformance(t, seller, venue.id);
    const scheduleId = p.schedules[0]?.id ?? '';
    let calls = 0;
    // Like booking's source without statusVersion: each call reads the whole schedule, slowly.
    t.modules.catalog.setSeatStatusSource({
      unavailableSeats: async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 100));
        return new Map();
      },
      standingTaken: async () => 0,
    });
    try {
      await seatMap(scheduleId); // builds the static map
      await new Promise((r) => setTimeout(r, 150));
      calls = 0;
      const results = await Promise.all(Array.from({ length: 20 }, () => seatMap(scheduleId)));
      for (const r of results) expect(r.body.seats).toHaveLength(22);
      expect(calls).toBeLessThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 150));
      await seatMap(scheduleId);
      expect(calls).toBeGreaterThanOrEqual(2);
    } finally {
      t.modules.catalog.setSeatStatusSource(fake);
    }
  });
});
