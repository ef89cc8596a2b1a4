import type { Tx } from '../../../platform/db.ts';
import { TOPICS } from '../../../platform/kafka.ts';
import type { Logger } from '../../../platform/logger.ts';
import type { ConsumerSpec } from '../../../platform/outbox/consumer.ts';
import type { EventEnvelope } from '../../../platform/outbox/enqueue.ts';
import type { CouponRepository, Grant } from '../coupon-repository.ts';
import type { CouponCounters } from '../resources.ts';
import type { CouponTables } from '../tables.ts';
import { GRANT_EVENT, type GrantPayload } from './grant-relay.ts';

export const STORE_CONSUMER = 'coupon-store';

function grantFrom(payload: unknown): Grant | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as Partial<GrantPayload>;
  if (
    typeof p.couponId !== 'string' ||
    typeof p.campaignId !== 'string' ||
    typeof p.userId !== 'string' ||
    !Number.isSafeInteger(p.seq) ||
    !Number.isSafeInteger(p.unit) ||
    typeof p.issuedAt !== 'string'
  )
    return null;
  const issuedAt = new Date(p.issuedAt);
  if (Number.isNaN(issuedAt.getTime())) return null;
  return {
    couponId: p.couponId,
    campaignId: p.campaignId,
    userId: p.userId,
    seq: p.seq as number,
    unit: p.unit as number,
    issuedAt,
  };
}

/**
 * The worker's consumer of `coupon.issues`: stores each grant (the platform runner dedupes by event id
 * = coupon id in the inbox; the insert is idempotent on top, since the reconciler or a checkout may
 * have stored it first). A grant PostgreSQL refuses is logged, never retried forever.
 */
export function storeConsumer(deps: {
  coupons: CouponRepository;
  logger: Logger;
  counters: CouponCounters;
}): ConsumerSpec {
  return {
    name: STORE_CONSUMER,
    topics: [TOPICS.couponIssues],
    async handle(event: EventEnvelope, trx: Tx) {
      if (event.type !== GRANT_EVENT) return;
      const grant = grantFrom(event.payload);
      if (grant === null) {
        deps.logger.error({ eventId: event.eventId }, 'malformed coupon grant event; skipped');
        return;
      }
      const outcome = await deps.coupons.storeGrant(grant, 'CONSUMER', trx.withTables<CouponTables>());
      deps.counters.stored('CONSUMER', outcome);
      if (outcome === 'REFUSED')
        deps.logger.error({ grant }, 'PostgreSQL refused a coupon grant (conflicts with stored coupons)');
    },
  };
}
