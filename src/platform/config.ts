import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

/**
 * All configuration comes from the environment, parsed once at start-up against this schema.
 * Defaults work on a developer machine; production must override the secrets (checked below).
 */
const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
  }),
  ROLES: Type.String({
    default: 'api,admitter,relay,worker',
    pattern: '^\\s*(api|admitter|relay|worker)(\\s*,\\s*(api|admitter|relay|worker))*\\s*$',
  }),
  HTTP_HOST: Type.String({ default: '127.0.0.1' }),
  HTTP_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  PUBLIC_BASE_URL: Type.String({ default: '' }),
  LOG_LEVEL: Type.String({ default: 'info' }),
  /** On SIGTERM, /readyz answers 503 this long while traffic is still served, then HTTP closes. */
  SHUTDOWN_DRAIN_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 0 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 65536 }),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/queueticket' }),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, default: 20 }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  REDIS_KEY_PREFIX: Type.String({ default: 'qt:' }),
  /** `host:port,host:port` of Redis Cluster masters; when set, every Redis client is a Cluster client. */
  REDIS_CLUSTER_NODES: Type.String({
    default: '',
    pattern: '^\\s*([^\\s,:]+:\\d{1,5}(\\s*,\\s*[^\\s,:]+:\\d{1,5})*)?\\s*$',
  }),
  KAFKA_BROKERS: Type.String({ default: '127.0.0.1:9092' }),
  KAFKA_TOPIC_PREFIX: Type.String({ default: 'qt.' }),
  KAFKA_CLIENT_ID: Type.String({ default: 'queueticket' }),
  /** Replicas of the topics the system creates: 1 on one broker, 3 on a cluster (min ISR 2). */
  KAFKA_REPLICATION_FACTOR: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
  JWT_SECRET: Type.String({ minLength: 32, default: 'dev-only-secret-change-me-0123456789abcdef' }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, default: 2_592_000 }),
  ADMIN_EMAIL: Type.String({ default: 'admin@queueticket.local' }),
  ADMIN_PASSWORD: Type.String({ minLength: 8, default: 'admin-password' }),
  RATE_LIMIT_IP_PER_SECOND: Type.Integer({ minimum: 1, default: 400 }),
  RATE_LIMIT_LOGIN_IP_PER_MINUTE: Type.Integer({ minimum: 1, default: 120 }),
  RATE_LIMIT_LOGIN_ACCOUNT_PER_MINUTE: Type.Integer({ minimum: 1, default: 10 }),
  RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND: Type.Integer({ minimum: 1, default: 10 }),
  /** Coupon issue requests one account may make per second (per campaign), counted in the issue script. */
  RATE_LIMIT_COUPON_ISSUE_ACCOUNT_PER_SECOND: Type.Integer({ minimum: 1, default: 5 }),
  HOLD_TTL_SECONDS: Type.Integer({ minimum: 10, default: 600 }),
  HOLD_MAX_EXTEND_SECONDS: Type.Integer({ minimum: 0, default: 1800 }),
  TOSS_API_BASE: Type.String({ default: '' }),
  TOSS_SECRET_KEY: Type.String({ default: 'test_sk_queueticket_local' }),
  DEMO_DATA: Type.Boolean({ default: true }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {}

const DEV_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw));
  if (!Value.Check(ConfigSchema, converted)) {
    const problems = [...Value.Errors(ConfigSchema, converted)].map(
      (e) => `${e.instancePath.replace('/', '') || '(root)'}: ${e.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const config = converted as Config;
  if (config.NODE_ENV === 'production') {
    if (config.JWT_SECRET === DEV_SECRET) throw new ConfigError('JWT_SECRET must be set in production');
    if (config.TOSS_API_BASE === '' || config.TOSS_API_BASE.includes('/sandbox/toss')) {
      throw new ConfigError('TOSS_API_BASE must point at Toss Payments, not the sandbox, in production');
    }
  }
  return config;
}

/** The provider base URL: the built-in sandbox unless configured otherwise. */
export function tossApiBase(config: Config): string {
  if (config.TOSS_API_BASE !== '') return config.TOSS_API_BASE.replace(/\/$/, '');
  const base = config.PUBLIC_BASE_URL || `http://127.0.0.1:${config.HTTP_PORT}`;
  return `${base}/sandbox/toss`;
}

export function enabledRoles(config: Config): Set<string> {
  return new Set(
    config.ROLES.split(',')
      .map((r) => r.trim())
      .filter(Boolean),
  );
}
