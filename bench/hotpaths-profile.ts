/**
 * The two hot write paths (hold churn, coupon issue) beside a bare Fastify hello-world in the same run,
 * with each process's CPU per request (api, Redis, this run's PostgreSQL backends), how long the api
 * waited for a core, and, on request, a CPU profile of the api per phase. Reuses make bench's harness
 * (bench/lib: isolated stack, role processes, autocannon in its own process).
 *
 *   . scripts/node.sh && node bench/hotpaths-profile.ts
 *     DURATION=8 CONNECTIONS=100 BUYERS=2000 ONLY=hello,hold,issue ROLES=min|full PROF=1 REPEAT=1
 *     ROOTS=/path/a,/path/b   A/B: one api per checkout (e.g. git worktrees of two commits), measured
 *                             alternately against the same stack, so both see the same machine load
 *   node bench/hotpaths-analyze.ts <file.cpuprofile>   → where the CPU went
 *
 * ROLES=min (default) runs this tree's admitter only beside the api(s) (no relay/worker competing for
 * the 2 cores); ROLES=full adds them as make bench does. PROF=1 restarts each api with --cpu-prof
 * around each measured phase (profiles in the run's out directory). Short runs only: the machine is
 * shared; the load average is printed with every row.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { benchRuntime, bulkUsers, createCampaign, createShow, writeUsers } from './lib/fixtures.ts';
import { type LoadResult, type LoadSpec, load } from './lib/load.ts';
import { admitUsers } from './lib/micro.ts';
import {
  createStack,
  dropStack,
  procStats,
  ROOT,
  type Stack,
  System,
  startScript,
  waitHealthy,
} from './lib/system.ts';

const env = process.env;
const DURATION = Number(env.DURATION ?? 8);
const CONNECTIONS = Number(env.CONNECTIONS ?? 100);
const BUYERS = Number(env.BUYERS ?? 2000);
const ONLY = new Set((env.ONLY ?? 'hello,hold,issue').split(','));
const FULL = env.ROLES === 'full';
const PROF = env.PROF === '1';
const REPEAT = Number(env.REPEAT ?? 1);
const ROOTS = (env.ROOTS ?? '').split(',').filter(Boolean);

interface Row {
  name: string;
  rps: number;
  /** requests per second of the step the figure is about (holds only, in the churn) */
  stepRps: number;
  p50: number;
  p99: number;
  status: Record<string, Record<string, number>>;
  apiCpuUsPerReq: number;
  apiBusyPct: number;
  /** share of the wall time the api's main thread was runnable but waiting for a core (starved) */
  apiRunqPct: number;
  redisCpuUsPerReq: number;
  /** CPU of this run's PostgreSQL backends per request, and commits per request */
  pgCpuUsPerReq: number;
  pgCommitsPerReq: number;
  /** hold changes per PostgreSQL group commit (booking_hold_journal_batch_size) */
  journalBatch: number;
  load: string;
}

/** An api process started from a checkout (ROOT or another worktree), against the run's stack. */
class Api {
  readonly label: string;
  readonly root: string;
  readonly port: number;
  readonly #stack: Stack;
  child: ChildProcess | null = null;

  constructor(root: string, port: number, stack: Stack) {
    this.root = root;
    this.label = root === ROOT ? 'this tree' : basename(root);
    this.port = port;
    this.#stack = stack;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(extra: Record<string, string> = {}): Promise<void> {
    const log = createWriteStream(join(this.#stack.outDir, `api-${this.port}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['src/main.ts', 'api'], {
      cwd: this.root,
      env: {
        ...process.env,
        ...this.#stack.env,
        DATABASE_POOL_MAX: '12',
        HTTP_PORT: String(this.port),
        HTTP_HOST: '127.0.0.1',
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    await waitHealthy(`${this.url}/healthz`, 60_000, () => child.exitCode !== null);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
}

/** Nanoseconds the thread spent waiting on a run queue (/proc/<pid>/schedstat, second field). */
function runqWaitNs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1] ?? 0);
  } catch {
    return 0;
  }
}

function redisPid(): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'redis-server') return Number(d);
    } catch {
      // gone
    }
  }
  return undefined;
}

const cpuOf = (pid: number | undefined) => (pid === undefined ? 0 : (procStats(pid)?.cpuSeconds ?? 0));

async function journalBatches(url: string): Promise<[number, number]> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const num = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    return [num('booking_hold_journal_batch_size_sum'), num('booking_hold_journal_batch_size_count')];
  } catch {
    return [0, 0];
  }
}

