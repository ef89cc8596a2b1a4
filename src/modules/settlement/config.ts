import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

/**
 * Settlement configuration, parsed once from the environment like the platform's (fail fast on a bad
 * value). Rates are basis points (1 bps = 0.01 %) so every fee is integer arithmetic. Defaults are the
 * documented ones of docs/decisions/0009-settlement-money.md.
 */
const SettlementConfigSchema = Type.Object({
  /** PG (Toss) fee on the amount charged, VAT excluded: 3.00 %. */
  SETTLEMENT_PG_FEE_RATE_BPS: Type.Integer({ minimum: 0, maximum: 10_000, default: 300 }),
  /** Platform fee on face value minus the seller-funded discount, VAT excluded: 5.00 %. */
  SETTLEMENT_PLATFORM_FEE_RATE_BPS: Type.Integer({ minimum: 0, maximum: 10_000, default: 500 }),
  /** VAT on fees: 10 % (Korean VAT). */
  SETTLEMENT_VAT_RATE_BPS: Type.Integer({ minimum: 0, maximum: 10_000, default: 1000 }),
  /** Payout date = last day of the period + this many business days. */
  SETTLEMENT_PAYOUT_BUSINESS_DAYS: Type.Integer({ minimum: 0, maximum: 60, default: 3 }),
  /** Non-business days besides Saturday and Sunday: comma-separated YYYY-MM-DD. */
  SETTLEMENT_HOLIDAYS: Type.String({ default: '' }),
  /** The business calendar's offset from UTC (daily/monthly periods, payout dates): KST. */
  SETTLEMENT_UTC_OFFSET_MINUTES: Type.Integer({ minimum: -720, maximum: 840, default: 540 }),
  /** A run waits at most this long for the ledger to catch up to the period end. */
  SETTLEMENT_CATCHUP_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 10_000 }),
  /** Outbox rows become visible when their transaction commits: the period end must be this far past. */
  SETTLEMENT_CATCHUP_GRACE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 2000 }),
  /** Scheduler tick of the worker role. */
  SETTLEMENT_JOB_INTERVAL_MS: Type.Integer({ minimum: 1000, default: 300_000 }),
  /** `daily`, `monthly` or both (comma-separated); empty disables the scheduled runs. */
  SETTLEMENT_SCHEDULE: Type.String({ default: 'daily,monthly' }),
  /** The daily job also runs the days before yesterday that no run covered yet, this far back. */
  SETTLEMENT_BACKFILL_DAYS: Type.Integer({ minimum: 1, maximum: 62, default: 7 }),
});

type RawSettlementConfig = Static<typeof SettlementConfigSchema>;

export interface SettlementConfig {
  pgFeeRateBps: number;
  platformFeeRateBps: number;
  vatRateBps: number;
  payoutBusinessDays: number;
  holidays: ReadonlySet<string>;
  utcOffsetMinutes: number;
  catchUpTimeoutMs: number;
  catchUpGraceMs: number;
  jobIntervalMs: number;
  schedule: { daily: boolean; monthly: boolean };
  backfillDays: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function loadSettlementConfig(env: NodeJS.ProcessEnv = process.env): SettlementConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(SettlementConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Convert(SettlementConfigSchema, Value.Default(SettlementConfigSchema, raw));
  if (!Value.Check(SettlementConfigSchema, converted)) {
    const problems = [...Value.Errors(SettlementConfigSchema, converted)].map(
      (e) => `${e.instancePath.replace('/', '') || '(root)'}: ${e.message}`,
    );
    throw new Error(`invalid settlement configuration: ${problems.join('; ')}`);
  }
  const c = converted as RawSettlementConfig;
  const holidays = c.SETTLEMENT_HOLIDAYS.split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const badDay = holidays.find((d) => !DATE.test(d));
  if (badDay !== undefined) throw new Error(`invalid settlement configuration: holiday ${badDay}`);
  const schedule = new Set(
    c.SETTLEMENT_SCHEDULE.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const s of schedule) {
    if (s !== 'daily' && s !== 'monthly') throw new Error(`invalid settlement configuration: schedule ${s}`);
  }
  return {
    pgFeeRateBps: c.SETTLEMENT_PG_FEE_RATE_BPS,
    platformFeeRateBps: c.SETTLEMENT_PLATFORM_FEE_RATE_BPS,
    vatRateBps: c.SETTLEMENT_VAT_RATE_BPS,
    payoutBusinessDays: c.SETTLEMENT_PAYOUT_BUSINESS_DAYS,
    holidays: new Set(holidays),
    utcOffsetMinutes: c.SETTLEMENT_UTC_OFFSET_MINUTES,
    catchUpTimeoutMs: c.SETTLEMENT_CATCHUP_TIMEOUT_MS,
    catchUpGraceMs: c.SETTLEMENT_CATCHUP_GRACE_MS,
    jobIntervalMs: c.SETTLEMENT_JOB_INTERVAL_MS,
    schedule: { daily: schedule.has('daily'), monthly: schedule.has('monthly') },
    backfillDays: c.SETTLEMENT_BACKFILL_DAYS,
  };
}
