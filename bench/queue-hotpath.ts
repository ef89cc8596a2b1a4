/**
 * Waiting-room hot path: join (POST …/queue) and rank read (GET …/queue/me) throughput and p50/p99
 * against the real api process (token check, validation, logging, metrics, per-IP and per-account
 * limits all on), each beside a bare Fastify hello-world measured in the same run; then the cost of one
 * SSE position round (the batched state read of N connected users) at N = 10k, 50k, 100k.
 *
 *   . scripts/node.sh && node bench/queue-hotpath.ts   [DURATION=10 CONNECTIONS=100 ACCOUNTS=60000]
 *
 * A scratch database is created, migrated and dropped. The api (ROLES=api) and the hello-world run
 * as child processes, autocannon in another child. Short runs only: the machine is shared.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { QueueStore } from '../src/modules/queue/store.ts';
import { loadConfig } from '../src/platform/config.ts';
import { createDb } from '../src/platform/db.ts';
import { migrateToLatest } from '../src/platform/migrate.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { createModules } from '../src/roles/modules.ts';

const run = promisify(execFile);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 100);
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 60_000);
const ROUND_SIZES = (process.env.ROUND_SIZES ?? '10000,50000,100000').split(',').filter(Boolean).map(Number);
const ONLY = process.env.ONLY ?? 'hello,join,rank';
const base = process.env.BENCH_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
const dbName = `qt_bench_queue_${randomBytes(3).toString('hex')}`;
const apiPort = 20_000 + Math.floor(Math.random() * 10_000);
const helloPort = apiPort + 1;

const children: ChildProcess[] = [];

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
/** Starts a child process; readiness is checked over HTTP by the caller. */
function child(args: string[], env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  const c = spawn(process.execPath, [...nodeArgs, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(c);
  c.on('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`${args[0]} exited with ${code}`);
  });
  return c;
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never came up`);
}

interface LoadResult {
  /** server CPU per request, µs: independent of how busy the shared machine is */
  cpuUs?: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}
async function load(
  url: string,
  method: 'GET' | 'POST',
  server: ChildProcess | undefined,
  tokensFile?: string,
  duration = DURATION,
) {
  const spec = { url, method, tokensFile, duration, connections: CONNECTIONS };
  const cpu0 = cpuSeconds(server?.pid);
  const { stdout } = await run(process.execPath, ['bench/queue/load.ts'], {
    env: { ...process.env, LOAD: JSON.stringify(spec) },
    maxBuffer: 1 << 20,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as LoadResult;
  result.cpuUs = ((cpuSeconds(server?.pid) - cpu0) * 1e6) / Math.max(1, result.total);
  return result;
}

const row = (name: string, r: LoadResult, hello?: LoadResult) => {
  const base = `${name.padEnd(22)} ${r.rps.toFixed(0).padStart(8)} req/s  p50 ${String(r.p50).padStart(3)} ms`;
  const tail = `p99 ${String(r.p99).padStart(4)} ms  non2xx ${r.non2xx}  cpu ${(r.cpuUs ?? 0).toFixed(0).padStart(4)} µs/req`;
  if (hello === undefined) return `${base}  ${tail}`;
  const ratio = (r.rps / hello.rps).toFixed(2);
  const cpuRatio = ((hello.cpuUs ?? 0) / (r.cpuUs ?? 1)).toFixed(2);
  return `${base}  ${tail}  ratio ${ratio}× (cpu ratio ${cpuRatio}×)`;
};

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const databaseUrl = `${base}/${dbName}`;
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: `qt:bench:${dbName}:`,
    KAFKA_TOPIC_PREFIX: `qt.bench.${dbName}.`,
    RATE_LIMIT_IP_PER_SECOND: '10000000', // one load-generator address stands for many buyers
    LOG_LEVEL: 'warn',
    DEMO_DATA: 'false',
  };
  const { db } = createDb(databaseUrl, 2);
  await migrateToLatest(db);
  await db.destroy();
  const rt = createRuntime(loadConfig({ ...process.env, ...env }));
  try {
    // API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the api process
    const apiNodeArgs = (process.env.API_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const apiProcess = child(
      ['src/main.ts'],
      { ...env, ROLES: 'api', HTTP_PORT: String(apiPort) },
      apiNodeArgs,
    );
    const helloProcess = child(['bench/queue/hello.ts'], { PORT: String(helloPort) });
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitHttp(`${apiUrl}/healthz`);
    await waitHttp(`http://127.0.0.1:${helloPort}/hello`);

    const modules = createModules(rt);
    const [seller] = await modules.identity.bulkCreateAccounts({
      count: 1,
      role: 'SELLER',
      emailPrefix: 'bench-seller-',
    });
    const buyers = await modules.identity.bulkCreateAccounts({
      count: ACCOUNTS,
      role: 'BUYER',
      emailPrefix: 'bench-buyer-',
      tokenTtlSeconds: 3600,
    });
    const auth = { authorization: `Bearer ${seller?.accessToken}`, 'content-type': 'application/json' };
    const venue = (await (
      await fetch(`${apiUrl}/api/v1/venues`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          name: 'Bench Hall',
          address: 'Seoul',
          sections: [{ name: 'A', rows: 10, seatsPerRow: 10 }],
        }),
      })
    ).json()) as { id: string };
    const perf = (await (
      await fetch(`${apiUrl}/api/v1/performances`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          venueId: venue.id,
          title: 'Bench Show',
          grades: [{ grade: 'R', price: 1000 }],
          sectionGrades: { A: 'R' },
          schedules: [{ startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString() }],
          salesOpenAt: new Date(Date.now() - 3600_000).toISOString(),
          salesCloseAt: new Date(Date.now() + 86_400_000).toISOString(),
        }),
      })
    ).json()) as { schedules: { id: string }[] };
    const scheduleId = perf.schedules[0]?.id ?? '';
    await fetch(`${apiUrl}/api/v1/schedules/${scheduleId}/queue`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ paused: true }),
    });
    // warm-up accounts apart, so the measured joins are (mostly) first joins, as in an on-sale rush
    const warmTokensFile = joinPath(tmpdir(), `${dbName}-warm.json`);
    writeFileSync(warmTokensFile, JSON.stringify(buyers.slice(0, 2000).map((b) => b.accessToken)));
    const tokensFile = joinPath(tmpdir(), `${dbName}-tokens.json`);
    writeFileSync(tokensFile, JSON.stringify(buyers.slice(2000).map((b) => b.accessToken)));
    const queueUrl = `${apiUrl}/api/v1/schedules/${scheduleId}/queue`;

    const skipped: LoadResult = { rps: Number.NaN, p50: 0, p99: 0, errors: 0, non2xx: 0, total: 0 };
    const helloUrl = `http://127.0.0.1:${helloPort}/hello`;
    // warm-up (JIT, lazily compiled schemas, token cache): not measured
    await load(queueUrl, 'POST', apiProcess, warmTokensFile, 2);
    await load(`${queueUrl}/me`, 'GET', apiProcess, warmTokensFile, 2);
    await load(helloUrl, 'GET', helloProcess, undefined, 2);
    const hello1 = ONLY.includes('hello') ? await load(helloUrl, 'GET', helloProcess) : skipped;
    // first pass: new places, then repeat joins (same cost: one script)
    const joinRun = ONLY.includes('join') ? await load(queueUrl, 'POST', apiProcess, tokensFile) : skipped;
    const rankRun = ONLY.includes('rank')
      ? await load(`${queueUrl}/me`, 'GET', apiProcess, tokensFile)
      : skipped;
    const hello2 = ONLY.includes('hello') ? await load(helloUrl, 'GET', helloProcess) : skipped;
    const hello = hello1.rps >= hello2.rps ? hello1 : hello2;
    console.log(`\nqueue hot path (${DURATION} s each, ${CONNECTIONS} connections, ${ACCOUNTS} accounts)`);
    console.log(row('hello-world (before)', hello1));
    console.log(row('join POST /queue', joinRun, hello));
    console.log(row('rank GET /queue/me', rankRun, hello));
    console.log(row('hello-world (after)', hello2));

    // SSE rounds: the batched state read of N connected users (what one api process does per second)
    const store = new QueueStore(rt.redis);
    console.log('\nposition round (states of N waiting users, chunks of 1000 per Lua call, one pipeline)');
    let joined = 0;
    for (const n of ROUND_SIZES) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      const adding = ids.slice(joined);
      for (let i = 0; i < adding.length; i += 5000) {
        await Promise.all(adding.slice(i, i + 5000).map((u) => store.join(scheduleId, u)));
      }
      joined = n;
      const times: number[] = [];
      for (let rep = 0; rep < 3; rep++) {
        const started = process.hrtime.bigint();
        const chunks: string[][] = [];
        for (let i = 0; i < ids.length; i += 1000) chunks.push(ids.slice(i, i + 1000));
        await Promise.all(chunks.map((c) => store.states(scheduleId, c)));
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      times.sort((a, b) => a - b);
      const ms = times[1] ?? 0;
      const total = n + ACCOUNTS;
      console.log(
        `N=${String(n).padStart(6)} (queue ${total})  ${ms.toFixed(1).padStart(7)} ms  ` +
          `${((ms * 1000) / n).toFixed(2)} µs/client  ${((ms * 1e6) / (n * Math.log2(total))).toFixed(1)} ns/(N·log2 queue)`,
      );
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await rt.shutdown();
    await new Promise((r) => setTimeout(r, 500));
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
