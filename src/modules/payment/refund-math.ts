import type { CancellationPolicy } from './ports.ts';

const DAY_MS = 86_400_000;

/** Default when a performance states no policy: no fee, refunds until the show starts. */
export const DEFAULT_POLICY: CancellationPolicy = { deadlineHoursBeforeStart: 0, fees: [] };

/**
 * The order's discount spread over its lines in proportion to price (largest remainder, ties to the
 * earlier line), so the shares are whole won and add up to the discount exactly: refunding every line,
 * in any number of partial refunds, returns the discount exactly once.
 */
export function discountShares(prices: readonly number[], discount: number): number[] {
  const subtotal = prices.reduce((a, b) => a + b, 0);
  if (discount <= 0 || subtotal <= 0) return prices.map(() => 0);
  const d = BigInt(discount);
  const s = BigInt(subtotal);
  const base = prices.map((p) => (d * BigInt(p)) / s);
  const rest = prices.map((p, i) => ({ i, frac: (d * BigInt(p)) % s }));
  let left = discount - base.reduce((a, b) => a + Number(b), 0);
  rest.sort((a, b) => (a.frac === b.frac ? a.i - b.i : a.frac > b.frac ? -1 : 1));
  const shares = base.map(Number);
  for (const r of rest) {
    if (left <= 0) break;
    shares[r.i] = (shares[r.i] ?? 0) + 1;
    left--;
  }
  return shares;
}

/** The last moment a buyer may cancel: `deadlineHoursBeforeStart` hours before the show. */
export function cancellationDeadline(policy: CancellationPolicy, startsAt: Date): Date {
  return new Date(startsAt.getTime() - policy.deadlineHoursBeforeStart * 3_600_000);
}

/**
 * The fee percent on a buyer-initiated refund: whole days left before the show (floored), and the fee
 * bracket `{daysBeforeStart: N, percent}` means "N days or fewer before the show". The tightest bracket
 * that applies wins (e.g. 7→10 %, 3→20 %, 1→30 %: with 2 days left the fee is 20 %).
 */
export function feePercent(policy: CancellationPolicy, startsAt: Date, now: Date): number {
  const daysLeft = Math.floor((startsAt.getTime() - now.getTime()) / DAY_MS);
  const applicable = policy.fees.filter((f) => daysLeft <= f.daysBeforeStart);
  applicable.sort((a, b) => a.daysBeforeStart - b.daysBeforeStart);
  return Math.max(0, Math.min(100, applicable[0]?.percent ?? 0));
}

export interface RefundFigures {
  faceValue: number;
  discount: number;
  fee: number;
  /** What goes back to the buyer: face value − discount share − fee. */
  amount: number;
}

/** Money of refunding the lines at `targets` (indexes into all the order's lines). */
export function refundFigures(
  prices: readonly number[],
  orderDiscount: number,
  targets: readonly number[],
  feePct: number,
): RefundFigures {
  const shares = discountShares(prices, orderDiscount);
  const faceValue = targets.reduce((sum, i) => sum + (prices[i] ?? 0), 0);
  const discount = targets.reduce((sum, i) => sum + (shares[i] ?? 0), 0);
  const paid = faceValue - discount;
  const fee = Math.floor((paid * feePct) / 100);
  return { faceValue, discount, fee, amount: paid - fee };
}
