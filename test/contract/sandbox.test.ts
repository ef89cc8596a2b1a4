import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';
import { api } from '../support/harness.ts';
import {
  call,
  checkout,
  type System,
  sleep,
  startSystem,
  type TossAnswer,
  toss as tossOf,
} from './support.ts';

/** API.md "Payments (Toss Payments compatible)": the built-in sandbox as a stand-in for Toss. */
let s: System;

beforeAll(async () => {
  s = await startSystem('sbx');
});
afterAll(async () => s?.close());

const toss = (...args: Parameters<typeof tossOf> extends [System, ...infer R] ? R : never) =>
  tossOf(s, ...args);
let n = 0;
const newOrderId = () => `ct_${Date.now().toString(36)}_${++n}`;
async function charged(amount: number, extra: Record<string, unknown> = {}) {
  const orderId = newOrderId();
  const { paymentKey } = await checkout(s, { orderId, amount, ...extra });
  const res = await toss('POST', '/payments/confirm', { paymentKey, orderId, amount });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { orderId, paymentKey, payment: res.body };
}

describe('the Toss-compatible sandbox', () => {
  it('checkout {orderId, amount, method?} → 200 {paymentKey, orderId, amount}', async () => {
    const orderId = newOrderId();
    const res = await call(s, null, 'POST', '/sandbox/toss/checkout', {
      orderId,
      amount: 12_000,
      method: 'CARD',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ paymentKey: expect.any(String), orderId, amount: 12_000 });
  });

  it('Basic auth: test_sk_ and test_gsk_ keys accepted, any other → 401 UNAUTHORIZED_KEY', async () => {
    const { paymentKey } = await charged(5_000);
    expect((await toss('GET', `/payments/${paymentKey}`)).status).toBe(200);
    expect(
      (await toss('GET', `/payments/${paymentKey}`, undefined, {}, 'test_gsk_anything')).status,
    ).not.toBe(401);
    for (const key of ['live_sk_nope', 'sk_test_x']) {
      const res = await toss('GET', `/payments/${paymentKey}`, undefined, {}, key);
      expect([res.status, res.body.code]).toEqual([401, 'UNAUTHORIZED_KEY']);
    }
    const none = await api<TossAnswer>(s.baseUrl, 'GET', `/sandbox/toss/v1/payments/${paymentKey}`);
    expect([none.status, none.body.code]).toEqual([401, 'UNAUTHORIZED_KEY']);
  });

  it('the Payment object: vat = round((total − taxFree) / 11), suppliedAmount the rest; query by paymentKey and orderId', async () => {
    const plain = await charged(10_000);
    expect(plain.payment).toMatchObject({
      status: 'DONE',
      totalAmount: 10_000,
      balanceAmount: 10_000,
      vat: 909,
      suppliedAmount: 9_091,
    });
    const mixed = await charged(10_000, { taxFreeAmount: 1_000 });
    expect(mixed.payment).toMatchObject({ vat: 818, suppliedAmount: 8_182, taxFreeAmount: 1_000 });
    const byKey = await toss('GET', `/payments/${plain.paymentKey}`);
    const byOrder = await toss('GET', `/payments/orders/${plain.orderId}`);
    expect(byKey.body).toMatchObject({
      paymentKey: plain.paymentKey,
      orderId: plain.orderId,
      status: 'DONE',
    });
    expect(byOrder.body).toMatchObject({ paymentKey: plain.paymentKey, orderId: plain.orderId });
  });

  it('repeat confirm → 400 ALREADY_PROCESSED_PAYMENT; unknown payment → 404 NOT_FOUND_PAYMENT; {code, message} bodies', async () => {
    const p = await charged(3_000);
    const again = await toss('POST', '/payments/confirm', {
      paymentKey: p.paymentKey,
      orderId: p.orderId,
      amount: 3_000,
    });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ code: 'ALREADY_PROCESSED_PAYMENT', message: expect.any(String) });
    const missing = await toss('GET', '/payments/no_such_payment_key');
    expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND_PAYMENT']);
    const missingOrder = await toss('GET', `/payments/orders/${newOrderId()}`);
    expect([missingOrder.status, missingOrder.body.code]).toEqual([404, 'NOT_FOUND_PAYMENT']);
  });

  it('cancel above the balance → NOT_CANCELABLE_AMOUNT, balance unchanged; no cancelAmount cancels the whole balance', async () => {
    const p = await charged(10_000);
    const part = await toss('POST', `/payments/${p.paymentKey}/cancel`, {
      cancelReason: 'part',
      cancelAmount: 4_000,
    });
    expect(part.body).toMatchObject({ status: 'PARTIAL_CANCELED', balanceAmount: 6_000 });
    await sleep(1100);
    const over = await toss('POST', `/payments/${p.paymentKey}/cancel`, {
      cancelReason: 'too much',
      cancelAmount: 6_001,
    });
    expect(over.body.code).toBe('NOT_CANCELABLE_AMOUNT');
    expect((await toss('GET', `/payments/${p.paymentKey}`)).body.balanceAmount).toBe(6_000);
    await sleep(1100);
    const rest = await toss('POST', `/payments/${p.paymentKey}/cancel`, { cancelReason: 'the rest' });
    expect(rest.body).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
  });

  it('Idempotency-Key replays; a 5xx is never stored (the retry runs); TossPayments-Test-Code on its own endpoints', async () => {
    const orderId = newOrderId();
    const { paymentKey } = await checkout(s, { orderId, amount: 7_000 });
    const body = { paymentKey, orderId, amount: 7_000 };
    const failed = await toss('POST', '/payments/confirm', body, {
      'Idempotency-Key': 'ct-key-1',
      'TossPayments-Test-Code': 'FAILED_INTERNAL_SYSTEM_PROCESSING',
    });
    expect(failed.status).toBe(500);
    const first = await toss('POST', '/payments/confirm', body, { 'Idempotency-Key': 'ct-key-1' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const replay = await toss('POST', '/payments/confirm', body, { 'Idempotency-Key': 'ct-key-1' });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    const p = await charged(2_000);
    const rejected = await toss(
      'POST',
      `/payments/${p.paymentKey}/cancel`,
      { cancelReason: 'x' },
      { 'TossPayments-Test-Code': 'NOT_CANCELABLE_PAYMENT' },
    );
    expect([rejected.status, rejected.body.code]).toEqual([403, 'NOT_CANCELABLE_PAYMENT']);
  });

  it('TOSS_API_BASE pointing at the sandbox is refused at start-up in production', () => {
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-that-is-long-enough-123' };
    expect(() => loadConfig({ ...prod, TOSS_API_BASE: 'http://127.0.0.1:8080/sandbox/toss' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig(prod)).toThrow(ConfigError);
    expect(() => loadConfig({ ...prod, TOSS_API_BASE: 'https://api.tosspayments.com' })).not.toThrow();
  });
});
