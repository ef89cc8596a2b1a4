import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST_DIR } from '../../src/roles/web-ui.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { ensureWebBuilt } from './support.ts';

let t: TestApp;

beforeAll(async () => {
  await ensureWebBuilt();
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

describe('the api role serves the web UI', () => {
  it('answers the app at / and at its own paths (SPA fallback), without a token', async () => {
    for (const path of ['/', '/performances/abc', '/seller/performances/new', '/admin/queues?schedule=x']) {
      const res = await fetch(`${t.baseUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<div id="root">');
    }
  });

  it('serves built assets with a long immutable cache', async () => {
    const js = readdirSync(`${WEB_DIST_DIR}assets`).find((f) => f.endsWith('.js'));
    const res = await fetch(`${t.baseUrl}/assets/${js}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toContain('immutable');
  });

  it('keeps unknown API paths and missing files a JSON 404 problem', async () => {
    for (const path of ['/api/v1/nope', '/api/v1/performances/x/y/z', '/sandbox/nothing', '/missing.js']) {
      const res = await api<{ code: string; status: number }>(t.baseUrl, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    // a token-guarded API route still wants its token
    expect((await api(t.baseUrl, 'GET', '/api/v1/me')).status).toBe(401);
    // other methods on app paths are not pages
    expect((await api(t.baseUrl, 'POST', '/performances/abc', { body: {} })).status).toBe(404);
  });
});
