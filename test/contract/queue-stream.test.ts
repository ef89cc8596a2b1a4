import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  adminAccount,
  call,
  createShow,
  expectProblem,
  type QueueView,
  readStream,
  type SseEvent,
  type System,
  signup,
  sleep,
  startSystem,
  waitForState,
} from './support.ts';

/** API.md "Waiting room": settings, stats and the event stream. */
let s: System;
let seller: Account;
let otherSeller: Account;
let admin: Account;

beforeAll(async () => {
  s = await startSystem('qstream');
  [seller, otherSeller, admin] = await Promise.all([
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
const streamUrl = (scheduleId: string) => `${s.baseUrl}${queuePath(scheduleId)}/stream`;
const pause = (id: string, paused = true) => call(s, seller, 'PATCH', queuePath(id), { paused });

describe('settings, stats and the stream', () => {
  it('PATCH (owner or ADMIN) → 200 the new settings, effective within 1 s; stats (owner or ADMIN) → the six fields', async () => {
    const show = await createShow(s, { seller });
    const res = await call(s, seller, 'PATCH', queuePath(show.scheduleId), {
      paused: true,
      admitPerSecond: 7,
      maxActive: 9,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ paused: true, admitPerSecond: 7, maxActive: 9 });
    const [a] = await buyers(1);
    await join(show.scheduleId, a as Account);
    await sleep(1200);
    expect((await me(show.scheduleId, a as Account)).body).toMatchObject({ state: 'WAITING', paused: true });
    const st = await stats(show.scheduleId);
    expect(st.status).toBe(200);
    expect(st.body).toMatchObject({
      waiting: 1,
      active: 0,
      admittedTotal: 0,
      admitPerSecond: 7,
      maxActive: 9,
      paused: true,
    });
    expect((await stats(show.scheduleId, admin)).status).toBe(200);
    expectProblem(await stats(show.scheduleId, otherSeller), 403);
    expectProblem(await stats(show.scheduleId, a as Account), 403);
    const byAdmin = await call(s, admin, 'PATCH', queuePath(show.scheduleId), { paused: false });
    expect(byAdmin.body).toMatchObject({ paused: false });
    await waitForState(s, show.scheduleId, a as Account, 'ADMITTED', 2500); // resumed: the next admitter tick
    expectProblem(
      await call(s, seller, 'PATCH', queuePath(show.scheduleId), { maxActive: 0 }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('stream: position, paused, admitted and closed events, each with an id:, by header token or ?access_token=', async () => {
    const show = await createShow(s, { seller });
    await pause(show.scheduleId);
    const [a, b] = await buyers(2);
    await join(show.scheduleId, a as Account);
    await join(show.scheduleId, b as Account);
    const byQuery = readStream(
      `${streamUrl(show.scheduleId)}?access_token=${encodeURIComponent((b as Account).token)}`,
      {
        until: (ev) => ev.some((e) => e.event === 'admitted'),
        timeoutMs: 15_000,
      },
    );
    const byHeader = await readStream(streamUrl(show.scheduleId), {
      headers: { authorization: `Bearer ${(a as Account).token}` },
      until: (ev) => ev.some((e) => e.event === 'admitted'),
      timeoutMs: 15_000,
      onOpen: async () => {
        await sleep(300);
        await pause(show.scheduleId, false);
      },
    });
    const query = await byQuery;
    for (const st of [byHeader, query]) {
      expect(st.status).toBe(200);
      expect(st.contentType).toMatch(/^text\/event-stream/);
      for (const e of st.events) expect(e.id, JSON.stringify(e)).toMatch(/^\d+$/);
      const ids = st.events.map((e) => Number(e.id));
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    }
    const data = (ev: SseEvent[], name: string) =>
      ev.filter((e) => e.event === name).map((e) => JSON.parse(e.data));
    expect(data(byHeader.events, 'paused')[0]).toMatchObject({ paused: true });
    expect(data(byHeader.events, 'position')[0]).toMatchObject({
      position: 1,
      etaSeconds: expect.anything(),
    });
    expect(data(query.events, 'position')[0]).toMatchObject({ position: 2 });
    expect(data(byHeader.events, 'admitted')[0]).toMatchObject({
      admissionToken: expect.any(String),
      expiresAt: expect.any(String),
    });

    // resume: a reconnect with Last-Event-ID continues the numbering
    const lastId = Number(byHeader.events.at(-1)?.id);
    const resumed = await readStream(streamUrl(show.scheduleId), {
      headers: { authorization: `Bearer ${(a as Account).token}`, 'last-event-id': String(lastId) },
      until: (ev) => ev.length > 0,
    });
    expect(Number(resumed.events[0]?.id)).toBeGreaterThan(lastId);

    // closed {reason}: the performance is cancelled
    const [c] = await buyers(1);
    await pause(show.scheduleId);
    await join(show.scheduleId, c as Account);
    const closing = await readStream(streamUrl(show.scheduleId), {
      headers: { authorization: `Bearer ${(c as Account).token}` },
      until: (ev) => ev.some((e) => e.event === 'closed'),
      timeoutMs: 15_000,
      onOpen: async () => {
        await call(s, seller, 'POST', `/api/v1/performances/${show.performanceId}/cancel`, {
          reason: 'storm',
        });
      },
    });
    expect(data(closing.events, 'closed')[0]).toMatchObject({ reason: expect.any(String) });
  });

  it('stream: a `position` event when someone ahead leaves (positions only go down)', async () => {
    const show = await createShow(s, { seller });
    await pause(show.scheduleId);
    const [a, b, c] = await buyers(3);
    for (const x of [a, b, c] as Account[]) await join(show.scheduleId, x);
    const st = await readStream(streamUrl(show.scheduleId), {
      headers: { authorization: `Bearer ${(c as Account).token}` },
      until: (ev) => ev.filter((e) => e.event === 'position').length >= 2,
      timeoutMs: 10_000,
      onOpen: async () => {
        await sleep(300);
        expect((await call(s, a as Account, 'DELETE', `${queuePath(show.scheduleId)}/me`)).status).toBe(204);
      },
    });
    const positions = st.events.filter((e) => e.event === 'position').map((e) => JSON.parse(e.data).position);
    expect(positions.slice(0, 2)).toEqual([3, 2]);
  });

  it('stream: no token → 401; no other route accepts ?access_token=', async () => {
    const show = await createShow(s, { seller });
    const [a] = await buyers(1);
    await join(show.scheduleId, a as Account);
    const none = await readStream(streamUrl(show.scheduleId), { until: () => true });
    expect(none.status).toBe(401);
    const q = `?access_token=${encodeURIComponent((a as Account).token)}`;
    for (const [method, path] of [
      ['GET', `${queuePath(show.scheduleId)}/me${q}`],
      ['POST', `${queuePath(show.scheduleId)}${q}`],
      ['DELETE', `${queuePath(show.scheduleId)}/me${q}`],
      ['GET', `/api/v1/me${q}`],
      ['GET', `/api/v1/me/orders${q}`],
      ['GET', `/api/v1/me/coupons${q}`],
    ] as const) {
      expectProblem(await call(s, null, method, path), 401);
    }
  });

  it('stream: a `: ping` comment at least every 15 s', async () => {
    const show = await createShow(s, { seller });
    await pause(show.scheduleId);
    const [a] = await buyers(1);
    await join(show.scheduleId, a as Account);
    const started = Date.now();
    const st = await readStream(streamUrl(show.scheduleId), {
      headers: { authorization: `Bearer ${(a as Account).token}` },
      until: (_ev, comments) => comments.includes('ping'),
      timeoutMs: 16_000,
    });
    expect(st.comments).toContain('ping');
    expect(Date.now() - started).toBeLessThan(16_000);
  }, 30_000);
});
