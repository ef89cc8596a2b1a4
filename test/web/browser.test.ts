import { afterAll, beforeAll } from 'vitest';
import { bigMapScenarios } from './big-map.scenarios.ts';
import type { BrowserEnv } from './browser-env.ts';
import { buyerScenarios } from './buyer.scenarios.ts';
import { sellerAdminScenarios } from './seller-admin.scenarios.ts';
import { launchChromium, startWebApp } from './support.ts';

/**
 * Every browser scenario in one file: one whole system (api with the built UI, admitter, relay,
 * worker) and one chromium, shared, and the scenarios one after another, so the browser tests never
 * compete with each other for the machine's two cores.
 */
const env = {} as BrowserEnv;

beforeAll(async () => {
  env.t = await startWebApp('web');
  env.browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await env.browser?.close();
  await env.t?.close();
});

buyerScenarios(env);
sellerAdminScenarios(env);
bigMapScenarios(env);
