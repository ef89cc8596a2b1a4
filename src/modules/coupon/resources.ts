import type { Logger } from '../../platform/logger.ts';
import type { CampaignRepository } from './campaign-repository.ts';
import type { CouponRepository } from './coupon-repository.ts';
import type { IssueState } from './issuance/redis-state.ts';
import type { KindRegistry } from './kinds/registry.ts';
import type { CouponDb } from './tables.ts';

/** What catalog gives coupon (docs/contracts.md): the owner of a performance, and its grades. */
export interface CouponCatalogPort {
  getPerformanceOwner(performanceId: string): Promise<{ sellerId: string; status: string } | null>;
  listSchedulesOfPerformance(
    performanceId: string,
  ): Promise<{ grades: { grade: string; price: number }[] }[]>;
}

export interface CouponCounters {
  issued(result: string): void;
  stored(by: string, outcome: string, n?: number): void;
}

/** The coupon module's shared resources, handed to its use cases. */
export interface CouponResources {
  db: CouponDb;
  campaigns: CampaignRepository;
  coupons: CouponRepository;
  state: IssueState;
  kinds: KindRegistry;
  catalog: CouponCatalogPort;
  logger: Logger;
  counters: CouponCounters;
}
