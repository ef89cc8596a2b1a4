import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect, onTestFailed } from 'vitest';
import { WEB_DIST_DIR } from '../../src/roles/web-ui.ts';
import { type System, startSystem } from '../contract/system.ts';
import { api, uniqueEmail } from '../support/harness.ts';
import { checkA11y } from './a11y.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
/** `SCREENSHOTS=1` (scripts/web-screenshots.sh) makes the browser tests write docs/screenshots/. */
export const TAKE_SCREENSHOTS = process.env.SCREENSHOTS === '1';

/** The whole system (api serving the built UI, admitter, relay, worker) the browser drives. */
export type WebApp = System;

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
 * The whole system as `make up` runs it, on its own database, Redis prefix and Kafka topics (the
 * contract tests' black-box system: the browser tests too talk to it over HTTP only).
 */
export async function startWebApp(tag = 'web'): Promise<WebApp> {
  await ensureWebBuilt();
  return startSystem(tag);
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

export async function loginUi(
  page: Page,
  email: string,
  password: string,
  options: { audit?: string } = {},
): Promise<void> {
  await page.goto('/login');
  if (options.audit !== undefined) await checkA11y(page, options.audit);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/**
 * A fresh context and page whose errors are watched (`name` names the failure files), signed in
 * through the login page when `as` is given.
 */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  name: string,
  options: { as?: { email: string; password: string }; lang?: 'en' | 'ko'; phone?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await newContext(browser, baseUrl, options);
  const page = await context.newPage();
  const errors = watchErrors(page, name);
  if (options.as) await loginUi(page, options.as.email, options.as.password);
  return { context, page, errors };
}

/** Opens a date's waiting room and waits until the page shows the expected place in the queue. */
export async function waitInQueue(
  page: Page,
  show: { performanceId: string; scheduleId: string },
  position: number,
): Promise<void> {
  await page.goto(`/performances/${show.performanceId}/schedules/${show.scheduleId}/queue`);
  await expect
    .poll(() => page.getByTestId('queue-position').textContent(), { timeout: 10_000 })
    .toBe(String(position));
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
