import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  adminAccount,
  admitted,
  call,
  createShow,
  DAY,
  eventually,
  expectProblem,
  freeSeats,
  getOrder,
  HOUR,
  orderSeats,
  pay,
  readStream,
  type Show,
  type System,
  seatMap,
  signup,
  startSystem,
  toss,
} from './support.ts';

/** API.md "Catalog" (SELLER owns what it creates; ADMIN may act on any). */
let s: System;
let seller: Account;
let otherSeller: Account;
let buyer: Account;

beforeAll(async () => {
  s = await startSystem('cat');
  [seller, otherSeller, buyer] = await Promise.all([
    signup(s, 'SELLER'),
    signup(s, 'SELLER'),
    signup(s, 'BUYER'),
  ]);
});
afterAll(async () => s?.close());

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('Catalog: venues and performances', () => {
  let venueId: string;

  it('POST /venues → 201 {id, name, seatCount}; a standing section counts its capacity', async () => {
    const res = await call<{ id: string; name: string; seatCount: number }>(
      s,
      seller,
      'POST',
      '/api/v1/venues',
      {
        name: 'Olympic Hall',
        address: 'Seoul',
        sections: [
          { name: 'A', rows: 3, seatsPerRow: 4 },
          { name: 'Pit', kind: 'STANDING', capacity: 50 },
        ],
      },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(String), name: 'Olympic Hall', seatCount: 62 });
    venueId = res.body.id;
  });

  it("GET /venues lists the caller's venues only", async () => {
    const mine = await call<unknown>(s, seller, 'GET', '/api/v1/venues');
    const theirs = await call<unknown>(s, otherSeller, 'GET', '/api/v1/venues');
    expect(mine.status).toBe(200);
    expect(JSON.stringify(mine.body)).toContain(venueId);
    expect(JSON.stringify(theirs.body)).not.toContain(venueId);
  });

  const performanceBody = (overrides: Record<string, unknown> = {}) => ({
    venueId,
    title: 'Aurora Live',
    description: 'a contract show',
    grades: [
      { grade: 'R', price: 120_000 },
      { grade: 'GA', price: 80_000 },
    ],
    sectionGrades: { A: 'R', Pit: 'GA' },
    schedules: [
      { startsAt: '2032-05-01T10:00:00.000Z' },
      { startsAt: '2032-05-02T10:00:00Z', endsAt: '2032-05-02T12:30:00Z' },
    ],
    salesOpenAt: new Date(Date.now() - HOUR).toISOString(),
    salesCloseAt: '2032-05-01T09:00:00.000Z',
    ...overrides,
  });

  it('POST /performances → 201 {id, title, schedules:[{id, startsAt, endsAt}]}; endsAt defaults to startsAt + 3 h', async () => {
    const res = await call<{
      id: string;
      title: string;
      schedules: { id: string; startsAt: string; endsAt: string }[];
    }>(s, seller, 'POST', '/api/v1/performances', performanceBody());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(String), title: 'Aurora Live' });
    expect(res.body.schedules).toHaveLength(2);
    const [a, b] = res.body.schedules;
    expect(a?.startsAt).toMatch(ISO_UTC);
    expect(new Date(a?.startsAt ?? '').toISOString()).toBe('2032-05-01T10:00:00.000Z');
    expect(new Date(a?.endsAt ?? '').toISOString()).toBe('2032-05-01T13:00:00.000Z');
    expect(new Date(b?.endsAt ?? '').toISOString()).toBe('2032-05-02T12:30:00.000Z');
  });

  it('every section must map to a listed grade (400 naming it)', async () => {
    const unmapped = await call(
      s,
      seller,
      'POST',
      '/api/v1/performances',
      performanceBody({ sectionGrades: { A: 'R' } }),
    );
    expect(JSON.stringify(expectProblem(unmapped, 400, 'VALIDATION_FAILED'))).toContain('Pit');
    const unlisted = await call(
      s,
      seller,
      'POST',
      '/api/v1/performances',
      performanceBody({ sectionGrades: { A: 'R', Pit: 'VIP' } }),
    );
    expect(JSON.stringify(expectProblem(unlisted, 400, 'VALIDATION_FAILED'))).toContain('Pit');
  });

  it('a seller may not build on another seller’s venue (403) and a buyer may not create (403)', async () => {
    expectProblem(await call(s, otherSeller, 'POST', '/api/v1/performances', performanceBody()), 403);
    expectProblem(await call(s, buyer, 'POST', '/api/v1/performances', performanceBody()), 403);
  });

  it('GET /performances is paged and searchable with ?q=; GET /performances/{id} returns the detail', async () => {
    const word = `Zephyr${Date.now().toString(36)}`;
    const created = await call<{ id: string }>(
      s,
      seller,
      'POST',
      '/api/v1/performances',
      performanceBody({
        title: `The ${word} Tour`,
        schedules: [{ startsAt: '2032-06-01T10:00:00Z' }],
        salesCloseAt: '2032-06-01T09:00:00Z',
        maxTicketsPerBuyer: 2,
        cancellationPolicy: { deadlineHoursBeforeStart: 24, fees: [{ daysBeforeStart: 7, percent: 10 }] },
      }),
    );
    expect(created.status).toBe(201);
    const found = await call<{ items: { id: string; title: string }[] }>(
      s,
      null,
      'GET',
      `/api/v1/performances?q=${encodeURIComponent(word.toLowerCase())}`,
    );
    expect(found.status).toBe(200);
    expect(found.body.items.map((p) => p.id)).toEqual([created.body.id]);
    const none = await call<{ items: unknown[] }>(s, null, 'GET', `/api/v1/performances?q=nothing${word}`);
    expect(none.body.items).toEqual([]);
    const page = await call<{ items: unknown[] }>(s, null, 'GET', '/api/v1/performances?page=1&size=1');
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(1);
    const detail = await call<Record<string, unknown>>(
      s,
      null,
      'GET',
      `/api/v1/performances/${created.body.id}`,
    );
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      id: created.body.id,
      title: `The ${word} Tour`,
      maxTicketsPerBuyer: 2,
      cancellationPolicy: { deadlineHoursBeforeStart: 24, fees: [{ daysBeforeStart: 7, percent: 10 }] },
    });
    const defaults = await call<Record<string, unknown>>(
      s,
      null,
      'GET',
      `/api/v1/performances/${(await createShow(s, { seller })).performanceId}`,
    );
    expect(defaults.body).toMatchObject({ cancellationPolicy: { deadlineHoursBeforeStart: 0, fees: [] } });
  });
});

