import type { Tx } from '../../../platform/db.ts';
import { TOPICS } from '../../../platform/kafka.ts';
import type { ConsumerSpec } from '../../../platform/outbox/consumer.ts';
import type { EventEnvelope } from '../../../platform/outbox/enqueue.ts';
import { stopCampaigns } from '../campaigns.ts';
import type { CouponResources } from '../resources.ts';
import type { CouponTables } from '../tables.ts';

/**
 * A cancelled performance stops issuing its campaigns at once (`performance.cancelled` on the
 * catalog topic). Coupons already issued stay; they simply have nothing left to pay for.
 */
export function cancellationConsumer(r: CouponResources): ConsumerSpec {
  return {
    name: 'coupon-performance-cancelled',
    topics: [TOPICS.catalog],
    async handle(event: EventEnvelope, trx: Tx) {
      if (event.type !== 'performance.cancelled') return;
      const performanceId = (event.payload as { performanceId?: unknown } | null)?.performanceId;
      if (typeof performanceId !== 'string') return;
      const stopped = await r.campaigns.stop(
        { performanceId },
        'PERFORMANCE_CANCELLED',
        trx.withTables<CouponTables>(),
      );
      // Redis first is harmless if the transaction then rolls back: the event is redelivered and stops them again.
      await stopCampaigns(r, stopped);
      if (stopped.length > 0)
        r.logger.info(
          { performanceId, campaigns: stopped },
          'coupon campaigns stopped: performance cancelled',
        );
    },
  };
}
