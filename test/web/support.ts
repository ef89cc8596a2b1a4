import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect, onTestFailed } from 'vitest';
import { loadConfig } from '../../src/platform/config.ts';
import { createDb } from '../../src/platform/db.ts';
import { ensureTopics, kafkaSettings, TOPICS } from '../../src/platform/kafka.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { startAdmitterRole } from '../../src/roles/admitter.ts';
import { startRelayRole } from '../../src/roles/relay.ts';
import { WEB_DIST_DIR } from '../../src/roles/web-ui.ts';
import { startWorkerRole } from '../../src/roles/worker.ts';
import { api, startTestApp, type TestApp, uniqueEmail } from '../support/harness.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
/** `SCREENSHOTS=1` (scripts/web-screenshots.sh) makes the browser tests write docs/screenshots/. */
export const TAKE_SCREENSHOTS = process.env.SCREENSHOTS === '1';

export interface WebApp extends TestApp {
  admin: { email: string; password: string };
}

/** `make web` normally built it; a lone `npx vitest run test/web` builds it here. */
export async function ensureWebBuilt(): Promise<void> {
  if (existsSync(`${WEB_DIST_DIR}index.html`)) return;
  const { build } = await import('vite');
  await build({
    configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
    logLevel: 'warn',
  });
}

/**
 * The whole system as `make up` runs it (api serving the built UI, admitter, relay, worker) on its
 * own database, Redis prefix and Kafka topics, so other test files' relays and consumers never take
 * its events (and its never take theirs).
 */
export async function startWebApp(tag = 'web'): Promise<WebApp> {
  await ensureWebBuilt();
  const runUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/queueticket');
  const dbName = `${runUrl.pathname.slice(1)}_${tag}`;
  const adminUrl = new URL(runUrl);
  adminUrl.pathname = '/postgres';
  const pgAdmin = new pg.Client({ connectionString: adminUrl.toString() });
  await pgAdmin.connect();
  await pgAdmin.query(`drop database if exists ${pgAdmin.escapeIdentifier(dbName)} with (force)`);
  await pgAdmin.query(`create database ${pgAdmin.escapeIdentifier(dbName)}`);
  await pgAdmin.end();
  const dbUrl = new URL(runUrl);
  dbUrl.pathname = `/${dbName}`;
  const admin = { email: uniqueEmail('web-admin'), password: 'web-admin-password' };
  const env = {
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_MAX: '10',
    REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX ?? 'qt:test:'}${tag}:`,
    KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX ?? 'qt.test.'}${tag}.`,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    RATE_LIMIT_IP_PER_SECOND: '100000',
  };
  const config = loadConfig({ ...process.env, ...env });
  const { db } = createDb(config.DATABASE_URL, 2);
  await migrateToLatest(db);
  await db.destroy();
  await ensureTopics(kafkaSettings(config), Object.values(TOPICS));

  const t = await startTestApp(env);
  // The same role starters as src/main.ts: relay and worker first, so they stop after HTTP.
  startRelayRole(t.rt);
  startWorkerRole(t.rt, t.modules);
  startAdmitterRole(t.rt, t.modules);
  await t.modules.identity.bootstrapAdmin();
  return {
    ...t,
    admin,
    async close() {
      await t.close();
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

/** Debian's chromium, headless, in a fresh temporary profile (Playwright makes one per launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function newContext(
  browser: Browser,
  baseURL: string,
  options: { lang?: 'en' | 'ko'; phone?: boolean } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    locale: options.lang === 'ko' ? 'ko-KR' : 'en-GB',
    timezoneId: 'Asia/Seoul',
    viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 860 },
    ...(options.phone ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
  });
  context.setDefaultTimeout(20_000);
  return context;
}

/**
 * Collects page errors (the tests expect none) and, when the current test fails, leaves a screenshot
 * and the page's text in .run/web-failures/ to look at.
 */
export function watchErrors(page: Page, name = 'page'): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  onTestFailed(async () => {
    const dir = fileURLToPath(new URL('../../.run/web-failures/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: `${dir}${name}.png`, fullPage: true }).catch(() => undefined);
    const text =
      (await page
        .locator('body')
        .textContent()
        .catch(() => '')) ?? '';
    writeFileSync(`${dir}${name}.txt`, `${page.url()}\n${errors.join('\n')}\n\n${text}`);
  });
  return errors;
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  if (!TAKE_SCREENSHOTS) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage });
}

export async function loginUi(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

export interface Account {
  email: string;
  password: string;
  token: string;
  id: string;
}

export async function account(baseUrl: string, role: 'BUYER' | 'SELLER', tag: string): Promise<Account> {
  const email = uniqueEmail(tag);
  const password = `${tag}-password`;
  const signup = await api<{ id: string }>(baseUrl, 'POST', '/api/v1/auth/signup', {
    body: { email, password, name: `${tag} ${role.toLowerCase()}`, role },
  });
  expect(signup.status, JSON.stringify(signup.body)).toBe(201);
  const login = await api<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/login', {
    body: { email, password },
  });
  return { email, password, token: login.body.accessToken, id: signup.body.id };
}

export async function loginToken(baseUrl: string, email: string, password: string): Promise<string> {
  const login = await api<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/login', {
    body: { email, password },
  });
  expect(login.status).toBe(200);
  return login.body.accessToken;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
