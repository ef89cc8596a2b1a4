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

/** The states a batch row can start with, by first letter (`LIMITED` and the six states). */
const ROW_STATES: Record<string, QueueState | 'LIMITED'> = {
  W: 'WAITING',
  P: 'PRE_QUEUE',
  A: 'ADMITTED',
  E: 'EXPIRED',
  C: 'CLOSED',
  N: 'NONE',
  L: 'LIMITED',
};

/** The decimal integer in text[from, to), null when empty (Lua writes integers as plain digits). */
function intAt(text: string, from: number, to: number): number | null {
  if (from >= to) return null;
  let v = 0;
  for (let k = from; k < to; k++) {
    const d = text.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return Number(text.slice(from, to)); // not plain digits: let Number decide
    v = v * 10 + d;
  }
  return v;
}

/**
 * The reply of JOIN_MANY / STATUS_MANY (lua-batch.ts): {now, header, closedReason, rows}, one line per
 * request `state,ticket,position,expiry,token[,isNew,lapsedTicket]` or `LIMITED`; null on NOINIT.
 * Read in place, field by field: no intermediate strings or arrays per request.
 */
export function parseBatch(r: Reply, joins: boolean): Batched<UserView | JoinOutcome>[] | null {
  if (isNoInit(r)) return null;
  const now = Number(r[0]);
  const header = parseHeader(r[1] as Reply);
  const closedReason = str(r[2]) as CloseReason | null;
  const text = String(r[3]);
  const out: Batched<UserView | JoinOutcome>[] = [];
  let at = 0;
  while (at <= text.length) {
    let eol = text.indexOf('\n', at);
    if (eol < 0) eol = text.length;
    const state = ROW_STATES[text.charAt(at)];
    if (state === undefined) throw new Error(`unexpected queue batch row: ${text.slice(at, eol)}`);
    if (state === 'LIMITED') {
      out.push('LIMITED');
      at = eol + 1;
      continue;
    }
    const c1 = text.indexOf(',', at);
    const c2 = text.indexOf(',', c1 + 1);
    const c3 = text.indexOf(',', c2 + 1);
    const c4 = text.indexOf(',', c3 + 1);
    // the token (5th field) is the last of a status row; a join row has two more
    const c5 = joins ? text.indexOf(',', c4 + 1) : eol;
    const c6 = joins ? text.indexOf(',', c5 + 1) : eol;
    const view: JoinOutcome = {
      state,
      ticketNumber: intAt(text, c1 + 1, c2),
      position: intAt(text, c2 + 1, c3),
      expiresAtMs: intAt(text, c3 + 1, c4),
      storedToken: c5 > c4 + 1 ? text.slice(c4 + 1, c5) : null,
      closedReason,
      now,
      header,
      // status rows have neither: one object shape for both keeps the readers monomorphic
      isNew: joins && text.charCodeAt(c5 + 1) === 49,
      lapsedTicket: joins ? intAt(text, c6 + 1, eol) : null,
    };
    out.push(view);
    at = eol + 1;
  }
  return out;
}

/**
 * The reply of STATES (lua-user.ts): {now, header, closedReason, rows}, a line per user
 * `code[,position,expiry,token]`; null on NOINIT. Read in place, field by field.
 */
export function parseStates(r: Reply): BatchView | null {
  if (isNoInit(r)) return null;
  const text = String(r[3]);
  const users: BatchView['users'] = [];
  let at = 0;
  while (at < text.length) {
    let eol = text.indexOf('\n', at);
    if (eol < 0) eol = text.length;
    const state = STATE_CODES[text.charCodeAt(at) - 48] ?? 'NONE';
    let c1 = text.indexOf(',', at);
    if (c1 < 0 || c1 > eol) c1 = eol;
    let c2 = c1 < eol ? text.indexOf(',', c1 + 1) : eol;
    if (c2 < 0 || c2 > eol) c2 = eol;
    let c3 = c2 < eol ? text.indexOf(',', c2 + 1) : eol;
    if (c3 < 0 || c3 > eol) c3 = eol;
    users.push({
      state,
      position: intAt(text, c1 + 1, c2),
      expiresAtMs: intAt(text, c2 + 1, c3),
      storedToken: c3 + 1 < eol ? text.slice(c3 + 1, eol) : null,
    });
    at = eol + 1;
  }
  return {
    now: Number(r[0]),
    header: parseHeader(r[1] as Reply),
    closedReason: str(r[2]) as CloseReason | null,
    users,
  };
}
