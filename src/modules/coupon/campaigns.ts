import { randomUUID } from 'node:crypto';
import { Errors } from '../../platform/errors.ts';
import type { Principal } from '../../platform/tokens.ts';
import { type Campaign, issueEnd } from './campaign-repository.ts';
import { CouponErrors } from './errors.ts';
import { ensureLoaded, loadNewCampaign, REBUILD_HORIZON_MS } from './issuance/loader.ts';
import type { CouponResources } from './resources.ts';

export interface CampaignInput {
  name: string;
  kind: string;
  value: number;
  maxDiscount?: number;
  minSpend?: number;
  performanceId?: string;
  grades?: string[];
  params?: Record<string, unknown>;
  totalQuantity: number;
  perUserLimit: number;
  issueStartsAt: string;
  issueEndsAt: string;
  validUntil: string;
}

export interface CampaignView {
  id: string;
  name: string;
  kind: string;
  value: number;
  maxDiscount: number | null;
  minSpend: number;
  performanceId: string | null;
  grades: string[] | null;
  params: Record<string, unknown>;
  sellerId: string | null;
  fundedBy: 'SELLER' | 'PLATFORM';
  totalQuantity: number;
  perUserLimit: number;
  issueStartsAt: string;
  issueEndsAt: string;
  validUntil: string;
  createdAt: string;
  stoppedAt: string | null;
  stopReason: string | null;
  issuedCount: number;
  remaining: number;
  issuing: boolean;
}

/**
 * A SELLER creates campaigns for its own performances (seller-funded); an ADMIN for one performance
 * or, without `performanceId`, all of them (platform-funded). The campaign's stock goes to Redis at
 * once; if that fails the first issue request rebuilds it from PostgreSQL.
 */
export async function createCampaign(
  r: CouponResources,
  who: Principal,
  input: CampaignInput,
): Promise<Campaign> {
  const kind = r.kinds.get(input.kind);
  if (kind === undefined) throw CouponErrors.unknownKind(r.kinds.names());
  const params = input.params ?? {};
  const maxDiscount = input.maxDiscount ?? null;
  const problem = kind.validateConfig({ value: input.value, maxDiscount, params });
  if (problem !== null) throw Errors.validation(`body.${problem.field}`, problem.message);
  const issueStartsAt = new Date(input.issueStartsAt);
  const issueEndsAt = new Date(input.issueEndsAt);
  const validUntil = new Date(input.validUntil);
  if (issueEndsAt <= issueStartsAt)
    throw Errors.validation('body.issueEndsAt', 'issueEndsAt must be after issueStartsAt');
  if (issueEndsAt.getTime() <= Date.now())
    throw Errors.validation('body.issueEndsAt', 'issueEndsAt must be in the future');
  if (validUntil < issueEndsAt)
    throw Errors.validation('body.validUntil', 'validUntil must not be before issueEndsAt');
  const grades = input.grades === undefined ? null : [...new Set(input.grades)];

  const performanceId = input.performanceId ?? null;
  let sellerId: string | null = null;
  if (who.role === 'SELLER' && performanceId === null) throw CouponErrors.sellerNeedsPerformance();
  if (performanceId !== null) {
    const owner = await r.catalog.getPerformanceOwner(performanceId);
    if (owner === null) throw CouponErrors.performanceNotFound();
    if (who.role === 'SELLER' && owner.sellerId !== who.userId) throw CouponErrors.notYourPerformance();
    if (owner.status === 'CANCELLED' || owner.status === 'DELETED') throw CouponErrors.performanceNotActive();
    sellerId = owner.sellerId;
    if (grades !== null) await checkGrades(r, performanceId, grades);
  }

  const campaign = await r.campaigns.insert({
    id: randomUUID(),
    name: input.name,
    kind: kind.name,
    value: input.value,
    maxDiscount,
    minSpend: input.minSpend ?? 0,
    performanceId,
    grades,
    params,
    sellerId,
    createdBy: who.userId,
    fundedBy: who.role === 'ADMIN' ? 'PLATFORM' : 'SELLER',
    totalQuantity: input.totalQuantity,
    perUserLimit: input.perUserLimit,
    issueStartsAt,
    issueEndsAt,
    validUntil,
  });
  await loadNewCampaign(r.state, campaign).catch((err: unknown) =>
    r.logger.warn(
      { err, campaignId: campaign.id },
      'campaign stock not loaded into Redis; the first issue will load it',
    ),
  );
  return campaign;
}

async function checkGrades(r: CouponResources, performanceId: string, grades: string[]): Promise<void> {
  const schedules = await r.catalog.listSchedulesOfPerformance(performanceId);
  const known = new Set(schedules.flatMap((s) => s.grades.map((g) => g.grade)));
  const unknown = grades.filter((g) => !known.has(g));
  if (known.size > 0 && unknown.length > 0)
    throw Errors.validation('body.grades', `the performance has no grade ${unknown.join(', ')}`);
}

/** The public view, with live issue figures from Redis (rebuilt if Redis lost them). */
export async function campaignView(
  r: CouponResources,
  idOrCampaign: string | Campaign,
): Promise<CampaignView> {
  const c = typeof idOrCampaign === 'string' ? await r.campaigns.find(idOrCampaign) : idOrCampaign;
  if (c === null) throw CouponErrors.campaignNotFound();
  const id = c.id;
  let remaining = await r.state.remaining(id);
  if (remaining === null) {
    const tooOld = Date.now() > c.issueEndsAt.getTime() + REBUILD_HORIZON_MS;
    if (!tooOld && (await ensureLoaded(r.state, r.coupons, c))) remaining = await r.state.remaining(id);
    remaining ??= Math.max(0, c.totalQuantity - (await r.coupons.countStored(id)));
  }
  const now = Date.now();
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    value: c.value,
    maxDiscount: c.maxDiscount,
    minSpend: c.minSpend,
    performanceId: c.performanceId,
    grades: c.grades === null ? null : [...c.grades],
    params: { ...c.params },
    sellerId: c.sellerId,
    fundedBy: c.fundedBy,
    totalQuantity: c.totalQuantity,
    perUserLimit: c.perUserLimit,
    issueStartsAt: c.issueStartsAt.toISOString(),
    issueEndsAt: c.issueEndsAt.toISOString(),
    validUntil: c.validUntil.toISOString(),
    createdAt: c.createdAt.toISOString(),
    stoppedAt: c.stoppedAt?.toISOString() ?? null,
    stopReason: c.stopReason,
    issuedCount: c.totalQuantity - remaining,
    remaining,
    issuing: now >= c.issueStartsAt.getTime() && now < issueEnd(c).getTime() && remaining > 0,
  };
}

/** The owner (the seller who created it) or an admin stops issuing now; coupons already issued stay. */
export async function stopCampaign(r: CouponResources, who: Principal, id: string): Promise<CampaignView> {
  const c = await r.campaigns.find(id);
  if (c === null) throw CouponErrors.campaignNotFound();
  if (who.role !== 'ADMIN' && c.createdBy !== who.userId) throw CouponErrors.notYourCampaign();
  await stopCampaigns(r, await r.campaigns.stop({ campaignId: id }, 'STOPPED_BY_OWNER'));
  return campaignView(r, id);
}

/** Closes the Redis issue window of campaigns just stopped in PostgreSQL (a rebuild reads stopped_at). */
export async function stopCampaigns(r: CouponResources, ids: readonly string[]): Promise<void> {
  await Promise.all(ids.map((id) => r.state.stop(id)));
}
