import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TossClient } from '../../src/modules/payment/toss-client/client.ts';
import { TossApiError, type TossTransportError } from '../../src/modules/payment/toss-client/errors.ts';
import { openDb } from './support/db.ts';
import {
  call,
  checkout,
  newMerchantKey,
  newTossOrderId,
  setFaults,
  startSandbox,
  startWebhookReceiver,
  waitFor,
} from './support/sandbox.ts';

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
const key = newMerchantKey('sbx');
let toss: TossClient;

beforeAll(async () => {
  sandbox = await startSandbox();
  toss = new TossClient({ baseUrl: sandbox.url, secretKey: key, timeoutMs: 5000 });
  await setFaults(sandbox.url, key, { webhookUrl: '' });
});
afterAll(async () => {
  await toss.close();
  await sandbox.destroy();
});

const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TossApiError);
  return err as TossApiError;
};

describe('sandbox: checkout, confirm, query', () => {
  it('checks out and confirms, with Toss amounts (vat = round(taxable / 11))', async () => {
    const orderId = newTossOrderId();
    const co = await call(`${sandbox.url}/checkout`, 'POST', { body: { orderId, amount: 15000 } });
    expect(co.status).toBe(200);
    expect(co.body).toEqual({ paymentKey: expect.any(String), orderId, amount: 15000 });
    const paymentKey = co.body.paymentKey as string;

    const p = await toss.confirm({ paymentKey, orderId, amount: 15000 }, { idempotencyKey: `c-${orderId}` });
    expect(p).toMatchObject({
      paymentKey,
      orderId,
      status: 'DONE',
      method: '카드',
      currency: 'KRW',
      totalAmount: 15000,
      balanceAmount: 15000,
      vat: 1364,
      suppliedAmount: 13636,
      taxFreeAmount: 0,
      cancels: null,
    });
    expect(p.approvedAt).toMatch(/\+09:00$/);

    expect((await toss.getPayment(paymentKey)).status).toBe('DONE');
    expect((await toss.getPaymentByOrderId(orderId)).paymentKey).toBe(paymentKey);
  });

  it('computes vat on the taxable part only', async () => {
    const orderId = newTossOrderId();
    const res = await call(`${sandbox.url}/checkout`, 'POST', {
      body: { orderId, amount: 10000, taxFreeAmount: 1000 },
    });
    const paymentKey = res.body.paymentKey as string;
    const p = await toss.confirm({ paymentKey, orderId, amount: 10000 }, { idempotencyKey: `c-${orderId}` });
    expect(p.vat).toBe(818); // round(9000 / 11)
    expect(p.suppliedAmount).toBe(8182);
    expect(p.taxFreeAmount).toBe(1000);
  });

  it('refuses other keys with 401 UNAUTHORIZED_KEY', async () => {
    for (const k of [undefined, 'live_sk_abc', 'test_ck_abc']) {
      const res = await call(`${sandbox.url}/v1/payments/whatever`, 'GET', k === undefined ? {} : { key: k });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHORIZED_KEY');
      expect(typeof res.body.message).toBe('string');
    }
    const gsk = await call(`${sandbox.url}/v1/payments/whatever`, 'GET', { key: 'test_gsk_abc' });
    expect(gsk.status).toBe(404);
  });

  it('answers a repeat confirm with 400 ALREADY_PROCESSED_PAYMENT and an unknown payment with 404', async () => {
    const orderId = newTossOrderId();
    const paymentKey = await checkout(sandbox.url, { orderId, amount: 5000 });
    await toss.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: `a-${orderId}` });
    const again = await failure(
      toss.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: `b-${orderId}` }),
    );
    expect([again.status, again.code]).toEqual([400, 'ALREADY_PROCESSED_PAYMENT']);
    const missing = await failure(toss.getPayment('no-such-payment'));
    expect([missing.status, missing.code]).toEqual([404, 'NOT_FOUND_PAYMENT']);
    const missingOrder = await failure(toss.getPaymentByOrderId('no-such-order'));
    expect(missingOrder.code).toBe('NOT_FOUND_PAYMENT');
    const noSession = await failure(
      toss.confirm({ paymentKey: 'nope', orderId, amount: 5000 }, { idempotencyKey: `n-${orderId}` }),
    );
    expect([noSession.status, noSession.code]).toEqual([404, 'NOT_FOUND_PAYMENT_SESSION']);
  });

  it('expires a session not confirmed in time (NOT_FOUND_PAYMENT_SESSION)', async () => {
    const orderId = newTossOrderId();
    const paymentKey = await checkout(sandbox.url, { orderId, amount: 5000 });
    // The ledger is PostgreSQL: age the session there.
    const { db } = openDb();
    await db
      .updateTable('sandbox_payments')
      .set({ session_expires_at: new Date(Date.now() - 1000) })
      .where('payment_key', '=', paymentKey)
      .execute();
    await db.destroy();
    const err = await failure(
      toss.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: `e-${orderId}` }),
    );
    expect([err.status, err.code]).toEqual([404, 'NOT_FOUND_PAYMENT_SESSION']);
    expect((await toss.getPayment(paymentKey)).status).toBe('EXPIRED');
  });

  it('replays an Idempotency-Key: same answer, charged once; another body → refused', async () => {
    const orderId = newTossOrderId();
    const paymentKey = await checkout(sandbox.url, { orderId, amount: 7000 });
    const idem = `idem-${orderId}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        toss.confirm({ paymentKey, orderId, amount: 7000 }, { idempotencyKey: idem }).then(
          (p) => ({ ok: true as const, p }),
          (e: unknown) => ({ ok: false as const, e }),
        ),
      ),
    );
    const oks = results.filter((r) => r.ok);
    expect(oks.length).toBeGreaterThanOrEqual(1);
    for (const r of results) {
      if (r.ok) expect(r.p.approvedAt).toBe(oks[0]?.ok ? oks[0].p.approvedAt : '');
      else expect((r.e as TossApiError).code).toBe('IDEMPOTENT_REQUEST_PROCESSING');
    }
    const replay = await toss.confirm({ paymentKey, orderId, amount: 7000 }, { idempotencyKey: idem });
    expect(replay.approvedAt).toBe(oks[0]?.ok ? oks[0].p.approvedAt : '');
    const reused = await call(`${sandbox.url}/v1/payments/confirm`, 'POST', {
      key,
      body: { paymentKey, orderId, amount: 7001 },
      headers: { 'idempotency-key': idem },
    });
    expect(reused.status).toBe(400);
    const ledger = await call(`${sandbox.url}/admin/ledger?orderId=${orderId}`, 'GET', { key });
    expect(ledger.body.payments).toHaveLength(1);
  });

  it('answers bad input Toss-style with 400 INVALID_REQUEST', async () => {
    const bad = await call(`${sandbox.url}/checkout`, 'POST', { body: { orderId: 'a b', amount: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_REQUEST');
    const badConfirm = await call(`${sandbox.url}/v1/payments/confirm`, 'POST', {
      key,
      body: { paymentKey: 'x' },
    });
    expect(badConfirm.status).toBe(400);
    expect(badConfirm.body.code).toBe('INVALID_REQUEST');
    const mismatch = await (async () => {
      const orderId = newTossOrderId();
      const paymentKey = await checkout(sandbox.url, { orderId, amount: 100 });
      return failure(toss.confirm({ paymentKey, orderId, amount: 99 }, { idempotencyKey: `m-${orderId}` }));
    })();
    expect(mismatch.code).toBe('INVALID_REQUEST');
  });
});

describe('sandbox: cancel', () => {
  it('cancels partly then the rest; consecutive cancels within 1 s and over-balance cancels are refused', async () => {
    const orderId = newTossOrderId();
    const paymentKey = await checkout(sandbox.url, { orderId, amount: 30000 });
    await toss.confirm({ paymentKey, orderId, amount: 30000 }, { idempotencyKey: `c-${orderId}` });

    const part = await toss.cancel(
      paymentKey,
      { cancelReason: 'one seat', cancelAmount: 10000 },
      { idempotencyKey: `r1${orderId}` },
    );
    expect(part).toMatchObject({ status: 'PARTIAL_CANCELED', balanceAmount: 20000, totalAmount: 30000 });
    expect(part.cancels).toHaveLength(1);
    expect(part.cancels?.[0]).toMatchObject({
      cancelAmount: 10000,
      cancelReason: 'one seat',
      transactionKey: expect.any(String),
    });

    const quick = await failure(
      toss.cancel(paymentKey, { cancelReason: 'again' }, { idempotencyKey: `r2${orderId}` }),
    );
    expect([quick.status, quick.code]).toEqual([403, 'FORBIDDEN_CONSECUTIVE_REQUEST']);
    await new Promise((r) => setTimeout(r, 1100));

    const over = await failure(
      toss.cancel(
        paymentKey,
        { cancelReason: 'too much', cancelAmount: 20001 },
        { idempotencyKey: `r3${orderId}` },
      ),
    );
    expect(over.code).toBe('NOT_CANCELABLE_AMOUNT');
    expect((await toss.getPayment(paymentKey)).balanceAmount).toBe(20000);

    // A replay of the first cancel's key returns its answer and cancels nothing more.
    const replay = await toss.cancel(
      paymentKey,
      { cancelReason: 'one seat', cancelAmount: 10000 },
      { idempotencyKey: `r1${orderId}` },
    );
    expect(replay.balanceAmount).toBe(20000);
    expect((await toss.getPayment(paymentKey)).balanceAmount).toBe(20000);

    await new Promise((r) => setTimeout(r, 1100));
    const rest = await toss.cancel(
      paymentKey,
      { cancelReason: 'the rest' },
      { idempotencyKey: `r4${orderId}` },
    );
    expect(rest).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
    expect(rest.cancels?.map((c) => c.cancelAmount)).toEqual([10000, 20000]);
    await new Promise((r) => setTimeout(r, 1100));
    const twice = await failure(
      toss.cancel(paymentKey, { cancelReason: 'x' }, { idempotencyKey: `r5${orderId}` }),
    );
    expect(twice.code).toBe('ALREADY_CANCELED_PAYMENT');
  });
});

describe('sandbox: test codes and faults', () => {
  it('fails the confirm with the checkout test code; a decline aborts the payment', async () => {
    const orderId = newTossOrderId();
    const paymentKey = await checkout(
      sandbox.url,
      { orderId, amount: 5000 },
      { 'TossPayments-Test-Code': 'REJECT_CARD_PAYMENT' },
    );
    const err = await failure(
      toss.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: `t-${orderId}` }),
    );
    expect([err.status, err.code]).toEqual([403, 'REJECT_CARD_PAYMENT']);
    const p = await toss.getPayment(paymentKey);
    expect(p.status).toBe('ABORTED');
    expect(p.failure?.code).toBe('REJECT_CARD_PAYMENT');
  });

  it('does not store a retryable error under the key: the retry with the same key succeeds', async () => {
    const orderId = newTossOrderId();
    const paymentKey = await checkout(
      sandbox.url,
      { orderId, amount: 5000 },
      { 'TossPayments-Test-Code': 'PROVIDER_ERROR', 'Sandbox-Test-Code-Times': '1' },
    );
    const idem = `t-${orderId}`;
    const err = await failure(toss.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: idem }));
    expect([err.status, err.code]).toEqual([400, 'PROVIDER_ERROR']);
    expect((await toss.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: idem })).status).toBe(
      'DONE',
    );
  });

  it('UNKNOWN_PAYMENT_ERROR charges but answers 500; the 5xx is not stored, the retry sees ALREADY_PROCESSED_PAYMENT', async () => {
    const orderId = newTossOrderId();
    const paymentKey = await checkout(
      sandbox.url,
      { orderId, amount: 5000 },
      { 'TossPayments-Test-Code': 'UNKNOWN_PAYMENT_ERROR', 'Sandbox-Test-Code-Times': '1' },
    );
    const idem = `u-${orderId}`;
    const err = await failure(toss.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: idem }));
    expect([err.status, err.code]).toEqual([500, 'UNKNOWN_PAYMENT_ERROR']);
    expect((await toss.getPayment(paymentKey)).status).toBe('DONE');
    const retry = await failure(
      toss.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: idem }),
    );
    expect(retry.code).toBe('ALREADY_PROCESSED_PAYMENT');
  });

  it('honours TossPayments-Test-Code on its own API calls', async () => {
    for (const code of [
      'PROVIDER_ERROR',
      'FAILED_INTERNAL_SYSTEM_PROCESSING',
      'UNKNOWN_PAYMENT_ERROR',
      'REJECT_CARD_PAYMENT',
    ]) {
      const err = await failure(toss.getPayment('anything', { testCode: code }));
      expect(err.code).toBe(code);
    }
    const err = await failure(toss.getPayment('anything', { testCode: 'FAILED_INTERNAL_SYSTEM_PROCESSING' }));
    expect(err.status).toBe(500);
  });

  it('applies fault settings per merchant: failures, and timeouts that may or may not have processed', async () => {
    const faulty = newMerchantKey('faulty');
    await setFaults(sandbox.url, faulty, { webhookUrl: '', confirm: { failureRate: 1 } });
    const bad = new TossClient({ baseUrl: sandbox.url, secretKey: faulty, timeoutMs: 2000 });
    const orderId = newTossOrderId();
    const paymentKey = await checkout(sandbox.url, { orderId, amount: 5000 });
    const err = await failure(
      bad.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: `f-${orderId}` }),
    );
    expect(['PROVIDER_ERROR', 'FAILED_INTERNAL_SYSTEM_PROCESSING']).toContain(err.code);
    // Another merchant is unaffected.
    expect(
      (await toss.confirm({ paymentKey, orderId, amount: 5000 }, { idempotencyKey: `ok-${orderId}` })).status,
    ).toBe('DONE');

    await setFaults(sandbox.url, faulty, { timeoutMs: 400, confirm: { failureRate: 0, timeoutRate: 1 } });
    const quick = new TossClient({ baseUrl: sandbox.url, secretKey: faulty, timeoutMs: 150 });
    let processed = 0;
    for (let i = 0; i < 6; i++) {
      const o = newTossOrderId();
      const pk = await checkout(sandbox.url, { orderId: o, amount: 1000 });
      const e = await quick
        .confirm({ paymentKey: pk, orderId: o, amount: 1000 }, { idempotencyKey: `to-${o}` })
        .catch((x: unknown) => x);
      expect((e as TossTransportError).kind).toBe('TIMEOUT');
      const status = (await toss.getPayment(pk)).status;
      expect(['DONE', 'IN_PROGRESS']).toContain(status);
      if (status === 'DONE') processed++;
    }
    expect(processed).toBeGreaterThanOrEqual(0);
    const settings = await call(`${sandbox.url}/admin/settings`, 'GET', { key: faulty });
    expect(settings.body.confirm).toEqual({ failureRate: 0, timeoutRate: 1, unknownRate: 0 });
    await call(`${sandbox.url}/admin/settings`, 'DELETE', { key: faulty });
    await bad.close();
    await quick.close();
  });
});

describe('sandbox: virtual accounts and webhooks', () => {
  it('waits for a deposit, completes on deposit, and sends PAYMENT_STATUS_CHANGED', async () => {
    const receiver = await startWebhookReceiver();
    const vaKey = newMerchantKey('va');
    await setFaults(sandbox.url, vaKey, { webhookUrl: receiver.url, webhookScope: 'ALL' });
    const va = new TossClient({ baseUrl: sandbox.url, secretKey: vaKey, timeoutMs: 5000 });
    try {
      const orderId = newTossOrderId();
      const paymentKey = await checkout(sandbox.url, {
        orderId,
        amount: 20000,
        method: 'VIRTUAL_ACCOUNT',
        validHours: 2,
      });
      const waiting = await va.confirm(
        { paymentKey, orderId, amount: 20000 },
        { idempotencyKey: `v-${orderId}` },
      );
      expect(waiting.status).toBe('WAITING_FOR_DEPOSIT');
      expect(waiting.method).toBe('가상계좌');
      expect(waiting.virtualAccount?.accountNumber).toEqual(expect.any(String));
      const due = new Date(waiting.virtualAccount?.dueDate ?? 0).getTime();
      expect(Math.abs(due - (Date.now() + 2 * 3600_000))).toBeLessThan(60_000);

      const dep = await call(`${sandbox.url}/virtual-accounts/${paymentKey}/deposit`, 'POST');
      expect(dep.status).toBe(200);
      expect(dep.body.status).toBe('DONE');
      const events = await waitFor(async () => {
        const mine = receiver.received.filter(
          (e) => (e as { data: { paymentKey: string } }).data.paymentKey === paymentKey,
        ) as { eventType: string; data: { status: string } }[];
        return mine.length >= 2 ? mine : null;
      });
      expect(events.map((e) => e.eventType)).toEqual(['PAYMENT_STATUS_CHANGED', 'PAYMENT_STATUS_CHANGED']);
      expect(events.map((e) => e.data.status).sort()).toEqual(['DONE', 'WAITING_FOR_DEPOSIT']);

      const o2 = newTossOrderId();
      const pk2 = await checkout(sandbox.url, { orderId: o2, amount: 20000, method: 'VIRTUAL_ACCOUNT' });
      await va.confirm({ paymentKey: pk2, orderId: o2, amount: 20000 }, { idempotencyKey: `v-${o2}` });
      const exp = await call(`${sandbox.url}/virtual-accounts/${pk2}/expire`, 'POST', { key: vaKey });
      expect(exp.body.status).toBe('EXPIRED');
      expect((await va.getPayment(pk2)).status).toBe('EXPIRED');
      const late = await call(`${sandbox.url}/virtual-accounts/${pk2}/deposit`, 'POST');
      expect(late.status).toBe(400);
    } finally {
      await va.close();
      await receiver.close();
    }
  });
});
