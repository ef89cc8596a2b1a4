import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics, TOPICS } from '../../src/platform/kafka.ts';
import type { ConsumerSpec } from '../../src/platform/outbox/consumer.ts';
import { startConsumers } from '../../src/platform/outbox/consumer-runner.ts';
import { startRelay } from '../../src/platform/outbox/relay.ts';
import { type Isolated, isolatedEnvironment, readTopic, waitFor } from '../platform/support.ts';
import { confirm, type PaymentTestApp, startPaymentApp } from './support/app.ts';
import { checkout, setFaults } from './support/sandbox.ts';

/**
 * `payment.approved` reaches Kafka through the outbox relay (Kafka transactions) even when the relay
 * dies between its Kafka commit and marking the rows: a consumer deduping by event id applies exactly
 * one approval per paid order. Own database and topic prefix, so no other relay takes the shards.
 */
let env: Isolated;
let t: PaymentTestApp;

beforeAll(async () => {
  env = await isolatedEnvironment('pay');
  t = await startPaymentApp(env.env);
  await ensureTopics(t.rt.kafka, Object.values(TOPICS), 6);
  await setFaults(t.sandboxUrl, t.secretKey, { webhookUrl: '' });
  await sql`create table if not exists test_payment_effects (
    n bigserial primary key, event_id uuid not null, order_id uuid not null, type text not null)`.execute(
    t.rt.db,
  );
});
afterAll(async () => {
  await t?.close();
  await env?.close();
});

const effects: ConsumerSpec = {
  name: 'test-payment-effects',
  topics: [TOPICS.payment],
  async handle(event, trx) {
    const p = event.payload as { orderId: string };
    await sql`insert into test_payment_effects (event_id, order_id, type)
      values (${event.eventId}, ${p.orderId}, ${event.type})`.execute(trx);
  },
};

describe('payment events on Kafka', () => {
  it('one payment.approved per paid order, even with the relay killed after a Kafka commit', async () => {
    const paid: string[] = [];
    for (let i = 0; i < 20; i++) {
      const buyer = await t.buyer();
      const order = await t.booking.createOrder({ userId: buyer.userId, prices: [10000 + i] });
      const paymentKey = await checkout(t.sandboxUrl, { orderId: order.tossOrderId, amount: order.amount });
      const res = await confirm(t, buyer.token, {
        orderId: order.tossOrderId,
        paymentKey,
        amount: order.amount,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      paid.push(order.id);
    }

    // First relay: its first Kafka transaction commits, then it "dies" before marking the rows.
    let crashed = false;
    const first = startRelay(t.rt, {
      batchSize: 5,
      afterKafkaCommit: () => {
        if (!crashed) {
          crashed = true;
          throw new Error('relay killed after the Kafka commit');
        }
      },
    });
    await waitFor(() => crashed, 20_000, 'the first Kafka commit');
    await first();
    const second = startRelay(t.rt, { batchSize: 5 });
    const stopConsumers = startConsumers(t.rt, [effects]);
    const reader = await readTopic(t.rt, TOPICS.payment, `pay-reader-${Date.now()}`);
    try {
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: number }>`
            select count(distinct order_id)::int as n from test_payment_effects where type = 'payment.approved'`.execute(
            t.rt.db,
          );
          return (rows[0]?.n ?? 0) >= paid.length;
        },
        60_000,
        'every approval applied',
      );
      const { rows } = await sql<{ order_id: string; n: number }>`
        select order_id, count(*)::int as n from test_payment_effects where type = 'payment.approved' group by order_id`.execute(
        t.rt.db,
      );
      expect(rows).toHaveLength(paid.length);
      for (const r of rows) expect(r.n).toBe(1);
      expect(new Set(rows.map((r) => r.order_id))).toEqual(new Set(paid));

      // On the topic itself: one event id per order (a redelivered batch repeats ids, never invents new ones).
      await waitFor(
        () => new Set(reader.messages.map((m) => m.envelope.eventId)).size >= paid.length,
        30_000,
        'the topic',
      );
      const idsByOrder = new Map<string, Set<string>>();
      for (const m of reader.messages) {
        if (m.envelope.type !== 'payment.approved') continue;
        const orderId = (m.envelope.payload as unknown as { orderId: string }).orderId;
        idsByOrder.set(orderId, (idsByOrder.get(orderId) ?? new Set()).add(m.envelope.eventId));
      }
      expect(idsByOrder.size).toBe(paid.length);
      for (const ids of idsByOrder.values()) expect(ids.size).toBe(1);
      for (const m of reader.messages)
        expect(m.envelope.key).toBe((m.envelope.payload as unknown as { orderId: string }).orderId);
    } finally {
      await reader.close();
      await stopConsumers();
      await second();
    }
  });
});
