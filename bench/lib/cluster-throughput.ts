/**
 * `make bench-cluster`, part a: the hot paths (join, rank, hold + release churn, coupon issue) through
 * 1, 2 and 3 api processes, beside a bare Fastify hello-world with as many processes, in the same run.
 * The load is one autocannon child per process (connections split evenly, users split into disjoint
 * ranges); the children's latencies are merged exactly.
 */
import { createCampaign, createShow, writeUsers } from './fixtures.ts';
import { type LoadResult, type LoadSpec, load, type Step } from './load.ts';
import { admitUsers, holdChurn } from './micro.ts';
import type { Stack } from './system.ts';

export interface ScaleFigure {
  path: string;
  processes: number;
  rps: number;
  p50: number;
  p99: number;
  /** rps ÷ the hello-world's rps with as many processes (the better of its two runs) */
  ratio: number;
  /** rps ÷ this path's rps with one process */
  scale: number;
  status: Record<string, number>;
  errors: number;
  note?: string;
}

export interface ScaleContext {
  stack: Stack;
  apis: string[];
  hellos: string[];
  sellerToken: string;
  buyers: { id: string; token: string }[];
  duration: number;
  connections: number;
  counts: number[];
  log: (s: string) => void;
}

interface Merged {
  rps: number;
  p50: number;
  p99: number;
  status: Record<string, number>;
  errors: number;
}

const pct = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);

/** One load child per base URL, at once; `users(i, n)` gives child i of n its own users file. */
async function spread(
  urls: string[],
  spec: Omit<LoadSpec, 'url' | 'connections'> & { connections: number },
  step: string,
  usersFor?: (i: number, n: number) => string,
): Promise<Merged> {
  const n = urls.length;
  const results: LoadResult[] = await Promise.all(
    urls.map((url, i) =>
      load({
        ...spec,
        url,
        connections: Math.max(1, Math.round(spec.connections / n)),
        rawLatencies: true,
        ...(usersFor === undefined ? {} : { usersFile: usersFor(i, n), startUser: 0 }),
      }),
    ),
  );
  const lat: number[] = [];
  const status: Record<string, number> = {};
  let rps = 0;
  let errors = 0;
  for (const r of results) {
    rps += r.rps;
    errors += r.errors + r.timeouts;
    const s = r.steps[step];
    for (const v of s?.lat ?? []) lat.push(v);
    for (const [k, v] of Object.entries(s?.status ?? {})) status[k] = (status[k] ?? 0) + v;
  }
  lat.sort((a, b) => a - b);
  return { rps, p50: pct(lat, 50), p99: pct(lat, 99), status, errors };
}

