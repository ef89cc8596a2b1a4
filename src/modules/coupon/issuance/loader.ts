import { type Campaign, issueEnd } from '../campaign-repository.ts';
import type { CouponRepository, Grant } from '../coupon-repository.ts';
import type { IssueState } from './redis-state.ts';

const KEEP_AFTER_WINDOW_MS = 3 * 24 * 3600 * 1000;
/** After this long past the window a campaign's Redis state is not rebuilt any more: it only answers NOT_ISSUING. */
export const REBUILD_HORIZON_MS = 24 * 3600 * 1000;

/** When a campaign's Redis keys expire: a few days after its issue window, so reconciling can finish. */
export const stateExpiry = (c: Campaign, now = Date.now()) =>
  new Date(Math.max(c.issueEndsAt.getTime() + KEEP_AFTER_WINDOW_MS, now + 3600_000));

/** Loads a new campaign's issue state: all of its stock. */
export async function loadNewCampaign(state: IssueState, c: Campaign): Promise<void> {
  await state.load({
    campaignId: c.id,
    issueStartsAt: c.issueStartsAt,
    issueEndsAt: issueEnd(c),
    perUserLimit: c.perUserLimit,
    totalQuantity: c.totalQuantity,
    stock: c.totalQuantity,
    expiresAt: stateExpiry(c),
  });
}

/**
 * Makes sure Redis holds the campaign's issue state, rebuilding it when it is missing (Redis restarted
 * without persistence, failover, eviction): grants are the union of what PostgreSQL stored and what
 * Redis still has pending; per-user counts are each user's highest seq; the stock is the total minus
 * the highest unit taken (= total − stored − pending while units are contiguous, and never more when
 * a lost grant left a gap). The meta is written last and only if absent, so a live state always wins
 * and concurrent rebuilders agree. False when the campaign is too old to rebuild (no issuing any more).
 */
export async function ensureLoaded(
  state: IssueState,
  coupons: CouponRepository,
  c: Campaign,
): Promise<boolean> {
  if (await state.isLoaded(c.id)) return true;
  if (Date.now() > c.issueEndsAt.getTime() + REBUILD_HORIZON_MS) return false;
  const byId = new Map<string, Grant>();
  for (const g of await coupons.grantsOfCampaign(c.id)) byId.set(g.couponId, g);
  for await (const batch of state.grants(c.id))
    for (const g of batch) if (!byId.has(g.couponId)) byId.set(g.couponId, g);
  const all = [...byId.values()];
  const maxUnit = all.reduce((m, g) => Math.max(m, g.unit), 0);
  const expiresAt = stateExpiry(c);
  await state.restoreGrants(c.id, all, expiresAt);
  await state.load({
    campaignId: c.id,
    issueStartsAt: c.issueStartsAt,
    issueEndsAt: issueEnd(c),
    perUserLimit: c.perUserLimit,
    totalQuantity: c.totalQuantity,
    stock: c.totalQuantity - maxUnit,
    expiresAt,
  });
  return true;
}
