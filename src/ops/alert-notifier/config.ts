import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

/** The notifier runs on its own (no PostgreSQL, Redis or Kafka): alerts must get out when those are down. */
const NotifierConfigSchema = Type.Object({
  ALERT_NOTIFIER_HOST: Type.String({ default: '127.0.0.1' }),
  ALERT_NOTIFIER_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9095 }),
  /** Slack incoming webhook or any Slack-compatible one (Mattermost, Rocket.Chat, Discord `/slack`). */
  ALERT_SLACK_WEBHOOK_URL: Type.String({ default: '' }),
  /** When set, Alertmanager must send `Authorization: Bearer <token>` (its `http_config.authorization`). */
  ALERT_WEBHOOK_TOKEN: Type.String({ default: '' }),
  ALERT_DELIVERY_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 10, default: 4 }),
  ALERT_RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 500 }),
  ALERT_RETRY_CAP_MS: Type.Integer({ minimum: 1, default: 5000 }),
  ALERT_DELIVERY_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  LOG_LEVEL: Type.String({ default: 'info' }),
});

export type NotifierConfig = Static<typeof NotifierConfigSchema>;

export function loadNotifierConfig(env: NodeJS.ProcessEnv = process.env): NotifierConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(NotifierConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Convert(NotifierConfigSchema, Value.Default(NotifierConfigSchema, raw));
  if (!Value.Check(NotifierConfigSchema, converted)) {
    const problems = [...Value.Errors(NotifierConfigSchema, converted)].map(
      (e) => `${e.instancePath.replace('/', '') || '(root)'}: ${e.message}`,
    );
    throw new Error(`invalid alert notifier configuration: ${problems.join('; ')}`);
  }
  const config = converted as NotifierConfig;
  if (config.ALERT_SLACK_WEBHOOK_URL !== '' && !/^https?:\/\//.test(config.ALERT_SLACK_WEBHOOK_URL)) {
    throw new Error('ALERT_SLACK_WEBHOOK_URL must be an http(s) URL');
  }
  return config;
}
