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

export interface QueueCatalog {
  getScheduleForSale(scheduleId: string): Promise<QueueScheduleView | null>;
  getPerformanceOwner(performanceId: string): Promise<{ sellerId: string; status: string } | null>;
}
