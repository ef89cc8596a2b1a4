import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.ts';
import { api } from '../support/harness.ts';
import {
  type Account,
  adminAccount,
  call,
  createShow,
  expectProblem,
  type login,
  type Show,
  type System,
  signup,
  sleep,
  startSystem,
} from './support.ts';

/** API.md "Running" and "Conventions": probes, metrics, problem documents, auth order, rate limits. */
let s: System;
let buyer: Account;
let seller: Account;
let otherSeller: Account;
let show: Show;

beforeAll(async () => {
  s = await startSystem('conv');
  [buyer, seller, otherSeller] = await Promise.all([
    signup(s, 'BUYER'),
    signup(s, 'SELLER'),
    signup(s, 'SELLER'),
  ]);
  show = await createShow(s, { seller });
});
afterAll(async () => s?.close());

describe('Running', () => {
  it('GET /healthz → 200 while the process is up', async () => {
    const res = await fetch(`${s.baseUrl}/healthz`);
    expect(res.status).toBe(200);
  });

  it('GET /readyz → 200 when PostgreSQL, Redis and Kafka are reachable', async () => {
    const res = await api(s.baseUrl, 'GET', '/readyz');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('GET /readyz → 503 naming the dependency that is not reachable', async () => {
    const broken = await s.extraApi({ KAFKA_BROKERS: '127.0.0.1:1' }, { ownRedisPrefix: true });
    try {
      const res = await api(broken.baseUrl, 'GET', '/readyz');
      expect(res.status).toBe(503);
      expect(JSON.stringify(res.body).toLowerCase()).toContain('kafka');
    } finally {
      await broken.close();
    }
  });

  it('GET /metrics → Prometheus text', async () => {
    const res = await fetch(`${s.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type') ?? '').toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP \w+ /m);
    expect(text).toMatch(/^# TYPE \w+ (counter|gauge|histogram|summary)/m);
  });

  it('an admin account exists from first start (ADMIN_EMAIL / ADMIN_PASSWORD, documented defaults)', async () => {
    const admin = await adminAccount(s);
    const me = await call(s, admin, 'GET', '/api/v1/me');
    expect(me.body).toMatchObject({ id: admin.id, email: s.admin.email, role: 'ADMIN' });
    const defaults = loadConfig({});
    expect([defaults.ADMIN_EMAIL, defaults.ADMIN_PASSWORD]).toEqual([
      'admin@queueticket.local',
      'admin-password',
    ]);
    expect(defaults.HTTP_PORT).toBe(8080);
  });
});

describe('Conventions: errors are problem documents', () => {
  it('400 VALIDATION_FAILED names the field', async () => {
    const bad = await call(s, null, 'POST', '/api/v1/auth/signup', {
      email: 'not-an-email',
      password: 'long-enough-1',
      name: 'x',
      role: 'BUYER',
    });
    const p = expectProblem(bad, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(p)).toContain('email');
    const missing = await call(s, seller, 'POST', '/api/v1/venues', { name: 'No sections' });
    expect(JSON.stringify(expectProblem(missing, 400, 'VALIDATION_FAILED'))).toContain('sections');
    const typed = await call(s, seller, 'POST', '/api/v1/venues', {
      name: 'Hall',
      sections: [{ name: 'A', rows: 'ten', seatsPerRow: 5 }],
    });
    expect(JSON.stringify(expectProblem(typed, 400, 'VALIDATION_FAILED'))).toContain('rows');
  });

  it('401 without a token, 401 with a bad token, and 401 comes before body validation', async () => {
    expectProblem(await call(s, null, 'GET', '/api/v1/me'), 401);
    expectProblem(await call(s, 'not.a.token', 'GET', '/api/v1/me'), 401);
    expectProblem(await call(s, null, 'POST', '/api/v1/venues', { nonsense: true }), 401);
    expectProblem(await call(s, null, 'POST', '/api/v1/orders', 'not an object'), 401);
    expectProblem(await call(s, null, 'GET', '/api/v1/orders/not-a-uuid'), 401);
    expectProblem(await call(s, null, 'POST', '/api/v1/orders/not-a-uuid/cancel', { seatIds: 'x' }), 401);
    expectProblem(
      await call(s, null, 'POST', `/api/v1/schedules/${show.scheduleId}/holds`, { seatIds: [] }),
      401,
    );
  });

  it('403 for the wrong role, checked before body validation', async () => {
    expectProblem(await call(s, buyer, 'POST', '/api/v1/venues', { nonsense: true }), 403);
    expectProblem(await call(s, seller, 'POST', `/api/v1/schedules/${show.scheduleId}/queue`), 403);
    expectProblem(await call(s, seller, 'POST', '/api/v1/admin/settlements/run', { bad: 1 }), 403);
  });

  it('403 for a seller that is not the owner', async () => {
    expectProblem(
      await call(s, otherSeller, 'PATCH', `/api/v1/schedules/${show.scheduleId}/queue`, { paused: true }),
      403,
    );
    expectProblem(
      await call(s, otherSeller, 'POST', `/api/v1/performances/${show.performanceId}/cancel`, {
        reason: 'no',
      }),
      403,
    );
    expectProblem(await call(s, otherSeller, 'DELETE', `/api/v1/performances/${show.performanceId}`), 403);
  });

  it('404 for what does not exist (resources and routes)', async () => {
    const none = '00000000-0000-4000-8000-000000000000';
    expectProblem(await call(s, null, 'GET', `/api/v1/performances/${none}`), 404);
    expectProblem(await call(s, null, 'GET', `/api/v1/schedules/${none}/seats`), 404);
    expectProblem(await call(s, buyer, 'GET', `/api/v1/orders/${none}`), 404);
    expectProblem(await call(s, null, 'GET', `/api/v1/coupon-campaigns/${none}`), 404);
    expectProblem(await call(s, null, 'GET', '/api/v1/no-such-thing'), 404);
  });

  it('409 for conflicts, with a stable code', async () => {
    const again = await call(s, null, 'POST', '/api/v1/auth/signup', {
      email: buyer.email,
      password: 'another-password',
      name: 'Twin',
      role: 'BUYER',
    });
    expectProblem(again, 409, 'EMAIL_TAKEN');
  });

  it('never 500 for bad input', async () => {
    const base = s.baseUrl;
    const cases: [string, string, string | undefined, Account | null][] = [
      ['POST', '/api/v1/auth/signup', '{"email":', null],
      ['POST', '/api/v1/auth/login', '[]', null],
      [
        'POST',
        '/api/v1/venues',
        '{"name":"\\u0000","sections":[{"name":"A","rows":1e308,"seatsPerRow":-1}]}',
        seller,
      ],
      ['POST', '/api/v1/performances', '{"venueId":"x","grades":null}', seller],
      ['GET', '/api/v1/performances?page=-1&size=1000000', undefined, null],
      ['GET', '/api/v1/performances/not-a-uuid', undefined, null],
      ['GET', '/api/v1/schedules/%ZZ/seats', undefined, null],
      ['GET', `/api/v1/performances/${'x'.repeat(300)}`, undefined, null],
      ['POST', `/api/v1/schedules/${show.scheduleId}/holds`, '{"seatIds":[1.5,"a",-3]}', buyer],
      ['POST', '/api/v1/orders', '{"holdId":"00000000-0000-4000-8000-000000000000","couponId":42}', buyer],
      ['POST', '/api/v1/payments/confirm', '{"orderId":"x","paymentKey":"y","amount":"1"}', buyer],
      ['POST', '/api/v1/coupon-campaigns', '{"kind":"NOPE","value":-1}', seller],
      ['GET', '/api/v1/seller/settlements/not-a-uuid/lines', undefined, seller],
      ['GET', '/api/v1/performances?q=%25%5C_%27%22%00', undefined, null],
      ['GET', '/api/v1/me/orders?before=garbage&limit=100000', undefined, buyer],
      ['POST', '/api/v1/payments/webhooks/toss', '[1,2]', null],
      ['POST', `/api/v1/schedules/${show.scheduleId}/holds`, '{"seatIds":[1e20]}', buyer],
    ];
    for (const [method, path, rawBody, who] of cases) {
      const res = await api(base, method, path, {
        ...(rawBody === undefined ? {} : { rawBody }),
        ...(who === null ? {} : { token: who.token }),
      });
      expect(res.status, `${method} ${path} → ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
      expect(res.headers.get('content-type'), `${method} ${path}`).toMatch(/^application\/problem\+json/);
      expectProblem(res, res.status);
    }
  });
});

describe('Conventions: auth', () => {
  it('public without a token: performances, seats, campaigns, sandbox checkout', async () => {
    expect((await call(s, null, 'GET', '/api/v1/performances')).status).toBe(200);
    expect((await call(s, null, 'GET', `/api/v1/performances/${show.performanceId}`)).status).toBe(200);
    expect((await call(s, null, 'GET', `/api/v1/schedules/${show.scheduleId}/seats`)).status).toBe(200);
    // checkout needs no token: it answers from the body, not 401
    const checkout = await call(s, null, 'POST', '/sandbox/toss/checkout', {
      orderId: 'ord_public_1',
      amount: 1000,
    });
    expect(checkout.status).not.toBe(401);
  });

  it('everything else needs a token', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/venues'],
      ['GET', '/api/v1/me/orders'],
      ['GET', '/api/v1/me/coupons'],
      ['GET', `/api/v1/schedules/${show.scheduleId}/queue/me`],
      ['GET', `/api/v1/schedules/${show.scheduleId}/queue/stats`],
      ['GET', '/api/v1/seller/settlements'],
      ['POST', '/api/v1/payments/confirm'],
    ] as const) {
      expectProblem(await call(s, null, method, path), 401);
    }
  });

  it('a bearer token is taken from the Authorization header only (not from the query) on ordinary routes', async () => {
    const res = await api(s.baseUrl, 'GET', `/api/v1/me?access_token=${buyer.token}`);
    expect(res.status).toBe(401);
  });
});

