/**
 * Same-run throughput figures: each hot path of the real api process (production path: token check,
 * validation, per-IP and per-account limits, logging, metrics) beside a bare Fastify hello-world and
 * the naive designs, all driven by autocannon in its own process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { call, createCampaign, createShow, pool, type Show, writeUsers } from './fixtures.ts';
import { type LoadResult, load, type Step } from './load.ts';
import type { Stack } from './system.ts';

export interface Figure {
  key: string;
  name: string;
  rps: number;
  p50: number;
  p99: number;
  ratio?: number;
  target?: number;
  status?: Record<string, number>;
  note?: string;
}

export interface MicroContext {
  stack: Stack;
  api: string;
  hello: string;
  naive: string;
  sellerToken: string;
  buyers: { id: string; token: string }[];
  buyersFile: string;
  duration: number;
  connections: number;
  db: pg.Pool;
  log: (s: string) => void;
}

export interface MicroResults {
  figures: Figure[];
  hello: { before: LoadResult; after: LoadResult };
  couponLagMs: number | null;
  couponGranted: number;
  naiveCouponAudit: Record<string, number> | null;
  contention: { ours: Record<string, number>; naive: Record<string, number> } | null;
  queueShow: Show;
  joinedUsers: number;
}

const fig = (key: string, name: string, r: LoadResult, step?: string, note?: string): Figure => {
  const s = step === undefined ? undefined : r.steps[step];
  return {
    key,
    name,
    rps: r.rps,
    p50: s?.p50 ?? r.p50,
    p99: s?.p99 ?? r.p99,
    status: s?.status ?? Object.values(r.steps)[0]?.status ?? {},
    ...(note === undefined ? {} : { note }),
  };
};

/** Joins `users` to a schedule and waits until each is admitted; returns their admission tokens. */
export async function admitUsers(
  api: string,
  scheduleId: string,
  users: { token: string }[],
  timeoutMs = 60_000,
): Promise<{ t: string; a: string }[]> {
  await pool(users, 64, (u) =>
    call(api, 'POST', `/api/v1/schedules/${scheduleId}/queue`, { token: u.token }),
  );
  const until = Date.now() + timeoutMs;
  const out: { t: string; a: string }[] = [];
  let left = [...users];
  while (left.length > 0 && Date.now() < until) {
    const next: typeof left = [];
    await pool(left, 64, async (u) => {
      const r = await call<{ state: string; admissionToken?: string }>(
        api,
        'GET',
        `/api/v1/schedules/${scheduleId}/queue/me`,
        { token: u.token },
      );
      if (r.body.admissionToken !== undefined) out.push({ t: u.token, a: r.body.admissionToken });
      else next.push(u);
    });
    left = next;
    if (left.length > 0) await sleep(300);
  }
  return out;
}

/** The hold churn's steps: hold one random seat as an admitted buyer, then release it. */
export const holdChurn = (scheduleId: string): Step[] => [
  {
    name: 'hold',
    method: 'POST',
    path: `/api/v1/schedules/${scheduleId}/holds`,
    body: 'randomSeat',
    auth: true,
    admission: true,
    capture: 'holdId',
  },
  { name: 'release', method: 'DELETE', path: '/api/v1/holds/{holdId}', auth: true },
];

