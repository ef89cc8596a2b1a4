import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_PATH, createAlertNotifier } from '../../src/ops/alert-notifier/app.ts';
import { loadNotifierConfig } from '../../src/ops/alert-notifier/config.ts';
import { createLogger } from '../../src/platform/logger.ts';

/** A local Slack-compatible webhook: records what it gets and answers from a script of statuses. */
class FakeWebhook {
  readonly received: { text: string; contentType: string | undefined }[] = [];
  script: { status: number; headers?: Record<string, string> }[] = [];
  readonly server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { text: string };
      this.received.push({ text: body.text, contentType: req.headers['content-type'] });
      const next = this.script.shift() ?? { status: 200 };
      res.writeHead(next.status, next.headers ?? {});
      res.end(next.status === 200 ? 'ok' : 'nope');
    });
  });
  url = '';
  async start() {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/T000/B000/XXX`;
  }
}

const webhook = new FakeWebhook();
const logger = createLogger('silent');

function payload(overrides: Record<string, unknown> = {}) {
  return {
    version: '4',
    status: 'firing',
    receiver: 'slack',
    groupKey: '{}:{alertname="OutboxLagHigh"}',
    groupLabels: { alertname: 'OutboxLagHigh' },
    commonLabels: { alertname: 'OutboxLagHigh', severity: 'critical', job: 'queueticket' },
    commonAnnotations: {
      summary: 'Outbox events are not reaching Kafka',
      runbook_url: 'docs/operations.md#outbox-lag',
    },
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'OutboxLagHigh', severity: 'critical', job: 'queueticket', shard: '3' },
        annotations: { description: 'Oldest unpublished outbox row is 412 s old' },
        startsAt: '2026-11-26T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: 'a1b2',
      },
      {
        status: 'resolved',
        labels: { alertname: 'OutboxLagHigh', severity: 'critical', job: 'queueticket', shard: '5' },
        annotations: { description: 'Oldest unpublished outbox row is 0 s old' },
      },
    ],
    ...overrides,
  };
}

async function startNotifier(env: Record<string, string>) {
  const config = loadNotifierConfig({
    ALERT_SLACK_WEBHOOK_URL: webhook.url,
    ALERT_RETRY_BASE_MS: '20',
    ALERT_RETRY_CAP_MS: '100',
    ALERT_DELIVERY_TIMEOUT_MS: '1000',
    ...env,
  });
  const app = createAlertNotifier(config, logger);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, base };
}

async function post(base: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${ALERTS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const apps: { close(): Promise<unknown> }[] = [];
beforeAll(() => webhook.start());
afterEach(async () => {
  webhook.received.length = 0;
  webhook.script = [];
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
afterAll(() => new Promise<void>((r) => webhook.server.close(() => r())));

describe('alert notifier (Alertmanager webhook → Slack-compatible webhook)', () => {
  it('forwards a group as one {text} message naming the alert, state, labels and runbook', async () => {
    const { app, base } = await startNotifier({});
    apps.push(app);
    const res = await post(base, payload());
    expect(res).toEqual({ status: 200, body: { delivered: true, attempts: 1 } });
    expect(webhook.received).toHaveLength(1);
    const [message] = webhook.received;
    expect(message?.contentType).toBe('application/json');
    expect(message?.text).toContain('[FIRING] OutboxLagHigh* (critical): 1 firing, 1 resolved');
    expect(message?.text).toContain('Outbox events are not reaching Kafka');
    expect(message?.text).toContain('Oldest unpublished outbox row is 412 s old (shard=3)');
    expect(message?.text).toContain('[resolved] Oldest unpublished outbox row is 0 s old (shard=5)');
    expect(message?.text).toContain('Runbook: docs/operations.md#outbox-lag');
  });

  it('retries 5xx and 429 (Retry-After) and then delivers', async () => {
    const { app, base } = await startNotifier({ ALERT_DELIVERY_ATTEMPTS: '4' });
    apps.push(app);
    webhook.script = [{ status: 503 }, { status: 429, headers: { 'retry-after': '0' } }, { status: 200 }];
    const res = await post(base, payload({ status: 'resolved' }));
    expect(res).toEqual({ status: 200, body: { delivered: true, attempts: 3 } });
    expect(webhook.received).toHaveLength(3);
    expect(new Set(webhook.received.map((m) => m.text)).size).toBe(1);
  });

  it('answers 502 after the last attempt so Alertmanager retries later', async () => {
    const { app, base } = await startNotifier({ ALERT_DELIVERY_ATTEMPTS: '3' });
    apps.push(app);
    webhook.script = [{ status: 500 }, { status: 502 }, { status: 500 }, { status: 200 }];
    const res = await post(base, payload());
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ delivered: false, attempts: 3 });
    expect(webhook.received).toHaveLength(3);
  });

  it('does not retry a 4xx other than 429', async () => {
    const { app, base } = await startNotifier({ ALERT_DELIVERY_ATTEMPTS: '4' });
    apps.push(app);
    webhook.script = [{ status: 404 }, { status: 200 }];
    const res = await post(base, payload());
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ delivered: false, attempts: 1 });
    expect(webhook.received).toHaveLength(1);
  });

  it('retries when the webhook cannot be reached at all', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { app, base } = await startNotifier({
      ALERT_SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
      ALERT_DELIVERY_ATTEMPTS: '2',
    });
    apps.push(app);
    const res = await post(base, payload());
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ delivered: false, attempts: 2 });
    expect(String(res.body.error)).toMatch(/ECONNREFUSED|connect/i);
  });

  it('requires the bearer token when one is configured, before reading the body', async () => {
    const { app, base } = await startNotifier({ ALERT_WEBHOOK_TOKEN: 'am-secret-token' });
    apps.push(app);
    expect((await post(base, payload())).status).toBe(401);
    expect((await post(base, { bad: true }, { authorization: 'Bearer wrong-token-xx' })).status).toBe(401);
    expect((await post(base, payload(), { authorization: 'Bearer am-secret-token' })).status).toBe(200);
    expect(webhook.received).toHaveLength(1);
  });

  it('refuses a body that is not an Alertmanager payload with 400 and sends nothing', async () => {
    const { app, base } = await startNotifier({});
    apps.push(app);
    for (const bad of [{}, { status: 'firing', alerts: [] }, { status: 'on fire', alerts: [{}] }]) {
      const res = await post(base, bad);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    expect(webhook.received).toHaveLength(0);
  });

  it('counts outcomes on /metrics', async () => {
    const { app, base } = await startNotifier({ ALERT_DELIVERY_ATTEMPTS: '1' });
    apps.push(app);
    webhook.script = [{ status: 200 }, { status: 500 }];
    await post(base, payload());
    await post(base, payload());
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('qt_alert_notifications_total{outcome="delivered"} 1');
    expect(metrics).toContain('qt_alert_notifications_total{outcome="failed"} 1');
  });

  it('runs as its own process (`node src/ops/alert-notifier.ts`) and stops on SIGTERM', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const child = spawn(process.execPath, ['src/ops/alert-notifier.ts'], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { ...process.env, ALERT_NOTIFIER_PORT: String(port), ALERT_SLACK_WEBHOOK_URL: webhook.url },
      stdio: 'ignore',
    });
    const exited = once(child, 'exit');
    try {
      let delivered = false;
      for (let i = 0; i < 100 && !delivered; i++) {
        try {
          delivered = (await post(`http://127.0.0.1:${port}`, payload())).status === 200;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(delivered).toBe(true);
      expect(webhook.received).toHaveLength(1);
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
