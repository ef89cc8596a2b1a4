import { TOPICS } from '../../platform/kafka.ts';
import type { ConsumerSpec } from '../../platform/outbox/consumer.ts';
import type { QueueCatalog } from './ports.ts';
import { closeSchedule, type QueueResources } from './service.ts';

interface CatalogEventPayload {
  performanceId?: string;
  scheduleIds?: unknown;
  status?: string;
}

const scheduleIdsOf = (payload: unknown): string[] => {
  const ids = (payload as CatalogEventPayload | null)?.scheduleIds;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
};

/**
 * Catalog events the queue follows: a cancelled performance closes its queues (every waiter hears
 * `closed`); an updated one refreshes the sales window and TTL the queues read from Redis.
 * Both effects are idempotent, so a redelivery changes nothing.
 */
export function queueConsumers(r: QueueResources, catalog: () => QueueCatalog): ConsumerSpec[] {
  return [
    {
      name: 'queue.catalog-events',
      topics: [TOPICS.catalog],
      // Only the inbox record goes in the consumer's transaction: the effects read catalog and the
      // queue's own tables through the pool, so they run before it opens (ConsumerSpec.before).
      async handle() {},
      async before(event) {
        if (event.type === 'performance.cancelled') {
          for (const id of scheduleIdsOf(event.payload)) await closeSchedule(r, id, 'CANCELLED');
          return;
        }
        if (event.type !== 'performance.updated') return;
        for (const id of scheduleIdsOf(event.payload)) {
          const schedule = await catalog().getScheduleForSale(id);
          if (schedule === null) continue;
          if (schedule.status !== 'ON_SALE') {
            await closeSchedule(r, id, 'CANCELLED');
            continue;
          }
          const settings = await r.repo.getSettings(id);
          await r.store.configure(id, {
            opensAt: schedule.salesOpenAt.getTime(),
            closesAt: schedule.salesCloseAt.getTime(),
            ttl: schedule.queue.admissionTtlSeconds,
            rate: settings?.admitPerSecond ?? schedule.queue.admitPerSecond,
            maxActive: settings?.maxActive ?? schedule.queue.maxActive,
          });
        }
      },
    },
  ];
}
