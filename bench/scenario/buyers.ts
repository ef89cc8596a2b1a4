/**
 * The on-sale load generator (its own process): N buyers join the pre-queue, wait for the opening,
 * poll like clients do (everyone once at opening, then those near the front every second), and every
 * admitted buyer runs buyerFlow. Samples queue stats and the seat map every second for the timeline.
 *   SCENARIO='<spec JSON>' node bench/scenario/buyers.ts   → writes spec.outFile
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  apiFor,
  type Buyer,
  buyerFlow,
  claimCoupon,
  type FlowEnd,
  type FlowSpec,
  issued202,
  outcomes,
} from './buyer-flow.ts';
import { http, percentile, Recorder } from './client.ts';

export interface ScenarioSpec extends FlowSpec {
  usersFile: string;
  opensAt: number;
  sellerToken: string;
  window: number;
  maxSecondsAfterOpen: number;
  outFile: string;
}

interface Waiter extends Buyer {
  position: number | null;
  seenAdmitted: number;
  polledAt: number;
  state: string;
  busy: boolean;
  done: boolean;
}

const spec = JSON.parse(process.env.SCENARIO ?? '{}') as ScenarioSpec;
const rec = new Recorder();
const mon = new Recorder();
const q = `/api/v1/schedules/${spec.scheduleId}`;
const users = JSON.parse(readFileSync(spec.usersFile, 'utf8')) as { id: string; t: string }[];
const waiters: Waiter[] = users.map((u, i) => ({
  id: u.id,
  token: u.t,
  calls: i,
  position: null,
  seenAdmitted: 0,
  polledAt: 0,
  state: 'NONE',
  busy: false,
  done: false,
}));

async function pool<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>, stop = () => false) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && !stop()) await fn(items[next++] as T);
    }),
  );
}

// ---- join the pre-queue
const joinStart = Date.now();
let preQueue = 0;
await pool(waiters, 128, async (w) => {
  w.joinedVia = apiFor(spec, w);
  const r = await http<{ state: string; ticketNumber: number }>(
    rec,
    'join',
    w.joinedVia,
    'POST',
    `${q}/queue`,
    {
      token: w.token,
    },
  );
  if (r.status === 202) {
    w.state = r.body.state;
    if (r.body.state === 'PRE_QUEUE') preQueue++;
  }
  // the campaign is announced with the sale: many claim it while they wait
  if (Math.random() < spec.p.couponEarly) await claimCoupon(rec, spec, w);
});
const joinSeconds = (Date.now() - joinStart) / 1000;
console.log(
  `joined ${waiters.length} in ${joinSeconds.toFixed(1)} s (${preQueue} before opening; coupon claims ${JSON.stringify(outcomes)})`,
);
while (Date.now() < spec.opensAt + 300) await sleep(50);

// ---- after opening
const opened = Date.now();
const timeline: Record<string, number>[] = [];
const flowEnds: Record<string, number> = {};
let admittedTotal = 0;
let maxActiveSeen = 0;
let soldOutAt: number | null = null;
let stopping = false;
let flows = 0;
const inFlight = new Set<Promise<void>>();

function startFlow(w: Waiter, admission: string): void {
  if (w.busy || w.done || stopping) return;
  w.busy = true;
  flows++;
  const p = buyerFlow(rec, spec, w, admission)
    .catch((): FlowEnd => 'ERROR')
    .then(async (end) => {
      flowEnds[end] = (flowEnds[end] ?? 0) + 1;
      if (end !== 'PAID')
        await http(rec, 'leave', apiFor(spec, w), 'DELETE', `${q}/queue/me`, { token: w.token });
      w.done = true;
      w.busy = false;
    });
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p));
}

async function poll(w: Waiter): Promise<void> {
  const r = await http<{ state: string; position: number | null; admissionToken?: string }>(
    rec,
    'poll',
    apiFor(spec, w),
    'GET',
    `${q}/queue/me`,
    { token: w.token },
  );
  w.polledAt = Date.now();
  if (r.status !== 200) return;
  w.state = r.body.state;
  w.position = r.body.position;
  w.seenAdmitted = admittedTotal;
  if (r.body.state === 'ADMITTED' && r.body.admissionToken !== undefined) startFlow(w, r.body.admissionToken);
  else if (r.body.state === 'CLOSED' || r.body.state === 'EXPIRED') w.done = true;
}

// the timeline starts at the opening: requests of the pre-queue phase are not merged into its first point
let lastSecond = Math.floor((opened - rec.t0) / 1000) - 1;
let prevAdmitted = 0;
let soldZeroRuns = 0;
const monitor = (async () => {
  while (!stopping || inFlight.size > 0) {
    const t = (Date.now() - opened) / 1000;
    const [stats, seats] = await Promise.all([
      http<{ waiting: number; active: number; admittedTotal: number; maxActive: number }>(
        mon,
        'stats',
        spec.api,
        'GET',
        `${q}/queue/stats`,
        { token: spec.sellerToken },
      ),
      http<{ seats: { status: string }[] }>(mon, 'seats', spec.api, 'GET', `${q}/seats`, { gzip: true }),
    ]);
    const counts: Record<string, number> = { AVAILABLE: 0, HELD: 0, SOLD: 0 };
    for (const s of seats.body.seats ?? []) counts[s.status] = (counts[s.status] ?? 0) + 1;
    admittedTotal = stats.body.admittedTotal ?? admittedTotal;
    maxActiveSeen = Math.max(maxActiveSeen, stats.body.active ?? 0);
    const sec = Math.floor((Date.now() - rec.t0) / 1000) - 1;
    // every complete second since the last sample, merged (a sample may take longer or shorter than 1 s)
    let s: { n: number; lat: number[]; s5xx: number; errors: number } | undefined;
    for (let k = lastSecond + 1; k <= sec; k++) {
      const x = rec.seconds.get(k);
      if (x === undefined) continue;
      s ??= { n: 0, lat: [], s5xx: 0, errors: 0 };
      s.n += x.n;
      s.lat.push(...x.lat);
      s.s5xx += x.s5xx;
      s.errors += x.errors;
    }
    if (sec > lastSecond) lastSecond = sec;
    timeline.push({
      t: Math.round(t * 10) / 10,
      waiting: stats.body.waiting ?? 0,
      active: stats.body.active ?? 0,
      admittedTotal,
      admittedPerSecond: admittedTotal - prevAdmitted,
      available: counts.AVAILABLE ?? 0,
      held: counts.HELD ?? 0,
      sold: counts.SOLD ?? 0,
      requests: s?.n ?? 0,
      p50: Math.round(percentile(s?.lat ?? [], 50) * 10) / 10,
      p99: Math.round(percentile(s?.lat ?? [], 99) * 10) / 10,
      s5xx: s?.s5xx ?? 0,
      errors: s?.errors ?? 0,
    });
    prevAdmitted = admittedTotal;
    if ((counts.AVAILABLE ?? 0) === 0 && (counts.HELD ?? 0) === 0 && (seats.body.seats?.length ?? 0) > 0)
      soldZeroRuns++;
    else soldZeroRuns = 0;
    if (soldZeroRuns >= 2 && soldOutAt === null) soldOutAt = t;
    if (soldOutAt !== null || t > spec.maxSecondsAfterOpen) stopping = true;
    await sleep(Math.max(0, 1000 - ((Date.now() - opened) % 1000)));
  }
})();

// everyone asks once at opening (the herd), in random order
const shuffled = [...waiters].sort(() => Math.random() - 0.5);
const herd = pool(shuffled, 160, poll, () => stopping);
// those near the front ask every second
const front = (async () => {
  while (!stopping) {
    const now = Date.now();
    const due = waiters.filter(
      (w) =>
        !w.done &&
        !w.busy &&
        w.position !== null &&
        w.position - (admittedTotal - w.seenAdmitted) <= spec.window &&
        now - w.polledAt >= 1000,
    );
    await pool(due, 64, poll, () => stopping);
    await sleep(250);
  }
})();
await herd;
const herdSeconds = (Date.now() - opened) / 1000;
await front;
const deadline = Date.now() + 30_000;
while (inFlight.size > 0 && Date.now() < deadline) await sleep(200);
const unfinishedFlows = inFlight.size;
stopping = true;
await Promise.race([monitor, sleep(5000)]);

// what the ones still waiting see now
const remaining = waiters
  .filter((w) => !w.done && !w.busy)
  .sort(() => Math.random() - 0.5)
  .slice(0, 300);
const remainingStates: Record<string, number> = {};
for (const w of remaining) {
  const r = await http<{ state: string }>(mon, 'poll', spec.api, 'GET', `${q}/queue/me`, { token: w.token });
  remainingStates[r.body.state ?? r.status] = (remainingStates[r.body.state ?? r.status] ?? 0) + 1;
}

const steps: Record<string, { count: number; p50: number; p99: number; status: Record<string, number> }> = {};
for (const [name, s] of rec.steps) {
  steps[name] = {
    count: s.lat.length,
    p50: percentile(s.lat, 50),
    p99: percentile(s.lat, 99),
    status: s.status,
  };
}
const out = {
  buyers: waiters.length,
  joinSeconds,
  joinRps: waiters.length / joinSeconds,
  preQueue,
  herdSeconds,
  soldOutAfterSeconds: soldOutAt,
  endedAfterSeconds: (Date.now() - opened) / 1000,
  flows,
  unfinishedFlows,
  flowEnds,
  outcomes,
  steps,
  timeline,
  maxActiveSeen,
  remainingStates,
  issued202,
  fivexx: rec.fivexx,
};
writeFileSync(spec.outFile, JSON.stringify(out));
console.log(`done: ${flows} flows, ends ${JSON.stringify(flowEnds)}`);
process.exit(0);
