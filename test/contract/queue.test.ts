import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  adminAccount,
  admitted,
  call,
  createShow,
  eventually,
  expectProblem,
  freeSeats,
  holdSeats,
  orderSeats,
  pay,
  type QueueView,
  type System,
  signup,
  sleep,
  startSystem,
  waitForState,
} from './support.ts';

/** API.md "Waiting room". */
let s: System;
let seller: Account;
let _otherSeller: Account;
let _admin: Account;

beforeAll(async () => {
  s = await startSystem('queue');
  [seller, _otherSeller, _admin] = await Promise.all([
    signup(s, 'SELLER'),
    signup(s, 'SELLER'),
    adminAccount(s),
  ]);
});
afterAll(async () => s?.close());

const buyers = (n: number) => Promise.all(Array.from({ length: n }, () => signup(s, 'BUYER')));
const queuePath = (scheduleId: string) => `/api/v1/schedules/${scheduleId}/queue`;
const join = (scheduleId: string, b: Account) => call<QueueView>(s, b, 'POST', queuePath(scheduleId));
const me = (scheduleId: string, b: Account) => call<QueueView>(s, b, 'GET', `${queuePath(scheduleId)}/me`);
const stats = (scheduleId: string, who: Account = seller) =>
  call<Record<string, unknown>>(s, who, 'GET', `${queuePath(scheduleId)}/stats`);
const _streamUrl = (scheduleId: string) => `${s.baseUrl}${queuePath(scheduleId)}/stream`;
const pause = (id: string, paused = true) => call(s, seller, 'PATCH', queuePath(id), { paused });

