import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp, uniqueEmail } from '../support/harness.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_LOGIN_ACCOUNT_PER_MINUTE: '5' });
});
afterAll(async () => t.close());

async function signupAndLogin(role: 'BUYER' | 'SELLER' = 'BUYER') {
  const email = uniqueEmail('id');
  const signup = await api(t.baseUrl, 'POST', '/api/v1/auth/signup', {
    body: { email, password: 'correct horse', name: 'Kim', role },
  });
  expect(signup.status).toBe(201);
  const login = await api<{
    accessToken: string;
    refreshToken: string;
    expiresIn: number;
    user: { id: string; role: string };
  }>(t.baseUrl, 'POST', '/api/v1/auth/login', { body: { email, password: 'correct horse' } });
  expect(login.status).toBe(200);
  return { email, id: signup.body.id as string, ...login.body };
}

describe('identity', () => {
  it('signs up, logs in and reads /me', async () => {
    const s = await signupAndLogin('SELLER');
    expect(s.user.role).toBe('SELLER');
    expect(s.expiresIn).toBeGreaterThan(0);
    const me = await api(t.baseUrl, 'GET', '/api/v1/me', { token: s.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: s.id, email: s.email, name: 'Kim', role: 'SELLER' });
  });

  it('refuses a duplicate email with 409 EMAIL_TAKEN, also under a race', async () => {
    const email = uniqueEmail('dup');
    const body = { email, password: 'password1', name: 'A', role: 'BUYER' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => api(t.baseUrl, 'POST', '/api/v1/auth/signup', { body })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('EMAIL_TAKEN');
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('answers wrong credentials with 401 INVALID_CREDENTIALS', async () => {
    const s = await signupAndLogin();
    const wrong = await api(t.baseUrl, 'POST', '/api/v1/auth/login', {
      body: { email: s.email, password: 'nope-nope' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
    const unknown = await api(t.baseUrl, 'POST', '/api/v1/auth/login', {
      body: { email: uniqueEmail('x'), password: 'whatever1' },
    });
    expect(unknown.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('rotates refresh tokens and revokes the family when a used one comes back', async () => {
    const s = await signupAndLogin();
    const first = await api<{ refreshToken: string; accessToken: string }>(
      t.baseUrl,
      'POST',
      '/api/v1/auth/refresh',
      {
        body: { refreshToken: s.refreshToken },
      },
    );
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(s.refreshToken);
    const reuse = await api(t.baseUrl, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: s.refreshToken },
    });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('REFRESH_TOKEN_REUSED');
    // The family is revoked: the legitimately rotated token no longer works either.
    const after = await api(t.baseUrl, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: first.body.refreshToken },
    });
    expect(after.status).toBe(401);
  });

  it('lets exactly one of two concurrent refreshes with one token win', async () => {
    const s = await signupAndLogin();
    const both = await Promise.all(
      [1, 2].map(() =>
        api(t.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } }),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('logs out: the refresh token stops working, 204', async () => {
    const s = await signupAndLogin();
    const out = await api(t.baseUrl, 'POST', '/api/v1/auth/logout', {
      token: s.accessToken,
      body: { refreshToken: s.refreshToken },
    });
    expect(out.status).toBe(204);
    const again = await api(t.baseUrl, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: s.refreshToken },
    });
    expect(again.status).toBe(401);
    const bare = await api(t.baseUrl, 'POST', '/api/v1/auth/logout', { token: s.accessToken });
    expect(bare.status).toBe(204);
  });

  it('limits logins per account with 429 and Retry-After', async () => {
    const s = await signupAndLogin();
    const attempts = [];
    for (let i = 0; i < 7; i++) {
      attempts.push(
        await api(t.baseUrl, 'POST', '/api/v1/auth/login', {
          body: { email: s.email, password: 'wrong-pass' },
        }),
      );
    }
    const limited = attempts.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited[0]?.body.code).toBe('RATE_LIMITED');
  });

  it('bootstraps the admin from env once', async () => {
    await t.modules.identity.bootstrapAdmin();
    await t.modules.identity.bootstrapAdmin();
    const login = await api(t.baseUrl, 'POST', '/api/v1/auth/login', {
      body: { email: 'admin@queueticket.local', password: 'admin-password' },
    });
    expect(login.status).toBe(200);
    expect((login.body.user as { role: string }).role).toBe('ADMIN');
  });

  it('creates many accounts at once with working tokens', async () => {
    const accounts = await t.modules.identity.bulkCreateAccounts({
      count: 300,
      role: 'BUYER',
      emailPrefix: `bulk${Date.now()}-`,
    });
    expect(accounts).toHaveLength(300);
    const me = await api(t.baseUrl, 'GET', '/api/v1/me', { token: accounts[299]?.accessToken ?? '' });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(accounts[299]?.id);
  });
});

describe('bad input never answers 500', () => {
  const cases: Array<
    [string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }, number, string]
  > = [
    ['malformed JSON', { rawBody: '{"email":' }, 400, 'VALIDATION_FAILED'],
    [
      'empty JSON body',
      { rawBody: '', headers: { 'content-type': 'application/json' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'wrong types',
      { body: { email: 5, password: true, name: [], role: 'BUYER' } },
      400,
      'VALIDATION_FAILED',
    ],
    ['missing fields', { body: { email: 'a@b.co' } }, 400, 'VALIDATION_FAILED'],
    [
      'unknown enum value',
      { body: { email: 'a@b.co', password: 'password1', name: 'n', role: 'ADMIN' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'short password',
      { body: { email: 'a@b.co', password: 'short', name: 'n', role: 'BUYER' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'oversized body',
      { body: { email: 'a@b.co', password: 'x'.repeat(70_000), name: 'n', role: 'BUYER' } },
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'wrong content type',
      { rawBody: 'email=a', headers: { 'content-type': 'text/plain' } },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
  ];
  for (const [name, options, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const res = await api(t.baseUrl, 'POST', '/api/v1/auth/signup', options);
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      expect(res.body).toMatchObject({
        status,
        type: expect.any(String),
        title: expect.any(String),
        detail: expect.any(String),
      });
    });
  }

  it('names the failing field', async () => {
    const res = await api(t.baseUrl, 'POST', '/api/v1/auth/signup', {
      body: { email: 'a@b.co', name: 'n', role: 'BUYER' },
    });
    expect(res.body.field).toBe('body.password');
  });

  it('rejects bad or expired tokens with 401, before looking at the body', async () => {
    const none = await api(t.baseUrl, 'GET', '/api/v1/me');
    expect(none.status).toBe(401);
    const garbage = await api(t.baseUrl, 'GET', '/api/v1/me', { token: 'not.a.jwt' });
    expect(garbage.status).toBe(401);
    const expired = await t.rt.tokens.sign(
      { role: 'BUYER' },
      '00000000-0000-0000-0000-000000000000',
      'access',
      -10,
    );
    const old = await api(t.baseUrl, 'GET', '/api/v1/me', { token: expired });
    expect(old.status).toBe(401);
    const badBodyNoToken = await api(t.baseUrl, 'POST', '/api/v1/auth/logout', { rawBody: '{{' });
    expect(badBodyNoToken.status).toBe(401);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await api(t.baseUrl, 'GET', '/api/v1/nope');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});

describe('health', () => {
  it('reports ready when PostgreSQL, Redis and Kafka answer', async () => {
    expect((await api(t.baseUrl, 'GET', '/healthz')).status).toBe(200);
    const ready = await api(t.baseUrl, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ postgres: 'ok', redis: 'ok', kafka: 'ok' });
  });

  it('says which dependency is down', async () => {
    const broken = await startTestApp({ KAFKA_BROKERS: '127.0.0.1:1' });
    try {
      const ready = await api(broken.baseUrl, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.failing).toEqual(['kafka']);
    } finally {
      await broken.close();
    }
  });

  it('serves Prometheus metrics with route latency histograms', async () => {
    await api(t.baseUrl, 'GET', '/healthz');
    const res = await fetch(`${t.baseUrl}/metrics`);
    const text = await res.text();
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toContain('route="/healthz"');
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});
