/**
 * `make chaos`: fault runs on loopback, each on its own fresh stack with a small on-sale (1,000 seats,
 * a few thousand buyers), the fault injected mid-sale, then the same invariant report as the bench.
 *   CHAOS=worker-kill,relay-kill node bench/chaos.ts   (default: every scenario)
 * Writes bench/CHAOS.md and exits 1 if any run had a violation.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkInvariants, formatReport, type InvariantReport } from './invariants.ts';
import { type ChaosContext, SCENARIOS } from './lib/chaos-scenarios.ts';
import { adminToken, benchRuntime, bulkUsers } from './lib/fixtures.ts';
import { loadNow, machine } from './lib/machine.ts';
import { OwnRedis } from './lib/own-redis.ts';
import { createStack, dropStack, ROOT, System } from './lib/system.ts';
import { onSale } from './scenario/onsale.ts';

const wanted = new Set((process.env.CHAOS ?? '').split(',').filter(Boolean));
const BUYERS = Number(process.env.CHAOS_BUYERS ?? 3000);
const t0 = Date.now();
const log = (s: string) => console.log(`[chaos ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}`);

interface RunResult {
  name: string;
  what: string;
  injected: string[];
  soldOutAfterSeconds: number | null;
  flows: number;
  flowEnds: Record<string, number>;
  fivexx: number;
  report: InvariantReport | null;
  error: string | null;
  seconds: number;
}

const runs: RunResult[] = [];
const m = machine();
for (const scenario of SCENARIOS) {
  if (wanted.size > 0 && !wanted.has(scenario.name)) continue;
  const started = Date.now();
  log(`=== ${scenario.name}: ${scenario.what}`);
  const own =
    scenario.ownRedis === undefined
      ? null
      : new OwnRedis(await OwnRedis.freePort(), scenario.ownRedis === 'aof');
  if (own !== null) {
    await own.start();
    log(`own redis-server on :${own.port} (appendonly ${own.aof ? 'yes' : 'no'}, dir ${own.dir})`);
  }
  const stack = await createStack('c', {
    ...(own === null ? {} : { REDIS_URL: own.url }),
    PAYMENT_RETRY_BASE_MS: '50',
    PAYMENT_RECOVERY_INTERVAL_MS: '1000',
    ...scenario.env,
  });
  const sys = new System(stack, scenario.system ?? {});
  const rt = benchRuntime(stack);
  const injected: string[] = [];
  const result: RunResult = {
    name: scenario.name,
    what: scenario.what,
    injected,
    soldOutAfterSeconds: null,
    flows: 0,
    flowEnds: {},
    fivexx: 0,
    report: null,
    error: null,
    seconds: 0,
  };
  try {
    await sys.start();
    const [seller] = await bulkUsers(rt, 1, 'SELLER', 'chaos-seller-');
    if (seller === undefined) throw new Error('no seller');
    const admin = await adminToken(sys.api.url);
    const buyers = await bulkUsers(rt, BUYERS, 'BUYER', 'chaos-buyer-');
    const ctx: ChaosContext = {
      sys,
      stack,
      own,
      sellerToken: seller.token,
      adminToken: admin,
      injected,
      log: (s) => {
        injected.push(s);
        log(`  inject: ${s}`);
      },
    };
    const sale = await onSale({
      stack,
      api: sys.api.url,
      provider: sys.providerUrl,
      sellerToken: seller.token,
      adminToken: admin,
      buyers,
      joinRpsEstimate: 1000,
      preQueueSeconds: 10,
      admitPerSecond: 40,
      maxActive: 120,
      maxSecondsAfterOpen: 60,
      venue: { sections: 2, rows: 20, seatsPerRow: 25 },
      log,
      during: (info) => scenario.inject(ctx, info),
    });
    result.soldOutAfterSeconds = sale.soldOutAfterSeconds;
    result.flows = sale.flows;
    result.flowEnds = sale.flowEnds;
    result.fivexx = sale.fivexx.length;
    // make sure every role runs again before the check (a scenario may leave one stopped)
    for (const p of sys.all) if (!p.running) await p.start();
    result.report = await checkInvariants({
      databaseUrl: stack.databaseUrl,
      redisUrl: stack.redisUrl,
      redisPrefix: stack.redisPrefix,
      kafkaBrokers: (stack.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      topicPrefix: stack.topicPrefix,
      settleTimeoutMs: 60_000,
      issued202: { [sale.campaignId]: sale.issued202 },
      maxActiveSeen: { [sale.scheduleId]: sale.maxActiveSeen },
    });
    console.log(`injected:\n${injected.map((s) => `  - ${s}`).join('\n')}`);
    console.log(formatReport(result.report));
  } catch (err) {
    result.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    console.error(err);
  } finally {
    await sys.stop().catch(() => sys.kill());
    await rt.shutdown();
    await dropStack(stack).catch(() => undefined);
    if (own !== null) await own.destroy();
    result.seconds = Math.round((Date.now() - started) / 1000);
    runs.push(result);
  }
}

const failed = runs.filter((r) => r.error !== null || (r.report?.violations.length ?? 1) > 0);
const L: string[] = ['# Chaos runs (`make chaos`)', ''];
L.push(
  `Run on ${new Date(t0).toISOString()} (${Math.round((Date.now() - t0) / 1000)} s) on ${m.cores} cores, ${m.ramGiB} GiB, Node ${m.node};`,
  `load average ${m.loadAverageStart.join(' / ')} at start, ${loadNow().join(' / ')} at end. Each run: a fresh stack, every role as its own`,
  `process, a 1,000-seat on-sale with ${BUYERS} buyers (admit 40/s, maxActive 120, a 1,000-unit coupon campaign, payments`,
  'through the sandbox with declines), the fault injected from the opening on, then bench/invariants.ts.',
  '',
  '| run | what was injected | sold out | buyers served | 5xx seen | violations | warnings |',
  '|---|---|---:|---:|---:|---:|---:|',
);
for (const r of runs) {
  L.push(
    `| ${r.name} | ${r.injected.join('; ').replace(/\|/g, '/') || '–'} | ${r.soldOutAfterSeconds === null ? 'no' : `${r.soldOutAfterSeconds.toFixed(0)} s`} | ${r.flows} | ${r.fivexx} | ${r.error !== null ? 'run failed' : (r.report?.violations.length ?? '–')} | ${r.report?.warnings.length ?? '–'} |`,
  );
}
for (const r of runs) {
  L.push('', `## ${r.name}`, '', r.what, '', '```');
  L.push(...r.injected.map((s) => `inject: ${s}`));
  if (r.report !== null) L.push(formatReport(r.report));
  if (r.error !== null) L.push(r.error);
  L.push('```');
}
const missing = SCENARIOS.filter((s) => wanted.size > 0 && !wanted.has(s.name)).map((s) => s.name);
if (missing.length > 0) L.push('', `Not run this time (CHAOS filter): ${missing.join(', ')}.`);
writeFileSync(join(process.env.CHAOS_OUT ?? join(ROOT, 'bench'), 'CHAOS.md'), `${L.join('\n')}\n`);
log(`${runs.length} run(s), ${failed.length} failed`);
process.exit(failed.length > 0 ? 1 : 0);
