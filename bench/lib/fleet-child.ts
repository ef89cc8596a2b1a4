/**
 * SSE generator child for the multi-process run (bench/lib/sse-fleet.ts): one waiting-room stream per
 * user (each its own TCP connection, so ≤ 20,000 per child), spread round-robin over the api processes.
 *   FLEET='{"apis":["http://…",…],"queuePath":"/api/v1/schedules/<id>/queue","usersFile":"…","parallel":100,"ttlMs":600000}'
 * stdin: one JSON line per step `{"upTo":n}`: joins the queue (POST) and opens the streams of its users
 * [opened, n). Every second it prints a status line; the `admitted` events' delays (client receipt time
 * minus the admission time = expiresAt − admission TTL, both on this machine's clock) since the last
 * line go out with it. SIGTERM ends it.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

interface Spec {
  apis: string[];
  queuePath: string;
  usersFile: string;
  parallel: number;
  ttlMs: number;
}
const spec = JSON.parse(process.env.FLEET ?? '{}') as Spec;
const users = JSON.parse(readFileSync(spec.usersFile, 'utf8')) as { t: string }[];
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.parallel });
const events: Record<string, number> = {};
const failures: Record<string, number> = {};
const perApi = spec.apis.map(() => 0);
let delays: number[] = [];
let joined = 0;
let open = 0;
let failed = 0;
let closedByServer = 0;
let opened = 0;
let joinMs = 0;
/** this child's own event-loop delay: a busy generator reads its sockets late, which adds to the delays */
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let openMs = 0;
const requests: http.ClientRequest[] = [];

const fail = (code: string) => {
  failed++;
  failures[code] = (failures[code] ?? 0) + 1;
};

/** A join, retried on a connection error (a kept-alive socket the server closed meanwhile). */
async function join(i: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const error = await joinOnce(i);
    if (error === null) return;
    if (attempt === 3) {
      fail(`join ${error}`);
      return;
    }
  }
}

function joinOnce(i: number): Promise<string | null> {
  const u = users[i] as { t: string };
  return new Promise((resolve) => {
    const req = http.request(
      `${spec.apis[i % spec.apis.length]}${spec.queuePath}`,
      { method: 'POST', agent, headers: { authorization: `Bearer ${u.t}` } },
      (res) => {
        if (res.statusCode === 202) joined++;
        else fail(`join ${res.statusCode}`);
        res.resume();
        res.on('end', () => resolve(null));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    req.end();
  });
}

/** Reads the SSE text of one stream: counts event types, times `admitted` against its admission. */
function reader(): (chunk: string) => void {
  let partial = '';
  let event = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('event: ')) {
        event = line.slice(7);
        events[event] = (events[event] ?? 0) + 1;
      } else if (line.startsWith('data: ') && event === 'admitted') {
        const { expiresAt } = JSON.parse(line.slice(6)) as { expiresAt: string };
        delays.push(Date.now() - (Date.parse(expiresAt) - spec.ttlMs));
      } else if (line.startsWith(': ')) {
        events.ping = (events.ping ?? 0) + 1;
      } else if (line === '') {
        event = '';
      }
    }
  };
}

function connect(i: number): Promise<void> {
  const u = users[i] as { t: string };
  const api = i % spec.apis.length;
  const url = `${spec.apis[api]}${spec.queuePath}/stream?access_token=${encodeURIComponent(u.t)}`;
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) {
        fail(String(res.statusCode));
        res.resume();
        resolve();
        return;
      }
      open++;
      perApi[api] = (perApi[api] ?? 0) + 1;
      resolve();
      res.setEncoding('utf8');
      res.on('data', reader());
      res.on('end', () => {
        open--;
        perApi[api] = (perApi[api] ?? 0) - 1;
        closedByServer++;
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      fail(err.code ?? 'error');
      resolve();
    });
    requests.push(req);
  });
}

async function each(from: number, to: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  const worker = async () => {
    for (let i = next++; i < to; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: spec.parallel }, worker));
}

const status = (done: boolean) => {
  console.log(
    JSON.stringify({
      done,
      joined,
      opened,
      open,
      perApi,
      failed,
      failures,
      closedByServer,
      events,
      delays,
      joinMs,
      openMs,
      loopP99Ms: loop.percentile(99) / 1e6,
    }),
  );
  delays = [];
  loop.reset();
};
const timer = setInterval(() => status(false), 1000);
process.once('SIGTERM', () => {
  clearInterval(timer);
  for (const r of requests) r.destroy();
  agent.destroy();
  process.exit(0);
});

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const upTo = Math.min(users.length, (JSON.parse(line) as { upTo: number }).upTo);
  queue = queue.then(async () => {
    const from = opened;
    if (upTo > from) {
      const t0 = Date.now();
      await each(from, upTo, join);
      const t1 = Date.now();
      await each(from, upTo, connect);
      joinMs = t1 - t0;
      openMs = Date.now() - t1;
      opened = upTo;
    }
    status(true);
  });
});
