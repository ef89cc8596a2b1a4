import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.ts';
import { contractRoutes, METHODS, normalise } from './contract-routes.ts';

/**
 * Every `METHOD /path` of the public contract (../shared/API.md) exists in the OpenAPI document the
 * running app generates from its route schemas (/docs/json). Routes not built yet are listed in
 * EXPECTED_MISSING; the test also fails when one of them appears, so the list only shrinks.
 */
const API_MD = fileURLToPath(new URL('../../../shared/API.md', import.meta.url));

/** Contract routes not built yet. When your module adds one, delete its line here (this test says which). */
const EXPECTED_MISSING: ReadonlySet<string> = new Set([]);

/** Operational endpoints kept out of the API document on purpose (`schema.hide`); checked over HTTP instead. */
const NOT_IN_OPENAPI: ReadonlySet<string> = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics']);

// The contract lives beside the repository (../shared), as on every machine of this project and its
// CI; a hosted runner that only checks out the repository cannot have it.
const runs = existsSync(API_MD) || process.env.GITHUB_ACTIONS !== 'true';

let app: TestApp;
let documented: Set<string>;
let contract: string[];

beforeAll(async () => {
  if (!runs) return;
  contract = contractRoutes(readFileSync(API_MD, 'utf8'));
  app = await startTestApp();
  const res = await fetch(`${app.baseUrl}/docs/json`);
  expect(res.status).toBe(200);
  const spec = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
  expect(spec.openapi).toMatch(/^3\.1/);
  documented = new Set(
    Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((k) => METHODS.includes(k.toUpperCase() as (typeof METHODS)[number]))
        .map((k) => normalise(k, path)),
    ),
  );
});
afterAll(async () => app?.close());

describe.runIf(runs)('OpenAPI document vs the public contract (../shared/API.md)', () => {
  it('reads the contract routes, including the `.../suffix` shorthands', () => {
    expect(contract.length).toBeGreaterThan(40);
    expect(contract).toContain('POST /api/v1/auth/signup');
    expect(contract).toContain('GET /api/v1/schedules/{}/queue/stream');
    expect(contract).toContain('POST /api/v1/admin/settlements/{}/payout');
    expect(contract).toContain('GET /api/v1/seller/settlements/{}/lines.csv');
  });

  it('lists in EXPECTED_MISSING only routes of the contract', () => {
    const strangers = [...EXPECTED_MISSING, ...NOT_IN_OPENAPI].filter((r) => !contract.includes(r));
    expect(strangers, 'not contract routes (fix or delete these lines)').toEqual([]);
  });

  it('documents every contract route that is built', () => {
    const missing = contract.filter(
      (r) => !documented.has(r) && !EXPECTED_MISSING.has(r) && !NOT_IN_OPENAPI.has(r),
    );
    expect(missing, 'contract routes absent from /docs/json (build them, or give them a schema)').toEqual([]);
  });

  it('has no route in EXPECTED_MISSING that now exists (delete those lines)', () => {
    const landed = [...EXPECTED_MISSING].filter((r) => documented.has(r));
    expect(landed, 'built now: remove from EXPECTED_MISSING in test/ops/openapi-contract.test.ts').toEqual(
      [],
    );
  });

  it('serves the operational endpoints kept out of the document', async () => {
    for (const route of NOT_IN_OPENAPI) {
      const path = route.split(' ')[1] as string;
      const res = await fetch(`${app.baseUrl}${path}`);
      await res.arrayBuffer();
      expect([200, 503], route).toContain(res.status);
    }
  });

  it('serves the API explorer at /docs', async () => {
    const res = await fetch(`${app.baseUrl}/docs`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/swagger/i);
  });
});
