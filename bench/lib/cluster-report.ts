/** bench/CLUSTER.md from the `make bench-cluster` run (the same data as bench/cluster-results.json). */
import { formatReport, type InvariantReport } from '../invariants.ts';
import type { OnSaleResult } from '../scenario/onsale.ts';
import type { ScaleFigure } from './cluster-throughput.ts';
import type { Machine } from './machine.ts';

export interface ClusterResults {
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  settings: Record<string, number | string>;
  topology: string;
  scale: { figures: ScaleFigure[] } | null;
  onsale: OnSaleResult | null;
  /** what was injected during the sale, with the time since the opening */
  injected: string[];
  invariants: InvariantReport | null;
  /** keys of the run's prefix on each Redis master at the end */
  keysPerNode: Record<string, number>;
  /** holds served by the same / another api process than the buyer's join */
  crossApi: Record<string, number>;
  processes: { name: string; pid: number | undefined; port: number; starts: number }[];
  errors: string[];
  serverLog: Record<string, number>;
}

const n0 = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en');
const n1 = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toFixed(1));
const n2 = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toFixed(2));
const statuses = (s: Record<string, number> | undefined) =>
  Object.entries(s ?? {})
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');

const NAMES: Record<string, string> = {
  hello: 'hello-world (bare Fastify)',
  join: 'join POST …/queue',
  rank: 'rank GET …/queue/me',
  hold: 'hold + release churn',
  issue: 'coupon issue POST …/issue',
};

function scaleSection(figures: ScaleFigure[], L: string[]): void {
  L.push('## a. Throughput with 1, 2 and 3 api processes', '');
  L.push(
    '| path | processes | req/s | p50 ms | p99 ms | × hello-world (same processes) | × 1 process | answers |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const f of figures) {
    L.push(
      `| ${NAMES[f.path] ?? f.path} | ${f.processes} | ${n0(f.rps)} | ${n1(f.p50)} | ${n1(f.p99)} | ${n2(f.ratio)} | ${n2(f.scale)} | ${statuses(f.status)}${f.errors > 0 ? ` errors×${f.errors}` : ''} |`,
    );
  }
  L.push('');
  const paths = [...new Set(figures.map((f) => f.path))];
  const most = Math.max(...figures.map((f) => f.processes));
  const moves = paths.map((p) => {
    const best = figures.filter((f) => f.path === p).sort((a, b) => b.rps - a.rps)[0];
    const two = figures.find((f) => f.path === p && f.processes === 2);
    return `${p} ${n2(two?.scale)}× with 2 (best: ${best?.processes ?? '–'} process${best?.processes === 1 ? '' : 'es'})`;
  });
  L.push(
    `What moved when processes were added (req/s with N ÷ with 1): ${moves.join('; ')}. Up to ${most} processes were measured.`,
    '',
    'How it was measured: one autocannon child per process (connections split evenly, one request in flight per',
    'connection, each child its own disjoint range of buyers), all children at once, latencies of every answer',
    'merged exactly; "req/s" is the sum. The hello-world row is a bare Fastify server with as many processes,',
    'measured before and after the paths (the better run counts); "× hello-world" compares with as many hello',
    "processes. Join: a paused queue per run, each request a buyer's first join; rank: the same buyers read their",
    'place; hold: admitted buyers hold one random seat of 5,000 and release it (both requests counted, latency of',
    "the hold); issue: a fresh 10,000,000-unit campaign per run, each request a buyer's first coupon (a grant).",
    '',
  );
}

function onsaleSection(r: ClusterResults, L: string[]): void {
  const o = r.onsale;
  if (o === null) return;
  const bad: string[] = [];
  for (const [step, st] of Object.entries(o.steps))
    for (const [k, v] of Object.entries(st.status))
      if (Number(k) >= 500 || k === '0') bad.push(`${step} ${k}×${v}`);
  const codes = [
    ...new Set(
      o.fivexx.map(
        (f) =>
          /"code":"([A-Z_]+)"/.exec(f.body)?.[1] ?? (f.status === 0 ? 'transport error' : String(f.status)),
      ),
    ),
  ];
  L.push('## b. On-sale through 2 api processes and 2 admitters, with faults', '');
  L.push(
    `${n0(o.buyers)} buyers, ${n0(Number(r.settings.SEATS))} seats, a ${n0(Number(r.settings.COUPONS))}-unit coupon campaign; admission ${o.admitPerSecond}/s with at most ${o.maxActive} at once; pre-queue ${o.preQueueSeconds} s.`,
    `Buyers alternate between the two api processes request by request (join on one, the next poll on the other, …).`,
    '',
    `- joined in ${n1(o.joinSeconds)} s (${n0(o.joinRps)} joins/s incl. coupon claims), ${n0(o.preQueue)} in the pre-queue`,
    `- sold out after ${o.soldOutAfterSeconds === null ? '– (not within the bound)' : `${n1(o.soldOutAfterSeconds)} s`}; ended after ${n1(o.endedAfterSeconds)} s; ${n0(o.flows)} buyer flows (${n0(o.unfinishedFlows)} unfinished)`,
    `- flow ends: ${statuses(o.flowEnds)}`,
    `- outcomes: ${statuses(o.outcomes)}`,
    `- most admitted at once: ${o.maxActiveSeen} (maxActive ${o.maxActive})`,
    `- answers ≥ 500 or transport errors seen by buyers: ${bad.join(', ') || 'none'}${codes.length > 0 ? ` (codes: ${codes.join(', ')}; 503 PAYMENT_OUTCOME_UNKNOWN is the contract's answer when the provider's outcome is unclear, e.g. a confirm past TOSS_TIMEOUT_MS; recovery settles it, see payments below)` : ''}`,
    `- settlement run: ${o.settlement === null ? '–' : `HTTP ${o.settlement.status}, ${o.settlement.settlements} settlement(s)`}`,
    '',
    '| step | requests | p50 ms | p99 ms | answers |',
    '|---|---:|---:|---:|---|',
  );
  for (const [name, s] of Object.entries(o.steps))
    L.push(`| ${name} | ${n0(s.count)} | ${n1(s.p50)} | ${n1(s.p99)} | ${statuses(s.status)} |`);
  L.push('', '### Injected while the sale ran', '');
  for (const i of r.injected) L.push(`- ${i}`);
  if (r.injected.length === 0) L.push('- nothing (the on-sale did not reach the injection point)');
  L.push('');
}

