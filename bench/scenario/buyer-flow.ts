/**
 * What one admitted buyer does: maybe take a coupon, read the seat map, hold seats (retrying on
 * conflicts), order with the best coupon, pay through the sandbox (some cards declined), and
 * sometimes abandon, cancel before paying, or ask for a full or partial refund after paying.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { http, type Recorder } from './client.ts';

export interface FlowSpec {
  api: string;
  /** Several api processes: each buyer alternates between them request by request (see apiFor). */
  apis?: string[];
  /** The payment provider's base (its checkout stands in for the browser widget). */
  provider: string;
  scheduleId: string;
  campaignId: string;
  p: {
    /** share of buyers who claim the coupon while in the pre-queue */
    couponEarly: number;
    /** share who claim it only once admitted, right before ordering */
    coupon: number;
    abandonHold: number;
    cancelUnpaid: number;
    declined: number;
    retryAfterDecline: number;
    refundFull: number;
    refundPartial: number;
  };
}

export interface Buyer {
  id: string;
  token: string;
  /** Requests this buyer made so far (start it at a different number per buyer to spread the load). */
  calls?: number;
  /** The api its join went to. */
  joinedVia?: string;
}

/**
 * The api process for a buyer's next request: with several, consecutive requests of one buyer go to
 * different processes (join on one, poll on the next, hold on another…), so nothing may rely on one
 * process's memory.
 */
export function apiFor(s: FlowSpec, b: Buyer): string {
  const list = s.apis ?? [];
  if (list.length < 2) return s.api;
  const i = b.calls ?? 0;
  b.calls = i + 1;
  return list[i % list.length] ?? s.api;
}

export const outcomes: Record<string, number> = {};
const count = (k: string, n = 1) => {
  outcomes[k] = (outcomes[k] ?? 0) + n;
};
export const issued202: string[] = [];

interface Seat {
  id: number;
  section: string;
  row: string | number;
  number: number;
  grade: string;
  status: string;
}

const rand = Math.random;
function pickQuantity(): number {
  const r = rand();
  return r < 0.2 ? 1 : r < 0.7 ? 2 : r < 0.85 ? 3 : 4;
}
function pickGrade(): string {
  const r = rand();
  return r < 0.6 ? 'R' : r < 0.9 ? 'S' : 'A';
}

/** k seats the buyer wants among what the map shows free: the best rows first, adjacent if possible. */
export function chooseSeats(seats: Seat[], k: number, grade: string, avoid: Set<number>): number[] {
  let free = seats.filter((s) => s.status === 'AVAILABLE' && !avoid.has(s.id) && s.grade === grade);
  if (free.length < k) free = seats.filter((s) => s.status === 'AVAILABLE' && !avoid.has(s.id));
  if (free.length === 0) return [];
  free.sort((a, b) => Number(a.row) - Number(b.row) || Math.abs(a.number - 25) - Math.abs(b.number - 25));
  const best = free.slice(0, Math.max(k, 150));
  const first = best[Math.floor(rand() * best.length)];
  if (first === undefined) return [];
  const row = free.filter((s) => s.section === first.section && String(s.row) === String(first.row));
  const byNumber = new Map(row.map((s) => [s.number, s.id]));
  const block: number[] = [];
  for (let n = first.number; block.length < k && byNumber.has(n); n++) block.push(byNumber.get(n) as number);
  for (let n = first.number - 1; block.length < k && byNumber.has(n); n--)
    block.unshift(byNumber.get(n) as number);
  if (block.length === k) return block;
  const pool = best.filter((s) => !block.includes(s.id));
  while (block.length < k && pool.length > 0) {
    const i = Math.floor(rand() * pool.length);
    block.push((pool.splice(i, 1)[0] as Seat).id);
  }
  return block.length === k ? block : [];
}

/** POST …/issue on the sale's campaign; remembers every 202's coupon id for the invariant check. */
export async function claimCoupon(rec: Recorder, s: FlowSpec, b: Buyer): Promise<void> {
  const r = await http<{ couponId?: string; code?: string }>(
    rec,
    'coupon-issue',
    apiFor(s, b),
    'POST',
    `/api/v1/coupon-campaigns/${s.campaignId}/issue`,
    {
      token: b.token,
    },
  );
  if (r.status === 202 && r.body.couponId !== undefined) {
    issued202.push(r.body.couponId);
    count('coupon.issued');
  } else count(`coupon.${r.body.code ?? r.status}`);
}

export type FlowEnd =
  | 'PAID'
  | 'NO_SEATS'
  | 'ABANDONED'
  | 'CANCELLED'
  | 'DECLINED'
  | 'LOST_ADMISSION'
  | 'ERROR'
  | 'LIMIT';

