import { type CampaignView, campaignView } from './campaigns.ts';
import type { CouponWithTerms } from './coupon-repository.ts';
import type { CouponResources } from './resources.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type CouponDescription =
  | { type: 'CAMPAIGN'; campaign: CampaignView }
  | { type: 'COUPON'; coupon: CouponWithTerms };

/** What an id is in this module (ops lookup): a campaign (with live issue figures) or a stored coupon. */
export async function describeById(r: CouponResources, id: string): Promise<CouponDescription | null> {
  if (!UUID.test(id)) return null;
  const campaign = await r.campaigns.find(id);
  if (campaign !== null) return { type: 'CAMPAIGN', campaign: await campaignView(r, campaign) };
  const coupon = await r.coupons.findById(id);
  return coupon === null ? null : { type: 'COUPON', coupon };
}
