import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/platform/outbox/enqueue.ts';
import type { Runtime } from '../../src/platform/runtime.ts';
import { DAY, eventsOf, expectedOf, type OrderSpec, orderArb, type Rates } from './model.ts';
import {
  FIGURES,
  feed,
  feedConcurrently,
  formula,
  type SettlementModule,
  snapshot,
  startSettlement,
} from './support.ts';

/**
 * Must hold (issue 9): random streams of payments with partial and full refunds across period
 * boundaries, duplicated and reordered, fed to the ledger's handler while periods are settled →
 * every settlement satisfies the payout formula, its lines sum to it, the money identity holds, and a
 * rerun changes nothing. Each iteration works in a time window and with sellers of its own.
 */
let rt: Runtime;
let settlement: SettlementModule;
const DEFAULT: Rates = { pg: 300, platform: 500, vat: 1000 };

beforeAll(() => {
  ({ rt, settlement } = startSettlement({
    pgFeeRateBps: DEFAULT.pg,
    platformFeeRateBps: DEFAULT.platform,
    vatRateBps: DEFAULT.vat,
  }));
});
afterAll(async () => rt.shutdown());

let window = 0;
/** What the generated scenarios exercised, so a too-tame generator fails loudly. */
const seen = { carried: 0, late: 0, parked: 0 };
/** A fresh 40-day window per iteration (2001 onwards): closed periods are global, so windows never meet. */
const nextBase = () => Date.UTC(2001, 0, 1) + window++ * 40 * DAY + Math.floor(Math.random() * 1000) * 1000;

interface Scenario {
  base: number;
  sellers: string[];
  override: Rates | null;
  orders: OrderSpec[];
  stream: EventEnvelope[];
  split: number;
  runsBefore: { start: number; end: number }[];
  runsAfter: { start: number; end: number }[];
  concurrent: boolean;
}

const periodArb = fc
  .record({ day: fc.integer({ min: 0, max: 9 }), len: fc.constantFrom(1, 1, 1, 2, 3) })
  .map(({ day, len }) => ({ start: day, end: day + len }));

const scenarioArb = fc
  .constant(null)
  .map(() => ({ base: nextBase(), sellers: [randomUUID(), randomUUID(), randomUUID()] }))
  .chain(({ base, sellers }) =>
    fc
      .record({
        orders: fc.array(orderArb(base, sellers), { minLength: 1, maxLength: 10 }),
        override: fc.option(
          fc.record({
            pg: fc.integer({ min: 0, max: 900 }),
            platform: fc.integer({ min: 0, max: 2000 }),
            vat: fc.constant(1000),
          }),
        ),
        dupSeed: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 60, maxLength: 60 }),
        orderSeed: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 120, maxLength: 120 }),
        split: fc.double({ min: 0, max: 1, noNaN: true }),
        runsBefore: fc.array(periodArb, { maxLength: 4 }),
        runsAfter: fc.array(periodArb, { maxLength: 4 }),
        concurrent: fc.boolean(),
      })
      .map((g): Scenario => {
        const events = g.orders.flatMap(eventsOf);
        // duplicates: some events delivered twice or three times
        const withDups = events.flatMap((e, i) => ((g.dupSeed[i % 60] ?? 0) === 0 ? [e, e] : [e]));
        const stream = withDups
          .map((e, i) => ({ e, k: g.orderSeed[i % 120] ?? 0, i }))
          .sort((a, b) => a.k - b.k || a.i - b.i)
          .map((x) => x.e);
        return {
          base,
          sellers,
          override: g.override,
          orders: g.orders,
          stream,
          split: Math.floor(stream.length * g.split),
          runsBefore: g.runsBefore,
          runsAfter: g.runsAfter,
          concurrent: g.concurrent,
        };
      }),
  );

async function run(base: number, p: { start: number; end: number }) {
  return settlement.runSettlement({
    periodStart: new Date(base + p.start * DAY),
    periodEnd: new Date(base + p.end * DAY),
    trigger: 'API',
  });
}