describe('joining', () => {
  it('202 {state, ticketNumber, position, etaSeconds, paused}; a repeat join keeps the ticketNumber; positions count who is ahead', async () => {
    const show = await createShow(s, { seller });
    expect((await pause(show.scheduleId)).status).toBe(200);
    const [a, b, c] = await buyers(3);
    const views: QueueView[] = [];
    for (const x of [a, b, c] as Account[]) {
      const res = await join(show.scheduleId, x);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toMatchObject({
        state: 'WAITING',
        ticketNumber: expect.any(Number),
        position: expect.any(Number),
        paused: true,
      });
      expect(res.body).toHaveProperty('etaSeconds');
      views.push(res.body);
    }
    expect(views.map((v) => v.position)).toEqual([1, 2, 3]);
    expect(new Set(views.map((v) => v.ticketNumber)).size).toBe(3);
    const again = await join(show.scheduleId, b as Account);
    expect(again.status).toBe(202);
    expect(again.body.ticketNumber).toBe(views[1]?.ticketNumber);
    expect(again.body.position).toBe(2);

    // resume at one a second with one active slot: positions only go down
    await call(s, seller, 'PATCH', queuePath(show.scheduleId), {
      paused: false,
      admitPerSecond: 1,
      maxActive: 1,
    });
    let last = 3;
    for (let i = 0; i < 40 && last > 2; i++) {
      const v = (await me(show.scheduleId, c as Account)).body;
      expect(v.ticketNumber).toBe(views[2]?.ticketNumber);
      expect(v.state).toBe('WAITING');
      expect(v.position as number).toBeLessThanOrEqual(last);
      last = v.position as number;
      await sleep(250);
    }
    expect(last).toBe(2);
    await sleep(1000); // one slot only: c stays second
    expect((await me(show.scheduleId, c as Account)).body.position).toBe(2);
    expect((await me(show.scheduleId, a as Account)).body.state).toBe('ADMITTED');
  });

  it('before salesOpenAt: PRE_QUEUE with position null and opensAt; at opening the pre-queue goes ahead of later arrivals', async () => {
    const [early, [late]] = await Promise.all([buyers(3), buyers(1)]);
    const opensAt = new Date(Date.now() + 7000); // room for a loaded machine to join everyone before
    const show = await createShow(s, {
      seller,
      salesOpenAt: opensAt,
      queue: { admitPerSecond: 1, maxActive: 1 },
    });
    for (const b of early) {
      const res = await join(show.scheduleId, b);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toMatchObject({ state: 'PRE_QUEUE', position: null });
      expect(new Date(res.body.opensAt as string).getTime()).toBe(opensAt.getTime());
    }
    const polled = (await me(show.scheduleId, early[0] as Account)).body;
    expect(polled).toMatchObject({ state: 'PRE_QUEUE', position: null });
    await sleep(Math.max(0, opensAt.getTime() - Date.now()) + 300);
    await eventually(
      'the pre-queue is drawn',
      () => Promise.all(early.map((b) => me(show.scheduleId, b).then((r) => r.body.state))),
      (states) => states.every((x) => x === 'WAITING' || x === 'ADMITTED'),
    );
    const lateJoin = await join(show.scheduleId, late as Account);
    expect(lateJoin.status).toBe(202);
    const views = await Promise.all(early.map((b) => me(show.scheduleId, b).then((r) => r.body)));
    const waiting = views.filter((v) => v.state === 'WAITING');
    const lateView = (await me(show.scheduleId, late as Account)).body;
    expect(lateView.state).toBe('WAITING');
    expect(lateView.position).toBe(waiting.length + 1);
    for (const v of waiting) expect(v.position as number).toBeLessThan(lateView.position as number);
  });

  it('after salesCloseAt → 409 SALES_CLOSED; when sold out → 409 SOLD_OUT and the waiting see CLOSED', async () => {
    const closed = await createShow(s, {
      seller,
      salesOpenAt: new Date(Date.now() - 7200_000),
      salesCloseAt: new Date(Date.now() - 3600_000),
    });
    const [a, b, c] = await buyers(3);
    expectProblem(await join(closed.scheduleId, a as Account), 409, 'SALES_CLOSED');

    const tiny = await createShow(s, { seller, seatsPerRow: 1, queue: { maxActive: 1 } });
    const admission = await admitted(s, tiny.scheduleId, a as Account);
    await pause(tiny.scheduleId); // b keeps waiting when a pays and frees the slot
    expect((await join(tiny.scheduleId, b as Account)).body.state).toBe('WAITING');
    const o = await orderSeats(
      s,
      a as Account,
      tiny,
      admission,
      tiny.seats.map((x) => x.id),
    );
    expect((await pay(s, a as Account, o)).res.status).toBe(200);
    await eventually(
      'sold out',
      () => join(tiny.scheduleId, c as Account),
      (r) => r.status === 409,
    );
    expectProblem(await join(tiny.scheduleId, c as Account), 409, 'SOLD_OUT');
    await eventually(
      'the waiting buyer sees CLOSED',
      () => me(tiny.scheduleId, b as Account),
      (r) => r.body.state === 'CLOSED',
    );
  });
});

