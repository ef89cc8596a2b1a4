import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/platform/config.ts';
import type { HttpApp } from '../../src/platform/http/app.ts';
import { createRuntime, type Runtime } from '../../src/platform/runtime.ts';
import { buildApi } from '../../src/roles/api.ts';
import { createModules, type Modules } from '../../src/roles/modules.ts';

export interface TestApp {
  rt: Runtime;
  modules: Modules;
  app: HttpApp;
  baseUrl: string;
  close(): Promise<void>;
}

/** A real api (listening on a free port) on the run's PostgreSQL database, Redis prefix and Kafka topics. */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { beforeListen?: (app: HttpApp, rt: Runtime) => void } = {},
): Promise<TestApp> {
  const config = loadConfig({ ...process.env, HTTP_PORT: '0', ...env });
  const rt = createRuntime(config);
  const modules = createModules(rt);
  const app = await buildApi(rt, modules);
  options.beforeListen?.(app, rt);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    rt,
    modules,
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await rt.shutdown();
    },
  };
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch with JSON in and out; `token` becomes the bearer header. */
export async function api<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && headers['content-type'] === undefined)
    headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // keep the text: CSV, event streams and other non-JSON answers
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export const uniqueEmail = (tag: string) =>
  `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@test.local`;
