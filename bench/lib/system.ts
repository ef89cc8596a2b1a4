/**
 * The system under test, started like `make up` but isolated: a fresh database, Redis key prefix and
 * Kafka topic prefix per run, and every role (`node src/main.ts <role>`) as its own child process with
 * its own port (background roles serve /healthz and /metrics there). Used by bench, chaos and fuzz.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createDb } from '../../src/platform/db.ts';
import { createAdmin, ensureTopics, kafkaSettings, TOPICS } from '../../src/platform/kafka.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { deleteRedisPrefix, type RedisTarget } from './redis-client.ts';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** Every child this run started: killed if the run itself is interrupted, so nothing is left behind. */
const started = new Set<ChildProcess>();
export function track(child: ChildProcess): void {
  started.add(child);
  child.once('exit', () => started.delete(child));
}
process.once('exit', () => {
  for (const c of started) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of started) c.kill('SIGKILL');
    process.exit(130);
  });
}
const PG_BASE = process.env.BENCH_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';

export interface Stack {
  runId: string;
  dbName: string;
  databaseUrl: string;
  redisUrl: string;
  /** REDIS_CLUSTER_NODES of the run (host:port,…), or '' for the single Redis at redisUrl. */
  redisClusterNodes: string;
  redisPrefix: string;
  topicPrefix: string;
  /** The environment every role of this run gets (plus its role and port). */
  env: Record<string, string>;
  outDir: string;
}

/**
 * Fresh database (migrated), Redis prefix and Kafka topics for one run. Overrides go to every role:
 * REDIS_CLUSTER_NODES (a Redis Cluster instead of REDIS_URL), KAFKA_BROKERS, KAFKA_REPLICATION_FACTOR.
 */