export function renderCluster(r: ClusterResults, failed: boolean): string {
  const m = r.machine;
  const L: string[] = [];
  L.push(
    '# bench-cluster: scale-out run',
    '',
    `Generated by \`make bench-cluster\` (bench/cluster.ts) at ${r.startedAt}, ${r.durationSeconds} s, result: **${failed ? 'FAILED' : 'passed'}**.`,
    'Data: bench/cluster-results.json. Method and the single-node figures: [README.md](README.md), [RESULTS.md](RESULTS.md).',
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.ramGiB} GiB, Node ${m.node}, Linux ${m.kernel}, Redis ${m.redis}, PostgreSQL ${m.postgres}, autocannon ${m.autocannon}; load average ${m.loadAverageStart.join(' ')} at the start, ${(m.loadAverageEnd ?? []).join(' ')} at the end (other engineers' tests share the machine).`,
    '',
    `Topology (all on loopback): ${r.topology}.`,
    '',
    ...((m.loadAverageStart[0] ?? 0) > 2 * m.cores
      ? [
          `> The machine was busy during this run (load average ${m.loadAverageStart[0]} at the start on ${m.cores} cores, from other engineers' tests and benches): absolute figures and their ratios move by a factor of 2 or more between runs; read the table as "the paths work through several processes", not as a scaling curve.`,
          '',
        ]
      : []),
    `**2 cores cap everything here.** Every api process, both admitters, the relay, the worker, PostgreSQL, three Redis masters, three Kafka brokers (JVMs), the load generators and other engineers' test suites share two cores. A second api process gets no core of its own: what it can add is the idle time of the first (waits on Redis and PostgreSQL round trips, the load generator's pauses), and a third mostly competes. These tables show that the work spreads over processes and that nothing breaks, not what more machines would give; on real hardware each process would get its own core(s).`,
    '',
  );
  if (r.scale !== null) scaleSection(r.scale.figures, L);
  onsaleSection(r, L);
  L.push("## c. Cluster safety: keys on every master, nothing in one process's memory", '');
  L.push('| Redis master | keys of this run at the end |', '|---|---:|');
  for (const [node, k] of Object.entries(r.keysPerNode)) L.push(`| ${node} | ${n0(k)} |`);
  L.push(
    '',
    'Every multi-key Lua script names keys of one hash tag (`{s:<schedule>}`, `{c:<campaign>}`, …): a CROSSSLOT',
    'error would have failed the request (a 5xx above). Keys of different schedules and campaigns land on different masters.',
    '',
    `Holds served by another api process than the buyer's join: ${n0(r.crossApi['api.holdOtherThanJoin'] ?? 0)}; by the same: ${n0(r.crossApi['api.holdSameAsJoin'] ?? 0)}. The admission token was read through one process and checked by another; queue places, holds, idempotency keys, rate limits and the sandbox live in Redis and PostgreSQL, not in a process.`,
    '',
    '| process | pid (last) | port | starts |',
    '|---|---:|---:|---:|',
  );
  for (const p of r.processes) L.push(`| ${p.name} | ${p.pid ?? '–'} | ${p.port} | ${p.starts} |`);
  L.push('', '## Invariants', '');
  if (r.invariants === null) L.push('Not checked (the run stopped before).', '');
  else L.push('```', formatReport(r.invariants), '```', '');
  const logLines = Object.entries(r.serverLog).sort((a, b) => b[1] - a[1]);
  if (logLines.length > 0) {
    L.push("## Error and warning lines in the roles' logs", '', '| count | line |', '|---:|---|');
    for (const [k, v] of logLines.slice(0, 25)) L.push(`| ${v} | ${k.replace(/\|/g, '\\|')} |`);
    L.push('');
  }
  if (r.errors.length > 0) L.push('## Errors of the run', '', '```', ...r.errors, '```', '');
  return `${L.join('\n')}\n`;
}
