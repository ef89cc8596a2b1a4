/**
 * `make bench-cluster` (issue 12, scale-out): the system on a 3-master Redis Cluster and a 3-broker
 * Kafka cluster (both on loopback, started and stopped by scripts/redis-cluster and scripts/kafka),
 * with 3 api processes, 2 admitters, a relay and a worker, each its own process:
 *   a. join / rank / hold churn / coupon issue through 1, 2 and 3 api processes vs hello-world × 1, 2, 3
 *   b. the on-sale scenario (scaled down) through 2 api processes whose buyers alternate between them,
 *      while the leading admitter and then one Kafka broker are SIGKILLed; the invariant checker after
 *   c. keys per Redis master; requests of one buyer served by different processes
 * Writes bench/CLUSTER.md and bench/cluster-results.json; exit 1 on any invariant violation.
 * Knobs: BENCH_DURATION (s per load run, 5), BENCH_CONNECTIONS (96), BENCH_BUYERS (20000),
 * BENCH_SEATS (2000), BENCH_COUPONS (500), BENCH_APIS (3), BENCH_SKIP (scale,onsale), BENCH_OUT;
 * BENCH_ONSALE_SECONDS (100, bound after the opening); BENCH_REDIS_CLUSTER=false: the single Redis (REDIS_URL).
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { checkInvariants, formatReport, scenarioObservations } from './invariants.ts';
import { leaderOf } from './lib/chaos-scenarios.ts';
import { type ClusterResults, renderCluster } from './lib/cluster-report.ts';
import { scaleOut } from './lib/cluster-throughput.ts';
import { adminToken, benchRuntime, bulkUsers, call } from './lib/fixtures.ts';
import { loadNow, machine } from './lib/machine.ts';
import { keysPerNode } from './lib/redis-client.ts';
import { createStack, dropStack, logSummary, ROOT, redisTarget, System, startScript } from './lib/system.ts';
import { onSale } from './scenario/onsale.ts';

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 96);
const BUYERS = Number(env.BENCH_BUYERS ?? 20_000);
const SEATS = Number(env.BENCH_SEATS ?? 2000);
const COUPONS = Number(env.BENCH_COUPONS ?? 500);
const APIS = Number(env.BENCH_APIS ?? 3);
const SKIP = new Set((env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const OUT = env.BENCH_OUT ?? join(ROOT, 'bench');
const KAFKA_PORTS = (env.KAFKA_CLUSTER_PORTS ?? '9192 9194 9196').split(/[ ,]+/).filter(Boolean);
const BROKERS = KAFKA_PORTS.map((p) => `127.0.0.1:${p}`).join(',');
const REDIS_PORTS = (env.REDIS_CLUSTER_PORTS ?? '7001 7002 7003').split(/[ ,]+/).filter(Boolean);
const REDIS_CLUSTER = env.BENCH_REDIS_CLUSTER !== 'false';

const t0 = Date.now();
const log = (s: string) =>
  console.log(`[cluster ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}`);
const exec = promisify(execFile);
const script = async (path: string, ...args: string[]) => {
  const { stdout } = await exec('bash', [path, ...args], { cwd: ROOT, env, timeout: 300_000 });
  for (const line of stdout.trim().split('\n')) log(`  ${line}`);
  return stdout;
};
const answers = (port: string) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: Number(port) });
    s.once('connect', () => resolve(s.end() !== null));
    s.once('error', () => resolve(false));
  });
const brokerPid = (node: number) => {
  try {
    return Number(readFileSync(join(ROOT, '.run', 'kafka-cluster', `node-${node}.pid`), 'utf8'));
  } catch {
    return 0;
  }
};

const results: ClusterResults = {
  startedAt: new Date().toISOString(),
  durationSeconds: 0,
  machine: machine(),
  settings: { DURATION, CONNECTIONS, BUYERS, SEATS, COUPONS, APIS, skip: [...SKIP].join(','), BROKERS },
  topology: '',
  scale: null,
  onsale: null,
  injected: [],
  invariants: null,
  keysPerNode: {},
  crossApi: {},
  processes: [],
  errors: [],
  serverLog: {},
};

// ---- the clusters (left running if they already were: someone else may be using them)
const redisWasUp = !REDIS_CLUSTER || (await answers(REDIS_PORTS[0] ?? '7001'));
const kafkaWasUp = brokerPid(1) > 0 && (await answers(KAFKA_PORTS[0] ?? '9192'));
log(`machine: ${results.machine.cores} cores, load ${results.machine.loadAverageStart.join(' ')}`);
log(
  REDIS_CLUSTER
    ? `Redis Cluster ${redisWasUp ? '(already running)' : ''}`
    : 'single Redis (BENCH_REDIS_CLUSTER=false)',
);
const redisOut = REDIS_CLUSTER ? await script('scripts/redis-cluster/up.sh') : '';
const clusterNodes = !REDIS_CLUSTER
  ? ''
  : (/REDIS_CLUSTER_NODES=(\S+)/.exec(redisOut)?.[1] ?? REDIS_PORTS.map((p) => `127.0.0.1:${p}`).join(','));
log(`Kafka cluster ${kafkaWasUp ? '(already running)' : ''}`);
await script('scripts/kafka/cluster-up.sh');

const stack = await createStack('k', {
  REDIS_CLUSTER_NODES: clusterNodes,
  KAFKA_BROKERS: BROKERS,
  KAFKA_REPLICATION_FACTOR: '3',
  // the same provider faults as make bench
  SANDBOX_CONFIRM_FAILURE_RATE: '0.03',
  SANDBOX_CONFIRM_UNKNOWN_RATE: '0.01',
  SANDBOX_CANCEL_FAILURE_RATE: '0.02',
  PAYMENT_RETRY_BASE_MS: '50',
  PAYMENT_RECOVERY_INTERVAL_MS: '1000',
  PAYMENT_LEASE_MS: '15000',
  TOSS_TIMEOUT_MS: '5000',
});
log(`stack ${stack.runId}: database ${stack.dbName}, logs in ${stack.outDir}`);
// PostgreSQL's max_connections (100) is shared by everyone on this machine: small pools
const sys = new System(stack, {
  apis: APIS,
  admitters: 2,
  poolMax: { api: 10, admitter: 3, relay: 3, worker: 6 },
});
results.topology = `${APIS} api, 2 admitter, 1 relay, 1 worker (separate processes); ${REDIS_CLUSTER ? `Redis Cluster ${clusterNodes}` : `single Redis ${stack.redisUrl}`}; Kafka ${BROKERS} (RF 3, min ISR 2); PUBLIC_BASE_URL ${sys.api.url} (built-in sandbox)`;
const helpers: Awaited<ReturnType<typeof startScript>>[] = [];
const rt = benchRuntime(stack);
let failed = false;
try {
  await sys.start();
  log(`roles up: ${sys.all.map((p) => `${p.name}(pid ${p.pid}, :${p.port})`).join(' ')}`);
  for (let i = 0; i < APIS; i++)
    helpers.push(await startScript('bench/queue/hello.ts', sys.api.port + 100 + i, {}, stack.outDir));
  const [seller] = await bulkUsers(rt, 1, 'SELLER', 'cluster-seller-');
  if (seller === undefined) throw new Error('no seller');
  const admin = await adminToken(sys.api.url);
  log(`creating ${BUYERS} buyer accounts`);
  const buyers = await bulkUsers(rt, BUYERS, 'BUYER', 'cluster-buyer-');

  let joinRps = 1000;
  if (!SKIP.has('scale')) {
    results.scale = await scaleOut({
      stack,
      apis: sys.apis.map((p) => p.url),
      hellos: helpers.map((h) => h.url),
      sellerToken: seller.token,
      buyers,
      duration: DURATION,
      connections: CONNECTIONS,
      counts: Array.from({ length: APIS }, (_, i) => i + 1),
      log,
    });
    joinRps = results.scale.figures.find((f) => f.path === 'join' && f.processes === 2)?.rps ?? joinRps;
  }
  if (!SKIP.has('onsale')) {
    // the sale runs through two api processes; a third would only take CPU from them
    for (const p of sys.apis.slice(2)) await p.stop();
    const two = sys.apis.slice(0, 2).map((p) => p.url);
    results.onsale = await onSale({
      stack,
      api: sys.api.url,
      apis: two,
      sellerToken: seller.token,
      adminToken: admin,
      buyers,
      joinRpsEstimate: joinRps,
      // long enough for most joins (1.5 requests a buyer with the early coupon claims), bounded for the 12 min
      preQueueSeconds: Math.min(45, Math.max(15, Math.ceil((1.5 * BUYERS) / joinRps) + 5)),
      admitPerSecond: 40,
      maxActive: 150,
      maxSecondsAfterOpen: Number(env.BENCH_ONSALE_SECONDS ?? 100),
      venue: { sections: Math.max(1, Math.round(SEATS / 1000)), rows: 20, seatsPerRow: 50 },
      campaignQuantity: COUPONS,
      log,
      during: (info) => inject(info.scheduleId, info.opensAt, seller.token),
    });
    const o = results.onsale;
    log(`on-sale done: sold out after ${o.soldOutAfterSeconds ?? '-'} s, flows ${o.flows}`);
    for (const [k, v] of Object.entries(o.outcomes)) if (k.startsWith('api.')) results.crossApi[k] = v;
    // the rest of the queue waits on: pause it so no new events come while the checker reads Kafka to the end
    await call(sys.api.url, 'PATCH', `/api/v1/schedules/${o.scheduleId}/queue`, {
      token: seller.token,
      body: { paused: true },
    });
  }
  log('invariants');
  results.invariants = await checkInvariants({
    databaseUrl: stack.databaseUrl,
    redisUrl: stack.redisUrl,
    redisClusterNodes: clusterNodes,
    redisPrefix: stack.redisPrefix,
    kafkaBrokers: BROKERS.split(','),
    topicPrefix: stack.topicPrefix,
    settleTimeoutMs: 90_000,
    kafkaReadMaxMs: 120_000,
    ...scenarioObservations(results.onsale),
  });
  console.log(formatReport(results.invariants));
  failed = results.invariants.violations.length > 0;
  results.keysPerNode = await keysPerNode(redisTarget(stack), stack.redisPrefix);
  log(`keys per Redis master: ${JSON.stringify(results.keysPerNode)}`);
} catch (err) {
  failed = true;
  results.errors.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
  console.error(err);
} finally {
  results.machine.loadAverageEnd = loadNow();
  results.processes = sys.all.map((p) => ({ name: p.name, pid: p.pid, port: p.port, starts: p.starts }));
  results.serverLog = logSummary(
    stack.outDir,
    sys.all.map((p) => p.name),
  );
  results.durationSeconds = Math.round((Date.now() - t0) / 1000);
  const forJson = {
    ...results,
    onsale:
      results.onsale === null ? null : { ...results.onsale, issued202: results.onsale.issued202.length },
    scale: results.scale === null ? null : { figures: results.scale.figures },
  };
  writeFileSync(join(OUT, 'cluster-results.json'), `${JSON.stringify(forJson, null, 1)}\n`);
  writeFileSync(join(OUT, 'CLUSTER.md'), renderCluster(results, failed));
  for (const h of helpers) await h.stop();
  await sys.stop().catch(() => sys.kill());
  await rt.shutdown();
  await dropStack(stack).catch(() => undefined);
  if (!redisWasUp) await script('scripts/redis-cluster/down.sh').catch((e) => log(String(e)));
  if (!kafkaWasUp) await script('scripts/kafka/cluster-down.sh', '--wipe').catch((e) => log(String(e)));
}
log(
  `wrote ${OUT}/CLUSTER.md, cluster-results.json in ${results.durationSeconds} s${failed ? ' — FAILED' : ''}`,
);
process.exit(failed ? 1 : 0);

/** During the sale: SIGKILL the leading admitter (the stand-by must take over), then one Kafka broker. */
async function inject(scheduleId: string, opensAt: number, sellerToken: string): Promise<void> {
  const restarts: Promise<void>[] = [];
  const at = () => `t+${((Date.now() - opensAt) / 1000).toFixed(1)} s`;
  const note = (s: string) => {
    results.injected.push(`${at()}: ${s}`);
    log(`inject ${at()}: ${s}`);
  };
  const admitted = async () =>
    (
      await call<{ admittedTotal: number; waiting: number }>(
        sys.api.url,
        'GET',
        `/api/v1/schedules/${scheduleId}/queue/stats`,
        { token: sellerToken },
      )
    ).body;
  await sleep(5000);
  const leader = await leaderOf(sys.admitters, scheduleId);
  if (leader === null) note('no admitter reported leading the sale in /metrics; none killed');
  else {
    const before = (await admitted()).admittedTotal;
    const pid = leader.pid;
    await leader.stop('SIGKILL');
    const killedAt = Date.now();
    note(`SIGKILL admitter ${leader.name} (pid ${pid}), the leader; admittedTotal ${before}`);
    let resumed: number | null = null;
    while (Date.now() - killedAt < 30_000) {
      const s = await admitted();
      if (s.admittedTotal > before + 1 || s.waiting === 0) {
        resumed = Date.now() - killedAt;
        break;
      }
      await sleep(200);
    }
    const next = await leaderOf(sys.admitters, scheduleId);
    note(
      resumed === null
        ? 'admission did not resume within 30 s'
        : `admission resumed ${(resumed / 1000).toFixed(1)} s after the kill; leader now ${next?.name ?? 'unknown'}`,
    );
    // restarted in the background (a start takes a while on a busy machine); the broker kill goes on
    restarts.push(
      leader.start().then(() => note(`${leader.name} restarted (pid ${leader.pid}) as the stand-by`)),
    );
  }
  await sleep(3000);
  const node = 2;
  const pid = brokerPid(node);
  if (pid > 0) {
    process.kill(pid, 'SIGKILL');
    note(
      `SIGKILL Kafka broker node ${node} (pid ${pid}, 127.0.0.1:${KAFKA_PORTS[node - 1]}); 2 of 3 in sync remain`,
    );
    await sleep(20_000);
    await script('scripts/kafka/cluster-up.sh');
    note(
      `Kafka broker node ${node} restarted by scripts/kafka/cluster-up.sh (pid ${brokerPid(node)}); 3 brokers`,
    );
  } else note('no Kafka broker pid file; none killed');
  await Promise.all(restarts);
}
