/** Types of the queue's Redis replies and their parsers (used by store.ts). */
export interface QueueLimits {
  /** requests per second per account and schedule (RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND) */
  accountPerSecond: number;
  /** requests per second per address and schedule (RATE_LIMIT_IP_PER_SECOND) */
  ipPerSecond: number;
}

/** 'LIMITED' over a rate limit; null when the queue keys are missing (rebuild, then ask again). */
export type Batched<T> = T | 'LIMITED' | null;

export type QueueState = 'PRE_QUEUE' | 'WAITING' | 'ADMITTED' | 'EXPIRED' | 'CLOSED' | 'NONE';
export type CloseReason = 'SOLD_OUT' | 'SALES_CLOSED' | 'CANCELLED';
export type EndStatus = 'EXPIRED' | 'LEFT' | 'PAID';

/** What the meta hash says about the queue, read with every user view. */
export interface QueueHeader {
  epoch: string;
  paused: boolean;
  opensAt: number;
  closesAt: number;
  closed: CloseReason | null;
  measuredRate: number;
  leftWhileWaiting: number;
  admittedTotal: number;
  rate: number;
  drawn: boolean;
}

export interface UserView {
  state: QueueState;
  ticketNumber: number | null;
  position: number | null;
  expiresAtMs: number | null;
  /** `jwt|expiresAtMs` as stored by whoever signed it. */
  storedToken: string | null;
  closedReason: CloseReason | null;
  now: number;
  header: QueueHeader;
}

export interface JoinOutcome extends UserView {
  isNew: boolean;
  lapsedTicket: number | null;
}

export interface AdmitOutcome {
  now: number;
  waiting: number;
  preQueue: number;
  active: number;
  admittedTotal: number;
  needsDraw: boolean;
  pastClose: boolean;
  closed: boolean;
  paused: boolean;
  expired: { userId: string; ticket: number }[];
  admitted: { userId: string; ticket: number; expiresAtMs: number }[];
}

export const STATE_CODES: readonly QueueState[] = [
  'NONE',
  'PRE_QUEUE',
  'WAITING',
  'ADMITTED',
  'EXPIRED',
  'CLOSED',
];

export interface BatchView {
  now: number;
  header: QueueHeader;
  closedReason: CloseReason | null;
  users: {
    state: QueueState;
    position: number | null;
    expiresAtMs: number | null;
    storedToken: string | null;
  }[];
}

export type Reply = unknown[];
export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function parseHeader(h: Reply): QueueHeader {
  return {
    epoch: String(h[0]),
    paused: h[1] === '1',
    opensAt: Number(h[2]),
    closesAt: Number(h[3]),
    closed: str(h[4]) as CloseReason | null,
    measuredRate: Number(h[5] ?? 0),
    leftWhileWaiting: Number(h[6] ?? 0),
    admittedTotal: Number(h[7] ?? 0),
    rate: Number(h[8]),
    drawn: h[9] === '1',
  };
}

/** A user view from {state, ticket, position, expiry, token, closed, now, header}; batches pass the header. */
export function parseView(r: Reply, header?: QueueHeader): UserView {
  return {
    state: r[0] as QueueState,
    ticketNumber: num(r[1]),
    position: num(r[2]),
    expiresAtMs: num(r[3]),
    storedToken: str(r[4]),
    closedReason: str(r[5]) as CloseReason | null,
    now: Number(r[6]),
    header: header ?? parseHeader(r[7] as Reply),
  };
}

export const isNoInit = (r: unknown) => Array.isArray(r) && r[0] === 'NOINIT';
export const isFenced = (r: unknown) => Array.isArray(r) && r[0] === 'FENCED';

const nullableNumber = (v: string | undefined): number | null =>
  v === undefined || v === '' ? null : Number(v);

/**
 * The reply of JOIN_MANY / STATUS_MANY (lua-batch.ts): {now, header, closedReason, rows}, one line per
 * request `state,ticket,position,expiry,token[,isNew,lapsedTicket]` or `LIMITED`; null on NOINIT.
 */
export function parseBatch(r: Reply, joins: boolean): Batched<UserView | JoinOutcome>[] | null {
  if (isNoInit(r)) return null;
  const now = Number(r[0]);
  const header = parseHeader(r[1] as Reply);
  const closedReason = str(r[2]) as CloseReason | null;
  const lines = String(r[3]).split('\n');
  const out: Batched<UserView | JoinOutcome>[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === 'LIMITED') {
      out[i] = 'LIMITED';
      continue;
    }
    const f = line.split(',');
    const view: JoinOutcome = {
      state: f[0] as QueueState,
      ticketNumber: nullableNumber(f[1]),
      position: nullableNumber(f[2]),
      expiresAtMs: nullableNumber(f[3]),
      storedToken: f[4] === undefined || f[4] === '' ? null : f[4],
      closedReason,
      now,
      header,
      // status rows have neither: one object shape for both keeps the readers monomorphic
      isNew: joins && f[5] === '1',
      lapsedTicket: joins ? nullableNumber(f[6]) : null,
    };
    out[i] = view;
  }
  return out;
}
