import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payoutDate, previousLocalMonth } from '../../src/modules/settlement/calendar.ts';
import { csvCell } from '../../src/modules/settlement/csv.ts';
import {
  addRefunded,
  NOTHING_REFUNDED,
  refundFigures,
  saleFigures,
} from '../../src/modules/settlement/money.ts';
import { duePeriods } from '../../src/modules/settlement/schedule.ts';
import type { Runtime } from '../../src/platform/runtime.ts';
import {
  approvedEvent,
  feed,
  type SettlementModule,
  settlementOn,
  snapshot,
  startSettlement,
} from './support.ts';

/** The money, calendar and schedule rules one by one (docs/decisions/0009-settlement-money.md). */
const KST = { utcOffsetMinutes: 540, holidays: new Set<string>() };
const RATES = { pgFeeRateBps: 300, platformFeeRateBps: 500, vatRateBps: 1000 };

describe('money rules', () => {
  it('floors each fee and each VAT part to the won; platform-funded discounts never reduce the payout', () => {
    const seller = saleFigures(
      { grossAmount: 33_333, discountAmount: 3_333, discountFundedBy: 'SELLER', amount: 30_000 },
      RATES,
    );
    expect(seller).toMatchObject({
      pgFeeAmount: 900,
      platformFeeAmount: 1_500,
      vatAmount: 240,
      discountAmount: 3_333,
    });
    expect(seller.payoutAmount).toBe(33_333 - 3_333 - 900 - 1_500 - 240);
    const platform = saleFigures(
      { grossAmount: 33_333, discountAmount: 3_333, discountFundedBy: 'PLATFORM', amount: 30_000 },
      RATES,
    );
    // PG on the 30,000 charged (900); platform fee on the whole face: floor(1,666.65) = 1,666; VAT 90 + 166
    expect(platform).toMatchObject({
      discountAmount: 0,
      platformDiscountAmount: 3_333,
      pgFeeAmount: 900,
      platformFeeAmount: 1_666,
      vatAmount: 256,
    });
    expect(platform.payoutAmount).toBe(33_333 - 900 - 1_666 - 256);
  });

  it('reverses fees pro rata cumulatively; the completing refund takes the remainder, in any order', () => {
    const sale = saleFigures(
      { grossAmount: 100, discountAmount: 0, discountFundedBy: null, amount: 100 },
      {
        pgFeeRateBps: 3_333,
        platformFeeRateBps: 0,
        vatRateBps: 1000,
      },
    ); // pg 33, vat 3
    const thirds = [34, 33, 33];
    let before = NOTHING_REFUNDED;
    const pg: number[] = [];
    thirds.forEach((face, i) => {
      const line = refundFigures(sale, before, {
        refundFaceValue: face,
        refundDiscount: 0,
        refundAmount: face,
        cancellationFee: 0,
        full: i === 2,
      });
      pg.push(-line.pgFeeAmount);
      before = addRefunded(before, line, i === 2, sale.grossAmount);
    });
    expect(pg).toEqual([11, 11, 11]); // floor(33·34/100)=11, floor(33·67/100)=22, then the remainder
    // the full refund first: it takes everything; the late partial reverses nothing more
    const full = refundFigures(sale, NOTHING_REFUNDED, {
      refundFaceValue: 66,
      refundDiscount: 0,
      refundAmount: 66,
      cancellationFee: 0,
      full: true,
    });
    const late = refundFigures(sale, addRefunded(NOTHING_REFUNDED, full, true, 100), {
      refundFaceValue: 34,
      refundDiscount: 0,
      refundAmount: 34,
      cancellationFee: 0,
      full: false,
    });
    expect([-full.pgFeeAmount, -late.pgFeeAmount, -full.vatAmount - late.vatAmount]).toEqual([33, 0, 3]);
  });

  it('never reverses more discount than the sale had, and keeps the cancellation fee for the seller', () => {
    const sale = saleFigures(
      { grossAmount: 10_000, discountAmount: 1_000, discountFundedBy: 'SELLER', amount: 9_000 },
      RATES,
    );
    const refund = refundFigures(sale, NOTHING_REFUNDED, {
      refundFaceValue: 10_000,
      refundDiscount: 5_000,
      refundAmount: 4_000,
      cancellationFee: 1_000,
      full: true,
    });
    expect(refund).toMatchObject({
      grossAmount: 0,
      refundAmount: 10_000,
      discountAmount: -1_000,
      cancellationFeeAmount: 1_000,
    });
    expect(sale.payoutAmount + refund.payoutAmount).toBe(1_000); // the seller keeps exactly the fee
  });
});

