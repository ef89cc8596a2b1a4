import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { Agent, type Dispatcher, request } from 'undici';
import { TossApiError, TossTransportError } from './errors.ts';
import {
  type CancelRequest,
  type ConfirmRequest,
  TossErrorBodySchema,
  type TossPayment,
  TossPaymentSchema,
  type TossTransaction,
  TossTransactionSchema,
} from './types.ts';

export interface TossClientOptions {
  /** e.g. `https://api.tosspayments.com` or `http://127.0.0.1:8080/sandbox/toss`; read per call. */
  baseUrl: string | (() => string);
  secretKey: string;
  timeoutMs: number;
  dispatcher?: Dispatcher;
}

export interface CallOptions {
  /** Required on every write (confirm, cancel): Toss replays the first answer for a repeated key. */
  idempotencyKey?: string;
  /** `TossPayments-Test-Code`: makes a test-environment call fail with that code. */
  testCode?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const TransactionList = Type.Array(TossTransactionSchema);

/** `2024-02-13T12:18:14` in Korea Standard Time, as Toss's query parameters want it. */
function kstLocal(date: Date): string {
  return new Date(date.getTime() + 9 * 3600_000).toISOString().slice(0, 19);
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The Toss Payments core API v1 over undici: Basic auth with `base64(secretKey + ':')`, JSON in and
 * out, `Idempotency-Key` on writes, a timeout per call, errors as TossApiError / TossTransportError.
 * It never retries by itself; retry policy belongs to the use case (see retry.ts).
 */
export class TossClient {
  readonly #baseUrl: () => string;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(options: TossClientOptions) {
    const base = options.baseUrl;
    this.#baseUrl = typeof base === 'string' ? () => base : base;
    this.#authorization = `Basic ${Buffer.from(`${options.secretKey}:`).toString('base64')}`;
    this.#timeoutMs = options.timeoutMs;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({ keepAliveTimeout: 10_000, connections: 128, connect: { timeout: options.timeoutMs } });
  }

  confirm(body: ConfirmRequest, options: CallOptions): Promise<TossPayment> {
    return this.#payment('POST', '/v1/payments/confirm', body, options);
  }

  getPayment(paymentKey: string, options: CallOptions = {}): Promise<TossPayment> {
    return this.#payment('GET', `/v1/payments/${encodeURIComponent(paymentKey)}`, undefined, options);
  }

  getPaymentByOrderId(orderId: string, options: CallOptions = {}): Promise<TossPayment> {
    return this.#payment('GET', `/v1/payments/orders/${encodeURIComponent(orderId)}`, undefined, options);
  }

  cancel(paymentKey: string, body: CancelRequest, options: CallOptions): Promise<TossPayment> {
    return this.#payment('POST', `/v1/payments/${encodeURIComponent(paymentKey)}/cancel`, body, options);
  }

  /**
   * Transactions (approvals and cancels) between two instants, Toss's `GET /v1/transactions`. Toss takes
   * KST local times to the second with an inclusive end; callers filter the exact window themselves.
   */
  async transactions(
    start: Date,
    end: Date,
    page: { startingAfter?: string; limit?: number } = {},
    options: CallOptions = {},
  ): Promise<TossTransaction[]> {
    const query = new URLSearchParams({ startDate: kstLocal(start), endDate: kstLocal(end) });
    if (page.startingAfter !== undefined) query.set('startingAfter', page.startingAfter);
    query.set('limit', String(page.limit ?? 5000));
    const json = await this.#call('GET', `/v1/transactions?${query.toString()}`, undefined, options);
    if (!Value.Check(TransactionList, json)) {
      throw new TossTransportError(
        'BAD_RESPONSE',
        'Toss answered GET /v1/transactions with an unexpected body',
      );
    }
    return json;
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #payment(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    options: CallOptions,
  ): Promise<TossPayment> {
    const json = await this.#call(method, path, body, options);
    if (!Value.Check(TossPaymentSchema, json)) {
      throw new TossTransportError('BAD_RESPONSE', `Toss answered ${method} ${path} with an unexpected body`);
    }
    return json;
  }

  async #call(method: 'GET' | 'POST', path: string, body: unknown, options: CallOptions): Promise<unknown> {
    const headers: Record<string, string> = {
      authorization: this.#authorization,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    if (options.testCode !== undefined) headers['tosspayments-test-code'] = options.testCode;

    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const timer = AbortSignal.timeout(timeoutMs);
    const signal = options.signal === undefined ? timer : AbortSignal.any([timer, options.signal]);
    let status: number;
    let text: string;
    try {
      const res = await request(`${this.#baseUrl()}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal,
        dispatcher: this.#dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw toTransportError(err, timer.aborted, `${method} ${path}`);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      if (status >= 200 && status < 300)
        throw new TossTransportError('BAD_RESPONSE', `Toss answered ${status} with non-JSON`);
      throw new TossApiError(status, `HTTP_${status}`, text.slice(0, 200));
    }
    if (status >= 200 && status < 300) return parsed;
    if (Value.Check(TossErrorBodySchema, parsed)) throw new TossApiError(status, parsed.code, parsed.message);
    throw new TossApiError(status, `HTTP_${status}`, text.slice(0, 200));
  }
}

function toTransportError(err: unknown, timedOut: boolean, what: string): TossTransportError {
  const code = (err as { code?: string } | null)?.code ?? '';
  const causeCode = ((err as { cause?: { code?: string } } | null)?.cause?.code as string | undefined) ?? '';
  if (CONNECT_CODES.has(code) || CONNECT_CODES.has(causeCode)) {
    return new TossTransportError('CONNECT', `could not reach Toss for ${what} (${code || causeCode})`, err);
  }
  if (
    timedOut ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    (err as { name?: string } | null)?.name === 'TimeoutError'
  ) {
    return new TossTransportError('TIMEOUT', `Toss did not answer ${what} in time`, err);
  }
  return new TossTransportError('RESET', `the connection to Toss failed during ${what} (${code})`, err);
}
