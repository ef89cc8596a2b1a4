/**
 * What the queue consumes from catalog (docs/contracts.md, catalog section). Declared here as the
 * subset the queue reads, so catalog's richer `ScheduleForSale` fits structurally.
 */
export interface QueueScheduleView {
  scheduleId: string;
  performanceId: string;
  sellerId: string;
  salesOpenAt: Date;
  salesCloseAt: Date;
  status: 'ON_SALE' | 'CANCELLED' | 'DELETED';
  queue: { admitPerSecond: number; maxActive: number; admissionTtlSeconds: number };
}

/**
 * The operators' per-performance sales kill switch (ops implements it; src/roles/modules.ts plugs it in
 * with queue.setSalesGate). While a schedule's performance is halted, joins answer 409 SALES_PAUSED,
 * waiters see `paused`, and the admitter admits nobody. Answers synchronously when it can.
 */
export interface SalesGate {
  haltOf(scheduleId: string): { reason: string } | null | Promise<{ reason: string } | null>;
}

export interface QueueCatalog {
  getScheduleForSale(scheduleId: string): Promise<QueueScheduleView | null>;
  getPerformanceOwner(performanceId: string): Promise<{ sellerId: string; status: string } | null>;
}
