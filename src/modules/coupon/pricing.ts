import type { KindConfig, KindDraft } from './kinds/kind.ts';
import type { KindRegistry } from './kinds/registry.ts';

/** One order line as booking prices it (docs/contracts.md `OrderLine`). */
export interface PricedLine {
  seatId: number | null;
  sectionId: string;
  grade: string;
  price: number;
  entryNumber?: number;
}

/** What booking asks a price for (docs/contracts.md `PricedDraft`). */
export interface PricedDraft {
  userId: string;
  performanceId: string;
  sellerId: string;
  scheduleId: string;
  lines: PricedLine[];
  subtotal: number;
}

/** The campaign terms a discount depends on. */
export interface CouponTerms {
  kind: string;
  value: number;
  maxDiscount: number | null;
  minSpend: number;
  /** Null: every performance. */
  performanceId: string | null;
  /** Null: every grade. */
  grades: readonly string[] | null;
  params: Readonly<Record<string, unknown>>;
}

export interface PricedOption {
  couponId: string;
  discount: number;
  validUntil: Date;
}

/**
 * The discount a coupon of these terms gives this order, in whole won; 0 when it does not apply.
 * Shared rules for every kind: the performance target, the grade target (only those lines count),
 * the minimum spend (on the targeted lines), then the kind's own rule, then floor to the won,
 * `maxDiscount`, and never above what the targeted lines (hence the order) cost.
 */
export function discountOf(terms: CouponTerms, draft: PricedDraft, kinds: KindRegistry): number {
  const kind = kinds.get(terms.kind);
  if (kind === undefined) return 0;
  if (terms.performanceId !== null && terms.performanceId !== draft.performanceId) return 0;
  const grades = terms.grades;
  const lines = grades === null ? draft.lines : draft.lines.filter((l) => grades.includes(l.grade));
  if (lines.length === 0) return 0;
  const eligibleSubtotal = Math.min(
    lines.reduce((sum, l) => sum + l.price, 0),
    draft.subtotal,
  );
  if (eligibleSubtotal <= 0 || eligibleSubtotal < terms.minSpend) return 0;
  const config: KindConfig = { value: terms.value, maxDiscount: terms.maxDiscount, params: terms.params };
  const kindDraft: KindDraft = { lines, eligibleSubtotal, subtotal: draft.subtotal };
  if (!kind.isApplicable(config, kindDraft)) return 0;
  const raw = kind.discount(config, kindDraft);
  if (!Number.isFinite(raw) || raw <= 0) return 0;
  let discount = Math.floor(raw);
  if (terms.maxDiscount !== null) discount = Math.min(discount, terms.maxDiscount);
  return Math.max(0, Math.min(discount, eligibleSubtotal));
}

/** Best first: the largest discount; ties go to the earliest `validUntil`, then the smaller id. */
export function compareOptions(a: PricedOption, b: PricedOption): number {
  if (a.discount !== b.discount) return b.discount - a.discount;
  const ta = a.validUntil.getTime();
  const tb = b.validUntil.getTime();
  if (ta !== tb) return ta - tb;
  return a.couponId < b.couponId ? -1 : a.couponId > b.couponId ? 1 : 0;
}

/** The options sorted best first (only those with a positive discount). */
export function rankOptions<T extends PricedOption>(options: readonly T[]): T[] {
  return options.filter((o) => o.discount > 0).sort(compareOptions);
}
