/**
 * 100,000 live waiters of ONE schedule across several api processes (issue 12): ≥ 6 `ROLES=api`
 * processes (each under the 20,000-file limit), the streams opened by several generator children
 * (bench/lib/fleet-child.ts, each under 20,000 files too), accounts made in bulk. Stepped 10k → 50k →
 * 100k; at each step: streams held per process, RSS per stream, CPU per process with the queue paused
 * and with admission flowing, the position-round time per process, position events/s delivered,
 * streams closed by the server, and the admission → `admitted` event delay seen by the clients.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Runtime } from '../../src/platform/runtime.ts';
import { type BenchUser, bulkUsers, createShow, ok, writeUsers } from './fixtures.ts';
import { scrape } from './sse.ts';
import { type ProcStats, procStats, ROOT, RoleProcess, type Stack, track, waitHealthy } from './system.ts';

export interface FleetProcess {
  name: string;
  streams: number;
  rssMiB: number;
  fds: number;
  cpuPausedPercent: number;
  cpuFlowingPercent: number;
  roundPausedMs: number | null;
  roundFlowingMs: number | null;
  /** prom-client's event-loop delay p99 at the end of the flowing window (ms) */
  loopLagP99Ms: number;
}

export interface FleetStep {
  waiters: number;
  held: number;
  openSeconds: number;
  /** of that: the slowest generator's joins, then its stream opens */
  joinSeconds: number;
  streamsSeconds: number;
  /** CPU of all api processes while joining and opening, per waiter added (µs; join + stream open) */
  apiCpuUsPerNewWaiter: number;
  processes: FleetProcess[];
  rssPerStreamKiB: number;
  cpuPausedTotalPercent: number;
  cpuFlowingTotalPercent: number;
  generatorCpuFlowingPercent: number;
  flowSeconds: number;
  positionEventsPerSecond: number;
  admittedEvents: number;
  admitDelayMs: { p50: number; p99: number; max: number } | null;
  /** the generators' own event-loop delay while admission flowed: the median and the worst 1 s p99 (ms) */
  generatorLoopP99Ms: { median: number; max: number };
  closedByServer: number;
  failed: number;
  failures: Record<string, number>;
  loadAverage: number;
}

export interface FleetResult {
  apis: number;
  generators: number;
  admitPerSecond: number;
  accountsSeconds: number;
  rssBaseMiB: number[];
  steps: FleetStep[];
}

interface ChildStatus {
  done: boolean;
  joined: number;
  opened: number;
  open: number;
  perApi: number[];
  failed: number;
  failures: Record<string, number>;
  closedByServer: number;
  events: Record<string, number>;
  delays: number[];
  joinMs: number;
  openMs: number;
  loopP99Ms: number;
}

class Generator {
  readonly child: ChildProcess;
  last: ChildStatus | null = null;
  delays: number[] = [];
  /** the child's event-loop delay p99 (ms) of each second, while admission flows */
  loopP99: number[] = [];
  #buf = '';
  #waiters: (() => void)[] = [];

