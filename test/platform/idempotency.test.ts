import { sql } from 'kysely';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/platform/errors.ts';
import { principalOf } from '../../src/platform/http/app.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';

let t: TestApp;
let token: string;
let runs = 0;
let release: (() => void) | null = null;

beforeAll(async () => {
  // A probe route on the real app: counts executions, can fail with 4xx/5xx, can be held open.
  t = await startTestApp(
    {},
    {
      beforeListen: (app, rt) =>
        app.post(
          '/test/idempotent',
          { schema: { body: Type.Object({ n: Type.Integer(), mode: Type.Optional(Type.String()) }) } },
          async (request, reply) =>
            rt.idempotency.run(request, reply, async () => {
              runs++;
              if (request.body.mode === 'hold') await new Promise<void>((r) => (release = r));
              if (request.body.mode === 'conflict') throw new AppError('conflict', 'TEST_CONFLICT', 'no');
              if (request.body.mode === 'crash') throw new Error('boom');
              return { statusCode: 201, body: { run: runs, user: principalOf(request).userId } };
            }),
        ),
    },
  );
  const [buyer] = await t.modules.identity.bulkCreateAccounts({
    count: 1,
    role: 'BUYER',
    emailPrefix: `idem${Date.now()}-`,
  });
  token = buyer?.accessToken ?? '';
});
afterAll(async () => t.close());

const post = (key: string, body: unknown) =>
  api(t.baseUrl, 'POST', '/test/idempotent', { token, body, headers: { 'idempotency-key': key } });

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body, without running again', async () => {
    const first = await post('k-replay', { n: 1 });
    const second = await post('k-replay', { n: 1 });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('answers 409 IDEMPOTENCY_KEY_REUSED for the same key with another body', async () => {
    await post('k-reuse', { n: 1 });
    const other = await post('k-reuse', { n: 2 });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE while the first is still running', async () => {
    const first = post('k-busy', { n: 1, mode: 'hold' });
    await new Promise((r) => setTimeout(r, 150));
    const duplicate = await post('k-busy', { n: 1, mode: 'hold' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    release?.();
    expect((await first).status).toBe(201);
  });

  it('stores 4xx answers but not 5xx ones, so a retry after a server error runs again', async () => {
    const before = runs;
    expect((await post('k-4xx', { n: 1, mode: 'conflict' })).status).toBe(409);
    expect((await post('k-4xx', { n: 1, mode: 'conflict' })).status).toBe(409);
    expect(runs).toBe(before + 1);
    expect((await post('k-5xx', { n: 1, mode: 'crash' })).status).toBe(500);
    expect((await post('k-5xx', { n: 1, mode: 'crash' })).status).toBe(500);
    expect(runs).toBe(before + 3);
  });

  it('takes over a claim abandoned by a process that died mid-request', async () => {
    await post('k-abandoned', { n: 7 });
    // Simulate a crash: the stored answer never came and the claim is old.
    await sql`update idempotency_keys set state = 'IN_PROGRESS', status_code = null, response_body = null,
      created_at = now() - interval '10 minutes' where idem_key = 'k-abandoned'`.execute(t.rt.db);
    const retried = await post('k-abandoned', { n: 7 });
    expect(retried.status).toBe(201);
  });

  it('rejects a malformed key with 400', async () => {
    const res = await post('bad key with spaces', { n: 1 });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });
});
