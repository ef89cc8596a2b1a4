/**
 * The money rules of ../shared/API.md "Settlement", as pure integer functions (KRW, no fractions).
 * docs/decisions/0009-settlement-money.md explains each choice; every figure here is what a ledger
 * line stores, so these functions are the only place a won is computed.
 */

export type LineType = 'SALE' | 'REFUND' | 'CARRY_FORWARD';
export type DiscountFunding = 'SELLER' | 'PLATFORM' | null;

export interface FeeRates {
  pgFeeRateBps: number;
  platformFeeRateBps: number;
  vatRateBps: number;
}

/** The figures of one ledger line. Fee-side figures are negative on a REFUND (a reversal). */
export interface LineFigures {
  grossAmount: number;
  refundAmount: number;
  /** Seller-funded discount: reduces the payout. */
  discountAmount: number;
  /** Platform-funded discount: the platform's cost, never in the payout (kept for reconciliation). */
  platformDiscountAmount: number;
  /** Money moved at the PG: + charged on a SALE, − returned to the buyer on a REFUND. */
  chargedAmount: number;
  pgFeeAmount: number;
  platformFeeAmount: number;
  pgVatAmount: number;
  platformVatAmount: number;
  /** pgVatAmount + platformVatAmount. */
  vatAmount: number;
  cancellationFeeAmount: number;
  payoutAmount: number;
}

export const BPS = 10_000;

/** floor(a × num / den) exactly (BigInt), for a ≥ 0, num ≥ 0, den > 0. */
export function mulDivFloor(a: number, num: number, den: number): number {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(num) || !Number.isSafeInteger(den) || den <= 0) {
    throw new RangeError('mulDivFloor takes safe integers and a positive divisor');
  }
  if (a < 0 || num < 0) throw new RangeError('mulDivFloor takes non-negative amounts');
  return Number((BigInt(a) * BigInt(num)) / BigInt(den));
}

/** API.md: payoutAmount = gross − refund − discount − pgFee − platformFee − vat + cancellationFee. */
export function payoutOf(f: {
  grossAmount: number;
  refundAmount: number;
  discountAmount: number;
  pgFeeAmount: number;
  platformFeeAmount: number;
  vatAmount: number;
  cancellationFeeAmount: number;
}): number {
  return (
    f.grossAmount -
    f.refundAmount -
    f.discountAmount -
    f.pgFeeAmount -
    f.platformFeeAmount -
    f.vatAmount +
    f.cancellationFeeAmount
  );
}

export interface SaleInput {
  /** Face value of the tickets sold. */
  grossAmount: number;
  discountAmount: number;
  discountFundedBy: DiscountFunding;
  /** What the buyer was charged (gross − discount for a consistent order). */
  amount: number;
}

/**
 * A SALE line: PG fee on the amount charged, platform fee on face value minus the seller-funded
 * discount, both without VAT and floored to the won; VAT on each fee, floored per fee.
 * A discount with no funder is treated as platform-funded: it never reduces a payout.
 */
export function saleFigures(sale: SaleInput, rates: FeeRates): LineFigures {
  const sellerDiscount = sale.discountFundedBy === 'SELLER' ? sale.discountAmount : 0;
  const platformDiscount = sale.discountFundedBy === 'SELLER' ? 0 : sale.discountAmount;
  const pgFeeAmount = mulDivFloor(sale.amount, rates.pgFeeRateBps, BPS);
  const platformFeeAmount = mulDivFloor(
    Math.max(0, sale.grossAmount - sellerDiscount),
    rates.platformFeeRateBps,
    BPS,
  );
  const pgVatAmount = mulDivFloor(pgFeeAmount, rates.vatRateBps, BPS);
  const platformVatAmount = mulDivFloor(platformFeeAmount, rates.vatRateBps, BPS);
  const figures = {
    grossAmount: sale.grossAmount,
    refundAmount: 0,
    discountAmount: sellerDiscount,
    platformDiscountAmount: platformDiscount,
    chargedAmount: sale.amount,
    pgFeeAmount,
    platformFeeAmount,
    pgVatAmount,
    platformVatAmount,
    vatAmount: pgVatAmount + platformVatAmount,
    cancellationFeeAmount: 0,
  };
  return { ...figures, payoutAmount: payoutOf(figures) };
}

export interface RefundInput {
  /** Face value of the refunded tickets. */
  refundFaceValue: number;
  /** The part of the sale's discount these tickets carried. */
  refundDiscount: number;
  /** Money returned to the buyer. */
  refundAmount: number;
  /** Kept for the seller. */
  cancellationFee: number;
  /** Nothing of the order remains after this refund. */
  full: boolean;
}

