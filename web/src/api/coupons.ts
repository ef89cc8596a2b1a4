import { newIdempotencyKey, request } from './client.ts';
import type { Campaign, CampaignInput, Coupon } from './types.ts';

export async function listCampaigns(performanceId?: string): Promise<Campaign[]> {
  const query = performanceId === undefined ? '' : `&performanceId=${performanceId}`;
  const body = await request<{ items: Campaign[] } | Campaign[]>(
    'GET',
    `/api/v1/coupon-campaigns?limit=100${query}`,
    { auth: false },
  );
  return Array.isArray(body) ? body : body.items;
}

export const getCampaign = (id: string) =>
  request<Campaign>('GET', `/api/v1/coupon-campaigns/${id}`, { auth: false });
export const createCampaign = (input: CampaignInput) =>
  request<Campaign>('POST', '/api/v1/coupon-campaigns', { body: input });
export const stopCampaign = (id: string) => request<Campaign>('POST', `/api/v1/coupon-campaigns/${id}/stop`);
export const claimCoupon = (id: string) =>
  request<{ status: string; couponId: string }>('POST', `/api/v1/coupon-campaigns/${id}/issue`, {
    idempotencyKey: newIdempotencyKey(),
  });
export const myCoupons = () => request<Coupon[]>('GET', '/api/v1/me/coupons');
