/** What the seat-state scripts take and answer (redis/seat-store.ts calls them; scripts.ts has the Lua). */

export type HoldOutcome =
  | { kind: 'OK'; fence: number }
  | { kind: 'INIT' }
  | { kind: 'LIMITED' }
  | { kind: 'TAKEN'; seatIds: number[] }
  | { kind: 'FULL'; available: number }
  | { kind: 'LIMIT'; current: number };

export type ReleaseMode = 'USER' | 'EXPIRE' | 'SYSTEM';
export interface ReleasedHold {
  userId: string;
  kind: 'S' | 'T';
  seatIds: number[];
  sectionId: string | null;
  quantity: number;
  expiresAtMs: number;
  fence: number;
  performanceId: string;
  admissionExpiresAtMs: number | null;
}

export type ReleaseOutcome =
  | { kind: 'OK'; hold: ReleasedHold; freedSeatIds: number[] }
  | { kind: 'GONE' }
  | { kind: 'ORDERED'; orderId: string }
  | { kind: 'LIVE' }
  | { kind: 'LIMITED' };

export type ClaimOutcome =
  | { kind: 'OK'; expiresAtMs: number }
  | { kind: 'INIT' | 'GONE' | 'EXPIRED' | 'LOST' }
  | { kind: 'ORDERED'; orderId: string };

export type ExtendOutcome =
  | { kind: 'OK'; expiresAtMs: number }
  | { kind: 'CAP'; capMs: number }
  | { kind: 'GONE' | 'ORDERED' | 'EXPIRED' | 'LOST' };

export interface HoldLimits {
  perUserCap: number;
  maxTickets: number;
}

/** A buyer's request: its address is counted against RATE_LIMIT_IP_PER_SECOND inside the script. */
export interface RequestAddress {
  ip: string;
  perSecond: number;
}

export interface SeedData {
  exat: string;
  keepMs: string;
  fenceFloor: string;
  sold: [string, string][];
  standingSold: [string, string][];
  paid: [string, string][];
  users: string[];
  holds: {
    id: string;
    u: string;
    k: 'S' | 'T';
    seats: string;
    sec: string;
    n: string;
    e: string;
    cap: string;
    f: string;
    st: 'H' | 'O';
    o: string;
    p: string;
    ax: string;
  }[];
}

/** What the Lua scripts need to know about a new hold besides its seats. */
export interface NewHold {
  scheduleId: string;
  holdId: string;
  userId: string;
  performanceId: string;
  nowMs: number;
  expMs: number;
  capMs: number;
  admissionExpMs: number | null;
}

export interface OrderSync {
  scheduleId: string;
  orderId: string;
  holdId: string;
  userId: string;
  holdQuantity: number;
  paidCount: number;
  sectionId: string | null;
  sectionSold: number;
  soldSeatIds: number[];
  freedSeatIds: number[];
}
