import { timingSafeEqual } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { Counter, Registry } from 'prom-client';
import type { Logger } from '../../platform/logger.ts';
import type { NotifierConfig } from './config.ts';
import { deliverToWebhook } from './deliver.ts';
import { AlertmanagerPayloadSchema, formatSlackText } from './payload.ts';

export const ALERTS_PATH = '/api/v1/ops/alerts';

/**
 * Alertmanager webhook receiver → Slack-compatible webhook. Answers 200 once the message is delivered;
 * 502 when delivery failed after retries, so Alertmanager keeps the notification and retries later.
 */
export function createAlertNotifier(config: NotifierConfig, logger: Logger) {
  const app = Fastify({
    loggerInstance: logger,
    disableRequestLogging: true,
    bodyLimit: 1_048_576,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const registry = new Registry();
  const notifications = new Counter({
    name: 'qt_alert_notifications_total',
    help: 'Alertmanager groups forwarded to the chat webhook, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const expected =
    config.ALERT_WEBHOOK_TOKEN === '' ? null : Buffer.from(`Bearer ${config.ALERT_WEBHOOK_TOKEN}`);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );

  app.post(
    ALERTS_PATH,
    {
      schema: { body: AlertmanagerPayloadSchema },
      onRequest: async (request, reply) => {
        if (expected === null) return;
        const given = Buffer.from(request.headers.authorization ?? '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          return reply
            .code(401)
            .send({ code: 'UNAUTHENTICATED', detail: 'a valid bearer token is required' });
        }
      },
    },
    async (request, reply) => {
      const payload = request.body;
      const text = formatSlackText(payload);
      if (config.ALERT_SLACK_WEBHOOK_URL === '') {
        notifications.inc({ outcome: 'not_configured' });
        request.log.warn(
          { alert: { text } },
          'alert received; ALERT_SLACK_WEBHOOK_URL is not set, logged only',
        );
        return reply.code(200).send({ delivered: false, reason: 'no webhook configured' });
      }
      const result = await deliverToWebhook(config.ALERT_SLACK_WEBHOOK_URL, text, {
        attempts: config.ALERT_DELIVERY_ATTEMPTS,
        baseMs: config.ALERT_RETRY_BASE_MS,
        capMs: config.ALERT_RETRY_CAP_MS,
        timeoutMs: config.ALERT_DELIVERY_TIMEOUT_MS,
      });
      if (result.ok) {
        notifications.inc({ outcome: 'delivered' });
        return reply.code(200).send({ delivered: true, attempts: result.attempts });
      }
      notifications.inc({ outcome: 'failed' });
      request.log.error(
        {
          alert: { groupKey: payload.groupKey, attempts: result.attempts },
          error: { message: result.lastError },
        },
        'alert delivery failed',
      );
      return reply.code(502).send({ delivered: false, attempts: result.attempts, error: result.lastError });
    },
  );

  app.setErrorHandler(
    (error: { statusCode?: number; message: string; validation?: unknown }, request, reply) => {
      const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) request.log.error({ err: error }, 'alert notifier error');
      return reply
        .code(status)
        .send({ code: status === 400 ? 'VALIDATION_FAILED' : 'ERROR', detail: error.message });
    },
  );
  return app;
}
