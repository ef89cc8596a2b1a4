import { createLogger } from '../platform/logger.ts';
import { createAlertNotifier } from './alert-notifier/app.ts';
import { loadNotifierConfig } from './alert-notifier/config.ts';

/**
 * `node src/ops/alert-notifier.ts`: a process of its own, so it keeps forwarding alerts while the
 * system it reports on (PostgreSQL, Redis, Kafka, the api) is down. Alertmanager posts to
 * http://<host>:9095/api/v1/ops/alerts.
 */
const config = loadNotifierConfig();
const logger = createLogger(config.LOG_LEVEL, 'queueticket-alert-notifier');
const app = createAlertNotifier(config, logger);
if (config.ALERT_SLACK_WEBHOOK_URL === '')
  logger.warn('ALERT_SLACK_WEBHOOK_URL is not set: alerts are only logged');
await app.listen({ host: config.ALERT_NOTIFIER_HOST, port: config.ALERT_NOTIFIER_PORT });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'alert notifier shutting down');
    void app.close().then(() => process.exit(0));
  });
}
