import { createHash } from 'node:crypto';
import { SandboxError } from './codes.ts';
import { ProcessedButFailed } from './service.ts';
import type { SandboxSettingsStore } from './settings.ts';
import type { SandboxDb } from './tables.ts';

export interface Answer {
  status: number;
  body: unknown;
}

export interface ApiCall {
  merchant: string;
  op: 'confirm' | 'cancel' | 'query';
  idempotencyKey: string | undefined;
  testCode: string | undefined;
  /** method + path + body: a key reused for another request is refused. */
  fingerprint: string;
}

/** Errors that say "nothing happened, try again": never stored under an idempotency key. */
const TRANSIENT = new Set([
  'PROVIDER_ERROR',
  'IDEMPOTENT_REQUEST_PROCESSING',
  'FORBIDDEN_CONSECUTIVE_REQUEST',
]);

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    if (ms <= 0) resolve();
    else setTimeout(resolve, ms).unref();
  });

const errorAnswer = (e: SandboxError): Answer => ({
  status: e.status,
  body: { code: e.code, message: e.message },
});

/** Toss Basic auth: `base64(secretKey + ':')`; the sandbox accepts test secret keys only. */
export function merchantOf(authorization: string | undefined): string {
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const secret = decoded.endsWith(':') ? decoded.slice(0, -1) : decoded.split(':')[0];
    if (secret !== undefined && (secret.startsWith('test_sk_') || secret.startsWith('test_gsk_')))
      return secret;
  }
  throw new SandboxError('UNAUTHORIZED_KEY');
}

/**
 * What stands between a Toss API request and the provider logic, in Toss's order: latency, the
 * `TossPayments-Test-Code` header, `Idempotency-Key` replay, then the configured faults.
 */
export class SandboxGateway {
  readonly #db: SandboxDb;
  readonly #settings: SandboxSettingsStore;

  constructor(db: SandboxDb, settings: SandboxSettingsStore) {
    this.#db = db;
    this.#settings = settings;
  }

  async run(call: ApiCall, exec: () => Promise<unknown>): Promise<Answer> {
    const settings = await this.#settings.get(call.merchant);
    await sleep(settings.latencyMs + Math.floor(Math.random() * (settings.latencyJitterMs + 1)));
    if (call.testCode !== undefined) return errorAnswer(new SandboxError(call.testCode));

    const key = call.op === 'query' ? undefined : call.idempotencyKey;
    if (key !== undefined) {
      const replay = await this.#claim(call.merchant, key, call.fingerprint);
      if (replay !== null) return replay;
    }
    const faults = settings[call.op];
    const roll = Math.random();
    try {
      if (roll < faults.failureRate) {
        await this.#forget(call.merchant, key);
        const code = Math.random() < 0.5 ? 'PROVIDER_ERROR' : 'FAILED_INTERNAL_SYSTEM_PROCESSING';
        return errorAnswer(new SandboxError(code));
      }
      if (roll < faults.failureRate + faults.timeoutRate) {
        if (Math.random() < 0.5) {
          // Processed, but the answer arrives after the caller gave up.
          const answer = await this.#settle(call.merchant, key, await execute(exec));
          await sleep(settings.timeoutMs);
          return answer;
        }
        await this.#forget(call.merchant, key);
        await sleep(settings.timeoutMs);
        return errorAnswer(new SandboxError('FAILED_INTERNAL_SYSTEM_PROCESSING'));
      }
      if (roll < faults.failureRate + faults.timeoutRate + faults.unknownRate) {
        const answer = await execute(exec);
        await this.#forget(call.merchant, key);
        return answer.status < 300 ? errorAnswer(new SandboxError('UNKNOWN_PAYMENT_ERROR')) : answer;
      }
      return await this.#settle(call.merchant, key, await execute(exec));
    } catch (err) {
      await this.#forget(call.merchant, key);
      throw err;
    }
  }

  /** null: this request owns the key now; else the answer to give (replay or refusal). */
  async #claim(merchant: string, key: string, fingerprint: string): Promise<Answer | null> {
    const requestHash = createHash('sha256').update(fingerprint).digest('hex');
    const claimed = await this.#db
      .insertInto('sandbox_idempotency')
      .values({ merchant, idem_key: key, request_hash: requestHash, state: 'IN_PROGRESS' })
      .onConflict((oc) => oc.doNothing())
      .returning('idem_key')
      .executeTakeFirst();
    if (claimed !== undefined) return null;
    const row = await this.#db
      .selectFrom('sandbox_idempotency')
      .select(['request_hash', 'state', 'status_code', 'response'])
      .where('merchant', '=', merchant)
      .where('idem_key', '=', key)
      .executeTakeFirst();
    if (row === undefined || row.state === 'IN_PROGRESS' || row.status_code === null)
      return errorAnswer(new SandboxError('IDEMPOTENT_REQUEST_PROCESSING'));
    if (row.request_hash !== requestHash)
      return errorAnswer(
        new SandboxError('INVALID_REQUEST', 'this Idempotency-Key was already used for another request'),
      );
    return { status: row.status_code, body: row.response };
  }

  async #settle(merchant: string, key: string | undefined, answer: Answer): Promise<Answer> {
    if (key === undefined) return answer;
    const code = (answer.body as { code?: string } | null)?.code;
    if (answer.status >= 500 || (code !== undefined && TRANSIENT.has(code))) {
      await this.#forget(merchant, key);
      return answer;
    }
    await this.#db
      .updateTable('sandbox_idempotency')
      .set({ state: 'DONE', status_code: answer.status, response: JSON.stringify(answer.body) })
      .where('merchant', '=', merchant)
      .where('idem_key', '=', key)
      .execute();
    return answer;
  }

  async #forget(merchant: string, key: string | undefined): Promise<void> {
    if (key === undefined) return;
    await this.#db
      .deleteFrom('sandbox_idempotency')
      .where('merchant', '=', merchant)
      .where('idem_key', '=', key)
      .where('state', '=', 'IN_PROGRESS')
      .execute();
  }
}

async function execute(exec: () => Promise<unknown>): Promise<Answer> {
  try {
    return { status: 200, body: await exec() };
  } catch (err) {
    if (err instanceof ProcessedButFailed) return errorAnswer(err.error);
    if (err instanceof SandboxError) return errorAnswer(err);
    throw err;
  }
}
