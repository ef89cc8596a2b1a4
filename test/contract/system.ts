import { Redis } from 'ioredis';
import pg from 'pg';
import { expect } from 'vitest';
import { loadConfig } from '../../src/platform/config.ts';
import { createDb } from '../../src/platform/db.ts';
import { createAdmin, ensureTopics, kafkaSettings, TOPICS, topicName } from '../../src/platform/kafka.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { startAdmitterRole } from '../../src/roles/admitter.ts';
import { startRelayRole } from '../../src/roles/relay.ts';
import { startWorkerRole } from '../../src/roles/worker.ts';
import { api, type JsonResponse, startTestApp, uniqueEmail } from '../support/harness.ts';

/**
 * Black-box acceptance tests of ../shared/API.md. Each file gets the whole system as `make up` runs
 * it (api, admitter, relay, worker, started the way src/main.ts starts roles) on a database, Redis
 * prefix and Kafka topics of its own, and talks to it over HTTP only.
 */
export interface System {
  baseUrl: string;
  admin: { email: string; password: string };
  /** Another api process on the same database, Redis and Kafka, with some settings changed. */
  extraApi(
    overrides: Record<string, string>,
    options?: { ownRedisPrefix?: boolean },
  ): Promise<{ baseUrl: string; close(): Promise<void> }>;
  close(): Promise<void>;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSystem(tag: string, extraEnv: Record<string, string> = {}): Promise<System> {
  const runUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/queueticket');
  const dbName = `${runUrl.pathname.slice(1)}_ct_${tag}`;
  const adminUrl = new URL(runUrl);
  adminUrl.pathname = '/postgres';
  const pgAdmin = new pg.Client({ connectionString: adminUrl.toString() });
  await pgAdmin.connect();
  await pgAdmin.query(`drop database if exists ${pgAdmin.escapeIdentifier(dbName)} with (force)`);
  await pgAdmin.query(`create database ${pgAdmin.escapeIdentifier(dbName)}`);
  await pgAdmin.end();
  const dbUrl = new URL(runUrl);
  dbUrl.pathname = `/${dbName}`;
  const admin = { email: uniqueEmail(`ct-admin-${tag}`), password: 'contract-admin-password' };
  const env: Record<string, string> = {
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_MAX: '8',
    REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX ?? 'qt:test:'}ct-${tag}:`,
    KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX ?? 'qt.test.'}ct-${tag}.`,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    RATE_LIMIT_IP_PER_SECOND: '100000',
    RATE_LIMIT_LOGIN_IP_PER_MINUTE: '100000',
    RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND: '1000',
    ...extraEnv,
  };
  const config = loadConfig({ ...process.env, ...env });
  const { db } = createDb(config.DATABASE_URL, 2);
  await migrateToLatest(db);
  await db.destroy();
  // Few partitions, deleted at close: a single test broker holds every engineer's runs' topics.
  const kafka = kafkaSettings(config);
  await ensureTopics(kafka, Object.values(TOPICS), 2);

  const t = await startTestApp(env);
  // The same role starters as src/main.ts: relay and worker before the api's own closers.
  startRelayRole(t.rt);
  startWorkerRole(t.rt, t.modules);
  startAdmitterRole(t.rt, t.modules);
  await t.modules.identity.bootstrapAdmin();
  const extras: { close(): Promise<void> }[] = [];
  return {
    baseUrl: t.baseUrl,
    admin,
    async extraApi(overrides, options = {}) {
      // an own prefix (rate-limit counters of its own) still under this system's, so close() clears it
      const own: Record<string, string> = options.ownRedisPrefix
        ? { REDIS_KEY_PREFIX: `${env.REDIS_KEY_PREFIX}x${extras.length}:` }
        : {};
      const extra = await startTestApp({ ...env, DATABASE_POOL_MAX: '3', ...own, ...overrides });
      let closing: Promise<void> | null = null;
      const handle = { baseUrl: extra.baseUrl, close: () => (closing ??= extra.close()) };
      extras.push(handle);
      return handle;
    },
    async close() {
      await Promise.allSettled(extras.map((e) => e.close()));
      await t.close();
      await deleteTopics(kafka);
      if (process.env.KEEP_TEST_DATA === 'true') return;
      const cleaner = new pg.Client({ connectionString: adminUrl.toString() });
      await cleaner.connect();
      await cleaner.query(`drop database if exists ${cleaner.escapeIdentifier(dbName)} with (force)`);
      await cleaner.end();
      const redis = new Redis(config.REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}

export type Role = 'BUYER' | 'SELLER' | 'ADMIN';
export interface Account {
  id: string;
  email: string;
  password: string;
  role: Role;
  token: string;
  refreshToken: string;
}

export async function login(s: System, email: string, password: string) {
  return api<{
    accessToken: string;
    refreshToken: string;
    expiresIn: number;
    user: { id: string; role: Role };
  }>(s.baseUrl, 'POST', '/api/v1/auth/login', { body: { email, password } });
}

export async function signup(
  s: System,
  role: 'BUYER' | 'SELLER',
  tag = role.toLowerCase(),
): Promise<Account> {
  const email = uniqueEmail(`ct-${tag}`);
  const password = `${tag}-password-1`;
  const created = await api<{ id: string }>(s.baseUrl, 'POST', '/api/v1/auth/signup', {
    body: { email, password, name: `Contract ${tag}`, role },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const session = await login(s, email, password);
  expect(session.status, JSON.stringify(session.body)).toBe(200);
  return {
    id: created.body.id,
    email,
    password,
    role,
    token: session.body.accessToken,
    refreshToken: session.body.refreshToken,
  };
}

export async function adminAccount(s: System): Promise<Account> {
  const session = await login(s, s.admin.email, s.admin.password);
  expect(session.status, JSON.stringify(session.body)).toBe(200);
  return {
    id: session.body.user.id,
    email: s.admin.email,
    password: s.admin.password,
    role: 'ADMIN',
    token: session.body.accessToken,
    refreshToken: session.body.refreshToken,
  };
}

/** A request as `who` (an account or a raw token). */
export function call<T = Record<string, unknown>>(
  s: System,
  who: Account | string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const token = who === null ? undefined : typeof who === 'string' ? who : who.token;
  return api<T>(s.baseUrl, method, path, {
    ...(token === undefined ? {} : { token }),
    ...(body === undefined ? {} : { body }),
    headers,
  });
}

/** An RFC 9457 problem document with the stable code. */
export function expectProblem(res: JsonResponse<unknown>, status: number, code?: string) {
  const body = res.body as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json/);
  expect(body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    code: expect.stringMatching(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/),
    detail: expect.any(String),
  });
  if (code !== undefined) expect(body.code).toBe(code);
  return body;
}

export async function eventually<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await sleep(200);
  }
}

/** This system's topics go with it (best effort: a broker that is down keeps them). */
async function deleteTopics(kafka: ReturnType<typeof kafkaSettings>): Promise<void> {
  if (process.env.KEEP_TEST_DATA === 'true') return;
  const admin = createAdmin(kafka);
  try {
    await admin.deleteTopics({ topics: Object.values(TOPICS).map((n) => topicName(kafka, n)) });
  } catch {
    // left for the broker's owner; never fails a test run
  } finally {
    await admin.close().catch(() => undefined);
  }
}
