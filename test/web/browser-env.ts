import type { Browser } from 'playwright-core';
import type { WebApp } from './support.ts';

/** The app and the browser every scenario shares (set in browser.test.ts's beforeAll). */
export interface BrowserEnv {
  t: WebApp;
  browser: Browser;
}
