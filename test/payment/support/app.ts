import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import {
  type CatalogPort,
  createPaymentModule,
  type PaymentModule,
} from '../../../src/modules/payment/index.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { createHttpApp, type HttpApp } from '../../../src/platform/http/app.ts';
import { createRuntime, type Runtime } from '../../../src/platform/runtime.ts';
import { api } from '../../support/harness.ts';
import { ensureFakeTables, FakeBooking } from './fake-booking.ts';
import { basic, type JsonAnswer } from './sandbox.ts';

export interface PaymentTestApp {
  rt: Runtime;
  app: HttpApp;
  payment: PaymentModule;
  booking: FakeBooking;
  baseUrl: string;
  sandboxUrl: string;
  secretKey: string;
  policies: Map<
    string,
    {
      startsAt: Date;
      cancellationPolicy: NonNullable<
        Awaited<ReturnType<CatalogPort['getScheduleForSale']>>
      >['cancellationPolicy'];
    }
  >;
  buyer(): Promise<{ userId: string; token: string }>;
  close(): Promise<void>;
}

/**
 * The api with the payment module (routes + in-process sandbox) on a real runtime, booking played by
 * FakeBooking. Each app uses its own Toss secret key, so sandbox fault settings stay its own.
 */
export async function startPaymentApp(env: Record<string, string> = {}): Promise<PaymentTestApp> {
  const secretKey = `test_sk_pay_${randomUUID().slice(0, 8)}`;
  // HTTP_PORT last: `make` exports HTTP_PORT=8080, and an env copied from process.env must not carry it
  // here, or the in-process sandbox would be looked for on 8080 instead of this app's own port.
  const fullEnv = { ...process.env, TOSS_SECRET_KEY: secretKey, ...env, HTTP_PORT: '0' };
  const rt = createRuntime(loadConfig(fullEnv));
  await ensureFakeTables(rt.db);
  const booking = new FakeBooking(rt.db);
  const policies: PaymentTestApp['policies'] = new Map();
  const catalog: CatalogPort = {
    getScheduleForSale: async (scheduleId) => policies.get(scheduleId) ?? null,
  };
  const payment = createPaymentModule({
    db: rt.db,
    config: rt.config,
    logger: rt.logger,
    metrics: rt.metrics,
    idempotency: rt.idempotency,
    booking,
    catalog,
    env: fullEnv,
  });
  booking.setRefundPort(payment.refundPort);
  const app = createHttpApp(rt);
  payment.registerRoutes(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    rt,
    app,
    payment,
    booking,
    baseUrl,
    sandboxUrl: `${baseUrl}/sandbox/toss`,
    secretKey,
    policies,
    async buyer() {
      const userId = randomUUID();
      return { userId, token: await rt.tokens.sign({ role: 'BUYER' }, userId, 'access', 3600) };
    },
    async close() {
      await app.close();
      await rt.shutdown();
    },
  };
}

export async function confirm(
  t: PaymentTestApp,
  token: string,
  body: { orderId: string; paymentKey: string; amount: number },
  headers: Record<string, string> = {},
) {
  return api(t.baseUrl, 'POST', '/api/v1/payments/confirm', { token, body, headers });
}

/** The sandbox's provider ledger for an orderId (confirmed payments only). */
export async function providerLedger(t: PaymentTestApp, tossOrderId: string) {
  const res = await fetch(`${t.sandboxUrl}/admin/ledger?orderId=${tossOrderId}`, {
    headers: { authorization: basic(t.secretKey) },
  });
  const body = (await res.json()) as {
    payments: {
      paymentKey: string;
      status: string;
      totalAmount: number;
      balanceAmount: number;
      cancelledAmount: number;
    }[];
  };
  return body.payments;
}

export async function sandboxPayment(t: PaymentTestApp, paymentKey: string): Promise<JsonAnswer> {
  const res = await fetch(`${t.sandboxUrl}/v1/payments/${paymentKey}`, {
    headers: { authorization: basic(t.secretKey) },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function outboxEvents(t: PaymentTestApp, orderId: string, type: string) {
  const res = await sql<{ payload: Record<string, unknown>; key: string; topic: string }>`
    select payload, key, topic from outbox where key = ${orderId} and type = ${type} order by id`.execute(
    t.rt.db,
  );
  return res.rows;
}

export async function paymentRows(t: PaymentTestApp, orderId: string) {
  const res = await sql<{
    status: string;
    payment_key: string;
    balance_amount: number;
    failure_code: string | null;
  }>`
    select status, payment_key, balance_amount, failure_code from payments where order_id = ${orderId} order by created_at`.execute(
    t.rt.db,
  );
  return res.rows;
}

export async function attempts(t: PaymentTestApp, orderId: string) {
  const res = await sql<{ kind: string; outcome: string; code: string | null }>`
    select kind, outcome, code from payment_attempts where order_id = ${orderId} order by id`.execute(
    t.rt.db,
  );
  return res.rows;
}