  constructor(env: string) {
    this.child = spawn(process.execPath, ['bench/lib/fleet-child.ts'], {
      cwd: ROOT,
      env: { ...process.env, FLEET: env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    track(this.child);
    this.child.stdout?.on('data', (d: Buffer) => {
      const lines = (this.#buf + d.toString()).split('\n');
      this.#buf = lines.pop() ?? '';
      for (const l of lines) {
        if (!l.startsWith('{')) continue;
        const s = JSON.parse(l) as ChildStatus;
        this.last = s;
        this.delays.push(...s.delays);
        this.loopP99.push(s.loopP99Ms);
        if (s.done) for (const w of this.#waiters.splice(0)) w();
      }
    });
  }

  /** Joins and opens streams up to `upTo` of this child's users; resolves when the child says done. */
  step(upTo: number): Promise<void> {
    const done = new Promise<void>((r) => this.#waiters.push(r));
    this.child.stdin?.write(`${JSON.stringify({ upTo })}\n`);
    return done;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    this.child.kill('SIGKILL');
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const cpuSum = (stats: (ProcStats | null)[]) => sum(stats.map((s) => s?.cpuSeconds ?? 0));
type Rounds = Awaited<ReturnType<typeof scrape>>;
/** Mean round time (ms) between two scrapes of one process. */
const roundMs = (a: Rounds | undefined, b: Rounds | undefined) =>
  a !== undefined && b !== undefined && b.count > a.count
    ? ((b.sum - a.sum) / (b.count - a.count)) * 1000
    : null;

/** CPU seconds of the processes between two samples, as percent of one core over `seconds`. */
const cpuPercent = (a: number, b: number, seconds: number) => ((b - a) / seconds) * 100;

export async function sseFleet(options: {
  stack: Stack;
  rt: Runtime;
  api: string;
  sellerToken: string;
  buyers: BenchUser[];
  apis: number;
  generators: number;
  steps: number[];
  admitPerSecond: number;
  flowSeconds: number;
  log: (s: string) => void;
}): Promise<FleetResult> {
  const { stack, log, steps } = options;
  const target = Math.max(...steps);
  const ttlSeconds = 3600;
  const show = await createShow(options.api, options.sellerToken, {
    title: 'Fleet',
    sections: 1,
    rows: 2,
    seatsPerRow: 10,
    // admitted users keep their slots for the whole run: maxActive above what flows
    queue: { admitPerSecond: options.admitPerSecond, maxActive: 10_000_000, admissionTtlSeconds: ttlSeconds },
  });
  const queuePath = `/api/v1/schedules/${show.scheduleId}/queue`;
  const settings = (body: Record<string, unknown>) =>
    ok(options.api, 'PATCH', queuePath, { token: options.sellerToken, body });
  await settings({ paused: true });

  const a0 = Date.now();
  const buyers = options.buyers.slice(0, target);
  if (buyers.length < target) {
    log(`creating ${target - buyers.length} more buyer accounts in bulk`);
    buyers.push(...(await bulkUsers(options.rt, target - buyers.length, 'BUYER', 'fleet-buyer-')));
  }
  const accountsSeconds = (Date.now() - a0) / 1000;

  // below the ephemeral range (32768–60999): 100,000 client sockets take many ports from it
  const base = 12_000 + Math.floor(Math.random() * 6000);
  const env = { ...stack.env, LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '3' };
  const apis = Array.from(
    { length: options.apis },
    (_, i) => new RoleProcess(`fleet-api-${i + 1}`, 'api', base + i, env, stack.outDir),
  );
  const generators: Generator[] = [];
  const usersFiles: string[] = [];
  try {
    log(`starting ${apis.length} api processes`);
    // six processes starting at once on a busy machine may take longer than start()'s 60 s
    await Promise.all(
      apis.map((p) => p.start().catch(() => waitHealthy(`${p.url}/healthz`, 120_000, () => !p.running))),
    );
    const rssBase = apis.map((p) => p.stats()?.rssBytes ?? 0);
    const G = options.generators;
    for (let g = 0; g < G; g++) {
      const mine = buyers.filter((_, i) => i % G === g).map((b) => ({ t: b.token }));
      const usersFile = writeUsers(stack, `fleet-users-${g}`, mine);
      usersFiles.push(usersFile);
      generators.push(
        new Generator(
          JSON.stringify({
            apis: apis.map((p) => p.url),
            queuePath,
            usersFile,
            parallel: 64,
            ttlMs: ttlSeconds * 1000,
          }),
        ),
      );
    }
    const out: FleetStep[] = [];
    for (const waiters of steps) {
      const s0 = Date.now();
      const cpu0 = cpuSum(apis.map((p) => p.stats()));
      const before = out[out.length - 1]?.held ?? 0;
      log(`fleet: joining and opening streams up to ${waiters} waiters`);
      await Promise.all(generators.map((g) => g.step(Math.ceil(waiters / G))));
      const openSeconds = (Date.now() - s0) / 1000;
      const openCpuSeconds = cpuSum(apis.map((p) => p.stats())) - cpu0;
      out.push(await measure(waiters, openSeconds, openCpuSeconds / Math.max(1, waiters - before)));
      const last = out[out.length - 1] as FleetStep;
      log(
        `fleet ${waiters}: held ${last.held} in ${openSeconds.toFixed(0)} s (joins ${last.joinSeconds.toFixed(0)} s, streams ${last.streamsSeconds.toFixed(0)} s), ${last.rssPerStreamKiB.toFixed(1)} KiB/stream, CPU paused ${last.cpuPausedTotalPercent.toFixed(0)} % / flowing ${last.cpuFlowingTotalPercent.toFixed(0)} % (all apis), ${last.positionEventsPerSecond.toFixed(0)} position events/s, admitted p50/p99 ${last.admitDelayMs?.p50 ?? '-'}/${last.admitDelayMs?.p99 ?? '-'} ms, closed by server ${last.closedByServer}`,
      );
    }
    return {
      apis: apis.length,
      generators: G,
      admitPerSecond: options.admitPerSecond,
      accountsSeconds,
      rssBaseMiB: rssBase.map((b) => b / 2 ** 20),
      steps: out,
    };

    async function measure(
      waiters: number,
      openSeconds: number,
      openCpuPerWaiter: number,
    ): Promise<FleetStep> {
      await sleep(2000);
      const idleSeconds = 4;
      const idleA = apis.map((p) => p.stats());
      const mIdleA = await Promise.all(apis.map((p) => scrape(p.url)));
      await sleep(idleSeconds * 1000);
      const idleB = apis.map((p) => p.stats());
      const mIdleB = await Promise.all(apis.map((p) => scrape(p.url)));
      const positions = () => sum(generators.map((g) => g.last?.events.position ?? 0));
      const admitted = () => sum(generators.map((g) => g.last?.events.admitted ?? 0));
      const genCpu = () => cpuSum(generators.map((g) => (g.child.pid ? procStats(g.child.pid) : null)));
      for (const g of generators) {
        g.delays = [];
        g.loopP99 = [];
      }
      const ev0 = positions();
      const adm0 = admitted();
      const gen0 = genCpu();
      const flowA = apis.map((p) => p.stats());
      const f0 = Date.now();
      await settings({ paused: false, admitPerSecond: options.admitPerSecond });
      await sleep(options.flowSeconds * 1000);
      await settings({ paused: true });
      const flowSeconds = (Date.now() - f0) / 1000;
      const flowB = apis.map((p) => p.stats());
      const mFlowB = await Promise.all(apis.map((p) => scrape(p.url)));
      const ev1 = positions();
      const gen1 = genCpu();
      await sleep(1500); // admissions granted just before the pause reach their clients
      const delays = generators.flatMap((g) => g.delays).sort((a, b) => a - b);
      const statuses = generators.map((g) => g.last);
      const processes = apis.map(
        (p, i): FleetProcess => ({
          name: p.name,
          streams: mFlowB[i]?.conns ?? 0,
          rssMiB: (idleB[i]?.rssBytes ?? 0) / 2 ** 20,
          fds: flowB[i]?.fds ?? 0,
          cpuPausedPercent: cpuPercent(idleA[i]?.cpuSeconds ?? 0, idleB[i]?.cpuSeconds ?? 0, idleSeconds),
          cpuFlowingPercent: cpuPercent(flowA[i]?.cpuSeconds ?? 0, flowB[i]?.cpuSeconds ?? 0, flowSeconds),
          roundPausedMs: roundMs(mIdleA[i], mIdleB[i]),
          roundFlowingMs: roundMs(mIdleB[i], mFlowB[i]),
          loopLagP99Ms: (mFlowB[i]?.loopLagP99 ?? 0) * 1000,
        }),
      );
      const held = sum(processes.map((p) => p.streams));
      const rssNow = sum(idleB.map((s) => s?.rssBytes ?? 0));
      return {
        waiters,
        held,
        openSeconds,
        apiCpuUsPerNewWaiter: openCpuPerWaiter * 1e6,
        joinSeconds: Math.max(...statuses.map((s) => s?.joinMs ?? 0)) / 1000,
        streamsSeconds: Math.max(...statuses.map((s) => s?.openMs ?? 0)) / 1000,
        processes,
        rssPerStreamKiB: held > 0 ? (rssNow - sum(rssBase)) / 1024 / held : 0,
        cpuPausedTotalPercent: sum(processes.map((p) => p.cpuPausedPercent)),
        cpuFlowingTotalPercent: sum(processes.map((p) => p.cpuFlowingPercent)),
        generatorCpuFlowingPercent: cpuPercent(gen0, gen1, flowSeconds),
        flowSeconds,
        positionEventsPerSecond: (ev1 - ev0) / flowSeconds,
        admittedEvents: admitted() - adm0,
        admitDelayMs:
          delays.length === 0
            ? null
            : {
                p50: quantile(delays, 0.5),
                p99: quantile(delays, 0.99),
                max: delays[delays.length - 1] ?? 0,
              },
        generatorLoopP99Ms: (() => {
          const l = generators.flatMap((g) => g.loopP99).sort((a, b) => a - b);
          return { median: quantile(l, 0.5), max: l[l.length - 1] ?? 0 };
        })(),
        closedByServer: sum(statuses.map((s) => s?.closedByServer ?? 0)),
        failed: sum(statuses.map((s) => s?.failed ?? 0)),
        failures: mergeCounts(statuses.map((s) => s?.failures ?? {})),
        loadAverage: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
      };
    }
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
    await Promise.all(apis.map((p) => p.stop('SIGTERM', 10_000)));
    for (const f of usersFiles) rmSync(f, { force: true }); // 100,000 live tokens
  }
}

function mergeCounts(all: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of all) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}
