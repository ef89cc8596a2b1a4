import type { Tx } from '../../platform/db.ts';
/** Types this module exports (docs/contracts.md, catalog section). */
export type SaleStatus = 'ON_SALE' | 'CANCELLED' | 'DELETED';

export interface QueueSettings {
  admitPerSecond: number;
  maxActive: number;
  admissionTtlSeconds: number;
}

export interface CancellationPolicy {
  deadlineHoursBeforeStart: number;
  fees: { daysBeforeStart: number; percent: number }[];
}

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
  status: SaleStatus;
  maxTicketsPerBuyer: number;
  queue: QueueSettings;
  cancellationPolicy: CancellationPolicy;
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

/** Tickets a schedule can sell: seats of its venue, places of its standing sections, their sum. */
export interface ScheduleCapacity {
  seats: number;
  standing: number;
  total: number;
}

export type SeatStatus = 'AVAILABLE' | 'HELD' | 'SOLD';

/** Implemented by booking and plugged in by src/roles/modules.ts (catalog cannot import booking). */
export interface SeatStatusSource {
  /** Statuses of the seats that are not AVAILABLE (HELD or SOLD) for one schedule. */
  unavailableSeats(scheduleId: string): Promise<Map<number, 'HELD' | 'SOLD'>>;
  /** Held + sold count of one standing section of one schedule. */
  standingTaken(scheduleId: string, sectionId: string): Promise<number>;
  /**
   * Optional: whether anything (seat or standing entry) of these schedules was ever sold and not
   * refunded. When absent, catalog treats a SOLD seat in `unavailableSeats` as a sale. `executor`: the
   * caller's open transaction (read through it, never a second pool connection while it is held).
   */
  hasSales?(scheduleIds: string[], executor?: Tx): Promise<boolean>;
  /**
   * Optional: a cheap token that changes whenever a seat or standing count of the schedule changes
   * (e.g. a Redis INCR in the hold/release/sell scripts). With it the seat map is re-read only when
   * it moved (and at least every second, as holds lapse by time); without it, at most every 100 ms.
   */
  statusVersion?(scheduleId: string): Promise<string | number>;
}

/** Until booking plugs in: everything is available and nothing is sold. */
export const EMPTY_SEAT_STATUS: SeatStatusSource = {
  unavailableSeats: async () => new Map(),
  standingTaken: async () => 0,
  hasSales: async () => false,
};

export const DEFAULT_QUEUE: QueueSettings = { admitPerSecond: 50, maxActive: 500, admissionTtlSeconds: 300 };
export const DEFAULT_MAX_TICKETS_PER_BUYER = 4;
export const DEFAULT_SCHEDULE_HOURS = 3;
