import { sql } from 'kysely';
import { request } from 'undici';
import type { Logger } from '../../../platform/logger.ts';
import type { TossPayment } from '../toss-client/types.ts';
import type { SandboxSettingsStore } from './settings.ts';
import type { SandboxDb, SandboxTrx } from './tables.ts';

const MAX_ATTEMPTS = 8;
export const WEBHOOK_PATH = '/api/v1/payments/webhooks/toss';

/**
 * PAYMENT_STATUS_CHANGED webhooks, like Toss sends them: queued in the same transaction as the
 * status change, delivered right after, retried with backoff until a 2xx (at most 8 tries).
 */
export class SandboxWebhooks {
  readonly #db: SandboxDb;
  readonly #settings: SandboxSettingsStore;
  readonly #selfBaseUrl: () => string | null;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(
    db: SandboxDb,
    settings: SandboxSettingsStore,
    selfBaseUrl: () => string | null,
    logger: Logger,
  ) {
    this.#db = db;
    this.#settings = settings;
    this.#selfBaseUrl = selfBaseUrl;
    this.#logger = logger;
  }

  async enqueue(
    trx: SandboxTrx,
    merchant: string | null,
    payment: TossPayment,
    origin: 'API' | 'ASYNC',
  ): Promise<void> {
    // Read through the caller's transaction: called with it open, a pool read here would need a second
    // connection per transaction, and under load every connection waits for another (deadlock).
    const settings = await this.#settings.get(merchant, trx);
    const configured = settings.webhookUrl;
    if (configured === '' || (settings.webhookScope === 'ASYNC' && origin === 'API')) return;
    const url = configured === 'auto' ? null : configured;
    await trx
      .insertInto('sandbox_webhook_deliveries')
      .values({
        merchant,
        url,
        event_type: 'PAYMENT_STATUS_CHANGED',
        payment_key: payment.paymentKey,
        body: JSON.stringify({
          eventType: 'PAYMENT_STATUS_CHANGED',
          createdAt: new Date().toISOString(),
          data: payment,
        }),
        status: 'PENDING',
      })
      .execute();
  }

  start(intervalMs = 1000): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.kick(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** Deliver what is due now (coalesced: one sweep at a time per process). */
  kick(): void {
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = this.#sweep()
      .catch((err: unknown) => this.#logger.warn({ err }, 'sandbox webhook sweep failed'))
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  async #sweep(): Promise<void> {
    for (;;) {
      const due = await this.#db
        .updateTable('sandbox_webhook_deliveries')
        .set({ attempts: sql`attempts + 1`, next_attempt_at: sql`now() + interval '30 seconds'` })
        .where(
          'id',
          'in',
          this.#db
            .selectFrom('sandbox_webhook_deliveries')
            .select('id')
            .where('status', '=', 'PENDING')
            .where('next_attempt_at', '<=', new Date())
            .orderBy('id')
            .limit(20)
            .forUpdate()
            .skipLocked(),
        )
        .returning(['id', 'url', 'body', 'attempts'])
        .execute();
      if (due.length === 0) return;
      await Promise.all(due.map((d) => this.#deliver(d)));
    }
  }

  async #deliver(d: { id: number; url: string | null; body: unknown; attempts: number }): Promise<void> {
    const base = this.#selfBaseUrl();
    const url = d.url ?? (base === null ? null : `${base}${WEBHOOK_PATH}`);
    let status: number | null = null;
    let error: string | null = null;
    if (url === null) error = 'no webhook URL yet (server not listening)';
    else {
      try {
        const res = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: typeof d.body === 'string' ? d.body : JSON.stringify(d.body),
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        status = res.statusCode;
        await res.body.dump();
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
    }
    const ok = status !== null && status >= 200 && status < 300;
    const giveUp = !ok && d.attempts >= MAX_ATTEMPTS;
    await this.#db
      .updateTable('sandbox_webhook_deliveries')
      .set({
        status: ok ? 'DELIVERED' : giveUp ? 'FAILED' : 'PENDING',
        last_status: status,
        last_error: error,
        delivered_at: ok ? new Date() : null,
        next_attempt_at: new Date(Date.now() + Math.min(60_000, 500 * 2 ** d.attempts)),
      })
      .where('id', '=', d.id)
      .execute();
  }
}
