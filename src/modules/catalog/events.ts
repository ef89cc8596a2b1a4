import type { QueryExecutorProvider } from 'kysely';
import { TOPICS } from '../../platform/kafka.ts';
import { enqueueEvent } from '../../platform/outbox/enqueue.ts';

/** Events on TOPICS.catalog, keyed by performanceId (docs/contracts.md). */
export interface PerformanceCreated {
  performanceId: string;
  sellerId: string;
  venueId: string;
  title: string;
  scheduleIds: string[];
  salesOpenAt: string;
  salesCloseAt: string;
  version: number;
}
export interface PerformanceUpdated {
  performanceId: string;
  sellerId: string;
  status: 'ON_SALE' | 'CANCELLED' | 'DELETED';
  scheduleIds: string[];
  changed: string[];
  version: number;
}
export interface PerformanceCancelled {
  performanceId: string;
  sellerId: string;
  scheduleIds: string[];
  reason: string;
  cancelledAt: string;
}

type Executor = QueryExecutorProvider;

const emit = (trx: Executor, type: string, key: string, payload: unknown) =>
  enqueueEvent(trx, { topic: TOPICS.catalog, key, type, payload });

export const CatalogEvents = {
  created: (trx: Executor, p: PerformanceCreated) => emit(trx, 'performance.created', p.performanceId, p),
  updated: (trx: Executor, p: PerformanceUpdated) => emit(trx, 'performance.updated', p.performanceId, p),
  cancelled: (trx: Executor, p: PerformanceCancelled) =>
    emit(trx, 'performance.cancelled', p.performanceId, p),
};
