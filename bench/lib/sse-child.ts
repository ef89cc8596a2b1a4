/**
 * SSE load child: opens one waiting-room event stream per user (each its own TCP connection), keeps
 * them open and counts what arrives. A separate process from the api; ramps up in waves.
 *   SSE='{"url":"http://…/api/v1/schedules/<id>/queue/stream","usersFile":"…","count":19000,"parallel":200}'
 * Prints a JSON status line every second: {open, failed, events:{type:n}, bytes}; SIGTERM ends it.
 */

import { readFileSync } from 'node:fs';
import http from 'node:http';

interface Spec {
  url: string;
  usersFile: string;
  count: number;
  parallel: number;
}
const spec = JSON.parse(process.env.SSE ?? '{}') as Spec;
const users = (JSON.parse(readFileSync(spec.usersFile, 'utf8')) as { t: string }[]).slice(0, spec.count);
const events: Record<string, number> = {};
const failures: Record<string, number> = {};
let open = 0;
let failed = 0;
let closedByServer = 0;
let bytes = 0;
let started = 0;
const requests: http.ClientRequest[] = [];

function connect(token: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(`${spec.url}?access_token=${encodeURIComponent(token)}`, { agent: false }, (res) => {
      if (res.statusCode !== 200) {
        failed++;
        failures[String(res.statusCode)] = (failures[String(res.statusCode)] ?? 0) + 1;
        res.resume();
        resolve();
        return;
      }
      open++;
      resolve();
      res.setEncoding('utf8');
      let partial = '';
      res.on('data', (chunk: string) => {
        bytes += chunk.length;
        const text = partial + chunk;
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith('event: ')) {
            const type = line.slice(7).trim();
            events[type] = (events[type] ?? 0) + 1;
          } else if (line.startsWith(': ')) {
            events.ping = (events.ping ?? 0) + 1;
          }
        }
      });
      res.on('end', () => {
        open--;
        closedByServer++;
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      failed++;
      failures[err.code ?? 'error'] = (failures[err.code ?? 'error'] ?? 0) + 1;
      resolve();
    });
    requests.push(req);
  });
}

const status = () =>
  console.log(
    JSON.stringify({ t: Date.now(), started, open, failed, failures, closedByServer, events, bytes }),
  );
const timer = setInterval(status, 1000);
process.once('SIGTERM', () => {
  clearInterval(timer);
  status();
  for (const r of requests) r.destroy();
  process.exit(0);
});

let next = 0;
async function worker(): Promise<void> {
  for (;;) {
    const i = next++;
    const u = users[i];
    if (u === undefined) return;
    started++;
    await connect(u.t);
  }
}
await Promise.all(Array.from({ length: spec.parallel }, worker));
