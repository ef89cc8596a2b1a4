/**
 * The on-sale scenario, parent side: a 5,000-seat performance whose sales open after a pre-queue
 * window, a 1,000-unit coupon campaign, N buyers (bench/scenario/buyers.ts, its own process), then a
 * settlement run over the sale so the invariant checker can compare it with the ledger.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, createCampaign, createShow, writeUsers } from '../lib/fixtures.ts';
import { ROOT, type Stack, track } from '../lib/system.ts';
import type { ScenarioSpec } from './buyers.ts';

export interface OnSaleResult {
  scheduleId: string;
  performanceId: string;
  campaignId: string;
  admitPerSecond: number;
  maxActive: number;
  preQueueSeconds: number;
  buyers: number;
  joinSeconds: number;
  joinRps: number;
  preQueue: number;
  herdSeconds: number;
  soldOutAfterSeconds: number | null;
  endedAfterSeconds: number;
  flows: number;
  unfinishedFlows: number;
  flowEnds: Record<string, number>;
  outcomes: Record<string, number>;
  steps: Record<string, { count: number; p50: number; p99: number; status: Record<string, number> }>;
  timeline: Record<string, number>[];
  maxActiveSeen: number;
  remainingStates: Record<string, number>;
  issued202: string[];
  fivexx: { step: string; status: number; body: string }[];
  settlement: { status: number; settlements: number } | null;
}

export async function onSale(options: {
  stack: Stack;
  api: string;
  sellerToken: string;
  adminToken: string;
  buyers: { id: string; token: string }[];
  joinRpsEstimate: number;
  admitPerSecond: number;
  maxActive: number;
  maxSecondsAfterOpen: number;
  log: (s: string) => void;
  /** Venue shape (default 5 sections × 20 rows × 50 seats = 5,000). */
  venue?: { sections: number; rows: number; seatsPerRow: number };
  /** Shares of buyers claiming the coupon in the pre-queue / right before ordering (default 0.5 / 0). */
  couponEarly?: number;
  couponAtCheckout?: number;
  /** Base URL of the payment provider (default: the sandbox inside the api). */
  provider?: string;
  /** How long an admission lasts without a hold (default 20 s: no-shows give their slot back soon). */
  admissionTtlSeconds?: number;
  /** Fixed pre-queue time instead of one computed from the join rate. */
  preQueueSeconds?: number;
  /** Several api processes: buyers alternate between them request by request (default: `api` only). */
  apis?: string[];
  /** Units of the sale's coupon campaign (default 1,000). */
  campaignQuantity?: number;
  /** Runs alongside the sale from the opening on (fault injection). */
  during?: (info: { scheduleId: string; opensAt: number }) => Promise<void>;
}): Promise<OnSaleResult> {
  const { api, log } = options;
  const startedAt = new Date();
  // long enough for every buyer to join before the doors open (measured join rate, with margin)
  const preQueueSeconds =
    options.preQueueSeconds ??
    Math.min(
      150,
      Math.max(15, Math.ceil((1.5 * options.buyers.length) / (0.5 * options.joinRpsEstimate)) + 8),
    );
  const opensAt = Date.now() + preQueueSeconds * 1000 + 8000;
  const show = await createShow(api, options.sellerToken, {
    title: 'On-sale night',
    ...(options.venue ?? {}),
    salesOpenAt: new Date(opensAt),
    maxTicketsPerBuyer: 4,
    queue: {
      admitPerSecond: options.admitPerSecond,
      maxActive: options.maxActive,
      admissionTtlSeconds: options.admissionTtlSeconds ?? 20,
    },
  });
  const campaignId = await createCampaign(api, options.sellerToken, {
    name: 'Opening night 10,000 won off',
    performanceId: show.performanceId,
    totalQuantity: options.campaignQuantity ?? 1000,
    perUserLimit: 1,
  });
  const usersFile = writeUsers(
    options.stack,
    'onsale-users',
    options.buyers.map((b) => ({ id: b.id, t: b.token })),
  );
  const outFile = join(options.stack.outDir, 'onsale-result.json');
  const spec: ScenarioSpec = {
    api,
    ...(options.apis === undefined ? {} : { apis: options.apis }),
    provider: options.provider ?? api,
    scheduleId: show.scheduleId,
    campaignId,
    usersFile,
    opensAt,
    sellerToken: options.sellerToken,
    window: options.admitPerSecond * 3,
    maxSecondsAfterOpen: options.maxSecondsAfterOpen,
    outFile,
    p: {
      couponEarly: options.couponEarly ?? 0.5,
      coupon: options.couponAtCheckout ?? 0,
      abandonHold: 0.05,
      cancelUnpaid: 0.03,
      declined: 0.05,
      retryAfterDecline: 0.6,
      refundFull: 0.05,
      refundPartial: 0.04,
    },
  };
  log(
    `on-sale: ${options.buyers.length} buyers, pre-queue ${preQueueSeconds} s, admit ${options.admitPerSecond}/s, maxActive ${options.maxActive}`,
  );
  const during =
    options.during === undefined
      ? Promise.resolve()
      : (async () => {
          await new Promise((r) => setTimeout(r, Math.max(0, opensAt - Date.now())));
          await options.during?.({ scheduleId: show.scheduleId, opensAt });
        })();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/scenario/buyers.ts'], {
      cwd: ROOT,
      env: { ...process.env, SCENARIO: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    track(child);
    child.stdout?.on('data', (d: Buffer) => log(`  buyers: ${d.toString().trim()}`));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`buyers exited with ${code}`))));
  });
  await during;
  const result = JSON.parse(readFileSync(outFile, 'utf8')) as Omit<OnSaleResult, 'settlement'>;
  // settle the sale: every ledger line recorded so far, in one period
  const periodStart = new Date(Math.floor(startedAt.getTime() / 60_000) * 60_000 - 60_000);
  const periodEnd = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
  let settlement: OnSaleResult['settlement'] = null;
  try {
    const r = await call<{ settlements?: unknown[] }>(api, 'POST', '/api/v1/admin/settlements/run', {
      token: options.adminToken,
      body: { periodStart: periodStart.toISOString(), periodEnd: periodEnd.toISOString() },
      timeoutMs: 90_000,
    });
    settlement = { status: r.status, settlements: r.body.settlements?.length ?? 0 };
  } catch (err) {
    log(`settlement run failed: ${String(err)}`);
    settlement = { status: 0, settlements: 0 };
  }
  return {
    ...result,
    scheduleId: show.scheduleId,
    performanceId: show.performanceId,
    campaignId,
    admitPerSecond: options.admitPerSecond,
    maxActive: options.maxActive,
    preQueueSeconds,
    settlement,
  };
}