describe('Catalog: seats, stream, delete and cancel', () => {
  let show: Show;
  let admission: string;

  beforeAll(async () => {
    // buyers could no longer cancel (deadline passed) and would pay a 50 % fee: a cancelled show refunds in full
    show = await createShow(s, {
      seller,
      standing: 20,
      startsAt: new Date(Date.now() + 2 * DAY),
      cancellationPolicy: { deadlineHoursBeforeStart: 72, fees: [{ daysBeforeStart: 3650, percent: 50 }] },
    });
    admission = await admitted(s, show.scheduleId, buyer);
  });

  it('GET /schedules/{id}/seats → {seats:[{id, section, row, number, grade, price, status}]}', async () => {
    const { seats } = await seatMap(s, show.scheduleId);
    expect(seats).toHaveLength(12);
    for (const seat of seats) {
      expect(seat).toMatchObject({
        id: expect.any(Number),
        section: expect.any(String),
        row: expect.anything(),
        number: expect.any(Number),
        grade: expect.any(String),
        price: expect.any(Number),
        status: 'AVAILABLE',
      });
    }
    expect(
      seats.filter((x) => x.section === 'VIP').every((x) => x.grade === 'VIP' && x.price === 150_000),
    ).toBe(true);
  });

  it('the public seat stream sends `seats` events {changes:[{id, status}]}, at most 4 a second', async () => {
    const targets = await freeSeats(s, show, 4, 'Floor');
    const arrivals: number[] = [];
    const stream = await readStream(`${s.baseUrl}/api/v1/schedules/${show.scheduleId}/seats/stream`, {
      timeoutMs: 15_000,
      until: (events) => {
        while (arrivals.length < events.length) arrivals.push(Date.now());
        const seen = new Map<number, string>();
        for (const e of events.filter((x) => x.event === 'seats'))
          for (const c of (JSON.parse(e.data) as { changes: { id: number; status: string }[] }).changes)
            seen.set(c.id, c.status);
        return targets.every((t) => seen.get(t.id) === 'AVAILABLE') && seen.size > 0;
      },
      onOpen: async () => {
        // hold and release one seat at a time, quickly: many changes, batched by the server
        for (const seat of targets) {
          const h = await call<{ holdId: string }>(
            s,
            buyer,
            'POST',
            `/api/v1/schedules/${show.scheduleId}/holds`,
            { seatIds: [seat.id] },
            { 'x-admission-token': admission },
          );
          expect(h.status, JSON.stringify(h.body)).toBe(201);
          expect((await call(s, buyer, 'DELETE', `/api/v1/holds/${h.body.holdId}`)).status).toBe(204);
        }
      },
    });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const seatEvents = stream.events.filter((e) => e.event === 'seats');
    expect(seatEvents.length).toBeGreaterThan(0);
    for (const e of seatEvents) {
      const data = JSON.parse(e.data) as { changes: { id: number; status: string }[] };
      expect(data.changes.length).toBeGreaterThan(0);
      for (const c of data.changes) expect(['AVAILABLE', 'HELD', 'SOLD']).toContain(c.status);
    }
    // at most 4 a second: no five `seats` events inside one second
    const times = stream.events
      .map((e, i) => (e.event === 'seats' ? arrivals[i] : undefined))
      .filter((t) => t !== undefined);
    for (let i = 4; i < times.length; i++)
      expect((times[i] as number) - (times[i - 4] as number)).toBeGreaterThanOrEqual(900);
  });

  it('DELETE /performances/{id} → 204 while nothing is sold', async () => {
    const spare = await createShow(s, { seller });
    expect((await call(s, seller, 'DELETE', `/api/v1/performances/${spare.performanceId}`)).status).toBe(204);
    expectProblem(await call(s, null, 'GET', `/api/v1/performances/${spare.performanceId}`), 404);
    const byAdmin = await createShow(s, { seller });
    const admin = await adminAccount(s);
    expect((await call(s, admin, 'DELETE', `/api/v1/performances/${byAdmin.performanceId}`)).status).toBe(
      204,
    );
  });

  it('after a sale: DELETE → 409 HAS_SALES; POST /cancel → 202, sales stop, the queue closes, paid orders are refunded', async () => {
    const seats = await freeSeats(s, show, 2, 'VIP');
    const o = await orderSeats(
      s,
      buyer,
      show,
      admission,
      seats.map((x) => x.id),
    );
    const { res, paymentKey } = await pay(s, buyer, o);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectProblem(
      await call(s, buyer, 'POST', `/api/v1/orders/${o.id}/cancel`, {}),
      409,
      'CANCELLATION_CLOSED',
    );
    const sold = await seatMap(s, show.scheduleId);
    expect(sold.seats.filter((x) => seats.some((y) => y.id === x.id)).map((x) => x.status)).toEqual([
      'SOLD',
      'SOLD',
    ]);
    expectProblem(
      await call(s, seller, 'DELETE', `/api/v1/performances/${show.performanceId}`),
      409,
      'HAS_SALES',
    );

    const cancelled = await call(s, seller, 'POST', `/api/v1/performances/${show.performanceId}/cancel`, {
      reason: 'the artist is ill',
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(202);
    await eventually(
      'the paid order refunded',
      () => getOrder(s, buyer, o.id),
      (x) => x.status === 'REFUNDED',
      30_000,
    );
    expect((await toss(s, 'GET', `/payments/${paymentKey}`)).body).toMatchObject({
      status: 'CANCELED',
      balanceAmount: 0,
    });
    const late = await signup(s, 'BUYER');
    const join = await call(s, late, 'POST', `/api/v1/schedules/${show.scheduleId}/queue`);
    expectProblem(join, 409, 'SALES_CLOSED');
    await eventually(
      'the queue closed for the admitted buyer',
      () => call<{ state: string }>(s, buyer, 'GET', `/api/v1/schedules/${show.scheduleId}/queue/me`),
      (r) => r.body.state === 'CLOSED',
    );
    const hold = await call(
      s,
      buyer,
      'POST',
      `/api/v1/schedules/${show.scheduleId}/holds`,
      { seatIds: [show.seats[8]?.id] },
      { 'x-admission-token': admission },
    );
    expect([403, 409], JSON.stringify(hold.body)).toContain(hold.status);
  });

  it('cancel is for the owner or ADMIN only', async () => {
    const other = await createShow(s, { seller });
    expectProblem(
      await call(s, otherSeller, 'POST', `/api/v1/performances/${other.performanceId}/cancel`, {
        reason: 'mine now',
      }),
      403,
    );
    expectProblem(
      await call(s, buyer, 'POST', `/api/v1/performances/${other.performanceId}/cancel`, { reason: 'x' }),
      403,
    );
  });
});
