import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { PaymentRepository } from './payment-repository.ts';
import type { CallOptions, TossClient } from './toss-client/client.ts';
import { classifyFailure, type FailureClass, failureCode, TossApiError } from './toss-client/errors.ts';
import type { TossPayment } from './toss-client/types.ts';

export type CallOutcome =
  | { ok: true; payment: TossPayment }
  | {
      ok: false;
      cls: FailureClass;
      code: string;
      message: string;
      httpStatus: number | null;
      error: unknown;
    };

export interface AttemptContext {
  paymentId: string | null;
  orderId: string;
  attempt: number;
}

/**
 * Every call to the provider goes through here: it is timed, classified (RETRYABLE / UNCLEAR /
 * FINAL, see toss-client/errors.ts), counted in metrics and recorded in payment_attempts.
 */
export class ProviderCalls {
  readonly #toss: TossClient;
  readonly #payments: PaymentRepository;
  readonly #logger: Logger;
  readonly #duration;

  constructor(toss: TossClient, payments: PaymentRepository, logger: Logger, metrics: Metrics) {
    this.#toss = toss;
    this.#payments = payments;
    this.#logger = logger;
    this.#duration = metrics.histogram(
      'payment_provider_call_seconds',
      'Toss API calls by operation and outcome',
      ['op', 'outcome'],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
  }

  confirm(
    at: AttemptContext,
    body: { paymentKey: string; orderId: string; amount: number },
    idempotencyKey: string,
    signal?: AbortSignal,
  ): Promise<CallOutcome> {
    return this.#run('CONFIRM', at, idempotencyKey, () =>
      this.#toss.confirm(body, { idempotencyKey, ...(signal === undefined ? {} : { signal }) }),
    );
  }

  query(
    at: AttemptContext,
    by: { paymentKey: string } | { orderId: string },
    signal?: AbortSignal,
  ): Promise<CallOutcome> {
    const options: CallOptions = signal === undefined ? {} : { signal };
    return this.#run('QUERY', at, null, () =>
      'paymentKey' in by
        ? this.#toss.getPayment(by.paymentKey, options)
        : this.#toss.getPaymentByOrderId(by.orderId, options),
    );
  }

  cancel(
    at: AttemptContext,
    paymentKey: string,
    body: { cancelReason: string; cancelAmount?: number },
    idempotencyKey: string,
  ): Promise<CallOutcome> {
    return this.#run('CANCEL', at, idempotencyKey, () =>
      this.#toss.cancel(paymentKey, body, { idempotencyKey }),
    );
  }

  async #run(
    kind: 'CONFIRM' | 'QUERY' | 'CANCEL',
    at: AttemptContext,
    idempotencyKey: string | null,
    call: () => Promise<TossPayment>,
  ): Promise<CallOutcome> {
    const started = performance.now();
    let outcome: CallOutcome;
    try {
      outcome = { ok: true, payment: await call() };
    } catch (error) {
      outcome = {
        ok: false,
        cls: classifyFailure(error),
        code: failureCode(error),
        message: error instanceof Error ? error.message : String(error),
        httpStatus: error instanceof TossApiError ? error.status : null,
        error,
      };
    }
    const ms = Math.round(performance.now() - started);
    const label = outcome.ok ? 'SUCCESS' : outcome.cls;
    this.#duration.observe({ op: kind.toLowerCase(), outcome: label }, ms / 1000);
    try {
      await this.#payments.recordAttempt({
        payment_id: at.paymentId,
        order_id: at.orderId,
        kind,
        attempt: at.attempt,
        idempotency_key: idempotencyKey,
        outcome: label,
        http_status: outcome.ok ? 200 : outcome.httpStatus,
        code: outcome.ok ? null : outcome.code,
        message: outcome.ok ? null : outcome.message.slice(0, 500),
        provider_status: outcome.ok ? outcome.payment.status : null,
        duration_ms: ms,
      });
    } catch (err) {
      // The attempt log must never change the payment's outcome.
      this.#logger.warn({ err, orderId: at.orderId }, 'could not record a payment attempt');
    }
    return outcome;
  }
}
