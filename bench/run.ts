/**
 * `make bench`: the whole evidence run on a fresh database / Redis prefix / topic prefix, against the
 * system started like `make up` (api, admitter, relay, worker as separate processes):
 *   1. same-run baselines and hot paths (hello-world, join, rank, hold, issue, naive designs, redis-benchmark)
 *   2. live connections (SSE waiters on one api process) and the position-round cost at 10k/50k/100k
 *   2b. 100,000 SSE waiters of one schedule across several api processes, stepped 10k / 50k / 100k (fleet)
 *   3. the on-sale scenario (pre-queue, draw, admission, seats, coupons, payments with failures, refunds)
 *   4. the invariant checker; any violation fails the run (exit 1)
 * Writes bench/RESULTS.md, bench/results.json and bench/onsale.svg.
 * Knobs: BENCH_DURATION (s per load run), BENCH_CONNECTIONS, BENCH_BUYERS, BENCH_SSE, BENCH_ADMIT,
 * BENCH_MAX_ACTIVE, BENCH_SKIP (micro,sse,fleet,onsale), BENCH_OUT (directory for the three files),
 * BENCH_FLEET_APIS / _GENERATORS / _STEPS (e.g. 10000,50000,100000) / _ADMIT / _FLOW (s per step).
 * BENCH_ONLY=fleet runs that one section (and the invariants) and merges its figures into the existing
 * RESULTS.md / results.json instead of rewriting them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { checkInvariants, formatReport, scenarioObservations } from './invariants.ts';
import { adminToken, benchRuntime, bulkUsers, writeUsers } from './lib/fixtures.ts';
import { FLEET_END, FLEET_START, renderFleet } from './lib/fleet-report.ts';
import { loadNow, machine } from './lib/machine.ts';
import { microBenchmarks } from './lib/micro.ts';
import { renderPlot } from './lib/plot.ts';
import { redisPrimitives } from './lib/redis-bench.ts';
import { type Results, renderResults } from './lib/report.ts';
import { roundCost, sseBench } from './lib/sse.ts';
import { sseFleet } from './lib/sse-fleet.ts';
import { createStack, dropStack, logSummary, ROOT, System, startScript } from './lib/system.ts';
import { onSale } from './scenario/onsale.ts';

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 100);
const BUYERS = Number(env.BENCH_BUYERS ?? 50_000);
const SSE = Number(env.BENCH_SSE ?? 19_000);
const ADMIT = Number(env.BENCH_ADMIT ?? 40);
const MAX_ACTIVE = Number(env.BENCH_MAX_ACTIVE ?? 150);
const ONLY = env.BENCH_ONLY ?? '';
const SECTIONS = ['micro', 'sse', 'fleet', 'onsale'];
const SKIP = new Set(
  ONLY === '' ? (env.BENCH_SKIP ?? '').split(',').filter(Boolean) : SECTIONS.filter((x) => x !== ONLY),
);
const FLEET = {
  apis: Number(env.BENCH_FLEET_APIS ?? 6),
  generators: Number(env.BENCH_FLEET_GENERATORS ?? 6),
  steps: (env.BENCH_FLEET_STEPS ?? '10000,50000,100000').split(',').map(Number),
  admitPerSecond: Number(env.BENCH_FLEET_ADMIT ?? 200),
  flowSeconds: Number(env.BENCH_FLEET_FLOW ?? 10),
};
const OUT = env.BENCH_OUT ?? join(ROOT, 'bench');

const t0 = Date.now();
const log = (s: string) => console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}`);

const results: Results = {
  startedAt: new Date().toISOString(),
  durationSeconds: 0,
  machine: machine(),
  settings: { DURATION, CONNECTIONS, BUYERS, SSE, ADMIT, MAX_ACTIVE, skip: [...SKIP].join(',') },
  micro: null,
  redis: [],
  sse: null,
  rounds: [],
  fleet: null,
  onsale: null,
  invariants: null,
  errors: [],
  serverLog: {},
  postgres: { maxConnections: 0, inUseAtStart: 0, inUseAtEnd: 0 },
};
const pgState = async () => {
  const r = await db.query<{ max: string; used: string }>(
    "select current_setting('max_connections') as max, (select count(*) from pg_stat_activity) as used",
  );
  return { max: Number(r.rows[0]?.max ?? 0), used: Number(r.rows[0]?.used ?? 0) };
};

log(
  `machine: ${results.machine.cores} cores, ${results.machine.ramGiB} GiB, Node ${results.machine.node}, load ${results.machine.loadAverageStart.join(' ')}`,
);
if ((results.machine.loadAverageStart[0] ?? 0) > results.machine.cores * 2) {
  log('warning: the machine is busy (load average above 2× cores); figures will be low and noisy');
}

const stack = await createStack('b', {
  // payments with injected provider faults (retryable errors, unclear outcomes, failing cancels)
  SANDBOX_CONFIRM_FAILURE_RATE: '0.03',
  SANDBOX_CONFIRM_UNKNOWN_RATE: '0.01',
  SANDBOX_CANCEL_FAILURE_RATE: '0.02',
  PAYMENT_RETRY_BASE_MS: '50',
  PAYMENT_RECOVERY_INTERVAL_MS: '1000',
  // unclear outcomes are taken over by the recovery job after this lease (default: minutes)
  PAYMENT_LEASE_MS: '15000',
  TOSS_TIMEOUT_MS: '5000',
});
log(`stack ${stack.runId}: database ${stack.dbName}, logs in ${stack.outDir}`);
// BENCH_STANDALONE_SANDBOX=true runs the provider sandbox as its own process (see RESULTS.md, findings)
const sys = new System(stack, { standaloneSandbox: env.BENCH_STANDALONE_SANDBOX === 'true' });
const helpers: { stop: () => Promise<void> }[] = [];
const rt = benchRuntime(stack);
const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 4 });
db.on('error', () => undefined); // an idle client cut by the final drop (or a chaos run) is not a crash
let failed = false;
try {
  const pgStart = await pgState();
  results.postgres = { maxConnections: pgStart.max, inUseAtStart: pgStart.used, inUseAtEnd: 0 };
  log(
    `PostgreSQL connections in use ${pgStart.used} of ${pgStart.max} (shared with everyone on this machine)`,
  );
  await sys.start();
  log(`roles up: ${sys.all.map((p) => `${p.name}(pid ${p.pid}, :${p.port})`).join(' ')}`);
  const hello = await startScript('bench/queue/hello.ts', sys.api.port + 100, {}, stack.outDir);
  const naive = await startScript(
    'bench/naive/server.ts',
    sys.api.port + 101,
    { DATABASE_URL: stack.databaseUrl, REDIS_URL: stack.redisUrl, PREFIX: `${stack.redisPrefix}naive:` },
    stack.outDir,
  );
  helpers.push(hello, naive);
  const [seller] = await bulkUsers(rt, 1, 'SELLER', 'bench-seller-');
  if (seller === undefined) throw new Error('no seller');
  const admin = await adminToken(sys.api.url);
  log(`creating ${BUYERS} buyer accounts`);
  const buyers = await bulkUsers(rt, BUYERS, 'BUYER', 'bench-buyer-');
  const buyersFile = writeUsers(
    stack,
    'buyers',
    buyers.map((b) => ({ t: b.token })),
  );
  log('accounts ready');

  let joinRps = 1000;
  if (!SKIP.has('micro')) {
    results.micro = await microBenchmarks({
      stack,
      api: sys.api.url,
      hello: hello.url,
      naive: naive.url,
      sellerToken: seller.token,
      buyers,
      buyersFile,
      duration: DURATION,
      connections: CONNECTIONS,
      db,
      log,
    });
    joinRps = results.micro.figures.find((f) => f.key === 'join')?.rps ?? joinRps;
    log('redis-benchmark');
    results.redis = await redisPrimitives(stack.redisUrl, stack.redisPrefix);
  }
  if (!SKIP.has('sse') && results.micro !== null) {
    log(`SSE: ${SSE} waiters on one api process`);
    results.sse = await sseBench({
      stack,
      api: sys.api,
      sellerToken: seller.token,
      scheduleId: results.micro.queueShow.scheduleId,
      buyers,
      alreadyJoined: results.micro.joinedUsers,
      target: SSE,
      flowSeconds: 10,
      log,
    });
    log('position round cost at 10k / 50k / 100k waiters');
    results.rounds = await roundCost(rt, results.micro.queueShow.scheduleId, [10_000, 50_000, 100_000]);
  }
  if (!SKIP.has('fleet')) {
    log(`SSE fleet: ${FLEET.steps.join(' / ')} waiters of one schedule on ${FLEET.apis} api processes`);
    results.fleet = await sseFleet({
      stack,
      rt,
      api: sys.api.url,
      sellerToken: seller.token,
      buyers,
      ...FLEET,
      log,
    });
  }
  if (!SKIP.has('onsale')) {
    results.onsale = await onSale({
      stack,
      api: sys.api.url,
      provider: sys.providerUrl,
      sellerToken: seller.token,
      adminToken: admin,
      buyers,
      joinRpsEstimate: joinRps,
      admitPerSecond: ADMIT,
      maxActive: MAX_ACTIVE,
      maxSecondsAfterOpen: 200,
      log,
    });
    log(
      `on-sale done: sold out after ${results.onsale.soldOutAfterSeconds ?? '-'} s, flows ${results.onsale.flows}`,
    );
  }
  log('invariants');
  results.invariants = await checkInvariants({
    databaseUrl: stack.databaseUrl,
    redisUrl: stack.redisUrl,
    redisPrefix: stack.redisPrefix,
    kafkaBrokers: (stack.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    topicPrefix: stack.topicPrefix,
    settleTimeoutMs: 60_000,
    ...scenarioObservations(results.onsale),
  });
  console.log(formatReport(results.invariants));
  failed = results.invariants.violations.length > 0;
} catch (err) {
  failed = true;
  results.errors.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
  console.error(err);
} finally {
  results.machine.loadAverageEnd = loadNow();
  results.postgres.inUseAtEnd = (await pgState().catch(() => ({ used: -1 }))).used;
  results.serverLog = logSummary(
    stack.outDir,
    sys.all.map((p) => p.name),
  );
  results.durationSeconds = Math.round((Date.now() - t0) / 1000);
  // the files first: nothing in the clean-up below may lose them
  const forJson = {
    ...results,
    // the coupon ids clients were given are checked above; the file keeps their number
    onsale:
      results.onsale === null ? null : { ...results.onsale, issued202: results.onsale.issued202.length },
  };
  if (ONLY === 'fleet' && existsSync(join(OUT, 'results.json'))) mergeFleet();
  else {
    writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(forJson, null, 1)}\n`);
    if (results.onsale !== null) writeFileSync(join(OUT, 'onsale.svg'), renderPlot(results.onsale));
    writeFileSync(join(OUT, 'RESULTS.md'), renderResults(results));
  }
  for (const h of helpers) await h.stop();
  await sys.stop().catch(() => sys.kill());
  await db.end();
  await rt.shutdown();
  await dropStack(stack).catch(() => undefined);
}
/** BENCH_ONLY=fleet: this run's fleet figures replace those of the last full run's files, nothing else. */
function mergeFleet(): void {
  const old = JSON.parse(readFileSync(join(OUT, 'results.json'), 'utf8')) as Record<string, unknown>;
  const fleetRun = {
    ...results.fleet,
    startedAt: results.startedAt,
    machine: results.machine,
    invariants: results.invariants,
    errors: results.errors,
  };
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify({ ...old, fleet: fleetRun }, null, 1)}\n`);
  if (results.fleet === null) return;
  const md = readFileSync(join(OUT, 'RESULTS.md'), 'utf8');
  const section = renderFleet(results.fleet, `${results.startedAt} (\`BENCH_ONLY=fleet\`)`).join('\n');
  const a = md.indexOf(FLEET_START);
  const b = md.indexOf(FLEET_END);
  const at = md.indexOf('## On-sale scenario');
  const next =
    a >= 0 && b > a
      ? md.slice(0, a) + section + md.slice(b + FLEET_END.length + 1)
      : at >= 0
        ? `${md.slice(0, at)}${section}\n${md.slice(at)}`
        : `${md}\n${section}\n`;
  writeFileSync(join(OUT, 'RESULTS.md'), next);
}

log(
  `wrote ${OUT}/RESULTS.md, results.json, onsale.svg in ${results.durationSeconds} s${failed ? ' — FAILED' : ''}`,
);
process.exit(failed ? 1 : 0);
