import type { BookingModule } from '../booking/index.ts';
import type { CatalogModule } from '../catalog/index.ts';
import type { CouponModule } from '../coupon/index.ts';
import type { IdentityModule } from '../identity/index.ts';
import type { PaymentModule } from '../payment/index.ts';
import type { SettlementModule } from '../settlement/index.ts';

/*
 * What ops uses of the other modules: their exported functions only (never their tables). Declared as
 * picks of each module's type, so src/roles/modules.ts hands in the modules themselves and tests can
 * hand in the same.
 */
export type OpsIdentity = Pick<IdentityModule, 'findUser'>;
export type OpsCatalog = Pick<
  CatalogModule,
  'getScheduleForSale' | 'getPerformanceOwner' | 'listSchedulesOfPerformance'
>;
export type OpsBooking = Pick<
  BookingModule,
  'findOrder' | 'findOrderByTossOrderId' | 'describeHold' | 'forceReleaseHold'
>;
export type OpsCoupon = Pick<CouponModule, 'describeById'>;
export type OpsPayment = Pick<PaymentModule, 'describeById'>;
export type OpsSettlement = Pick<SettlementModule, 'describeById'>;

export interface OpsSources {
  identity: OpsIdentity;
  catalog: OpsCatalog;
  booking: OpsBooking;
  coupon: OpsCoupon;
  payment: OpsPayment;
  settlement: OpsSettlement;
}
