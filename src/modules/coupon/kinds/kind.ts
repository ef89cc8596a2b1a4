/**
 * A coupon kind: how one family of coupons computes a discount. Each kind is one file in this folder
 * exporting `kind`; the registry discovers them, so adding a kind touches no other code
 * (see docs/coupon-kinds.md).
 *
 * Kinds see only what they need: the campaign's settings and the order lines the campaign targets.
 * Targeting (performance, grades), validity, minimum spend, `maxDiscount`, flooring to the won and
 * the "never above the subtotal" cap are the same for every kind and live in ../pricing.ts.
 */
export interface KindLine {
  seatId: number | null;
  sectionId: string;
  grade: string;
  /** Face value of this ticket, KRW. */
  price: number;
}

export interface KindDraft {
  /** The lines the campaign applies to (its grade targeting already applied), one per ticket. */
  lines: readonly KindLine[];
  /** Sum of `lines` prices. */
  eligibleSubtotal: number;
  /** The whole order's subtotal. */
  subtotal: number;
}

export interface KindConfig {
  /** The campaign's `value` (its meaning is the kind's: percent, won, won per ticket ...). */
  value: number;
  maxDiscount: number | null;
  /** Kind-specific settings from the campaign's `params` object. */
  params: Readonly<Record<string, unknown>>;
}

/** A problem with a campaign's settings, named by field relative to the request body. */
export interface ConfigProblem {
  field: string;
  message: string;
}

export interface CouponKind {
  /** Upper-snake name, the campaign's `kind`. */
  readonly name: string;
  /** One sentence for humans (OpenAPI, docs). */
  readonly description: string;
  /** Null when the settings are sound for this kind. Runs when a campaign is created. */
  validateConfig(config: KindConfig): ConfigProblem | null;
  /** Whether the coupon can apply to this order at all (beyond the shared rules). */
  isApplicable(config: KindConfig, draft: KindDraft): boolean;
  /** The discount in won before the shared caps; may be fractional (pricing floors it). */
  discount(config: KindConfig, draft: KindDraft): number;
}

/** Reads an optional positive integer from `params`; undefined when absent. */
export function intParam(
  params: Readonly<Record<string, unknown>>,
  name: string,
): number | undefined | 'invalid' {
  const v = params[name];
  if (v === undefined) return undefined;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : 'invalid';
}
