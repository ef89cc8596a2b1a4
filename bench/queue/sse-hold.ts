/**
 * Live connections of ONE api process: how many waiting-room event streams it holds with updates
 * flowing, RSS per connection, CPU idle and flowing, position events per second, the hub's round time.
 *
 *   . scripts/node.sh && node bench/queue/sse-hold.ts   [STREAMS=19000 FLOW_SECONDS=20 ADMIT_PER_SECOND=200]
 *
 * A scratch database; the api (ROLES=api) and an admitter (ROLES=admitter) run as child processes, the
 * streams are opened by bench/lib/sse-child.ts in another process (its own file-descriptor budget).
 * The queue is paused while the streams open; then admission runs at ADMIT_PER_SECOND, so every
 * waiter's position drops each second and the api pushes a position event to each (at most 1/s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loadConfig } from '../../src/platform/config.ts';
import { createDb } from '../../src/platform/db.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { createRuntime } from '../../src/platform/runtime.ts';
import { createModules } from '../../src/roles/modules.ts';

const STREAMS = Number(process.env.STREAMS ?? 19_000);
const FLOW_SECONDS = Number(process.env.FLOW_SECONDS ?? 20);
const ADMIT_PER_SECOND = Number(process.env.ADMIT_PER_SECOND ?? 200);
const base = process.env.BENCH_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
const dbName = `qt_bench_sse_${randomBytes(3).toString('hex')}`;
const apiPort = 20_000 + Math.floor(Math.random() * 10_000);
const children: ChildProcess[] = [];

interface ProcStats {
  cpuSeconds: number;
  rssBytes: number;
  fds: number;
}
function procStats(pid: number | undefined): ProcStats {
  if (pid === undefined) return { cpuSeconds: Number.NaN, rssBytes: Number.NaN, fds: Number.NaN };
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  let fds = 0;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    fds = Number.NaN;
  }
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, rssBytes: rssPages * 4096, fds };
}

function child(args: string[], env: Record<string, string>): ChildProcess {
  const c = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(c);
  return c;
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`${url} never came up`);
}

async function pool<T>(items: T[], width: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < items.length; i = next++) await run(items[i] as T);
    }),
  );
}

async function scrape(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const val = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    roundSum: val('queue_stream_round_seconds_sum'),
    rounds: val('queue_stream_round_seconds_count'),
    connections: val('queue_stream_connections'),
  };
}

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
    DATABASE_POOL_MAX: '4',
  };
  const { db } = createDb(databaseUrl, 2);
  await migrateToLatest(db);
  await db.destroy();
  const rt = createRuntime(loadConfig({ ...process.env, ...env }));
  try {
    const api = child(['src/main.ts'], { ...env, ROLES: 'api', HTTP_PORT: String(apiPort) });
    const url = `http://127.0.0.1:${apiPort}`;
    await waitHttp(`${url}/healthz`);
    const modules = createModules(rt);
    const [seller] = await modules.identity.bulkCreateAccounts({
      count: 1,
      role: 'SELLER',
      emailPrefix: 'sse-seller-',
    });
    const buyers = await modules.identity.bulkCreateAccounts({
      count: STREAMS,
      role: 'BUYER',
      emailPrefix: 'sse-buyer-',
      tokenTtlSeconds: 3600,
    });
    const auth = { authorization: `Bearer ${seller?.accessToken}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown, method = 'POST') =>
      (await fetch(`${url}${path}`, { method, headers: auth, body: JSON.stringify(body) })).json();
    const venue = (await post('/api/v1/venues', {
      name: 'SSE Hall',
      address: 'Seoul',
      sections: [{ name: 'A', rows: 10, seatsPerRow: 10 }],
    })) as { id: string };
    const perf = (await post('/api/v1/performances', {
      venueId: venue.id,
      title: 'SSE Show',
      grades: [{ grade: 'R', price: 1000 }],
      sectionGrades: { A: 'R' },
      schedules: [{ startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString() }],
      salesOpenAt: new Date(Date.now() - 3600_000).toISOString(),
      salesCloseAt: new Date(Date.now() + 86_400_000).toISOString(),
    })) as { schedules: { id: string }[] };
    const scheduleId = perf.schedules[0]?.id ?? '';
    const queue = `/api/v1/schedules/${scheduleId}/queue`;
    // admitted users keep their slots for the whole run (maxActive above what flows)
    await post(queue, { paused: true, maxActive: 1_000_000 }, 'PATCH');
    const admitter = child(['src/main.ts'], { ...env, ROLES: 'admitter' });
    let joinedAt = Date.now();
    await pool(buyers, 100, async (b) => {
      const r = await fetch(`${url}${queue}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${b.accessToken}` },
      });
      await r.arrayBuffer();
    });
    console.log(`joined ${buyers.length} waiters in ${((Date.now() - joinedAt) / 1000).toFixed(1)} s`);

    const usersFile = joinPath(tmpdir(), `${dbName}-sse-users.json`);
    writeFileSync(usersFile, JSON.stringify(buyers.map((b) => ({ t: b.accessToken }))));
    await sleep(2000);
    const before = procStats(api.pid);
    const sse = spawn(process.execPath, ['bench/lib/sse-child.ts'], {
      env: {
        ...process.env,
        SSE: JSON.stringify({ url: `${url}${queue}/stream`, usersFile, count: STREAMS, parallel: 200 }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(sse);
    let last = {
      started: 0,
      open: 0,
      failed: 0,
      failures: {},
      closedByServer: 0,
      events: {} as Record<string, number>,
    };
    let buf = '';
    sse.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('{')) last = JSON.parse(l);
    });
    joinedAt = Date.now();
    let progress = -1;
    let progressAt = Date.now();
    while (Date.now() - joinedAt < 240_000) {
      await sleep(1000);
      if (last.open + last.failed !== progress) {
        progress = last.open + last.failed;
        progressAt = Date.now();
      }
      if (last.open + last.failed >= STREAMS) break;
      if (Date.now() - progressAt > 15_000) break;
    }
    const openSeconds = (Date.now() - joinedAt) / 1000;
    await sleep(3000);
    const idleA = procStats(api.pid);
    await sleep(5000);
    const idleB = procStats(api.pid);
    const m0 = await scrape(url);
    const ev0 = { ...last.events };
    const flowA = procStats(api.pid);
    const f0 = Date.now();
    await post(queue, { paused: false, admitPerSecond: ADMIT_PER_SECOND }, 'PATCH');
    await sleep(FLOW_SECONDS * 1000);
    await post(queue, { paused: true }, 'PATCH');
    const flowB = procStats(api.pid);
    const flowSeconds = (Date.now() - f0) / 1000;
    const m1 = await scrape(url);
    const ev1 = { ...last.events };
    const mib = (b: number) => (b / 2 ** 20).toFixed(0);
    const rounds = m1.rounds - m0.rounds;
    console.log(
      `\nSSE streams held by one api process (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`,
    );
    console.log(
      `open ${last.open} of ${STREAMS} (failed ${last.failed} ${JSON.stringify(last.failures)}) in ${openSeconds.toFixed(1)} s; server counts ${m1.connections}; api fds ${flowB.fds}`,
    );
    console.log(
      `api RSS ${mib(before.rssBytes)} MiB before, ${mib(idleB.rssBytes)} MiB with the streams open: ${((idleB.rssBytes - before.rssBytes) / 1024 / Math.max(1, last.open)).toFixed(1)} KiB per stream`,
    );
    console.log(
      `api CPU idle with streams open ${(((idleB.cpuSeconds - idleA.cpuSeconds) / 5) * 100).toFixed(0)}% of a core`,
    );
    console.log(
      `flowing (${ADMIT_PER_SECOND} admitted/s, ${flowSeconds.toFixed(0)} s): api CPU ${(((flowB.cpuSeconds - flowA.cpuSeconds) / flowSeconds) * 100).toFixed(0)}% of a core, ` +
        `${(((ev1.position ?? 0) - (ev0.position ?? 0)) / flowSeconds).toFixed(0)} position events/s, ${(ev1.admitted ?? 0) - (ev0.admitted ?? 0)} admitted events, ` +
        `round ${rounds > 0 ? (((m1.roundSum - m0.roundSum) / rounds) * 1000).toFixed(0) : '-'} ms mean (${(rounds / flowSeconds).toFixed(2)} rounds/s), closed by server ${last.closedByServer}`,
    );
    sse.kill('SIGTERM');
    await new Promise((r) => sse.once('exit', r));
    admitter.kill('SIGTERM');
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await rt.shutdown();
    await sleep(1000);
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
