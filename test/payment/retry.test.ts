import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cancellationDeadline,
  discountShares,
  feePercent,
  refundFigures,
} from '../../src/modules/payment/refund-math.ts';
import { fullJitterDelay, GaveUp, RetryNeeded, withRetries } from '../../src/modules/payment/retry.ts';

const settings = { maxRetries: 4, baseMs: 100, capMs: 1000 };

describe('retry policy', () => {
  it('sleeps random(0, min(cap, base·2^n)): full jitter, capped', () => {
    expect(fullJitterDelay(0, settings, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, settings, () => 0.5)).toBe(400);
    expect(fullJitterDelay(10, settings, () => 0.999)).toBe(999);
    fc.assert(
      fc.property(fc.nat(30), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (n, r) => {
        const d = fullJitterDelay(n, settings, () => r);
        return d >= 0 && d < Math.min(settings.capMs, settings.baseMs * 2 ** n);
      }),
    );
  });

  it('retries only RetryNeeded, at most 1 + maxRetries calls, with bounded sleeps', async () => {
    const delays: number[] = [];
    let calls = 0;
    const err = await withRetries(
      { maxRetries: 3, baseMs: 5, capMs: 20 },
      async () => {
        calls++;
        throw new RetryNeeded('x');
      },
      { onRetry: (_n, d) => delays.push(d) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryNeeded);
    expect(calls).toBe(4);
    expect(delays).toHaveLength(3);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(20, 5 * 2 ** i));
    });

    let finals = 0;
    const final = await withRetries(settings, async () => {
      finals++;
      throw new Error('decline');
    }).catch((e: unknown) => e);
    expect((final as Error).message).toBe('decline');
    expect(finals).toBe(1);

    let n = 0;
    expect(
      await withRetries({ maxRetries: 5, baseMs: 1, capMs: 2 }, async () =>
        ++n < 3 ? Promise.reject(new RetryNeeded(n)) : 'ok',
      ),
    ).toBe('ok');
  });

  it('stops at the deadline', async () => {
    const signal = AbortSignal.timeout(50);
    const err = await withRetries(
      { maxRetries: 100, baseMs: 20, capMs: 20 },
      async () => {
        throw new RetryNeeded('x');
      },
      { signal },
    ).catch((e: unknown) => e);
    expect(err instanceof GaveUp || err instanceof RetryNeeded).toBe(true);
  });
});

describe('refund money', () => {
  it('spreads the discount over lines pro rata, in whole won adding up exactly', () => {
    expect(discountShares([10000, 20000, 30000], 5000)).toEqual([833, 1667, 2500]);
    expect(discountShares([10000, 10000, 10000], 1000)).toEqual([334, 333, 333]);
    expect(discountShares([5000], 0)).toEqual([0]);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500_000 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (prices, d) => {
          const subtotal = prices.reduce((a, b) => a + b, 0);
          const discount = subtotal === 0 ? 0 : d % (subtotal + 1);
          const shares = discountShares(prices, discount);
          return (
            shares.reduce((a, b) => a + b, 0) === discount &&
            shares.every((s, i) => s >= 0 && s <= (prices[i] ?? 0))
          );
        },
      ),
    );
  });

  it('partial refunds in any split return exactly what was charged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1000, max: 200_000 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 8 }),
        (prices, d, order) => {
          const subtotal = prices.reduce((a, b) => a + b, 0);
          const discount = d % (subtotal + 1);
          const idx = prices.map((_, i) => i);
          idx.sort((a, b) => (order[a] ?? 0) - (order[b] ?? 0));
          let returned = 0;
          for (const i of idx) returned += refundFigures(prices, discount, [i], 0).amount;
          return returned === subtotal - discount;
        },
      ),
    );
  });

  it('applies the cancellation policy: deadline and the tightest fee bracket', () => {
    const startsAt = new Date('2030-05-10T19:00:00Z');
    const policy = {
      deadlineHoursBeforeStart: 24,
      fees: [
        { daysBeforeStart: 7, percent: 10 },
        { daysBeforeStart: 3, percent: 20 },
        { daysBeforeStart: 1, percent: 30 },
      ],
    };
    expect(cancellationDeadline(policy, startsAt).toISOString()).toBe('2030-05-09T19:00:00.000Z');
    const at = (days: number) => new Date(startsAt.getTime() - days * 86_400_000);
    expect(feePercent(policy, startsAt, at(10))).toBe(0);
    expect(feePercent(policy, startsAt, at(7.5))).toBe(10);
    expect(feePercent(policy, startsAt, at(5))).toBe(10);
    expect(feePercent(policy, startsAt, at(2.5))).toBe(20);
    expect(feePercent(policy, startsAt, at(1.2))).toBe(30);
    expect(refundFigures([10000, 20000], 3000, [1], 20)).toEqual({
      faceValue: 20000,
      discount: 2000,
      fee: 3600,
      amount: 14400,
    });
  });
});
