/**
 * Live connections: how many waiting-room streams one api process holds with updates flowing (RSS per
 * connection, CPU, position events per second, the hub's round time), and the cost of one position
 * round (the batched state read) at 10k / 50k / 100k waiters.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueStore } from '../../src/modules/queue/store.ts';
import type { Runtime } from '../../src/platform/runtime.ts';
import { call, pool, writeUsers } from './fixtures.ts';
import { ROOT, type RoleProcess, type Stack, track } from './system.ts';

export interface SseResult {
  target: number;
  opened: number;
  failed: number;
  failures: Record<string, number>;
  openSeconds: number;
  rssBeforeMiB: number;
  rssOpenMiB: number;
  rssPerConnectionKiB: number;
  cpuIdlePercent: number;
  cpuFlowingPercent: number;
  flowSeconds: number;
  positionEventsPerSecond: number;
  admittedEvents: number;
  roundMeanMs: number | null;
  roundsPerSecond: number | null;
  closedByServer: number;
  fdsOpen: number;
}

interface ChildStatus {
  started: number;
  open: number;
  failed: number;
  failures: Record<string, number>;
  closedByServer: number;
  events: Record<string, number>;
}

/** The hub's round histogram (sum, count) and open streams, from an api's /metrics. */
export async function scrape(
  api: string,
): Promise<{ sum: number; count: number; conns: number; loopLagP99: number }> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const val = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    sum: val('queue_stream_round_seconds_sum'),
    count: val('queue_stream_round_seconds_count'),
    conns: val('queue_stream_connections'),
    loopLagP99: val('nodejs_eventloop_lag_p99_seconds'),
  };
}

export async function sseBench(options: {
  stack: Stack;
  api: RoleProcess;
  sellerToken: string;
  scheduleId: string;
  buyers: { token: string }[];
  alreadyJoined: number;
  target: number;
  flowSeconds: number;
  log: (s: string) => void;
}): Promise<SseResult> {
  const { api, target, log } = options;
  const users = options.buyers.slice(0, target);
  const base = `/api/v1/schedules/${options.scheduleId}/queue`;
  const missing = users.slice(options.alreadyJoined);
  if (missing.length > 0) {
    log(`joining ${missing.length} more waiters`);
    await pool(missing, 128, (u) => call(api.url, 'POST', base, { token: u.token }));
  }
  const file = writeUsers(
    options.stack,
    'sse-users',
    users.map((u) => ({ t: u.token })),
  );
  const before = api.stats();
  const child: ChildProcess = spawn(process.execPath, ['bench/lib/sse-child.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SSE: JSON.stringify({ url: `${api.url}${base}/stream`, usersFile: file, count: target, parallel: 200 }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  track(child);
  let last: ChildStatus = { started: 0, open: 0, failed: 0, failures: {}, closedByServer: 0, events: {} };
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith('{')) last = JSON.parse(l) as ChildStatus;
  });
  const t0 = Date.now();
  let progressAt = Date.now();
  let progress = 0;
  while (Date.now() - t0 < 180_000) {
    await sleep(1000);
    if (last.open + last.failed !== progress) {
      progress = last.open + last.failed;
      progressAt = Date.now();
    }
    if (last.started >= target && last.open + last.failed >= target) break;
    if (Date.now() - progressAt > 15_000) break;
  }
  const openSeconds = (Date.now() - t0) / 1000;
  log(`streams open: ${last.open} (failed ${last.failed}) in ${openSeconds.toFixed(1)} s`);
  await sleep(3000);
  const idleA = api.stats();
  await sleep(3000);
  const idleB = api.stats();
  const m0 = await scrape(api.url);
  const ev0 = { ...last.events };
  const flowA = api.stats();
  const f0 = Date.now();
  await call(api.url, 'PATCH', base, {
    token: options.sellerToken,
    body: { paused: false, admitPerSecond: 200 },
  });
  await sleep(options.flowSeconds * 1000);
  await call(api.url, 'PATCH', base, { token: options.sellerToken, body: { paused: true } });
  const flowB = api.stats();
  const flowSeconds = (Date.now() - f0) / 1000;
  const m1 = await scrape(api.url);
  const ev1 = { ...last.events };
  const fdsOpen = flowB?.fds ?? 0;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const mib = (b: number | undefined) => (b ?? 0) / 2 ** 20;
  const rounds = m1.count - m0.count;
  return {
    target,
    opened: last.open,
    failed: last.failed,
    failures: last.failures,
    openSeconds,
    rssBeforeMiB: mib(before?.rssBytes),
    rssOpenMiB: mib(idleB?.rssBytes),
    rssPerConnectionKiB:
      last.open > 0 ? ((idleB?.rssBytes ?? 0) - (before?.rssBytes ?? 0)) / 1024 / last.open : 0,
    cpuIdlePercent: (((idleB?.cpuSeconds ?? 0) - (idleA?.cpuSeconds ?? 0)) / 3) * 100,
    cpuFlowingPercent: (((flowB?.cpuSeconds ?? 0) - (flowA?.cpuSeconds ?? 0)) / flowSeconds) * 100,
    flowSeconds,
    positionEventsPerSecond: ((ev1.position ?? 0) - (ev0.position ?? 0)) / flowSeconds,
    admittedEvents: (ev1.admitted ?? 0) - (ev0.admitted ?? 0),
    roundMeanMs: rounds > 0 ? ((m1.sum - m0.sum) / rounds) * 1000 : null,
    roundsPerSecond: rounds / flowSeconds,
    closedByServer: last.closedByServer,
    fdsOpen,
  };
}

export interface RoundRow {
  waiters: number;
  ms: number;
  usPerClient: number;
  nsPerNLogN: number;
}

/** One position round = the state (rank) of every connected waiter, chunks of 1,000 per Lua call. */
export async function roundCost(rt: Runtime, scheduleId: string, sizes: number[]): Promise<RoundRow[]> {
  const store = new QueueStore(rt.redis);
  const rows: RoundRow[] = [];
  let joined = 0;
  const ids: string[] = [];
  for (const n of sizes) {
    while (ids.length < n) ids.push(`00000000-0000-4000-8000-${String(ids.length).padStart(12, '0')}`);
    const adding = ids.slice(joined, n);
    for (let i = 0; i < adding.length; i += 5000) {
      await Promise.all(adding.slice(i, i + 5000).map((u) => store.join(scheduleId, u)));
    }
    joined = n;
    const times: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const started = process.hrtime.bigint();
      const chunks: string[][] = [];
      for (let i = 0; i < n; i += 1000) chunks.push(ids.slice(i, Math.min(n, i + 1000)));
      await Promise.all(chunks.map((c) => store.states(scheduleId, c)));
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    const ms = times[1] ?? 0;
    rows.push({ waiters: n, ms, usPerClient: (ms * 1000) / n, nsPerNLogN: (ms * 1e6) / (n * Math.log2(n)) });
  }
  return rows;
}