export async function microBenchmarks(c: MicroContext): Promise<MicroResults> {
  const { api, duration, connections } = c;
  const figures: Figure[] = [];
  const helloRun = () =>
    load({
      url: `${c.hello}/hello`,
      duration,
      connections,
      steps: [{ name: 'hello', method: 'GET', path: '/hello' }],
    });

  // Shows: Q (paused queue: join and rank), H (open, generous admission: holds).
  const queueShow = await createShow(api, c.sellerToken, {
    title: 'Bench queue',
    sections: 1,
    rows: 10,
    seatsPerRow: 10,
    queue: { admitPerSecond: 200, maxActive: 1_000_000, admissionTtlSeconds: 3600 },
  });
  await call(api, 'PATCH', `/api/v1/schedules/${queueShow.scheduleId}/queue`, {
    token: c.sellerToken,
    body: { paused: true },
  });
  const holdShow = await createShow(api, c.sellerToken, {
    title: 'Bench holds',
    maxTicketsPerBuyer: 8,
    queue: { admitPerSecond: 100_000, maxActive: 1_000_000, admissionTtlSeconds: 3600 },
  });

  c.log('hello-world (before)');
  const helloBefore = await helloRun();
  figures.push(fig('hello', 'hello-world (bare Fastify, before)', helloBefore, 'hello'));

  c.log('join');
  const queueBase = `/api/v1/schedules/${queueShow.scheduleId}/queue`;
  const join = await load({
    url: api,
    duration,
    connections,
    usersFile: c.buyersFile,
    startUser: 0,
    steps: [{ name: 'join', method: 'POST', path: queueBase, auth: true }],
  });
  figures.push({ ...fig('join', 'join POST …/queue', join, 'join'), target: 0.7 });
  const joinedUsers = Math.min(c.buyers.length, join.steps.join?.status['202'] ?? 0);

  c.log('rank');
  const rankFile = writeUsers(
    c.stack,
    'rank-users',
    c.buyers.slice(0, Math.max(1, joinedUsers)).map((b) => ({ t: b.token })),
  );
  const rank = await load({
    url: api,
    duration,
    connections,
    usersFile: rankFile,
    startUser: 0,
    steps: [{ name: 'rank', method: 'GET', path: `${queueBase}/me`, auth: true }],
  });
  figures.push({ ...fig('rank', 'rank read GET …/queue/me', rank, 'rank'), target: 0.85 });

  c.log('holds: admitting 2,000 users');
  const admitted = await admitUsers(api, holdShow.scheduleId, c.buyers.slice(-2000));
  const holdFile = writeUsers(c.stack, 'hold-users', admitted);
  const seatRange: [number, number] = [holdShow.seatIds[0] ?? 1, holdShow.seatIds.at(-1) ?? 1];
  c.log(`hold churn (${admitted.length} admitted users, seats ${seatRange.join('–')})`);
  const hold = await load({
    url: api,
    duration,
    connections,
    usersFile: holdFile,
    seatRange,
    seatsPerHold: 1,
    steps: holdChurn(holdShow.scheduleId),
  });
  figures.push({
    ...fig('hold', 'hold + release churn (POST …/holds, DELETE /holds/{id})', hold, 'hold'),
    target: 0.5,
    note: `${Math.round(hold.steps.hold?.rps ?? 0)} holds/s + ${Math.round(hold.steps.release?.rps ?? 0)} releases/s; p50/p99 of the hold`,
  });

  c.log('coupon issue');
  const campaignId = await createCampaign(api, c.sellerToken, {
    name: 'Bench issue throughput',
    performanceId: holdShow.performanceId,
    totalQuantity: 10_000_000,
    perUserLimit: 1,
  });
  const issue = await load({
    url: api,
    duration,
    connections,
    usersFile: c.buyersFile,
    startUser: 0,
    steps: [
      { name: 'issue', method: 'POST', path: `/api/v1/coupon-campaigns/${campaignId}/issue`, auth: true },
    ],
  });
  const issuedAt = Date.now();
  const granted = issue.steps.issue?.status['202'] ?? 0;
  figures.push({ ...fig('issue', 'coupon issue POST …/issue (each a grant)', issue, 'issue'), target: 0.6 });
  let couponLagMs: number | null = null;
  while (Date.now() - issuedAt < 60_000) {
    const r = await c.db.query<{ n: string }>('select count(*) as n from coupons where campaign_id = $1', [
      campaignId,
    ]);
    if (Number(r.rows[0]?.n ?? 0) >= granted) {
      couponLagMs = Date.now() - issuedAt;
      break;
    }
    await sleep(100);
  }

  c.log('naive baselines');
  await call(c.naive, 'POST', '/setup', { body: { seats: 5000, stock: 10_000_000 } });
  const naiveHold = await load({
    url: c.naive,
    duration,
    connections,
    seatRange: [1, 5000],
    seatsPerHold: 1,
    steps: [
      { name: 'hold', method: 'POST', path: '/holds', body: 'randomSeat', capture: 'holdId' },
      { name: 'release', method: 'DELETE', path: '/holds/{holdId}' },
    ],
  });
  figures.push({
    ...fig('naive-hold', 'naive hold: PostgreSQL SELECT … FOR UPDATE (+ release)', naiveHold, 'hold'),
    note: `${Math.round(naiveHold.steps.hold?.rps ?? 0)} holds/s; no auth/validation/logging`,
  });
  const naiveIssue = await load({
    url: c.naive,
    duration,
    connections,
    usersFile: c.buyersFile,
    steps: [{ name: 'issue', method: 'POST', path: '/coupons/issue', auth: true }],
  });
  figures.push({
    ...fig('naive-issue', 'naive coupon: seed DECR/INCR + marker', naiveIssue, 'issue'),
    note: 'no auth/validation/logging',
  });
  const naiveCouponAudit = (await call<Record<string, number>>(c.naive, 'GET', '/coupons/audit')).body;

  // Contention: 1,000 units, 40 buyers on 100 connections (each buyer has requests in flight at
  // once, like a double click or a bot): who gets more than one?
  c.log('coupon contention (1,000 units, 40 buyers hammering)');
  const few = writeUsers(
    c.stack,
    'contention-users',
    c.buyers.slice(0, 40).map((b) => ({ t: b.token })),
  );
  const small = await createCampaign(api, c.sellerToken, {
    name: 'Bench contention',
    performanceId: holdShow.performanceId,
    totalQuantity: 1000,
    perUserLimit: 1,
  });
  const oursC = await load({
    url: api,
    duration: 3,
    connections,
    usersFile: few,
    steps: [{ name: 'issue', method: 'POST', path: `/api/v1/coupon-campaigns/${small}/issue`, auth: true }],
  });
  await call(c.naive, 'POST', '/setup', { body: { seats: 1, stock: 1000 } });
  const naiveC = await load({
    url: c.naive,
    duration: 3,
    connections,
    usersFile: few,
    steps: [{ name: 'issue', method: 'POST', path: '/coupons/issue', auth: true }],
  });
  const naiveAudit = (await call<Record<string, number>>(c.naive, 'GET', '/coupons/audit')).body;
  const oursGranted = oursC.steps.issue?.status['202'] ?? 0;
  const auditOurs = () =>
    c.db.query<{ users: string; coupons: string }>(
      'select count(distinct user_id) as users, count(*) as coupons from coupons where campaign_id = $1',
      [small],
    );
  let oursAudit = await auditOurs();
  for (let i = 0; i < 100 && Number(oursAudit.rows[0]?.coupons ?? 0) < oursGranted; i++) {
    await sleep(100);
    oursAudit = await auditOurs();
  }
  const contention = {
    ours: {
      requests: oursC.total,
      granted: oursGranted,
      stored: Number(oursAudit.rows[0]?.coupons ?? 0),
      users: Number(oursAudit.rows[0]?.users ?? 0),
      duplicates: Number(oursAudit.rows[0]?.coupons ?? 0) - Number(oursAudit.rows[0]?.users ?? 0),
    },
    naive: { requests: naiveC.total, ...naiveAudit },
  };

  c.log('hello-world (after)');
  const helloAfter = await helloRun();
  figures.push(fig('hello-after', 'hello-world (bare Fastify, after)', helloAfter, 'hello'));
  const base = Math.max(helloBefore.rps, helloAfter.rps);
  for (const f of figures) f.ratio = f.rps / base;
  return {
    figures,
    hello: { before: helloBefore, after: helloAfter },
    couponLagMs,
    couponGranted: granted,
    naiveCouponAudit,
    contention,
    queueShow,
    joinedUsers,
  };
}
