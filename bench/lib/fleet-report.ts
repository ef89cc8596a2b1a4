/** The RESULTS.md section of the multi-process SSE run (bench/lib/sse-fleet.ts), between markers. */
import type { FleetResult, FleetStep } from './sse-fleet.ts';

export const FLEET_START = '<!-- fleet:start -->';
export const FLEET_END = '<!-- fleet:end -->';

const n0 = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en');
const n1 = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toFixed(1));
const span = (xs: (number | null)[], f: (n: number) => string) => {
  const v = xs.filter((x): x is number => x !== null);
  if (v.length === 0) return '–';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return lo === hi ? f(lo) : `${f(lo)}–${f(hi)}`;
};

export function renderFleet(f: FleetResult, generatedAt: string): string[] {
  const last = f.steps[f.steps.length - 1];
  const L: string[] = [FLEET_START, '## Live waiting-room streams across api processes (one schedule)', ''];
  L.push(
    `${f.apis} api processes (\`ROLES=api\`, each limited to 20,000 open files) hold the streams of ONE schedule; ${f.generators}`,
    'generator processes (bench/lib/fleet-child.ts, each under 20,000 files too) join the queue and open one TCP',
    'connection per waiter, spread evenly over the api processes. Accounts are made in bulk',
    `(${n1(f.accountsSeconds)} s for those not already made). At each step the queue is paused for 4 s (CPU "paused"),`,
    `then admits ${f.admitPerSecond}/s (every waiter's position drops each second, so each gets a position event per second),`,
    'then pauses again. CPU is percent of one core; the machine has 2 cores shared with Redis, PostgreSQL, Kafka,',
    `the generators and other engineers' work. Run: ${generatedAt}.`,
    '',
  );
  if (last !== undefined) L.push(...stepDetail(last));
  L.push('### Cost growth', '');
  L.push(
    '| waiters | held | failed | time to join + open (joins + streams) | api CPU per new waiter | RSS per stream | CPU paused (sum) | CPU flowing (sum) | round paused | round flowing | position events/s | admitted events | admission → client p50 / p99 | closed by server | generators CPU | load |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of f.steps) {
    L.push(
      `| ${n0(s.waiters)} | ${n0(s.held)} | ${n0(s.failed)} | ${n1(s.openSeconds)} s (${n1(s.joinSeconds)} + ${n1(s.streamsSeconds)}) | ${n0(s.apiCpuUsPerNewWaiter)} µs | ${n1(s.rssPerStreamKiB)} KiB | ${n0(s.cpuPausedTotalPercent)} % | ${n0(s.cpuFlowingTotalPercent)} % | ${span(
        s.processes.map((p) => p.roundPausedMs),
        n0,
      )} ms | ${span(
        s.processes.map((p) => p.roundFlowingMs),
        n0,
      )} ms | ${n0(s.positionEventsPerSecond)} | ${n0(s.admittedEvents)} | ${n0(s.admitDelayMs?.p50)} / ${n0(s.admitDelayMs?.p99)} ms | ${n0(s.closedByServer)} | ${n0(s.generatorCpuFlowingPercent)} % | ${n1(s.loadAverage)} |`,
    );
  }
  L.push(
    '',
    'API CPU per new waiter = CPU of all api processes while the step joined and opened, per waiter added (join +',
    "stream open; a figure that moves far less with the machine's load than the times do).",
    'Round = one position round of a process (read the states of all its connected waiters, write the events), mean',
    'of the rounds in the window, the range over the processes. Admission → client = the time the client read the',
    "`admitted` event minus the admission time (the admission's `expiresAt` minus the admission TTL; one clock).",
    'Closed by server = streams that ended without the client closing them (goal 0).',
    FLEET_END,
    '',
  );
  return L;
}

function stepDetail(s: FleetStep): string[] {
  const L: string[] = [
    `### ${n0(s.waiters)} waiters: per process`,
    '',
    `Held **${n0(s.held)}** streams of ${n0(s.waiters)} (failed ${n0(s.failed)}${Object.keys(s.failures).length > 0 ? ` ${JSON.stringify(s.failures)}` : ''}); ` +
      `${n0(s.positionEventsPerSecond)} position events/s delivered while admitting; ${n0(s.admittedEvents)} \`admitted\` events, ` +
      `admission → client p50 ${n0(s.admitDelayMs?.p50)} ms, p99 ${n0(s.admitDelayMs?.p99)} ms, max ${n0(s.admitDelayMs?.max)} ms; ` +
      `closed by the server: **${n0(s.closedByServer)}**. The generators' own event-loop delay meanwhile ` +
      `(p99 of each second): median ${n0(s.generatorLoopP99Ms?.median)} ms, worst ${n0(s.generatorLoopP99Ms?.max)} ms (a late read adds to the delay).`,
    '',
    '| process | streams | open files | RSS | CPU paused | CPU flowing | round paused | round flowing | event-loop delay p99 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of s.processes) {
    L.push(
      `| ${p.name} | ${n0(p.streams)} | ${n0(p.fds)} | ${n0(p.rssMiB)} MiB | ${n0(p.cpuPausedPercent)} % | ${n0(p.cpuFlowingPercent)} % | ${n0(p.roundPausedMs)} ms | ${n0(p.roundFlowingMs)} ms | ${n0(p.loopLagP99Ms)} ms |`,
    );
  }
  L.push('');
  return L;
}
