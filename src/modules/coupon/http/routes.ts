import { type HttpApp, principalOf } from '../../../platform/http/app.ts';
import type { Idempotency } from '../../../platform/http/idempotency.ts';
import { campaignView, createCampaign, stopCampaign } from '../campaigns.ts';
import { myCoupons } from '../checkout.ts';
import { issueCoupon } from '../issuance/issue.ts';
import type { CouponResources } from '../resources.ts';
import {
  CampaignBody,
  CampaignIdParams,
  CampaignList,
  CampaignListQuery,
  CampaignView,
  IssueHeaders,
  IssueView,
  KindsView,
  MyCouponsView,
} from './schemas.ts';

export function registerCouponRoutes(app: HttpApp, r: CouponResources, idempotency: Idempotency): void {
  app.post(
    '/api/v1/coupon-campaigns',
    {
      config: { roles: ['SELLER', 'ADMIN'] },
      schema: { tags: ['coupon'], body: CampaignBody, response: { 201: CampaignView } },
    },
    async (request, reply) =>
      idempotency.run(request, reply, async () => {
        const campaign = await createCampaign(r, principalOf(request), request.body);
        return { statusCode: 201, body: await campaignView(r, campaign) };
      }),
  );

  app.get(
    '/api/v1/coupon-campaigns',
    {
      config: { auth: 'public' },
      schema: { tags: ['coupon'], querystring: CampaignListQuery, response: { 200: CampaignList } },
    },
    async (request) => {
      const { performanceId, limit, offset } = request.query;
      const campaigns = await r.campaigns.list({
        ...(performanceId === undefined ? {} : { performanceId }),
        limit,
        offset,
      });
      return { items: await Promise.all(campaigns.map((c) => campaignView(r, c))) };
    },
  );

  app.get(
    '/api/v1/coupon-campaigns/:id',
    {
      config: { auth: 'public' },
      schema: { tags: ['coupon'], params: CampaignIdParams, response: { 200: CampaignView } },
    },
    async (request) => campaignView(r, request.params.id),
  );

  app.post(
    '/api/v1/coupon-campaigns/:id/issue',
    {
      // The per-address limit is counted by the issue script itself (per address and campaign): no
      // separate Redis call per request.
      config: { roles: ['BUYER'], skipIpLimit: true },
      // No body: anything sent is ignored. Idempotency-Key is kept in Redis by the issue script itself.
      schema: {
        tags: ['coupon'],
        params: CampaignIdParams,
        headers: IssueHeaders,
        response: { 202: IssueView },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const userId = principalOf(request).userId;
      const issued = await issueCoupon(r, request.params.id, userId, key, request.ip);
      if (issued.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send({ status: 'ISSUED', couponId: issued.couponId });
    },
  );

  app.post(
    '/api/v1/coupon-campaigns/:id/stop',
    {
      config: { roles: ['SELLER', 'ADMIN'] },
      schema: { tags: ['coupon'], params: CampaignIdParams, response: { 200: CampaignView } },
    },
    async (request) => stopCampaign(r, principalOf(request), request.params.id),
  );

  app.get(
    '/api/v1/me/coupons',
    { schema: { tags: ['coupon'], response: { 200: MyCouponsView } } },
    async (request) => myCoupons(r, principalOf(request).userId),
  );

  app.get(
    '/api/v1/coupon-kinds',
    { config: { auth: 'public' }, schema: { tags: ['coupon'], response: { 200: KindsView } } },
    async () => r.kinds.all().map((k) => ({ name: k.name, description: k.description })),
  );
}
