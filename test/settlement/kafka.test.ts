import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkAccount } from '../../src/modules/identity/index.ts';
import { createProducer, TOPICS, topicName } from '../../src/platform/kafka.ts';
import { startConsumers } from '../../src/platform/outbox/consumer-runner.ts';
import { type EventEnvelope, enqueueEvent } from '../../src/platform/outbox/enqueue.ts';
import { startRelay } from '../../src/platform/outbox/relay.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { approvedEvent, refundedEvent } from './support.ts';

/**
 * End to end through Kafka: payment events leave through the outbox (as payment's producer does),
 * the relay publishes them, the platform consumer runner feeds the ledger, and a run over a period
 * that ends just now waits until the ledger has them. A raw redelivery changes nothing.
 */
let t: TestApp;
let admin: BulkAccount;
let seller: BulkAccount;
let stopRelay: () => Promise<void>;
let stopConsumers: () => Promise<void>;

async function publish(e: EventEnvelope) {
  await t.rt.db.transaction().execute((trx) =>
    enqueueEvent(trx, {
      topic: TOPICS.payment,
      key: e.key,
      type: e.type,
      payload: e.payload,
      eventId: e.eventId,
    }),
  );
}

async function received(eventId: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from settlement_events where event_id = ${eventId}`.execute(t.rt.db);
    if (rows[0]?.n === 1) return true;
    await delay(200);
  }
  return false;
}

beforeAll(async () => {
  t = await startTestApp();
  const make = async (role: 'ADMIN' | 'SELLER') => {
    const [a] = await t.modules.identity.bulkCreateAccounts({
      count: 1,
      role,
      emailPrefix: `stlk-${role.toLowerCase()}-${Date.now().toString(36)}-`,
    });
    if (a === undefined) throw new Error('no account');
    return a;
  };
  [admin, seller] = await Promise.all([make('ADMIN'), make('SELLER')]);
  stopRelay = startRelay(t.rt);
  stopConsumers = startConsumers(t.rt, t.modules.settlement.consumers());
  // warm up: the consumer group has joined once a first event comes through
  const ping: EventEnvelope = {
    eventId: randomUUID(),
    type: 'payment.failed',
    key: randomUUID(),
    occurredAt: '',
    payload: {},
  };
  await publish(ping);
  if (!(await received(ping.eventId, 90_000)))
    throw new Error('the settlement consumer never received an event');
}, 120_000);

afterAll(async () => {
  await stopConsumers?.();
  await stopRelay?.();
  await t?.close();
});

describe('settlement through Kafka', () => {
  it('feeds the ledger from payment events and a run waits until it has them', async () => {
    const approvedAt = new Date(Date.now() - 500);
    const sale = approvedEvent({ sellerId: seller.id, at: approvedAt, gross: 77_000, discount: 7_000 });
    const refund = refundedEvent(sale, {
      at: new Date(approvedAt.getTime() + 1),
      face: 77_000,
      discount: 7_000,
      full: true,
    });
    await publish(sale);
    await publish(refund);
    // straight away: the events are still in the outbox or in Kafka; the run waits for the ledger
    const periodEnd = new Date();
    const res = await api<{ settlements: { id: string; sellerId: string }[]; created: string[] }>(
      t.baseUrl,
      'POST',
      '/api/v1/admin/settlements/run',
      {
        token: admin.accessToken,
        body: {
          periodStart: new Date(approvedAt.getTime() - 60_000).toISOString(),
          periodEnd: periodEnd.toISOString(),
        },
      },
    );
    expect(res.status).toBe(200);
    const mine = res.body.settlements.find((s) => s.sellerId === seller.id);
    expect(mine).toBeDefined();
    const lines = await api<{ type: string; orderId: string; payoutAmount: number }[]>(
      t.baseUrl,
      'GET',
      `/api/v1/seller/settlements/${mine?.id}/lines`,
      { token: seller.accessToken },
    );
    const orderId = sale.key;
    expect(lines.body.filter((l) => l.orderId === orderId).map((l) => l.type)).toEqual(['SALE', 'REFUND']);
    // a full refund gives everything back: the order nets to 0 for the seller
    expect(lines.body.filter((l) => l.orderId === orderId).reduce((a, l) => a + l.payoutAmount, 0)).toBe(0);

    // a raw redelivery of the sale (as after a relay crash) is skipped
    const producer = createProducer(t.rt.kafka);
    try {
      await producer.send({
        messages: [
          {
            topic: topicName(t.rt.kafka, TOPICS.payment),
            key: sale.key,
            value: JSON.stringify({ ...sale, occurredAt: new Date().toISOString() }),
          },
        ],
      });
    } finally {
      await producer.close();
    }
    const marker: EventEnvelope = {
      eventId: randomUUID(),
      type: 'payment.failed',
      key: sale.key,
      occurredAt: '',
      payload: {},
    };
    await publish(marker);
    expect(await received(marker.eventId, 30_000)).toBe(true);
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from settlement_ledger_lines where order_id = ${orderId}`.execute(t.rt.db);
    expect(rows[0]?.n).toBe(2);
  }, 90_000);
});
