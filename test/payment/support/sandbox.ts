import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SandboxServer, startSandboxServer } from '../../../src/modules/payment/sandbox/server.ts';
import type { SandboxSettingsPatch } from '../../../src/modules/payment/sandbox/settings.ts';
import type { SandboxTables } from '../../../src/modules/payment/sandbox/tables.ts';
import { createDb } from '../../../src/platform/db.ts';
import { createLogger } from '../../../src/platform/logger.ts';

export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
export const newMerchantKey = (tag: string) => `test_sk_${tag}_${randomBytes(4).toString('hex')}`;
export const newTossOrderId = () => `ord_${randomBytes(9).toString('base64url')}`;

/** The sandbox on its own port, on the run's database: plays the external provider in tests. */
export async function startSandbox(poolMax = 5): Promise<SandboxServer & { destroy(): Promise<void> }> {
  const { db } = createDb(process.env.DATABASE_URL ?? '', poolMax);
  const server = await startSandboxServer({
    db: db.withTables<SandboxTables>(),
    logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
  });
  return {
    ...server,
    async destroy() {
      await server.close();
      await db.destroy();
    },
  };
}

export interface JsonAnswer {
  status: number;
  body: Record<string, unknown>;
}

export async function call(
  url: string,
  method: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = basic(options.key);
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export async function checkout(
  base: string,
  body: { orderId: string; amount: number; method?: string; validHours?: number },
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await call(`${base}/checkout`, 'POST', { body, headers });
  if (res.status !== 200) throw new Error(`checkout failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.paymentKey as string;
}

export async function setFaults(base: string, key: string, patch: SandboxSettingsPatch): Promise<void> {
  const res = await call(`${base}/admin/settings`, 'PUT', { key, body: patch });
  if (res.status !== 200) throw new Error(`settings failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A local receiver for webhooks. */
export async function startWebhookReceiver(): Promise<{
  url: string;
  received: unknown[];
  close(): Promise<void>;
}> {
  const received: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
