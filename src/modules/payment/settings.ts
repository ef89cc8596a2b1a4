import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

/**
 * Payment-specific settings. The platform config (src/platform/config.ts) owns TOSS_API_BASE and
 * TOSS_SECRET_KEY; the knobs below belong to this module only, so it parses them itself from the
 * same environment, once, against this schema (see docs/decisions/0008-payments.md).
 */
const PaymentSettingsSchema = Type.Object({
  /** Per-request timeout of a Toss API call. Toss answers confirm within seconds; 15 s is generous. */
  TOSS_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 15_000 }),
  /** Retries after the first confirm/cancel call (total calls = 1 + retries). */
  PAYMENT_RETRY_MAX: Type.Integer({ minimum: 0, maximum: 20, default: 4 }),
  /** Full-jitter backoff: sleep = random(0, min(cap, base · 2^n)). */
  PAYMENT_RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 200 }),
  PAYMENT_RETRY_CAP_MS: Type.Integer({ minimum: 1, default: 5_000 }),
  /**
   * How long one confirmation owns its payment row (lease). Past it, the recovery job may take the
   * payment over. 0 = computed from the timeout and the retry budget.
   */
  PAYMENT_LEASE_MS: Type.Integer({ minimum: 0, default: 0 }),
  PAYMENT_RECOVERY_INTERVAL_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  PAYMENT_BULK_REFUND_INTERVAL_MS: Type.Integer({ minimum: 100, default: 2_000 }),
  /** Serve the sandbox at /sandbox/toss from the api role (never in production unless forced). */
  SANDBOX_ENABLED: Type.Boolean({ default: true }),
});

export type PaymentSettings = Static<typeof PaymentSettingsSchema> & { leaseMs: number };

export function loadPaymentSettings(env: NodeJS.ProcessEnv = process.env): PaymentSettings {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(PaymentSettingsSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Convert(PaymentSettingsSchema, Value.Default(PaymentSettingsSchema, raw));
  if (!Value.Check(PaymentSettingsSchema, converted)) {
    const problems = [...Value.Errors(PaymentSettingsSchema, converted)].map(
      (e) => `${e.instancePath.replace('/', '')}: ${e.message}`,
    );
    throw new Error(`invalid payment settings: ${problems.join('; ')}`);
  }
  const s = converted as Static<typeof PaymentSettingsSchema>;
  // Worst case of one confirmation: every call times out and every backoff sleeps the cap,
  // plus one status query per unclear outcome, plus a margin.
  const computed =
    (s.PAYMENT_RETRY_MAX + 1) * 2 * s.TOSS_TIMEOUT_MS + s.PAYMENT_RETRY_MAX * s.PAYMENT_RETRY_CAP_MS + 5_000;
  return { ...s, leaseMs: s.PAYMENT_LEASE_MS > 0 ? s.PAYMENT_LEASE_MS : computed };
}