async function main(): Promise<void> {
  const stack = await createStack('hp', FULL ? {} : { LOG_LEVEL: 'warn' });
  const sys = new System(stack, { relays: FULL ? 1 : 0, workers: FULL ? 1 : 0, poolMax: { api: 8 } });
  const rt = benchRuntime(stack);
  const rows: Row[] = [];
  const rpid = redisPid();
  const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
  // CPU seconds of this database's backends (other databases on the server are other people's), commits
  const pgState = async () => {
    const r = await db.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    const c = await db.query<{ n: string }>(
      'select xact_commit as n from pg_stat_database where datname = current_database()',
    );
    return {
      cpu: new Map(r.rows.map((row) => [row.pid, cpuOf(row.pid)])),
      commits: Number(c.rows[0]?.n ?? 0),
    };
  };
  /** CPU the backends used between two states (a backend new in `b` counts from zero). */
  const pgCpu = (a: Map<number, number>, b: Map<number, number>) =>
    [...b].reduce((sum, [pid, t]) => sum + t - (a.get(pid) ?? 0), 0);
  const log = (s: string) => console.log(`[hotpaths] ${s}`);
  const apis: Api[] = [];
  let hello: Awaited<ReturnType<typeof startScript>> | null = null;
  try {
    await sys.start();
    (ROOTS.length > 0 ? ROOTS : [ROOT]).forEach((root, i) => {
      apis.push(new Api(root, sys.api.port + 200 + i, stack));
    });
    for (const a of apis) await a.start();
    // setup goes through the System's own api; it is stopped so it takes no CPU while measuring
    hello = await startScript('bench/queue/hello.ts', sys.api.port + 100, {}, stack.outDir);
    const [seller] = await bulkUsers(rt, 1, 'SELLER', 'hp-seller-');
    if (seller === undefined) throw new Error('no seller');
    const buyers = await bulkUsers(rt, BUYERS, 'BUYER', 'hp-buyer-');
    const show = await createShow(sys.api.url, seller.token, {
      title: 'Hot paths',
      maxTicketsPerBuyer: 8,
      queue: { admitPerSecond: 100_000, maxActive: 1_000_000, admissionTtlSeconds: 3600 },
    });
    log(`schedule ${show.scheduleId} (${show.seatIds.length} seats); admitting ${buyers.length} buyers`);
    const admitted = await admitUsers(sys.api.url, show.scheduleId, buyers);
    const holdFile = writeUsers(stack, 'hp-hold-users', admitted);
    const issueFile = writeUsers(
      stack,
      'hp-issue-users',
      buyers.map((b) => ({ t: b.token })),
    );
    const campaignId = await createCampaign(sys.api.url, seller.token, {
      name: 'Hot path issue',
      performanceId: show.performanceId,
      totalQuantity: 10_000_000,
      perUserLimit: 100,
    });
    await sys.api.stop();
    const seatRange: [number, number] = [show.seatIds[0] ?? 1, show.seatIds.at(-1) ?? 1];
    const specs: Record<string, Omit<LoadSpec, 'duration' | 'connections' | 'url'>> = {
      hello: { steps: [{ name: 'hello', method: 'GET', path: '/hello' }] },
      hold: {
        usersFile: holdFile,
        seatRange,
        seatsPerHold: 1,
        steps: [
          {
            name: 'hold',
            method: 'POST',
            path: `/api/v1/schedules/${show.scheduleId}/holds`,
            body: 'randomSeat',
            auth: true,
            admission: true,
            capture: 'holdId',
          },
          { name: 'release', method: 'DELETE', path: '/api/v1/holds/{holdId}', auth: true },
        ],
      },
      issue: {
        usersFile: issueFile,
        steps: [
          { name: 'issue', method: 'POST', path: `/api/v1/coupon-campaigns/${campaignId}/issue`, auth: true },
        ],
      },
    };
    const measure = async (name: string, key: string, url: string, pid: () => number | undefined) => {
      const spec = { ...specs[key], url } as Omit<LoadSpec, 'duration' | 'connections'>;
      await load({ ...spec, duration: 2, connections: CONNECTIONS }); // warm-up: JIT, caches
      const before = loadavg()[0] ?? 0;
      const [cpu0, q0, r0, pg0, j0] = [
        cpuOf(pid()),
        runqWaitNs(pid()),
        cpuOf(rpid),
        await pgState(),
        await journalBatches(url),
      ];
      const t0 = Date.now();
      const r: LoadResult = await load({ ...spec, duration: DURATION, connections: CONNECTIONS });
      const wall = (Date.now() - t0) / 1000;
      const [cpu1, q1, r1, pg1, j1] = [
        cpuOf(pid()),
        runqWaitNs(pid()),
        cpuOf(rpid),
        await pgState(),
        await journalBatches(url),
      ];
      const n = Math.max(1, r.total);
      const step = r.steps[spec.steps[0]?.name ?? ''];
      rows.push({
        name,
        rps: r.rps,
        stepRps: step?.rps ?? r.rps,
        p50: step?.p50 ?? r.p50,
        p99: step?.p99 ?? r.p99,
        status: Object.fromEntries(Object.entries(r.steps).map(([k, s]) => [k, s.status])),
        apiCpuUsPerReq: ((cpu1 - cpu0) * 1e6) / n,
        apiBusyPct: (100 * (cpu1 - cpu0)) / wall,
        apiRunqPct: (100 * (q1 - q0)) / 1e9 / wall,
        redisCpuUsPerReq: ((r1 - r0) * 1e6) / n,
        pgCpuUsPerReq: (pgCpu(pg0.cpu, pg1.cpu) * 1e6) / n,
        // the two pg_stat reads are commits too
        pgCommitsPerReq: (pg1.commits - pg0.commits - 2) / n,
        journalBatch: (j1[0] - j0[0]) / Math.max(1, j1[1] - j0[1]),
        load: `${before.toFixed(1)}→${(loadavg()[0] ?? 0).toFixed(1)}`,
      });
      log(`${name}: ${r.rps.toFixed(0)} req/s ${JSON.stringify(rows.at(-1)?.status)}`);
    };
    const onApi = async (a: Api, key: string, name: string) => {
      if (PROF) {
        await a.stop();
        await a.start({ NODE_OPTIONS: profArgs(stack.outDir, `${a.port}-${key}`) });
      }
      await measure(`${name} [${a.label}]`, key, a.url, () => a.child?.pid);
      if (PROF) {
        await a.stop();
        await a.start();
      }
    };
    const h = hello;
    if (ONLY.has('hello')) await measure('hello-world (before)', 'hello', h.url, () => h.child.pid);
    for (let round = 0; round < REPEAT; round++) {
      // alternate the order so neither checkout always runs first (the machine's load drifts)
      const order = round % 2 === 0 ? apis : [...apis].reverse();
      for (const a of order) if (ONLY.has('hold')) await onApi(a, 'hold', 'hold + release churn');
      for (const a of order) if (ONLY.has('issue')) await onApi(a, 'issue', 'coupon issue');
    }
    if (ONLY.has('hello')) await measure('hello-world (after)', 'hello', h.url, () => h.child.pid);
  } finally {
    await hello?.stop();
    for (const a of apis) await a.stop();
    await sys.stop().catch(() => sys.kill());
    await rt.shutdown();
    await db.end();
    if (PROF) log(`profiles in ${stack.outDir}`);
    await dropStack(stack).catch(() => undefined);
  }
  const helloRps = Math.max(...rows.filter((r) => r.name.startsWith('hello')).map((r) => r.rps), 1);
  const f = (n: number, d: number, w: number) => n.toFixed(d).padStart(w);
  console.log(
    [
      `hot paths, ${DURATION} s each, ${CONNECTIONS} connections, ${FULL ? 'all roles' : 'api + admitter'}; ratio = req/s ÷ best hello-world`,
      'name                                      req/s  step/s  p50 ms  p99 ms  ratio  api µs/req  busy  runq  redis µs  pg µs  commits/req  batch  load',
      ...rows.map(
        (r) =>
          `${r.name.padEnd(40)} ${f(r.rps, 0, 6)} ${f(r.stepRps, 0, 7)} ${f(r.p50, 1, 7)} ${f(r.p99, 1, 7)} ${f(r.rps / helloRps, 2, 6)} ${f(r.apiCpuUsPerReq, 0, 11)} ${f(r.apiBusyPct, 0, 4)}% ${f(r.apiRunqPct, 0, 4)}% ${f(r.redisCpuUsPerReq, 0, 9)} ${f(r.pgCpuUsPerReq, 0, 6)} ${f(r.pgCommitsPerReq, 3, 12)} ${f(r.journalBatch, 1, 6)}  ${r.load}  ${JSON.stringify(r.status)}`,
      ),
    ].join('\n'),
  );
  writeFileSync(join(stack.outDir, 'hotpaths.json'), JSON.stringify(rows, null, 1));
}

const profArgs = (dir: string, key: string) =>
  `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-name=api-${key}-${Date.now()}.cpuprofile`;

await main();
// a stray handle (pg, ioredis) must not keep the script alive
setTimeout(() => process.exit(0), 500).unref();