describe('Conventions: rate limits', () => {
  it('defaults allow at least 200 requests/s per address, 100 logins/min, 5 queue requests/s per account', () => {
    const c = loadConfig({});
    expect(c.RATE_LIMIT_IP_PER_SECOND).toBeGreaterThanOrEqual(200);
    expect(c.RATE_LIMIT_LOGIN_IP_PER_MINUTE).toBeGreaterThanOrEqual(100);
    expect(c.RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND).toBeGreaterThanOrEqual(5);
  });

  it('with default limits, 200 requests from one address in a burst and 5 queue polls in a second get through', async () => {
    const d = await s.extraApi(
      {
        RATE_LIMIT_IP_PER_SECOND: '',
        RATE_LIMIT_LOGIN_IP_PER_MINUTE: '',
        RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND: '',
      },
      { ownRedisPrefix: true },
    );
    try {
      // start at the beginning of a one-second window
      await sleep(1000 - (Date.now() % 1000) + 5);
      const burst = await Promise.all(
        Array.from({ length: 200 }, () => fetch(`${d.baseUrl}/api/v1/coupon-kinds`).then((r) => r.status)),
      );
      expect(burst.filter((st) => st === 429)).toEqual([]);
      await sleep(1000 - (Date.now() % 1000) + 5);
      const polls = await Promise.all(
        Array.from({ length: 5 }, () =>
          api(d.baseUrl, 'GET', `/api/v1/schedules/${show.scheduleId}/queue/me`, { token: buyer.token }).then(
            (r) => r.status,
          ),
        ),
      );
      expect(polls).toEqual([200, 200, 200, 200, 200]);
    } finally {
      await d.close();
    }
  });

  it('queue endpoints: over the per-account limit → 429 with Retry-After, then through after waiting', async () => {
    const tight = await s.extraApi(
      {
        RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND: '2',
      },
      { ownRedisPrefix: true },
    );
    try {
      const path = `/api/v1/schedules/${show.scheduleId}/queue/me`;
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => api(tight.baseUrl, 'GET', path, { token: buyer.token })),
      );
      const limited = answers.find((r) => r.status === 429);
      if (limited === undefined) throw new Error(`never limited: ${answers.map((r) => r.status)}`);
      expectProblem(limited, 429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      await sleep(retryAfter * 1000);
      expect((await api(tight.baseUrl, 'GET', path, { token: buyer.token })).status).toBe(200);
    } finally {
      await tight.close();
    }
  });

  it('429 with Retry-After; after waiting Retry-After seconds the client gets through', async () => {
    const tight = await s.extraApi(
      {
        RATE_LIMIT_IP_PER_SECOND: '5',
      },
      { ownRedisPrefix: true },
    );
    try {
      let limited: Awaited<ReturnType<typeof api>> | undefined;
      for (let i = 0; i < 20 && limited === undefined; i++) {
        const res = await api(tight.baseUrl, 'GET', '/api/v1/performances');
        if (res.status === 429) limited = res;
      }
      if (limited === undefined) throw new Error('never limited');
      expectProblem(limited, 429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
      await sleep(retryAfter * 1000);
      expect((await api(tight.baseUrl, 'GET', '/api/v1/performances')).status).toBe(200);
    } finally {
      await tight.close();
    }
  });

  it('logins are limited per address (429 + Retry-After)', async () => {
    const tight = await s.extraApi(
      {
        RATE_LIMIT_LOGIN_IP_PER_MINUTE: '2',
      },
      { ownRedisPrefix: true },
    );
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof login>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await api(tight.baseUrl, 'POST', '/api/v1/auth/login', {
          body: { email: buyer.email, password: buyer.password },
        });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await tight.close();
    }
  });
});
