import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import type { SandboxDb } from './tables.ts';

const Rate = Type.Number({ minimum: 0, maximum: 1 });
const OperationFaults = Type.Object(
  {
    /** Answer a retryable error (PROVIDER_ERROR 400 or FAILED_INTERNAL_SYSTEM_PROCESSING 500), nothing done. */
    failureRate: Rate,
    /** Hang past the caller's timeout; half of these are processed before hanging (answer lost). */
    timeoutRate: Rate,
    /** Process, then answer 500 UNKNOWN_PAYMENT_ERROR (not stored under the idempotency key). */
    unknownRate: Rate,
  },
  { additionalProperties: false },
);

const scalarSettings = {
  latencyMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
  latencyJitterMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
  /** How long a simulated timeout hangs before the (ignored) answer. */
  timeoutMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
  /** Where PAYMENT_STATUS_CHANGED goes: a URL, '' = none, 'auto' = this server's own webhook route. */
  webhookUrl: Type.String({ maxLength: 2000 }),
  /**
   * ALL: every status change, like Toss's PAYMENT_STATUS_CHANGED subscription. ASYNC (default): only
   * changes no API answer reported (deposits, deadlines), which keeps the in-process webhook traffic
   * (and its share of the per-IP limit) small under load.
   */
  webhookScope: Type.Union([Type.Literal('ALL'), Type.Literal('ASYNC')]),
  /** A checkout must be confirmed within this many seconds (Toss: 10 minutes). */
  sessionTtlSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  /** Default deposit window of a virtual account. */
  virtualAccountValidHours: Type.Number({ minimum: 0.0003, maximum: 720 }),
};

/** Behaviour of the sandbox for one merchant (secret key). Defaults come from SANDBOX_* env. */
export const SandboxSettingsSchema = Type.Object(
  { ...scalarSettings, confirm: OperationFaults, cancel: OperationFaults, query: OperationFaults },
  { additionalProperties: false },
);
export type SandboxSettings = Static<typeof SandboxSettingsSchema>;
const OperationFaultsPatch = Type.Partial(OperationFaults);
export const SandboxSettingsPatchSchema = Type.Object(
  {
    ...Type.Partial(Type.Object(scalarSettings)).properties,
    confirm: Type.Optional(OperationFaultsPatch),
    cancel: Type.Optional(OperationFaultsPatch),
    query: Type.Optional(OperationFaultsPatch),
  },
  { additionalProperties: false },
);
export type SandboxSettingsPatch = Static<typeof SandboxSettingsPatchSchema>;

const num = (env: NodeJS.ProcessEnv, key: string, fallback: number) => {
  const v = env[key];
  const n = v === undefined || v === '' ? Number.NaN : Number(v);
  return Number.isFinite(n) ? n : fallback;
};

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env, inProcess = true): SandboxSettings {
  const ops = (op: string) => ({
    failureRate: num(env, `SANDBOX_${op}_FAILURE_RATE`, 0),
    timeoutRate: num(env, `SANDBOX_${op}_TIMEOUT_RATE`, 0),
    unknownRate: num(env, `SANDBOX_${op}_UNKNOWN_RATE`, 0),
  });
  const settings: SandboxSettings = {
    latencyMs: num(env, 'SANDBOX_LATENCY_MS', 0),
    latencyJitterMs: num(env, 'SANDBOX_LATENCY_JITTER_MS', 0),
    timeoutMs: num(env, 'SANDBOX_TIMEOUT_MS', 60_000),
    confirm: ops('CONFIRM'),
    cancel: ops('CANCEL'),
    query: ops('QUERY'),
    webhookUrl: env.SANDBOX_WEBHOOK_URL ?? (inProcess ? 'auto' : ''),
    webhookScope: env.SANDBOX_WEBHOOK_SCOPE === 'ALL' ? 'ALL' : 'ASYNC',
    sessionTtlSeconds: num(env, 'SANDBOX_SESSION_TTL_SECONDS', 600),
    virtualAccountValidHours: num(env, 'SANDBOX_VA_VALID_HOURS', 72),
  };
  if (!Value.Check(SandboxSettingsSchema, settings)) {
    const first = [...Value.Errors(SandboxSettingsSchema, settings)][0];
    throw new Error(`invalid SANDBOX_* setting ${first?.instancePath}: ${first?.message}`);
  }
  return settings;
}

export function mergeSettings(base: SandboxSettings, patch: SandboxSettingsPatch): SandboxSettings {
  return {
    ...base,
    ...patch,
    confirm: { ...base.confirm, ...patch.confirm },
    cancel: { ...base.cancel, ...patch.cancel },
    query: { ...base.query, ...patch.query },
  };
}

/**
 * Per-merchant settings: env defaults overlaid with what the admin endpoint stored in
 * `sandbox_settings`. Cached briefly per process; a change made through this process is seen at once,
 * through another process within CACHE_MS.
 */
export class SandboxSettingsStore {
  static readonly CACHE_MS = 1000;
  readonly #db: SandboxDb;
  readonly #defaults: SandboxSettings;
  readonly #cache = new Map<string, { at: number; settings: SandboxSettings }>();

  constructor(db: SandboxDb, defaults: SandboxSettings) {
    this.#db = db;
    this.#defaults = defaults;
  }

  /**
   * `executor`: the caller's transaction when it holds one (webhook enqueue inside a state change), so
   * a cache miss never waits for a second pool connection while holding the first (pool deadlock).
   */
  async get(merchant: string | null, executor: SandboxDb = this.#db): Promise<SandboxSettings> {
    if (merchant === null) return this.#defaults;
    const hit = this.#cache.get(merchant);
    if (hit !== undefined && Date.now() - hit.at < SandboxSettingsStore.CACHE_MS) return hit.settings;
    const row = await executor
      .selectFrom('sandbox_settings')
      .select('settings')
      .where('merchant', '=', merchant)
      .executeTakeFirst();
    const stored = row?.settings;
    const settings =
      stored !== undefined && Value.Check(SandboxSettingsPatchSchema, stored)
        ? mergeSettings(this.#defaults, stored)
        : this.#defaults;
    this.#cache.set(merchant, { at: Date.now(), settings });
    return settings;
  }

  async update(merchant: string, patch: SandboxSettingsPatch): Promise<SandboxSettings> {
    const current = await this.#stored(merchant);
    const next: SandboxSettingsPatch = {
      ...current,
      ...patch,
      confirm: { ...current.confirm, ...patch.confirm },
      cancel: { ...current.cancel, ...patch.cancel },
      query: { ...current.query, ...patch.query },
    };
    await this.#db
      .insertInto('sandbox_settings')
      .values({ merchant, settings: JSON.stringify(next) })
      .onConflict((oc) =>
        oc.column('merchant').doUpdateSet({ settings: JSON.stringify(next), updated_at: new Date() }),
      )
      .execute();
    this.#cache.delete(merchant);
    return this.get(merchant);
  }

  async reset(merchant: string): Promise<SandboxSettings> {
    await this.#db.deleteFrom('sandbox_settings').where('merchant', '=', merchant).execute();
    this.#cache.delete(merchant);
    return this.#defaults;
  }

  async #stored(merchant: string): Promise<SandboxSettingsPatch> {
    const row = await this.#db
      .selectFrom('sandbox_settings')
      .select('settings')
      .where('merchant', '=', merchant)
      .executeTakeFirst();
    return row !== undefined && Value.Check(SandboxSettingsPatchSchema, row.settings) ? row.settings : {};
  }
}