async function check(s: Scenario): Promise<void> {
  if (s.override !== null) {
    await sql`insert into seller_fee_rules (seller_id, pg_fee_rate_bps, platform_fee_rate_bps)
              values (${s.sellers[0]}, ${s.override.pg}, ${s.override.platform})`.execute(rt.db);
  }
  const ratesOf = (seller: string) => (seller === s.sellers[0] && s.override !== null ? s.override : DEFAULT);
  const results = new Map<string, string[]>();
  const remember = (p: { start: number; end: number }, ids: { id: string }[]) =>
    results.set(`${p.start}-${p.end}`, ids.map((x) => x.id).sort());

  // 1. part of the stream, some runs, the rest of the stream (maybe racing more runs), more runs
  await feed(rt, settlement, s.stream.slice(0, s.split));
  for (const p of s.runsBefore) remember(p, (await run(s.base, p)).settlements);
  const rest = s.stream.slice(s.split);
  if (s.concurrent) {
    const [, ...ran] = await Promise.all([
      feedConcurrently(rt, settlement, rest, 3),
      ...s.runsAfter.map((p) => run(s.base, p).then((r) => ({ p, r }))),
    ]);
    for (const x of ran) if (x !== undefined) remember(x.p, x.r.settlements);
  } else {
    await feed(rt, settlement, rest);
    for (const p of s.runsAfter) remember(p, (await run(s.base, p)).settlements);
  }
  // 2. a catch-all run settles everything that happened in the window
  const all = { start: -1, end: 20 };
  remember(all, (await run(s.base, all)).settlements);

  const { lines, settlements } = await snapshot(rt, s.sellers);

  // every money movement is in the ledger exactly once, whatever the duplicates and the order
  const refundCount = s.orders.reduce((a, o) => a + o.refunds.length, 0);
  expect(lines.filter((l) => l.type === 'SALE')).toHaveLength(s.orders.length);
  expect(lines.filter((l) => l.type === 'REFUND')).toHaveLength(refundCount);

  // the formula on every line and every header; headers are the sums of their lines
  for (const l of lines) expect(l.payout_amount).toBe(formula(l));
  const bySettlement = new Map(settlements.map((x) => [x.id, x]));
  for (const st of settlements) {
    expect(st.payout_amount).toBe(formula(st));
    expect(st.payout_amount).toBeGreaterThanOrEqual(0); // negatives are carried forward
    const held = lines.filter((l) => l.settlement_id === st.id);
    expect(held).toHaveLength(st.line_count);
    for (const f of FIGURES) expect(held.reduce((a, l) => a + l[f], 0)).toBe(st[f]);
    for (const l of held) {
      expect(l.seller_id).toBe(st.seller_id);
      expect(l.recorded_at.getTime()).toBeGreaterThanOrEqual(st.period_start.getTime());
      expect(l.recorded_at.getTime()).toBeLessThan(st.period_end.getTime());
    }
  }
  // after the catch-all only carried-forward debts wait for a next settlement, one per seller at most
  const open = lines.filter((l) => l.settlement_id === null);
  for (const l of open) {
    expect(l.type).toBe('CARRY_FORWARD');
    expect(l.payout_amount).toBeLessThan(0);
  }
  expect(new Set(open.map((l) => l.seller_id)).size).toBe(open.length);
  for (const l of lines) if (l.settlement_id !== null) expect(bySettlement.has(l.settlement_id)).toBe(true);

  // the identity, per seller and in total:
  //   Σ payout of all settlements + Σ payout of carried-forward lines not yet settled
  //     = Σ charged − Σ returned to buyers − Σ (PG fee + platform fee + VAT, net of reversals)
  //       + Σ platform-funded discounts (net of the refunded share)
  for (const seller of s.sellers) {
    const expected = s.orders
      .filter((o) => o.sellerId === seller)
      .map((o) => expectedOf(o, ratesOf(seller)))
      .reduce((a, e) => a + e.captured - e.refunded - e.fees + e.platformDiscount, 0);
    const settled = settlements
      .filter((x) => x.seller_id === seller)
      .reduce((a, x) => a + x.payout_amount, 0);
    const carried = open.filter((l) => l.seller_id === seller).reduce((a, l) => a + l.payout_amount, 0);
    expect(settled + carried).toBe(expected);
  }
  const money = s.orders.map((o) => expectedOf(o, ratesOf(o.sellerId)));
  const sum = (pick: (l: (typeof lines)[number]) => number) => lines.reduce((a, l) => a + pick(l), 0);
  expect(sum((l) => l.charged_amount)).toBe(money.reduce((a, e) => a + e.captured - e.refunded, 0));
  expect(sum((l) => l.pg_fee_amount + l.platform_fee_amount + l.vat_amount)).toBe(
    money.reduce((a, e) => a + e.fees, 0),
  );
  expect(sum((l) => l.platform_discount_amount)).toBe(money.reduce((a, e) => a + e.platformDiscount, 0));

  // a rerun of every period (in another order) changes nothing and answers the same ids
  for (const key of [...results.keys()].reverse()) {
    const [start, end] = key.split(/(?<=\d)-/).map(Number) as [number, number];
    const again = await run(s.base, { start, end });
    expect(again.created).toEqual([]);
    expect(again.settlements.map((x) => x.id).sort()).toEqual(results.get(key));
  }
  const shape = await sql<{ carried: number; late: number; parked: number }>`
    select (select count(*)::int from settlement_ledger_lines where seller_id = any(${s.sellers}::uuid[]) and type = 'CARRY_FORWARD') as carried,
           (select count(*)::int from settlement_ledger_lines where seller_id = any(${s.sellers}::uuid[]) and recorded_at <> occurred_at and type <> 'CARRY_FORWARD') as late,
           (select count(*)::int from settlement_events where order_id = any(${s.orders.map((o) => o.orderId)}::text[]) and reason = 'was parked until its sale arrived') as parked`.execute(
    rt.db,
  );
  const row = shape.rows[0];
  if (row !== undefined) {
    seen.carried += row.carried;
    seen.late += row.late;
    seen.parked += row.parked;
  }

  // replaying the whole stream changes nothing either (the ledger's own dedupe, no inbox here)
  await feed(rt, settlement, s.stream);
  expect(await snapshot(rt, s.sellers)).toEqual({ lines, settlements });
}

describe('settlement property', () => {
  it('holds the payout formula, the sums and the money identity; reruns are no-ops', async () => {
    const out = await fc.check(fc.asyncProperty(scenarioArb, check), {
      numRuns: Number(process.env.SETTLEMENT_PROPERTY_RUNS ?? 30),
      endOnFailure: true,
    });
    // A short failure report: the seed replays it; the whole counterexample is tens of kilobytes.
    if (out.failed) {
      const c = out.counterexample?.[0];
      const summary = c && {
        orders: c.orders.length,
        events: c.stream.length,
        runs: [...c.runsBefore, ...c.runsAfter],
      };
      throw new Error(
        `property failed: seed ${out.seed}, path ${out.counterexample === null ? '' : out.counterexamplePath}, ` +
          `${JSON.stringify(summary)}: ${out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance)}`,
      );
    }
    // the scenarios did reach the interesting cases: carried-forward debts, lines recorded after
    // their period closed, refunds that arrived before their sale
    expect(seen.carried).toBeGreaterThan(0);
    expect(seen.late).toBeGreaterThan(0);
    expect(seen.parked).toBeGreaterThan(0);
  }, 300_000);
});
