import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TossClient } from '../../src/modules/payment/toss-client/client.ts';
import {
  call,
  checkout,
  newMerchantKey,
  newTossOrderId,
  setFaults,
  startSandbox,
  startWebhookReceiver,
} from './support/sandbox.ts';

/**
 * A state change of the sandbox runs in one transaction and queues its webhook in it. Reading the
 * merchant's settings for that webhook through the pool (not the transaction) needs a second
 * connection per transaction: with a small pool and many concurrent deposits every connection is held
 * by a transaction waiting for another, and nothing ever completes. This must finish.
 */
const POOL = 2;
const N = 24;

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const key = newMerchantKey('pool');
let toss: TossClient;

beforeAll(async () => {
  sandbox = await startSandbox(POOL);
  receiver = await startWebhookReceiver();
  toss = new TossClient({ baseUrl: sandbox.url, secretKey: key, timeoutMs: 20_000 });
  await setFaults(sandbox.url, key, { webhookUrl: receiver.url, webhookScope: 'ALL' });
});
afterAll(async () => {
  await toss.close();
  await receiver.close();
  await sandbox.destroy();
});

const within = <T>(ms: number, what: string, p: Promise<T>): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: not done in ${ms} ms (pool deadlock)`)), ms).unref(),
    ),
  ]);

describe('sandbox under a small pool', () => {
  it(`${N} concurrent virtual-account confirms, deposits and expiries on a pool of ${POOL} all complete`, async () => {
    const payments = await Promise.all(
      Array.from({ length: N }, async () => {
        const orderId = newTossOrderId();
        const paymentKey = await checkout(sandbox.url, { orderId, amount: 5000, method: 'VIRTUAL_ACCOUNT' });
        return { orderId, paymentKey };
      }),
    );
    // The settings cache (1 s) has lapsed: every transaction below reads the merchant's settings.
    await new Promise((r) => setTimeout(r, 1100));
    const confirmed = await within(
      20_000,
      'confirms',
      Promise.all(
        payments.map((p) =>
          toss.confirm({ ...p, amount: 5000 }, { idempotencyKey: `pool-${p.orderId}` }).then((x) => x.status),
        ),
      ),
    );
    expect(confirmed).toEqual(Array(N).fill('WAITING_FOR_DEPOSIT'));
    await new Promise((r) => setTimeout(r, 1100));
    const settled = await within(
      20_000,
      'deposits and expiries',
      Promise.all(
        payments.map((p, i) =>
          i % 2 === 0
            ? call(`${sandbox.url}/virtual-accounts/${p.paymentKey}/deposit`, 'POST')
            : call(`${sandbox.url}/virtual-accounts/${p.paymentKey}/expire`, 'POST', { key }),
        ),
      ),
    );
    expect(settled.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(settled.map((r) => r.body.status)).toEqual(
      payments.map((_, i) => (i % 2 === 0 ? 'DONE' : 'EXPIRED')),
    );
  });
});