export async function scaleOut(c: ScaleContext): Promise<{ figures: ScaleFigure[]; hello: Merged[][] }> {
  const { duration, connections, counts } = c;
  const slices = new Map<string, string>();
  /** Child i of n gets the i-th of n disjoint ranges of buyers (each issue is a first coupon, each join new). */
  const buyersSlice = (tag: string, users: { t: string; a?: string }[]) => (i: number, n: number) => {
    const key = `${tag}-${i}-${n}`;
    const size = Math.floor(users.length / n);
    if (!slices.has(key)) slices.set(key, writeUsers(c.stack, key, users.slice(i * size, (i + 1) * size)));
    return slices.get(key) as string;
  };
  const all = c.buyers.map((b) => ({ t: b.token }));
  const run = (urls: string[], steps: Step[], usersFor?: (i: number, n: number) => string, extra = {}) =>
    spread(urls, { duration, connections, steps, ...extra }, steps[0]?.name ?? '', usersFor);

  const hello: Merged[][] = [[], []];
  const helloRound = async (k: 0 | 1) => {
    for (const n of counts) {
      c.log(`hello-world × ${n} (${k === 0 ? 'before' : 'after'})`);
      hello[k]?.push(await run(c.hellos.slice(0, n), [{ name: 'hello', method: 'GET', path: '/hello' }]));
    }
  };
  await helloRound(0);

  const raw: { path: string; n: number; m: Merged; note?: string }[] = [];
  for (const n of counts) {
    const apis = c.apis.slice(0, n);
    // join: a paused queue per run, so every request is a buyer's first join
    const show = await createShow(c.apis[0] as string, c.sellerToken, {
      title: `Cluster queue ×${n}`,
      sections: 1,
      rows: 10,
      seatsPerRow: 10,
      queue: { admitPerSecond: 200, maxActive: 1_000_000, admissionTtlSeconds: 3600 },
    });
    const base = `/api/v1/schedules/${show.scheduleId}/queue`;
    await fetch(`${c.apis[0]}${base}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${c.sellerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ paused: true }),
    });
    c.log(`join × ${n}`);
    const join = await run(
      apis,
      [{ name: 'join', method: 'POST', path: base, auth: true }],
      buyersSlice(`join${n}`, all),
    );
    raw.push({ path: 'join', n, m: join });
    // rank: the same users read their place (every one of them has joined, unless a run had fewer requests)
    c.log(`rank × ${n}`);
    const rank = await run(
      apis,
      [{ name: 'rank', method: 'GET', path: `${base}/me`, auth: true }],
      buyersSlice(`join${n}`, all),
    );
    raw.push({ path: 'rank', n, m: rank });
  }

  const holdShow = await createShow(c.apis[0] as string, c.sellerToken, {
    title: 'Cluster holds',
    maxTicketsPerBuyer: 8,
    queue: { admitPerSecond: 100_000, maxActive: 1_000_000, admissionTtlSeconds: 3600 },
  });
  c.log('holds: admitting 2,000 users');
  const admitted = await admitUsers(c.apis[0] as string, holdShow.scheduleId, c.buyers.slice(-2000));
  const seatRange: [number, number] = [holdShow.seatIds[0] ?? 1, holdShow.seatIds.at(-1) ?? 1];
  for (const n of counts) {
    c.log(`hold churn × ${n}`);
    const m = await run(c.apis.slice(0, n), holdChurn(holdShow.scheduleId), buyersSlice('hold', admitted), {
      seatRange,
      seatsPerHold: 1,
    });
    raw.push({ path: 'hold', n, m, note: 'hold + release: both requests counted; p50/p99 of the hold' });
  }
  for (const n of counts) {
    // a campaign per run: every request is a buyer's first coupon (a grant)
    const campaignId = await createCampaign(c.apis[0] as string, c.sellerToken, {
      name: `Cluster issue ×${n}`,
      performanceId: holdShow.performanceId,
      totalQuantity: 10_000_000,
      perUserLimit: 1,
    });
    c.log(`coupon issue × ${n}`);
    const m = await run(
      c.apis.slice(0, n),
      [{ name: 'issue', method: 'POST', path: `/api/v1/coupon-campaigns/${campaignId}/issue`, auth: true }],
      buyersSlice(`issue${n}`, all),
    );
    raw.push({ path: 'issue', n, m });
  }
  await helloRound(1);

  const helloBest = counts.map((_, i) => Math.max(hello[0]?.[i]?.rps ?? 0, hello[1]?.[i]?.rps ?? 0));
  const figures: ScaleFigure[] = counts.map((n, i) => {
    const h = (hello[0]?.[i]?.rps ?? 0) >= (hello[1]?.[i]?.rps ?? 0) ? hello[0]?.[i] : hello[1]?.[i];
    return {
      path: 'hello',
      processes: n,
      rps: helloBest[i] ?? 0,
      p50: h?.p50 ?? 0,
      p99: h?.p99 ?? 0,
      ratio: 1,
      scale: (helloBest[i] ?? 0) / (helloBest[0] || 1),
      status: h?.status ?? {},
      errors: h?.errors ?? 0,
    };
  });
  for (const r of raw) {
    const one = raw.find((x) => x.path === r.path && x.n === counts[0])?.m.rps ?? 0;
    figures.push({
      path: r.path,
      processes: r.n,
      rps: r.m.rps,
      p50: r.m.p50,
      p99: r.m.p99,
      ratio: r.m.rps / (helloBest[counts.indexOf(r.n)] || 1),
      scale: r.m.rps / (one || 1),
      status: r.m.status,
      errors: r.m.errors,
      ...(r.note === undefined ? {} : { note: r.note }),
    });
  }
  return { figures, hello };
}