describe('calendar and schedule', () => {
  it('pays out N business days after the period’s last local day, skipping weekends and holidays', () => {
    const fridayEnd = new Date('2026-01-09T15:00:00Z'); // period ends at KST midnight starting Sat 2026-01-10
    expect(payoutDate(fridayEnd, 3, KST)).toBe('2026-01-14'); // Fri + Mon, Tue, Wed
    expect(payoutDate(fridayEnd, 3, { ...KST, holidays: new Set(['2026-01-13']) })).toBe('2026-01-15');
    expect(payoutDate(new Date('2026-01-10T15:00:00Z'), 0, KST)).toBe('2026-01-12'); // Sunday → Monday
  });

  it('names the due periods: the last local days, oldest first, then the previous month', () => {
    const now = new Date('2026-03-01T00:30:00Z'); // 09:30 KST on 1 March
    const due = duePeriods(now, { calendar: KST, schedule: { daily: true, monthly: true }, backfillDays: 2 });
    expect(due.map((p) => [p.periodStart.toISOString(), p.periodEnd.toISOString()])).toEqual([
      ['2026-02-26T15:00:00.000Z', '2026-02-27T15:00:00.000Z'],
      ['2026-02-27T15:00:00.000Z', '2026-02-28T15:00:00.000Z'],
      ['2026-01-31T15:00:00.000Z', '2026-02-28T15:00:00.000Z'],
    ]);
    expect(previousLocalMonth(new Date('2026-01-15T00:00:00Z'), KST).periodStart.toISOString()).toBe(
      '2025-11-30T15:00:00.000Z',
    );
  });

  it('quotes CSV cells and defuses formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
  });
});

describe('scheduled runs (worker role)', () => {
  let rt: Runtime;
  let settlement: SettlementModule;
  // the clock of this module stands in June 2014 (KST), a window no other test uses
  const now = new Date('2014-06-03T03:00:00Z');
  beforeAll(() => {
    ({ rt } = startSettlement());
    settlement = settlementOn(rt, { backfillDays: 3, schedule: { daily: true, monthly: true } }, () => now);
  });
  afterAll(async () => rt.shutdown());

  it('settles each due day and the previous month once; a second tick changes nothing', async () => {
    const sellerId = randomUUID();
    await feed(rt, settlement, [
      approvedEvent({ sellerId, at: new Date('2014-06-01T05:00:00Z'), gross: 10_000 }), // 1 June KST: a daily
      approvedEvent({ sellerId, at: new Date('2014-05-10T05:00:00Z'), gross: 20_000 }), // May: the monthly
    ]);
    const [job] = settlement.jobs();
    expect(job?.name).toBe('settlement-scheduled-runs');
    await job?.run();
    const first = await snapshot(rt, [sellerId]);
    expect(first.settlements.map((s) => [s.period_start.toISOString(), s.payout_amount]).sort()).toEqual(
      [
        ['2014-04-30T15:00:00.000Z', 20_000 - 600 - 1_000 - 160],
        ['2014-05-31T15:00:00.000Z', 10_000 - 300 - 500 - 80],
      ].sort(),
    );
    expect(first.lines.every((l) => l.settlement_id !== null)).toBe(true);
    await job?.run();
    expect(await snapshot(rt, [sellerId])).toEqual(first);
  });
});
