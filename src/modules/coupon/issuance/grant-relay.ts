import type { MessageToProduce, Producer } from '@platformatic/kafka';
import { createProducer, TOPICS, topicName } from '../../../platform/kafka.ts';
import type { Logger } from '../../../platform/logger.ts';
import type { EventEnvelope } from '../../../platform/outbox/enqueue.ts';
import type { Redis } from '../../../platform/redis.ts';
import type { Grant } from '../coupon-repository.ts';
import { campaignKeys, parseGrant } from './redis-state.ts';

export const GRANT_EVENT = 'coupon.granted';

/** The Kafka payload of a grant (issuedAt as ISO). */
export interface GrantPayload {
  couponId: string;
  campaignId: string;
  userId: string;
  seq: number;
  unit: number;
  issuedAt: string;
}

export const grantPayload = (g: Grant): GrantPayload => ({ ...g, issuedAt: g.issuedAt.toISOString() });

/** The envelope consumers dedupe on: the coupon id is the event id, so a republish is a duplicate. */
export function grantEnvelope(g: Grant): EventEnvelope<GrantPayload> {
  return {
    eventId: g.couponId,
    type: GRANT_EVENT,
    key: g.campaignId,
    occurredAt: g.issuedAt.toISOString(),
    payload: grantPayload(g),
  };
}

export interface GrantPublisher {
  publish(grants: readonly Grant[]): Promise<void>;
  close(): Promise<void>;
}

/** An idempotent Kafka producer for `coupon.issues`, bounded retries so a dead broker fails the batch. */
export function kafkaGrantPublisher(
  settings: Parameters<typeof createProducer>[0],
  sendTimeoutMs: number,
): GrantPublisher {
  let producer: Producer<string, string, string, string> | null = null;
  const topic = topicName(settings, TOPICS.couponIssues);
  return {
    async publish(grants) {
      producer ??= createProducer(settings, {
        clientId: `${settings.clientId}-coupon-relay`,
        retries: 3,
        retryDelay: 200,
        timeout: Math.min(5000, sendTimeoutMs),
      });
      const messages: MessageToProduce<string, string, string, string>[] = grants.map((g) => ({
        topic,
        key: g.campaignId,
        value: JSON.stringify(grantEnvelope(g)),
        headers: { 'event-id': g.couponId, 'event-type': GRANT_EVENT },
      }));
      const current = producer;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          current.send({ messages }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('kafka send timed out')), sendTimeoutMs);
          }),
        ]);
      } catch (err) {
        // A fresh producer next time: the old one may be stuck on a dead connection.
        producer = null;
        void current.close().catch(() => undefined);
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await producer?.close().catch(() => undefined);
      producer = null;
    },
  };
}

const GROUP = 'relay';
const BATCH = 500;

type StreamEntry = [id: string, fields: string[] | null];

/**
 * Moves grants from each campaign's Redis stream to Kafka: read new entries as consumer group
 * `relay`, publish them, then acknowledge and delete them. An entry whose publish failed stays
 * pending and is claimed again once idle (also from a relay that died), so every grant is published
 * at least once; the consumer dedupes by coupon id.
 */
export class GrantRelay {
  readonly #redis: Redis;
  readonly #publisher: GrantPublisher;
  readonly #log: Logger;
  readonly #consumer: string;
  readonly #claimIdleMs: number;
  #runs = 0;

  constructor(deps: {
    redis: Redis;
    publisher: GrantPublisher;
    logger: Logger;
    consumerName: string;
    claimIdleMs: number;
  }) {
    this.#redis = deps.redis;
    this.#publisher = deps.publisher;
    this.#log = deps.logger;
    this.#consumer = deps.consumerName;
    this.#claimIdleMs = deps.claimIdleMs;
  }

  /** One pass over the campaigns; returns how many grants were published. */
  async run(campaignIds: readonly string[]): Promise<number> {
    const claim = this.#runs++ % 10 === 0;
    const counts = await Promise.all(campaignIds.map((id) => this.#drain(id, claim)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async #drain(campaignId: string, claim: boolean): Promise<number> {
    const stream = campaignKeys(campaignId).stream;
    let published = 0;
    if (claim) published += await this.#publishEntries(campaignId, stream, await this.#claimIdle(stream));
    for (let round = 0; round < 20; round++) {
      const entries = await this.#readNew(stream);
      if (entries.length === 0) break;
      published += await this.#publishEntries(campaignId, stream, entries);
      if (entries.length < BATCH) break;
    }
    return published;
  }

  async #publishEntries(campaignId: string, stream: string, entries: StreamEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const grants: Grant[] = [];
    for (const [, fields] of entries) {
      const g = fromFields(campaignId, fields);
      if (g !== null) grants.push(g);
      else this.#log.error({ campaignId, fields }, 'malformed coupon grant in the stream; dropped');
    }
    if (grants.length > 0) await this.#publisher.publish(grants);
    const ids = entries.map(([id]) => id);
    await this.#redis.xack(stream, GROUP, ...ids);
    await this.#redis.xdel(stream, ...ids);
    return grants.length;
  }

  async #readNew(stream: string, retry = true): Promise<StreamEntry[]> {
    try {
      const reply = (await this.#redis.xreadgroup(
        'GROUP',
        GROUP,
        this.#consumer,
        'COUNT',
        BATCH,
        'STREAMS',
        stream,
        '>',
      )) as [string, StreamEntry[]][] | null;
      return reply?.[0]?.[1] ?? [];
    } catch (err) {
      if (!String(err).includes('NOGROUP') || !retry) throw err;
      // No group yet (or no stream at all: nothing was ever granted). The group starts at the
      // beginning of the stream, so grants made before it existed are read too.
      if ((await this.#redis.exists(stream)) === 0) return [];
      await this.#redis.xgroup('CREATE', stream, GROUP, '0').catch((e: unknown) => {
        if (!String(e).includes('BUSYGROUP')) throw e;
      });
      return this.#readNew(stream, false);
    }
  }

  async #claimIdle(stream: string): Promise<StreamEntry[]> {
    try {
      const reply = (await this.#redis.xautoclaim(
        stream,
        GROUP,
        this.#consumer,
        this.#claimIdleMs,
        '0-0',
        'COUNT',
        BATCH,
      )) as [string, StreamEntry[], string[]?];
      return reply[1].filter(([, fields]) => fields !== null);
    } catch (err) {
      if (String(err).includes('NOGROUP')) return [];
      throw err;
    }
  }
}

function fromFields(campaignId: string, fields: string[] | null): Grant | null {
  if (fields === null) return null;
  let couponId: string | undefined;
  let value: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'c') couponId = fields[i + 1];
    else if (fields[i] === 'g') value = fields[i + 1];
  }
  return couponId === undefined || value === undefined ? null : parseGrant(campaignId, couponId, value);
}
