import { Errors } from '../../../platform/errors.ts';
import { type HttpApp, principalOf } from '../../../platform/http/app.ts';
import type { Idempotency } from '../../../platform/http/idempotency.ts';
import { confirmPayment } from '../confirm.ts';
import type { PaymentContext } from '../context.ts';
import { PaymentErrors } from '../errors.ts';
import { handleTossWebhook } from '../webhook.ts';
import {
  AttemptsView,
  ConfirmBody,
  ConfirmView,
  OrderParams,
  PerformanceParams,
  WebhookBody,
  WebhookView,
} from './schemas.ts';

export function registerPaymentRoutes(app: HttpApp, ctx: PaymentContext, idempotency: Idempotency): void {
  app.post(
    '/api/v1/payments/confirm',
    { schema: { tags: ['payments'], body: ConfirmBody, response: { 200: ConfirmView } } },
    async (request, reply) =>
      idempotency.run(request, reply, async () => ({
        statusCode: 200,
        body: await confirmPayment(ctx, { userId: principalOf(request).userId, ...request.body }),
      })),
  );

  app.post(
    '/api/v1/payments/webhooks/toss',
    {
      config: { auth: 'public' },
      schema: { tags: ['payments'], body: WebhookBody, response: { 200: WebhookView } },
    },
    async (request) => {
      const body = request.body;
      if (
        body.data?.paymentKey === undefined &&
        body.data?.orderId === undefined &&
        body.paymentKey === undefined &&
        body.orderId === undefined
      ) {
        throw Errors.validation(
          'body.data.paymentKey',
          'the webhook names no payment (data.paymentKey or orderId)',
        );
      }
      return handleTossWebhook(ctx, body);
    },
  );

  // Payment attempt history of an order (support, audits): its buyer or an admin.
  app.get(
    '/api/v1/payments/orders/:orderId/attempts',
    { schema: { tags: ['payments'], params: OrderParams, response: { 200: AttemptsView } } },
    async (request) => {
      const principal = principalOf(request);
      const order = await ctx.booking.findOrder(request.params.orderId);
      if (order === null) throw PaymentErrors.orderNotFound();
      if (order.userId !== principal.userId && principal.role !== 'ADMIN') throw PaymentErrors.notOwner();
      const attempts = await ctx.payments.attemptsOfOrder(order.id);
      return {
        orderId: order.id,
        attempts: attempts.map((a) => ({ ...a, createdAt: a.createdAt.toISOString() })),
      };
    },
  );

  // Progress of the automatic refunds of a cancelled performance.
  app.get(
    '/api/v1/admin/payments/bulk-refunds/:performanceId',
    { config: { roles: ['ADMIN'] }, schema: { tags: ['payments'], params: PerformanceParams } },
    async (request) => {
      const rows = await ctx.refunds.bulkProgress(request.params.performanceId);
      return {
        performanceId: request.params.performanceId,
        items: Object.fromEntries(rows.map((r) => [r.status, r.n])),
      };
    },
  );
}
