import { randomUUID } from 'node:crypto';
import { Errors } from '../../../platform/errors.ts';
import { CouponErrors } from '../errors.ts';
import type { CouponResources } from '../resources.ts';
import { ensureLoaded } from './loader.ts';
import type { IssueState } from './redis-state.ts';

type LoadResult = 'LOADED' | 'NOT_FOUND' | 'TOO_OLD';
const inFlight = new WeakMap<IssueState, Map<string, Promise<LoadResult>>>();

/**
 * One rebuild per campaign per process at a time: after a Redis restart thousands of requests see
 * NOT_LOADED together, and they all wait for the same PostgreSQL read instead of each doing it.
 */
function loadOnce(r: CouponResources, campaignId: string): Promise<LoadResult> {
  let byCampaign = inFlight.get(r.state);
  if (byCampaign === undefined) {
    byCampaign = new Map();
    inFlight.set(r.state, byCampaign);
  }
  const running = byCampaign.get(campaignId);
  if (running !== undefined) return running;
  const map = byCampaign;
  const p = (async (): Promise<LoadResult> => {
    const campaign = await r.campaigns.find(campaignId);
    if (campaign === null) return 'NOT_FOUND';
    return (await ensureLoaded(r.state, r.coupons, campaign)) ? 'LOADED' : 'TOO_OLD';
  })().finally(() => map.delete(campaignId));
  map.set(campaignId, p);
  return p;
}

/**
 * The hot path: one Redis script decides and records the grant; no PostgreSQL write. A missing state
 * (never loaded, or Redis lost it) is rebuilt from PostgreSQL once, then the script runs again.
 * The coupon id is made here, before the grant, so the 202 can name it.
 */
export async function issueCoupon(
  r: CouponResources,
  campaignId: string,
  userId: string,
  idempotencyKey?: string,
  ip = '',
): Promise<{ couponId: string; replayed: boolean }> {
  const couponId = randomUUID();
  let outcome = await r.state.issue(campaignId, { userId, couponId, idempotencyKey, ip });
  if (outcome.kind === 'NOT_LOADED') {
    const loaded = await loadOnce(r, campaignId);
    if (loaded === 'NOT_FOUND') throw CouponErrors.campaignNotFound();
    if (loaded === 'TOO_OLD') throw CouponErrors.issueRefused('NOT_ISSUING');
    // the first call counted this request already (the limit comes before the state check)
    outcome = await r.state.issue(campaignId, { userId, couponId, idempotencyKey, ip: '' });
    if (outcome.kind === 'NOT_LOADED') throw CouponErrors.stateUnavailable();
  }
  if (outcome.kind === 'LIMITED') {
    r.counters.issued('RATE_LIMITED');
    throw Errors.rateLimited(1);
  }
  if (outcome.kind === 'REFUSED') {
    r.counters.issued(outcome.reason);
    throw CouponErrors.issueRefused(outcome.reason);
  }
  r.counters.issued('ISSUED');
  if (!outcome.replayed) {
    // Lets /me/coupons, the quote and checkout show the coupon before the consumer stored it (API.md:
    // every 202 becomes a stored coupon; the buyer sees it at once). Awaited before the 202: the index
    // lives in the user's slot, and no other ordering (another connection, Cluster node or api process)
    // would guarantee the buyer's next read comes after it. The grant itself is safe either way.
    await r.state
      .addPending(userId, campaignId, outcome.couponId)
      .catch((err: unknown) => r.logger.warn({ err, campaignId }, 'could not index a pending coupon'));
  }
  return { couponId: outcome.couponId, replayed: outcome.replayed };
}
