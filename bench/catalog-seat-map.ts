/**
 * Seat-map read benchmark: p50 / p99 of `GET /api/v1/schedules/{id}/seats` for 5,000- and 50,000-seat
 * schedules under concurrent reads, with everything AVAILABLE and mid-sale (10 % HELD/SOLD), plain
 * and gzip. The status source is in memory: booking's real one (Redis + PostgreSQL) adds its read
 * time once per 100 ms per schedule (reads are coalesced), not per request.
 *
 *   . scripts/node.sh && node bench/catalog-seat-map.ts   [DURATION=5 CONNECTIONS=20]
 *
 * A scratch database is created, migrated and dropped; the api runs in this process and
 * autocannon in a child process (so the load generator does not share the server's event loop).
 * Short runs only: the machine is shared.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import pg from 'pg';
import type { SeatStatusSource } from '../src/modules/catalog/index.ts';
import { loadConfig } from '../src/platform/config.ts';
import { createDb } from '../src/platform/db.ts';
import { migrateToLatest } from '../src/platform/migrate.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { buildApi } from '../src/roles/api.ts';
import { createModules } from '../src/roles/modules.ts';

const run = promisify(execFile);
const DURATION = Number(process.env.DURATION ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 20);
const base = process.env.BENCH_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
const dbName = `qt_bench_catalog_${randomBytes(3).toString('hex')}`;

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const databaseUrl = `${base}/${dbName}`;
  const { db } = createDb(databaseUrl, 2);
  await migrateToLatest(db);
  await db.destroy();

  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: `qt:bench:${dbName}:`,
    RATE_LIMIT_IP_PER_SECOND: '10000000',
    LOG_LEVEL: 'warn',
    DEMO_DATA: 'false',
    HTTP_PORT: '0',
  });
  const rt = createRuntime(config);
  const modules = createModules(rt);
  const unavailable = new Map<string, Map<number, 'HELD' | 'SOLD'>>();
  const source: SeatStatusSource = {
    unavailableSeats: async (id) => unavailable.get(id) ?? new Map(),
    standingTaken: async () => 0,
  };
  modules.catalog.setSeatStatusSource(source);
  const app = await buildApi(rt, modules);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const [seller] = await modules.identity.bulkCreateAccounts({
      count: 1,
      role: 'SELLER',
      emailPrefix: 'bench',
    });
    if (seller === undefined) throw new Error('no seller');
    const results: string[] = [];
    for (const [label, sections] of [
      ['5,000', 5],
      ['50,000', 50],
    ] as const) {
      // sections of 1,000 seats: 20 rows × 50
      const venue = await post(url, seller.accessToken, '/api/v1/venues', {
        name: `Bench ${label}`,
        sections: Array.from({ length: sections }, (_, i) => ({
          name: `S${i + 1}`,
          rows: 20,
          seatsPerRow: 50,
        })),
      });
      const start = new Date(Date.UTC(2035, 0, 1) + sections * 86_400_000);
      const perf = await post(url, seller.accessToken, '/api/v1/performances', {
        venueId: venue.id,
        title: `Bench ${label}`,
        grades: [
          { grade: 'R', price: 150_000 },
          { grade: 'S', price: 120_000 },
        ],
        sectionGrades: Object.fromEntries(
          Array.from({ length: sections }, (_, i) => [`S${i + 1}`, i % 2 ? 'S' : 'R']),
        ),
        schedules: [{ startsAt: start.toISOString() }],
        salesOpenAt: new Date().toISOString(),
        salesCloseAt: start.toISOString(),
      });
      const scheduleId = (perf.schedules as { id: string }[])[0]?.id ?? '';
      const path = `/api/v1/schedules/${scheduleId}/seats`;
      const t0 = performance.now();
      const cold = await fetch(`${url}${path}`, { headers: { 'accept-encoding': 'identity' } });
      const body = (await cold.json()) as { seats: { id: number }[] };
      const coldMs = performance.now() - t0;
      const bytes = Number(cold.headers.get('content-length'));
      const gz = await fetch(`${url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
      const gzBytes = Number(gz.headers.get('content-length'));
      await gz.arrayBuffer();
      results.push(
        `${label} seats: cold first read ${coldMs.toFixed(0)} ms (builds the static map); ` +
          `${(bytes / 1e6).toFixed(2)} MB, gzip ${(gzBytes / 1e6).toFixed(2)} MB`,
      );
      results.push(`  all AVAILABLE: ${await cannon(`${url}${path}`)}`);
      const held = new Map<number, 'HELD' | 'SOLD'>();
      body.seats.forEach((s, i) => {
        if (i % 10 === 0) held.set(s.id, i % 20 === 0 ? 'SOLD' : 'HELD');
      });
      unavailable.set(scheduleId, held);
      results.push(`  10% HELD/SOLD: ${await cannon(`${url}${path}`)}`);
      results.push(`  10% HELD/SOLD, gzip: ${await cannon(`${url}${path}`, ['-H', 'accept-encoding=gzip'])}`);
    }
    const load = loadavg()[0]?.toFixed(1);
    console.log(
      `\nseat map, ${CONNECTIONS} connections, ${DURATION} s each, load average ${load}\n${results.join('\n')}`,
    );
  } finally {
    await app.close();
    await rt.shutdown();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

async function post(
  url: string,
  token: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function cannon(target: string, extra: string[] = []): Promise<string> {
  const { stdout } = await run(
    'node_modules/.bin/autocannon',
    ['-c', String(CONNECTIONS), '-d', String(DURATION), '-j', ...extra, target],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout) as {
    latency: { p50: number; p99: number; max: number };
    requests: { average: number; total: number };
    throughput: { average: number };
    non2xx: number;
    errors: number;
  };
  return (
    `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms, ` +
    `${r.requests.average.toFixed(0)} req/s, ${(r.throughput.average / 1e6).toFixed(0)} MB/s, ` +
    `${r.requests.total} requests, non-2xx ${r.non2xx}, errors ${r.errors}`
  );
}

await main();