export async function buyerFlow(rec: Recorder, s: FlowSpec, b: Buyer, admission: string): Promise<FlowEnd> {
  const q = `/api/v1/schedules/${s.scheduleId}`;
  if (rand() < s.p.coupon) await claimCoupon(rec, s, b);
  const k = pickQuantity();
  const grade = pickGrade();
  const avoid = new Set<number>();
  let hold: { holdId: string; seatIds: number[] } | null = null;
  for (let attempt = 0; attempt < 4 && hold === null; attempt++) {
    const map = await http<{ seats: Seat[] }>(rec, 'seat-map', apiFor(s, b), 'GET', `${q}/seats`, {
      gzip: true,
    });
    if (map.status !== 200) return 'ERROR';
    const seats = chooseSeats(map.body.seats, k, grade, avoid);
    if (seats.length === 0) {
      const held = map.body.seats.some((x) => x.status === 'HELD');
      if (!held) return 'NO_SEATS';
      count('hold.waitForReturns');
      await sleep(1000);
      continue;
    }
    const holdVia = apiFor(s, b);
    const r = await http<{ holdId: string; seatIds: number[]; code?: string; unavailableSeatIds?: number[] }>(
      rec,
      'hold',
      holdVia,
      'POST',
      `${q}/holds`,
      { token: b.token, body: { seatIds: seats }, headers: { 'x-admission-token': admission } },
    );
    if (r.status === 201) {
      hold = r.body;
      // evidence that the admission (granted and read through one process) holds through another
      if (b.joinedVia !== undefined)
        count(holdVia === b.joinedVia ? 'api.holdSameAsJoin' : 'api.holdOtherThanJoin');
    } else if (r.body.code === 'SEATS_UNAVAILABLE') {
      count('hold.conflict');
      for (const id of r.body.unavailableSeatIds ?? seats) avoid.add(id);
    } else if (r.body.code === 'TICKET_LIMIT') return 'LIMIT';
    else if (r.body.code === 'ADMISSION_REQUIRED') return 'LOST_ADMISSION';
    else {
      count(`hold.${r.body.code ?? r.status}`);
      return 'ERROR';
    }
  }
  if (hold === null) return 'NO_SEATS';
  count('hold.ok');
  if (rand() < s.p.abandonHold) {
    await http(rec, 'release', apiFor(s, b), 'DELETE', `/api/v1/holds/${hold.holdId}`, { token: b.token });
    return 'ABANDONED';
  }
  // the checkout page shows every usable coupon and the best one
  await http(rec, 'quote', apiFor(s, b), 'GET', `/api/v1/holds/${hold.holdId}/quote`, { token: b.token });
  const order = await http<{ id: string; amount: number; tossOrderId: string; code?: string }>(
    rec,
    'order',
    apiFor(s, b),
    'POST',
    '/api/v1/orders',
    { token: b.token, body: { holdId: hold.holdId, couponId: 'BEST' } },
  );
  if (order.status !== 201) {
    count(`order.${order.body.code ?? order.status}`);
    return 'ERROR';
  }
  const o = order.body;
  if (rand() < s.p.cancelUnpaid) {
    await http(rec, 'cancel-unpaid', apiFor(s, b), 'POST', `/api/v1/orders/${o.id}/cancel`, {
      token: b.token,
      body: { reason: 'changed my mind' },
    });
    return 'CANCELLED';
  }
  let declineFirst = rand() < s.p.declined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const checkout = await http<{ paymentKey: string }>(
      rec,
      'checkout',
      apiFor(s, b),
      'POST',
      '/sandbox/toss/checkout',
      {
        body: { orderId: o.tossOrderId, amount: o.amount },
        ...(declineFirst ? { headers: { 'tosspayments-test-code': 'REJECT_CARD_COMPANY' } } : {}),
      },
    );
    declineFirst = false;
    if (checkout.status !== 200) return 'ERROR';
    const paid = await http<{ status?: string; code?: string }>(
      rec,
      'confirm',
      apiFor(s, b),
      'POST',
      '/api/v1/payments/confirm',
      {
        token: b.token,
        body: { orderId: o.tossOrderId, paymentKey: checkout.body.paymentKey, amount: o.amount },
      },
    );
    if (paid.status === 200) break;
    count(`confirm.${paid.body.code ?? paid.status}`);
    if (paid.body.code === 'PAYMENT_FAILED' && attempt === 0 && rand() < s.p.retryAfterDecline) continue;
    if (paid.body.code === 'PAYMENT_FAILED') {
      await http(rec, 'cancel-unpaid', apiFor(s, b), 'POST', `/api/v1/orders/${o.id}/cancel`, {
        token: b.token,
        body: { reason: 'card declined' },
      });
      return 'DECLINED';
    }
    // unclear outcome: the order settles on its own (recovery); look once more later
    await sleep(2000);
    const look = await http<{ status: string }>(
      rec,
      'order-read',
      apiFor(s, b),
      'GET',
      `/api/v1/orders/${o.id}`,
      {
        token: b.token,
      },
    );
    if (look.body.status !== 'PAID') return 'ERROR';
    break;
  }
  const r = rand();
  if (r < s.p.refundFull) {
    const c = await http<{ status?: string; code?: string }>(
      rec,
      'refund',
      apiFor(s, b),
      'POST',
      `/api/v1/orders/${o.id}/cancel`,
      { token: b.token, body: { reason: 'cannot attend' } },
    );
    count(c.status === 200 ? 'refund.full' : `refund.${c.body.code ?? c.status}`);
  } else if (r < s.p.refundFull + s.p.refundPartial && hold.seatIds.length > 1) {
    const c = await http<{ status?: string; code?: string }>(
      rec,
      'refund',
      apiFor(s, b),
      'POST',
      `/api/v1/orders/${o.id}/cancel`,
      {
        token: b.token,
        body: { seatIds: hold.seatIds.slice(0, 1), reason: 'one friend cannot come' },
      },
    );
    count(c.status === 200 ? 'refund.partial' : `refund.${c.body.code ?? c.status}`);
  }
  return 'PAID';
}
