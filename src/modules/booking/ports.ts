import type { Tx } from '../../platform/db.ts';

/*
 * What booking needs from its neighbours, as structural interfaces (docs/contracts.md): catalog, queue
 * and coupon objects satisfy them as they are, and tests can hand in the real modules.
 */

// ---- catalog (consumed) ----
export interface ScheduleForSale {
  scheduleId: string;
  performanceId: string;
  sellerId: string;
  title: string;
  venueId: string;
  startsAt: Date;
  endsAt: Date;
  salesOpenAt: Date;
  salesCloseAt: Date;
  status: 'ON_SALE' | 'CANCELLED' | 'DELETED';
  maxTicketsPerBuyer: number;
  queue: { admitPerSecond: number; maxActive: number; admissionTtlSeconds: number };
  grades: { grade: string; price: number }[];
}
export interface SeatInfo {
  id: number;
  sectionId: string;
  section: string;
  row: string;
  number: number;
  grade: string;
  price: number;
}
export interface StandingSectionInfo {
  sectionId: string;
  section: string;
  capacity: number;
  grade: string;
  price: number;
}
export interface CatalogPort {
  getScheduleForSale(scheduleId: string): Promise<ScheduleForSale | null>;
  listSchedulesOfPerformance(performanceId: string): Promise<ScheduleForSale[]>;
  getSeats(scheduleId: string, seatIds: number[]): Promise<SeatInfo[]>;
  /** `executor`: the caller's open transaction, read through it (no second pool connection). */
  getStandingSection(
    scheduleId: string,
    sectionId: string,
    executor?: Tx,
  ): Promise<StandingSectionInfo | null>;
  /** Seats + standing places of the schedule (sold-out detection); optional. */
  getScheduleCapacity?(scheduleId: string): Promise<{ total: number } | null>;
}
/** What booking implements for catalog's seat map (catalog.setSeatStatusSource). */
export interface SeatStatusSource {
  unavailableSeats(scheduleId: string): Promise<Map<number, 'HELD' | 'SOLD'>>;
  standingTaken(scheduleId: string, sectionId: string): Promise<number>;
  hasSales?(scheduleIds: string[], executor?: Tx): Promise<boolean>;
  statusVersion?(scheduleId: string): Promise<string | number>;
}

// ---- queue (consumed) ----
export interface QueuePort {
  verifyAdmission(token: string, scheduleId: string, userId: string): Promise<boolean>;
  retainAdmission(scheduleId: string, userId: string, untilMs: number): Promise<void>;
  /**
   * Optional pair (the queue has both): the token half of verifyAdmission, synchronous, and the queue
   * keys the hold script reads to check the live slot in the same atomic step (one round trip fewer).
   */
  checkAdmissionToken?(token: string, scheduleId: string, userId: string): { expiresAtMs: number } | null;
  admissionSlotKeys?(scheduleId: string): { meta: string; active: string };
  releaseAdmission(scheduleId: string, userId: string, reason: 'PAID' | 'EXPIRED' | 'LEFT'): Promise<void>;
  /** Sold out: waiters get `closed`, joins 409 SOLD_OUT; optional. */
  closeSchedule?(scheduleId: string, reason: 'SOLD_OUT'): Promise<void>;
}

// ---- ops (plugged in by src/roles/modules.ts: booking.setSalesGate) ----
/** The operators' per-performance kill switch; answers synchronously when it can. */
export interface SalesGate {
  haltOf(scheduleId: string): { reason: string } | null | Promise<{ reason: string } | null>;
}

// ---- booking (exported, docs/contracts.md) ----
export interface OrderLine {
  seatId: number | null;
  sectionId: string;
  grade: string;
  price: number;
  entryNumber?: number;
}
export interface HoldSummary {
  holdId: string;
  userId: string;
  scheduleId: string;
  performanceId: string;
  sellerId: string;
  lines: OrderLine[];
  subtotal: number;
  expiresAt: Date;
}
export interface OrderForPayment {
  id: string;
  tossOrderId: string;
  userId: string;
  scheduleId: string;
  performanceId: string;
  sellerId: string;
  status: string;
  subtotal: number;
  discount: number;
  amount: number;
  couponId: string | null;
  discountFundedBy: 'SELLER' | 'PLATFORM' | null;
  expiresAt: Date;
  lines: (OrderLine & { ticketId?: string })[];
  startsAt: Date;
}
export interface RefundPort {
  refundOrder(
    orderId: string,
    input: { seatIds?: number[]; reason: string; initiatedBy: 'BUYER' | 'SELLER' | 'ADMIN' | 'SYSTEM' },
  ): Promise<void>;
}

// ---- coupon (consumed) ----
export interface PricedDraft {
  userId: string;
  performanceId: string;
  sellerId: string;
  scheduleId: string;
  lines: OrderLine[];
  subtotal: number;
}
export interface CouponQuote {
  subtotal: number;
  options: { couponId: string; discount: number }[];
  best: { couponId: string; discount: number } | null;
}
export interface CouponPort {
  quote(draft: PricedDraft): Promise<CouponQuote>;
  reserveForOrder(
    trx: Tx,
    input: { userId: string; orderId: string; couponId: string; draft: PricedDraft },
  ): Promise<{ couponId: string | null; discount: number; fundedBy: 'SELLER' | 'PLATFORM' | null }>;
  markUsed(trx: Tx, orderId: string): Promise<void>;
  releaseForOrder(trx: Tx, orderId: string): Promise<void>;
}
