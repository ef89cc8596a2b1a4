import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TossClient } from '../../src/modules/payment/toss-client/client.ts';
import {
  classifyFailure,
  TossApiError,
  TossTransportError,
} from '../../src/modules/payment/toss-client/errors.ts';

/** A tiny scripted HTTP peer: the client is tested on the wire, not against a stub of itself. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let base: string;
const seen: Seen[] = [];
let respond: (req: Seen, res: ServerResponse) => void = () => {};

const payment = (over: Record<string, unknown> = {}) => ({
  paymentKey: 'pk_1',
  orderId: 'order-123',
  orderName: 'tickets',
  status: 'DONE',
  method: '카드',
  currency: 'KRW',
  totalAmount: 15000,
  balanceAmount: 15000,
  suppliedAmount: 13636,
  vat: 1364,
  taxFreeAmount: 0,
  requestedAt: '2024-01-01T10:00:00+09:00',
  approvedAt: '2024-01-01T10:00:05+09:00',
  cancels: null,
  failure: null,
  virtualAccount: null,
  someFieldWeIgnore: { nested: true },
  ...over,
});

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      respond(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('TossClient', () => {
  const client = () => new TossClient({ baseUrl: base, secretKey: 'test_sk_abc', timeoutMs: 300 });

  it('confirms with Basic base64(secretKey:), JSON body and the Idempotency-Key', async () => {
    respond = (_req, res) => json(res, 200, payment());
    const p = await client().confirm(
      { paymentKey: 'pk_1', orderId: 'order-123', amount: 15000 },
      { idempotencyKey: 'key-1' },
    );
    expect(p.status).toBe('DONE');
    expect(p.totalAmount).toBe(15000);
    const req = seen.at(-1);
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/payments/confirm');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('test_sk_abc:').toString('base64')}`);
    expect(req?.headers['idempotency-key']).toBe('key-1');
    expect(JSON.parse(req?.body ?? '')).toEqual({ paymentKey: 'pk_1', orderId: 'order-123', amount: 15000 });
  });

  it('queries by paymentKey and by orderId, cancels with reason and amount', async () => {
    respond = (_req, res) => json(res, 200, payment({ status: 'PARTIAL_CANCELED', balanceAmount: 5000 }));
    const c = client();
    await c.getPayment('pk/1');
    expect(seen.at(-1)?.url).toBe('/v1/payments/pk%2F1');
    await c.getPaymentByOrderId('order-123');
    expect(seen.at(-1)?.url).toBe('/v1/payments/orders/order-123');
    const p = await c.cancel(
      'pk_1',
      { cancelReason: 'buyer', cancelAmount: 10000 },
      { idempotencyKey: 'r-1' },
    );
    expect(p.balanceAmount).toBe(5000);
    expect(seen.at(-1)?.url).toBe('/v1/payments/pk_1/cancel');
    expect(JSON.parse(seen.at(-1)?.body ?? '')).toEqual({ cancelReason: 'buyer', cancelAmount: 10000 });
    expect(seen.at(-1)?.headers['idempotency-key']).toBe('r-1');
  });

  it('sends TossPayments-Test-Code when asked', async () => {
    respond = (_req, res) => json(res, 200, payment());
    await client().getPayment('pk_1', { testCode: 'PROVIDER_ERROR' });
    expect(seen.at(-1)?.headers['tosspayments-test-code']).toBe('PROVIDER_ERROR');
  });

  it('turns {code, message} answers into TossApiError with the HTTP status and classifies them', async () => {
    const cases: Array<[number, string, string]> = [
      [400, 'PROVIDER_ERROR', 'RETRYABLE'],
      [500, 'FAILED_INTERNAL_SYSTEM_PROCESSING', 'RETRYABLE'],
      [409, 'IDEMPOTENT_REQUEST_PROCESSING', 'RETRYABLE'],
      [500, 'UNKNOWN_PAYMENT_ERROR', 'UNCLEAR'],
      [400, 'ALREADY_PROCESSED_PAYMENT', 'UNCLEAR'],
      [403, 'REJECT_CARD_PAYMENT', 'FINAL'],
      [404, 'NOT_FOUND_PAYMENT_SESSION', 'FINAL'],
      [401, 'UNAUTHORIZED_KEY', 'FINAL'],
      [502, 'SOMETHING_NEW', 'UNCLEAR'],
    ];
    for (const [status, code, cls] of cases) {
      respond = (_req, res) => json(res, status, { code, message: `m-${code}` });
      const err = await client()
        .confirm({ paymentKey: 'pk', orderId: 'order-1', amount: 1 }, { idempotencyKey: 'k' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TossApiError);
      expect((err as TossApiError).status).toBe(status);
      expect((err as TossApiError).code).toBe(code);
      expect((err as TossApiError).message).toBe(`m-${code}`);
      expect(classifyFailure(err)).toBe(cls);
    }
  });

  it('times out as an unclear TIMEOUT, and an unreachable host as a retryable CONNECT', async () => {
    respond = (_req, res) => setTimeout(() => json(res, 200, payment()), 1000);
    const started = Date.now();
    const err = await client()
      .confirm({ paymentKey: 'pk', orderId: 'order-1', amount: 1 }, { idempotencyKey: 'k' })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(900);
    expect(err).toBeInstanceOf(TossTransportError);
    expect((err as TossTransportError).kind).toBe('TIMEOUT');
    expect(classifyFailure(err)).toBe('UNCLEAR');

    const closed = new TossClient({ baseUrl: 'http://127.0.0.1:1', secretKey: 'test_sk_x', timeoutMs: 300 });
    const refused = await closed.getPayment('pk').catch((e: unknown) => e);
    expect((refused as TossTransportError).kind).toBe('CONNECT');
    expect(classifyFailure(refused)).toBe('RETRYABLE');
  });

  it('treats a 2xx body that is not a Payment object as an unclear BAD_RESPONSE', async () => {
    respond = (_req, res) => json(res, 200, { hello: 'world' });
    const err = await client()
      .getPayment('pk')
      .catch((e: unknown) => e);
    expect((err as TossTransportError).kind).toBe('BAD_RESPONSE');
    respond = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    };
    const gw = await client()
      .getPayment('pk')
      .catch((e: unknown) => e);
    expect((gw as TossApiError).code).toBe('HTTP_502');
    expect(classifyFailure(gw)).toBe('UNCLEAR');
  });
});
