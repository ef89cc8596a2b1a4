/**
 * Load generator child (autocannon), always a separate process from the server under test.
 *   LOAD='<LoadSpec JSON>' node bench/lib/load-child.ts   → prints one JSON line (LoadResult)
 * A spec is a sequence of steps each connection repeats (e.g. hold then release); every request takes
 * the next simulated user (bearer token, admission token) in rotation. Latency is recorded per step
 * for every answer (2xx and 4xx alike), in microseconds.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec, StepResult } from './load.ts';

interface User {
  t: string;
  a?: string;
}
interface Ctx {
  user?: User;
  holdId?: string;
  step?: string;
}

const spec = JSON.parse(process.env.LOAD ?? '{}') as LoadSpec;
const users: User[] =
  spec.usersFile === undefined ? [] : (JSON.parse(readFileSync(spec.usersFile, 'utf8')) as User[]);
let nextUser = spec.startUser ?? Math.floor(Math.random() * Math.max(1, users.length));
const [seatMin, seatMax] = spec.seatRange ?? [1, 1];

const perStep = new Map<string, { lat: number[]; status: Record<string, number> }>();
for (const s of spec.steps) perStep.set(s.name, { lat: [], status: {} });
let lastStep = '';

const requests = spec.steps.map((step, index) => ({
  method: step.method,
  path: step.path,
  setupRequest: (req: Record<string, unknown>, context: Ctx) => {
    if (index === 0 && users.length > 0) context.user = users[nextUser++ % users.length];
    let path = step.path;
    if (step.path.includes('{holdId}')) {
      if (context.holdId === undefined) return null; // the hold failed: start over with a new one
      path = path.replace('{holdId}', context.holdId);
      context.holdId = undefined;
    }
    const headers: Record<string, string> = { ...(req.headers as Record<string, string>) };
    if (step.auth && context.user !== undefined) headers.authorization = `Bearer ${context.user.t}`;
    if (step.admission && context.user?.a !== undefined) headers['x-admission-token'] = context.user.a;
    let body: string | undefined;
    if (step.body === 'randomSeat') {
      const n = spec.seatsPerHold ?? 1;
      const seats = new Set<number>();
      while (seats.size < n) seats.add(seatMin + Math.floor(Math.random() * (seatMax - seatMin + 1)));
      body = JSON.stringify({ seatIds: [...seats] });
    } else if (step.body !== undefined) {
      body = JSON.stringify(step.body);
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    return { ...req, method: step.method, path, headers, ...(body === undefined ? {} : { body }) };
  },
  onResponse: (status: number, body: string, context: Ctx) => {
    lastStep = step.name;
    if (step.capture === 'holdId' && status === 201) {
      try {
        context.holdId = (JSON.parse(body) as { holdId?: string }).holdId;
      } catch {
        context.holdId = undefined;
      }
    }
  },
}));

const started = Date.now();
let finish: (r: autocannon.Result) => void = () => undefined;
const done = new Promise<autocannon.Result>((resolve) => {
  finish = resolve;
});
const instance = autocannon(
  {
    url: spec.url,
    duration: spec.duration,
    connections: spec.connections,
    pipelining: 1,
    timeout: 30,
    // biome-ignore lint/suspicious/noExplicitAny: autocannon's request typing does not know context
    requests: requests as any,
  },
  (err: unknown, result: autocannon.Result) => {
    if (err) {
      console.error(err);
      process.exit(1);
    }
    finish(result);
  },
);
instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
  const rec = perStep.get(lastStep);
  if (rec === undefined) return;
  rec.lat.push(Math.round(responseTime * 1000));
  rec.status[String(statusCode)] = (rec.status[String(statusCode)] ?? 0) + 1;
});
const result = await done;
const seconds = (Date.now() - started) / 1000;
const pct = (sorted: number[], p: number) =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) / 1000;
const steps: Record<string, StepResult> = {};
for (const [name, rec] of perStep) {
  const sorted = rec.lat.sort((a, b) => a - b);
  steps[name] = {
    count: sorted.length,
    rps: sorted.length / seconds,
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    status: rec.status,
    ...(spec.rawLatencies ? { lat: sorted.map((us) => us / 1000) } : {}),
  };
}
const out: LoadResult = {
  rps: result.requests.total / seconds,
  p50: result.latency.p50,
  p99: result.latency.p99,
  total: result.requests.total,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  seconds,
  steps,
};
console.log(JSON.stringify(out));
