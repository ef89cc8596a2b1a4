/**
 * `make fuzz`: malformed input against every operation of the api's own OpenAPI document
 * (`/docs/json`), driven by the route schemas (valid-ish values with one field broken), fast-check's
 * arbitrary JSON and strings, raw broken bodies, wrong content types, oversized bodies, and every kind
 * of credential (none, garbage, expired, wrong key, admission token as bearer, buyer/seller/admin).
 * Counts requests and 5xx (goal 0) and lists each 5xx; the api must still be healthy at the end.
 *   FUZZ_CASES=250 (per operation) FUZZ_OUT=bench node bench/fuzz.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { TokenService } from '../src/platform/tokens.ts';
import {
  adminToken,
  benchRuntime,
  bulkUsers,
  call,
  createCampaign,
  createShow,
  pool,
} from './lib/fixtures.ts';
import {
  arbitraryJson,
  headerSafe,
  mutate,
  RAW_BODIES,
  type Schema,
  sample,
  scalar,
} from './lib/fuzz-values.ts';
import { machine } from './lib/machine.ts';
import { admitUsers } from './lib/micro.ts';
import { createStack, dropStack, ROOT, System } from './lib/system.ts';

const CASES = Number(process.env.FUZZ_CASES ?? 250);
const OUT = process.env.FUZZ_OUT ?? join(ROOT, 'bench');
const t0 = Date.now();
const log = (s: string) => console.log(`[fuzz ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}`);

interface Param {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  method: string;
  path: string;
  params: Param[];
  body?: Schema;
}
interface Finding {
  method: string;
  path: string;
  status: number;
  sent: string;
  answer: string;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const agent = new Agent({ connections: 64, pipelining: 1 });

const stack = await createStack('f');
const sys = new System(stack);
const rt = benchRuntime(stack);
let exitCode = 0;
try {
  await sys.start();
  const api = sys.api.url;
  // known ids of every kind, so inputs reach past "not found" into the use cases
  const [seller] = await bulkUsers(rt, 1, 'SELLER', 'fuzz-seller-');
  const buyers = await bulkUsers(rt, 20, 'BUYER', 'fuzz-buyer-');
  if (seller === undefined || buyers[0] === undefined) throw new Error('no accounts');
  const admin = await adminToken(api);
  const show = await createShow(api, seller.token, { title: 'Fuzz', sections: 1, rows: 5, seatsPerRow: 10 });
  const campaign = await createCampaign(api, seller.token, {
    name: 'Fuzz',
    performanceId: show.performanceId,
    totalQuantity: 100,
    perUserLimit: 1,
  });
  const [admitted] = await admitUsers(api, show.scheduleId, buyers.slice(0, 1));
  const ids: string[] = [
    show.performanceId,
    show.scheduleId,
    show.venueId,
    campaign,
    seller.id,
    buyers[0].id,
  ];
  let admission = '';
  if (admitted !== undefined) {
    admission = admitted.a;
    const hold = await call<{ holdId: string }>(api, 'POST', `/api/v1/schedules/${show.scheduleId}/holds`, {
      token: buyers[0].token,
      body: { seatIds: show.seatIds.slice(0, 2) },
      headers: { 'x-admission-token': admission },
    });
    if (hold.status === 201) {
      ids.push(hold.body.holdId);
      const order = await call<{ id: string; tossOrderId: string; amount: number }>(
        api,
        'POST',
        '/api/v1/orders',
        {
          token: buyers[0].token,
          body: { holdId: hold.body.holdId },
        },
      );
      if (order.status === 201) {
        ids.push(order.body.id, order.body.tossOrderId);
        const co = await call<{ paymentKey: string }>(api, 'POST', '/sandbox/toss/checkout', {
          body: { orderId: order.body.tossOrderId, amount: order.body.amount },
        });
        if (co.status === 200) ids.push(co.body.paymentKey);
      }
    }
  }
  const foreign = new TokenService('another-secret-entirely-0123456789abcdef', 900);
  const key = stack.env.TOSS_SECRET_KEY ?? '';
  const auths: (() => Promise<Record<string, string>>)[] = [
    async () => ({}),
    async () => ({ authorization: `Bearer ${pick(buyers).token}` }),
    async () => ({ authorization: `Bearer ${pick(buyers).token}` }),
    async () => ({ authorization: `Bearer ${seller.token}` }),
    async () => ({ authorization: `Bearer ${admin}` }),
    async () => ({ authorization: `Bearer ${admin}` }),
    async () => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` }),
    async () => ({ authorization: headerSafe(`Bearer ${scalar(ids)}`) }),
    async () => ({
      authorization: `Bearer ${await rt.tokens.sign({ role: 'BUYER' }, buyers[0]?.id ?? '', 'access', -60)}`,
    }),
    async () => ({
      authorization: `Bearer ${await foreign.signAccess({ userId: buyers[0]?.id ?? '', role: 'ADMIN' })}`,
    }),
    async () => ({ authorization: `Bearer ${admission}` }),
    async () => ({
      authorization: `Bearer ${await rt.tokens.sign({ role: 'GOD' }, 'not-a-uuid', 'access', 600)}`,
    }),
  ];

  const doc = (await (await fetch(`${api}/docs/json`)).json()) as {
    paths: Record<
      string,
      Record<
        string,
        { parameters?: Param[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }
      >
    >;
  };
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const body = op.requestBody?.content?.['application/json']?.schema;
      ops.push({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        ...(body ? { body } : {}),
      });
    }
  }
  log(`${ops.length} operations from /docs/json, ${CASES} cases each`);

  const findings: Finding[] = [];
  const perOp: Record<string, { requests: number; s5xx: number; statuses: Record<string, number> }> = {};
  let requests = 0;
  let transport = 0;
  const cases = ops.flatMap((op) => Array.from({ length: CASES }, () => op));
  await pool(cases, 48, async (op) => {
    const headers: Record<string, string> = { ...(await pick(auths)()) };
    let path = op.path.replace(/\{(\w+)\}/g, () => encodeURIComponent(scalar(ids)));
    const query: string[] = [];
    for (const p of op.params) {
      if (p.in === 'query' && Math.random() < 0.6)
        query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(scalar(ids))}`);
      if (p.in === 'header' && Math.random() < 0.5) headers[p.name] = headerSafe(scalar(ids));
    }
    if (Math.random() < 0.1)
      query.push(`${encodeURIComponent(scalar(ids).slice(0, 20))}=${encodeURIComponent(scalar(ids))}`);
    if (op.path.includes('/holds') && Math.random() < 0.5) headers['x-admission-token'] = admission;
    if (query.length > 0) path += `?${query.join('&')}`;
    let body: string | undefined;
    const r = Math.random();
    if (op.body !== undefined || r < 0.3) {
      if (r < 0.45) body = JSON.stringify(mutate(sample(op.body, ids)));
      else if (r < 0.6) body = JSON.stringify(arbitraryJson()) ?? 'null';
      else if (r < 0.7) body = pick(RAW_BODIES);
      else if (r < 0.8) body = JSON.stringify(sample(op.body, ids));
      else if (r < 0.9) body = undefined;
      else body = JSON.stringify(mutate(mutate(sample(op.body, ids))));
    }
    if (body !== undefined) {
      headers['content-type'] = pick([
        'application/json',
        'application/json',
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
      ]);
    }
    const opKey = `${op.method} ${op.path}`;
    const stat = perOp[opKey] ?? { requests: 0, s5xx: 0, statuses: {} };
    perOp[opKey] = stat;
    requests++;
    stat.requests++;
    try {
      const res = await request(`${api}${path}`, {
        method: op.method as 'GET',
        headers,
        ...(body === undefined ? {} : { body }),
        dispatcher: agent,
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
      const streaming = String(res.headers['content-type'] ?? '').includes('event-stream');
      const text = streaming ? '' : await res.body.text();
      if (streaming) {
        res.body.on('error', () => undefined);
        res.body.destroy();
      }
      stat.statuses[String(res.statusCode)] = (stat.statuses[String(res.statusCode)] ?? 0) + 1;
      if (res.statusCode >= 500) {
        stat.s5xx++;
        findings.push({
          method: op.method,
          path,
          status: res.statusCode,
          sent: (body ?? '').slice(0, 300),
          answer: text.slice(0, 300),
        });
      }
    } catch (err) {
      transport++;
      stat.statuses.transport = (stat.statuses.transport ?? 0) + 1;
      if (findings.length < 200)
        findings.push({
          method: op.method,
          path,
          status: 0,
          sent: (body ?? '').slice(0, 300),
          answer: String(err).slice(0, 200),
        });
    }
  });
  const ready = await fetch(`${api}/readyz`).catch(() => null);
  const readyBody = ready === null ? 'no answer' : `${ready.status} ${await ready.text()}`;
  const down = sys.all.filter((p) => !p.running).map((p) => p.name);
  const healthy = ready?.status === 200 && down.length === 0;
  log(`readyz: ${readyBody}; processes not running: ${down.join(', ') || 'none'}`);
  const s5xx = findings.filter((f) => f.status >= 500).length;
  log(
    `${requests} requests, ${s5xx} 5xx, ${transport} transport errors; api ${healthy ? 'healthy' : 'NOT healthy'} afterwards`,
  );
  for (const f of findings.slice(0, 40))
    log(
      `  ${f.status} ${f.method} ${f.path.slice(0, 120)} ← ${f.sent.slice(0, 120)} → ${f.answer.slice(0, 160)}`,
    );
  const m = machine();
  const L: string[] = [
    '# Input fuzzing (`make fuzz`)',
    '',
    `Run on ${new Date(t0).toISOString()} (${Math.round((Date.now() - t0) / 1000)} s), ${m.cores} cores, Node ${m.node}. Every operation of the api's`,
    `own OpenAPI document (\`/docs/json\`, ${ops.length} operations) got ${CASES} cases: schema-shaped bodies with one field broken,`,
    "fast-check's arbitrary JSON, raw broken bodies (truncated, 5,000-deep nesting, NUL, 70 KB), wrong content types, junk path",
    'and query values (known ids of other kinds, NUL, traversal, huge numbers), and every kind of credential.',
    '',
    `**${requests} requests, ${s5xx} answered 5xx, ${transport} transport errors; the api ${healthy ? 'stayed healthy' : 'was NOT healthy afterwards'}** (readyz: ${readyBody.slice(0, 200)}; processes down: ${down.join(', ') || 'none'}).`,
    '',
    '| operation | requests | 5xx | answers |',
    '|---|---:|---:|---|',
    ...Object.entries(perOp).map(
      ([k, v]) =>
        `| ${k} | ${v.requests} | ${v.s5xx} | ${Object.entries(v.statuses)
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')} |`,
    ),
  ];
  if (findings.length > 0) {
    L.push(
      '',
      '## 5xx and transport errors',
      '',
      '| status | request | body sent | answer |',
      '|---|---|---|---|',
    );
    for (const f of findings.slice(0, 100)) {
      const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 160);
      L.push(`| ${f.status} | ${f.method} ${cell(f.path)} | ${cell(f.sent)} | ${cell(f.answer)} |`);
    }
  }
  writeFileSync(join(OUT, 'FUZZ.md'), `${L.join('\n')}\n`);
  writeFileSync(
    join(OUT, 'fuzz-results.json'),
    `${JSON.stringify({ requests, s5xx, transport, healthy, perOp, findings }, null, 1)}\n`,
  );
  exitCode = s5xx > 0 || !healthy ? 1 : 0;
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await sys.stop().catch(() => sys.kill());
  await rt.shutdown();
  await agent.close();
  await dropStack(stack).catch(() => undefined);
}
process.exit(exitCode);