/** What earlier REFUND lines of the same order already reversed (positive magnitudes). */
export interface RefundedSoFar {
  faceValue: number;
  sellerDiscount: number;
  platformDiscount: number;
  pgFee: number;
  platformFee: number;
  pgVat: number;
  platformVat: number;
  /** An earlier refund completed the order (full, or all face value refunded). */
  complete: boolean;
}

export const NOTHING_REFUNDED: RefundedSoFar = {
  faceValue: 0,
  sellerDiscount: 0,
  platformDiscount: 0,
  pgFee: 0,
  platformFee: 0,
  pgVat: 0,
  platformVat: 0,
  complete: false,
};

/**
 * A REFUND line. Fees and VAT are reversed pro rata of face value against the sale's already-floored
 * figures, cumulatively: after refunds of total face F the reversed share of a figure X is
 * floor(X × F / gross), so the shares telescope, never exceed X, and the refund that completes the
 * order takes exactly the remainder (whatever order the refunds arrive in). The discount reversal is
 * the event's `refundDiscount` (what the buyer's refund already accounted for), bounded by what is
 * left of the sale's discount and taking the remainder on completion.
 */
export function refundFigures(sale: LineFigures, before: RefundedSoFar, refund: RefundInput): LineFigures {
  const gross = sale.grossAmount;
  const faceAfter = before.faceValue + refund.refundFaceValue;
  const complete = before.complete || refund.full || faceAfter >= gross;
  const feeShare = (saleFigure: number, reversedBefore: number) => {
    const target =
      complete || gross <= 0 ? saleFigure : mulDivFloor(saleFigure, Math.min(faceAfter, gross), gross);
    return Math.max(0, target - reversedBefore);
  };
  const discountShare = (saleDiscount: number, reversedBefore: number) => {
    const left = Math.max(0, saleDiscount - reversedBefore);
    return complete ? left : Math.min(left, Math.max(0, refund.refundDiscount));
  };
  const sellerDiscount = discountShare(sale.discountAmount, before.sellerDiscount);
  const platformDiscount = discountShare(sale.platformDiscountAmount, before.platformDiscount);
  const pgVat = feeShare(sale.pgVatAmount, before.pgVat);
  const platformVat = feeShare(sale.platformVatAmount, before.platformVat);
  const figures = {
    grossAmount: 0,
    refundAmount: refund.refundFaceValue,
    discountAmount: -sellerDiscount,
    platformDiscountAmount: -platformDiscount,
    chargedAmount: -refund.refundAmount,
    pgFeeAmount: -feeShare(sale.pgFeeAmount, before.pgFee),
    platformFeeAmount: -feeShare(sale.platformFeeAmount, before.platformFee),
    pgVatAmount: -pgVat,
    platformVatAmount: -platformVat,
    vatAmount: -(pgVat + platformVat),
    cancellationFeeAmount: refund.cancellationFee,
  };
  return { ...figures, payoutAmount: payoutOf(figures) };
}

/** Adds a REFUND line's figures to the running totals of its order. */
export function addRefunded(
  before: RefundedSoFar,
  line: LineFigures,
  full: boolean,
  gross: number,
): RefundedSoFar {
  const faceValue = before.faceValue + line.refundAmount;
  return {
    faceValue,
    sellerDiscount: before.sellerDiscount - line.discountAmount,
    platformDiscount: before.platformDiscount - line.platformDiscountAmount,
    pgFee: before.pgFee - line.pgFeeAmount,
    platformFee: before.platformFee - line.platformFeeAmount,
    pgVat: before.pgVat - line.pgVatAmount,
    platformVat: before.platformVat - line.platformVatAmount,
    complete: before.complete || full || faceValue >= gross,
  };
}

/**
 * A CARRY_FORWARD line moving `amount` of payout (negative: a debt carried into the next settlement;
 * positive: the same debt taken out of the settlement it leaves). Only grossAmount and payoutAmount
 * are non-zero, so the payout formula holds on the line.
 */
export function carryForwardFigures(amount: number): LineFigures {
  const figures = {
    grossAmount: amount,
    refundAmount: 0,
    discountAmount: 0,
    platformDiscountAmount: 0,
    chargedAmount: 0,
    pgFeeAmount: 0,
    platformFeeAmount: 0,
    pgVatAmount: 0,
    platformVatAmount: 0,
    vatAmount: 0,
    cancellationFeeAmount: 0,
  };
  return { ...figures, payoutAmount: payoutOf(figures) };
}