export async function createStack(tag: string, overrides: Record<string, string> = {}): Promise<Stack> {
  const runId = `${tag}${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const dbName = `qt_bench_${runId}`;
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  await admin.query(`create database ${admin.escapeIdentifier(dbName)}`);
  await admin.end();
  const databaseUrl = `${PG_BASE}/${dbName}`;
  const { db } = createDb(databaseUrl, 2);
  await migrateToLatest(db);
  await db.destroy();
  const redisUrl = overrides.REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisClusterNodes = overrides.REDIS_CLUSTER_NODES ?? process.env.REDIS_CLUSTER_NODES ?? '';
  const redisPrefix = `qt:bench:${runId}:`;
  const topicPrefix = `qt.b${runId}.`;
  const brokers = overrides.KAFKA_BROKERS ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  await ensureTopics(
    kafkaSettings({
      KAFKA_BROKERS: brokers,
      KAFKA_CLIENT_ID: 'qt-bench',
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_REPLICATION_FACTOR:
        overrides.KAFKA_REPLICATION_FACTOR ?? process.env.KAFKA_REPLICATION_FACTOR ?? 1,
    }),
    Object.values(TOPICS),
  );
  const outDir = join(ROOT, 'bench', 'out', runId);
  mkdirSync(outDir, { recursive: true });
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    ...(redisClusterNodes === '' ? {} : { REDIS_CLUSTER_NODES: redisClusterNodes }),
    REDIS_KEY_PREFIX: redisPrefix,
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    KAFKA_CLIENT_ID: `qt-bench-${runId}`,
    // All load comes from one loopback address: it stands for many buyers behind carrier NAT.
    RATE_LIMIT_IP_PER_SECOND: '10000000',
    RATE_LIMIT_LOGIN_IP_PER_MINUTE: '1000000',
    LOG_LEVEL: 'info',
    DEMO_DATA: 'false',
    // The sandbox keeps fault settings per merchant (secret key): this run's own.
    TOSS_SECRET_KEY: `test_sk_bench_${runId}`,
    ...overrides,
  };
  return { runId, dbName, databaseUrl, redisUrl, redisClusterNodes, redisPrefix, topicPrefix, env, outDir };
}

/** Drops the run's database, Redis keys and topics (KEEP_BENCH_DATA=true keeps them for inspection). */
export async function dropStack(stack: Stack): Promise<void> {
  if (process.env.KEEP_BENCH_DATA === 'true') return;
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  await admin.query(`drop database if exists ${admin.escapeIdentifier(stack.dbName)} with (force)`);
  await admin.end();
  await deleteRedisPrefix(redisTarget(stack), stack.redisPrefix).catch(() => undefined);
  const kafka = createAdmin(
    kafkaSettings({
      KAFKA_BROKERS: stack.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      KAFKA_CLIENT_ID: 'qt-bench',
      KAFKA_TOPIC_PREFIX: stack.topicPrefix,
    }),
  );
  try {
    const topics = (await kafka.listTopics()).filter((t) => t.startsWith(stack.topicPrefix));
    if (topics.length > 0) await kafka.deleteTopics({ topics });
  } catch {
    // a broker that went away (chaos) keeps its topics; harmless
  } finally {
    await kafka.close().catch(() => undefined);
  }
}

export const redisTarget = (stack: Stack): RedisTarget => ({
  url: stack.redisUrl,
  clusterNodes: stack.redisClusterNodes,
});

export interface ProcStats {
  rssBytes: number;
  cpuSeconds: number;
  fds: number;
}

const TICKS = 100; // USER_HZ on Linux
/** RSS, CPU time (user + system) and open files of a process, from /proc. */
export function procStats(pid: number): ProcStats | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    let fds = 0;
    try {
      fds = readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // another user's process: unknown
    }
    return { rssBytes: rssKb * 1024, cpuSeconds: (utime + stime) / TICKS, fds };
  } catch {
    return null;
  }
}

export type Role = 'api' | 'admitter' | 'relay' | 'worker';
/** The standalone Toss-compatible sandbox (the provider, outside our processes as Toss is). */
const SANDBOX_SCRIPT = 'src/modules/payment/sandbox/standalone.ts';

/** One role process (`node src/main.ts <role>`), restartable, logging to the run's directory. */
export class RoleProcess {
  readonly name: string;
  readonly role: Role | 'sandbox';
  readonly port: number;
  readonly #env: Record<string, string>;
  readonly #logFile: string;
  child: ChildProcess | null = null;
  #exited: Promise<number | null> = Promise.resolve(null);
  starts = 0;

  constructor(
    name: string,
    role: Role | 'sandbox',
    port: number,
    env: Record<string, string>,
    outDir: string,
  ) {
    this.name = name;
    this.role = role;
    this.port = port;
    this.#env = env;
    this.#logFile = join(outDir, `${name}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    const log = createWriteStream(this.#logFile, { flags: 'a' });
    const argv = this.role === 'sandbox' ? [SANDBOX_SCRIPT] : ['src/main.ts', this.role];
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      env: {
        ...process.env,
        ...this.#env,
        ...extraEnv,
        HTTP_PORT: String(this.port),
        HTTP_HOST: '127.0.0.1',
        SANDBOX_PORT: String(this.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    track(child);
    this.child = child;
    this.starts++;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await waitHealthy(
      `${this.url}/healthz`,
      60_000,
      () => child.exitCode !== null || child.signalCode !== null,
    );
  }

  /** SIGKILL (a crash) or SIGTERM (graceful); resolves when the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<void> {
    const child = this.child;
    if (child === null || !this.running) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  stats(): ProcStats | null {
    return this.pid === undefined ? null : procStats(this.pid);
  }
}

export async function waitHealthy(url: string, timeoutMs: number, dead: () => boolean = () => false) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (dead()) throw new Error(`${url}: process exited during start`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms`);
}

export interface SystemOptions {
  /** Run the provider sandbox as its own process (TOSS_API_BASE points there) instead of inside the api. */
  standaloneSandbox?: boolean;
  /** DATABASE_POOL_MAX per role (PostgreSQL's max_connections is shared by everyone on this machine). */
  poolMax?: Partial<Record<Role, number>>;
  apis?: number;
  admitters?: number;
  relays?: number;
  workers?: number;
  basePort?: number;
}

/** Every role as separate processes: api ×N, admitter ×N, relay, worker. */
export class System {
  readonly stack: Stack;
  readonly apis: RoleProcess[] = [];
  readonly admitters: RoleProcess[] = [];
  readonly relays: RoleProcess[] = [];
  readonly workers: RoleProcess[] = [];
  readonly sandbox: RoleProcess | null = null;

  constructor(stack: Stack, options: SystemOptions = {}) {
    this.stack = stack;
    let port = options.basePort ?? 21_000 + Math.floor(Math.random() * 10_000);
    const pools: Record<Role, number> = { api: 20, admitter: 4, relay: 4, worker: 8, ...options.poolMax };
    // The built-in sandbox is served by the api role: every role (the worker's payment recovery too)
    // must reach it there, not on its own port.
    const publicBase = stack.env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`;
    const provider: Record<string, string> = {};
    if (options.standaloneSandbox) {
      const sandboxPort = port + 50;
      this.sandbox = new RoleProcess(
        'sandbox',
        'sandbox',
        sandboxPort,
        {
          ...stack.env,
          SANDBOX_WEBHOOK_URL: `${publicBase}/api/v1/payments/webhooks/toss`,
        },
        stack.outDir,
      );
      provider.TOSS_API_BASE = `http://127.0.0.1:${sandboxPort}/sandbox/toss`;
    }
    const make = (role: Role, n: number, into: RoleProcess[]) => {
      const env = {
        ...stack.env,
        ...provider,
        PUBLIC_BASE_URL: publicBase,
        DATABASE_POOL_MAX: String(pools[role]),
      };
      for (let i = 0; i < n; i++) {
        into.push(new RoleProcess(`${role}-${i + 1}`, role, port++, env, stack.outDir));
      }
    };
    make('api', options.apis ?? 1, this.apis);
    make('admitter', options.admitters ?? 1, this.admitters);
    make('relay', options.relays ?? 1, this.relays);
    make('worker', options.workers ?? 1, this.workers);
  }

  get all(): RoleProcess[] {
    return [
      ...this.apis,
      ...this.admitters,
      ...this.relays,
      ...this.workers,
      ...(this.sandbox ? [this.sandbox] : []),
    ];
  }

  /** Where buyers check out (the provider's widget stand-in): the standalone sandbox, or the api. */
  get providerUrl(): string {
    return (this.sandbox ?? this.api).url;
  }

  get api(): RoleProcess {
    const first = this.apis[0];
    if (first === undefined) throw new Error('no api process');
    return first;
  }

  async start(): Promise<void> {
    await this.sandbox?.start();
    // The first api bootstraps the admin account; the rest start together.
    await this.api.start();
    await Promise.all(this.all.filter((p) => p !== this.api && p !== this.sandbox).map((p) => p.start()));
  }

  async stop(): Promise<void> {
    // like main.ts's order across processes: stop taking HTTP first, then the background roles
    await Promise.all(this.apis.map((p) => p.stop()));
    await Promise.all([...this.admitters, ...this.relays, ...this.workers].map((p) => p.stop()));
    await this.sandbox?.stop();
  }

  kill(): void {
    for (const p of this.all) p.child?.kill('SIGKILL');
  }
}

/** A helper server (hello-world, naive baselines) as its own process; resolves once it prints `ready`. */
export async function startScript(
  script: string,
  port: number,
  env: Record<string, string>,
  outDir: string,
): Promise<{ child: ChildProcess; url: string; stop: () => Promise<void> }> {
  const log = createWriteStream(join(outDir, `${script.replace(/[/.]/g, '_')}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  child.stderr?.pipe(log);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      log.write(d);
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        child.kill('SIGKILL');
      }
    },
  };
}

/** Error and warning lines of every role's log, counted by message (and cause). */
export function logSummary(outDir: string, names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    let text = '';
    try {
      text = readFileSync(join(outDir, `${name}.log`), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (
        !line.includes('"log.level":"error"') &&
        !line.includes('"log.level":"warn"') &&
        !line.includes('"log.level":"fatal"')
      )
        continue;
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        const err = (j.error ?? j.err) as { message?: string } | undefined;
        const key = `${name.replace(/-\d+$/, '')} ${String(j['log.level'])}: ${String(j.message)}${err?.message ? ` (${err.message.slice(0, 80)})` : ''}`;
        out[key] = (out[key] ?? 0) + 1;
      } catch {
        // not JSON
      }
    }
  }
  return out;
}