describe('queue/me and admission', () => {
  it('NONE before joining; ADMITTED carries admissionToken and expiresAt (absent otherwise)', async () => {
    const show = await createShow(s, { seller });
    const [a] = await buyers(1);
    const none = await me(show.scheduleId, a as Account);
    expect([none.status, none.body.state]).toEqual([200, 'NONE']);
    expect(none.body).not.toHaveProperty('admissionToken');
    await join(show.scheduleId, a as Account);
    const v = await waitForState(s, show.scheduleId, a as Account, 'ADMITTED');
    expect(v).toMatchObject({
      ticketNumber: expect.any(Number),
      admissionToken: expect.any(String),
      paused: false,
    });
    expect(new Date(v.expiresAt as string).getTime()).toBeGreaterThan(Date.now());
  });

  it('admission lapses after admissionTtlSeconds (EXPIRED) unless a live hold keeps it; releasing a hold inside the TTL keeps it', async () => {
    const show = await createShow(s, { seller, queue: { admissionTtlSeconds: 10, maxActive: 3 } });
    const [idle, holder, releaser, next] = await buyers(4);
    const [, tHolder, tReleaser] = await Promise.all([
      admitted(s, show.scheduleId, idle as Account),
      admitted(s, show.scheduleId, holder as Account),
      admitted(s, show.scheduleId, releaser as Account),
    ]);
    const seats = await freeSeats(s, show, 2);
    const h = await holdSeats(s, holder as Account, show.scheduleId, tHolder, { seatIds: [seats[0]?.id] });
    expect(h.status).toBe(201);
    const r = await holdSeats(s, releaser as Account, show.scheduleId, tReleaser, {
      seatIds: [seats[1]?.id],
    });
    expect((await call(s, releaser as Account, 'DELETE', `/api/v1/holds/${r.body.holdId}`)).status).toBe(204);
    expect((await me(show.scheduleId, releaser as Account)).body.state).toBe('ADMITTED');
    expect((await join(show.scheduleId, next as Account)).body.state).toBe('WAITING'); // all 3 slots taken
    await sleep(12_000);
    await eventually(
      'idle admission lapses',
      () => me(show.scheduleId, idle as Account),
      (x) => x.body.state === 'EXPIRED',
      5000,
    );
    expect((await me(show.scheduleId, holder as Account)).body.state).toBe('ADMITTED');
    // the lapsed admissions (idle, releaser) freed their slots
    await waitForState(s, show.scheduleId, next as Account, 'ADMITTED', 5000);
    const o = await call(s, holder as Account, 'POST', '/api/v1/orders', { holdId: h.body.holdId });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
  });

  it('at most maxActive admitted at once; leaving (DELETE → 204) or paying frees a slot', async () => {
    const show = await createShow(s, { seller, queue: { maxActive: 2, admitPerSecond: 100 } });
    const [a, b, c, d] = await buyers(4);
    for (const x of [a, b, c, d] as Account[]) await join(show.scheduleId, x);
    await eventually(
      'two admitted',
      () => stats(show.scheduleId),
      (r) => r.body.active === 2,
    );
    await sleep(500);
    const states = await Promise.all(
      [a, b, c, d].map((x) => me(show.scheduleId, x as Account).then((r) => r.body.state)),
    );
    expect(states).toEqual(['ADMITTED', 'ADMITTED', 'WAITING', 'WAITING']);
    expect((await stats(show.scheduleId)).body).toMatchObject({ active: 2, waiting: 2, maxActive: 2 });
    expect((await call(s, a as Account, 'DELETE', `${queuePath(show.scheduleId)}/me`)).status).toBe(204);
    await waitForState(s, show.scheduleId, c as Account, 'ADMITTED', 5000);
    const token = (await me(show.scheduleId, b as Account)).body.admissionToken as string;
    const o = await orderSeats(s, b as Account, show, token, [show.seats[0]?.id as number]);
    expect((await pay(s, b as Account, o)).res.status).toBe(200);
    await waitForState(s, show.scheduleId, d as Account, 'ADMITTED', 5000);
  });

  it('admits at most admitPerSecond a second', async () => {
    const show = await createShow(s, { seller, queue: { admitPerSecond: 2, maxActive: 1000 } });
    const [crowd] = await Promise.all([buyers(8), pause(show.scheduleId)]);
    for (const b of crowd) await join(show.scheduleId, b);
    await pause(show.scheduleId, false);
    const started = Date.now();
    await sleep(2000);
    const admittedNow = (await stats(show.scheduleId)).body.admittedTotal as number;
    expect(admittedNow).toBeGreaterThan(0);
    expect(admittedNow).toBeLessThanOrEqual(Math.ceil((2 * (Date.now() - started)) / 1000) + 1);
  });

  it('a waiting-room place outlives the access token: refresh and keep the ticketNumber', async () => {
    const show = await createShow(s, { seller });
    await pause(show.scheduleId);
    const [a] = await buyers(1);
    const first = await join(show.scheduleId, a as Account);
    const refreshed = await call<{ accessToken: string }>(s, null, 'POST', '/api/v1/auth/refresh', {
      refreshToken: (a as Account).refreshToken,
    });
    expect(refreshed.status).toBe(200);
    const again = await call<QueueView>(
      s,
      refreshed.body.accessToken,
      'GET',
      `${queuePath(show.scheduleId)}/me`,
    );
    expect(again.body).toMatchObject({
      state: 'WAITING',
      ticketNumber: first.body.ticketNumber,
      position: 1,
    });
  });
});
