/**
 * An independent, deliberately naive statement of the coupon rules (API.md "Coupons" + the kinds),
 * used as the brute-force oracle of the property tests. It shares no code with src/.
 */
export interface RefCoupon {
  id: string;
  kind: 'PERCENTAGE' | 'FIXED' | 'PER_TICKET' | 'BUY_N_PERCENTAGE';
  value: number;
  maxDiscount: number | null;
  minSpend: number;
  performanceId: string | null;
  grades: string[] | null;
  params: Record<string, number>;
  validUntil: Date;
}

export interface RefDraft {
  performanceId: string;
  lines: { grade: string; price: number }[];
}

export function refDiscount(c: RefCoupon, d: RefDraft): number {
  if (c.performanceId !== null && c.performanceId !== d.performanceId) return 0;
  const lines = d.lines.filter((l) => c.grades === null || c.grades.includes(l.grade));
  let spend = 0;
  for (const l of lines) spend += l.price;
  if (lines.length === 0 || spend === 0 || spend < c.minSpend) return 0;
  let raw: number;
  switch (c.kind) {
    case 'PERCENTAGE':
      raw = Math.floor((spend * c.value) / 100);
      break;
    case 'FIXED':
      raw = c.value;
      break;
    case 'PER_TICKET': {
      const n =
        c.params.maxTickets === undefined ? lines.length : Math.min(lines.length, c.params.maxTickets);
      raw = c.value * n;
      break;
    }
    case 'BUY_N_PERCENTAGE':
      raw = lines.length >= (c.params.minTickets ?? 2) ? Math.floor((spend * c.value) / 100) : 0;
      break;
  }
  if (c.maxDiscount !== null && raw > c.maxDiscount) raw = c.maxDiscount;
  return Math.min(raw, spend);
}

/** Tries every coupon and keeps the best: largest discount, then earliest validUntil, then smallest id. */
export function bruteForceBest(
  coupons: RefCoupon[],
  d: RefDraft,
): { couponId: string; discount: number } | null {
  let best: { couponId: string; discount: number; validUntil: number } | null = null;
  for (const c of coupons) {
    const discount = refDiscount(c, d);
    if (discount <= 0) continue;
    const candidate = { couponId: c.id, discount, validUntil: c.validUntil.getTime() };
    if (
      best === null ||
      candidate.discount > best.discount ||
      (candidate.discount === best.discount && candidate.validUntil < best.validUntil) ||
      (candidate.discount === best.discount &&
        candidate.validUntil === best.validUntil &&
        candidate.couponId < best.couponId)
    )
      best = candidate;
  }
  return best === null ? null : { couponId: best.couponId, discount: best.discount };
}
