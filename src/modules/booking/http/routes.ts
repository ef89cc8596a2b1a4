import { Value } from 'typebox/value';
import { Errors } from '../../../platform/errors.ts';
import { type HttpApp, principalOf } from '../../../platform/http/app.ts';
import type { Idempotency } from '../../../platform/http/idempotency.ts';
import type { BookingContext } from '../context.ts';
import { BookingErrors } from '../errors.ts';
import { extendHold, getHold, placeHold, releaseHold } from '../holds.ts';
import { cancelOrder, createOrder, listMyOrders, readOrder } from '../orders.ts';
import type { CouponQuote } from '../ports.ts';
import type { SeatFeed, Snapshot } from '../seat-feed.ts';
import {
  AdmissionHeaders,
  CancelBody,
  CreateOrderBody,
  ExtendBody,
  HoldBody,
  HoldParams,
  HoldView,
  MyOrdersQuery,
  OrderParams,
  OrderView,
  QuoteView,
  ScheduleParams,
} from './schemas.ts';

export interface BookingRouteDeps {
  ctx: BookingContext;
  idempotency: Idempotency;
  feed: SeatFeed;
  snapshot: (scheduleId: string) => Snapshot;
  quote: (userId: string, holdId: string) => Promise<CouponQuote>;
}

const buyer = { roles: ['BUYER'] as const };
/**
 * Hold and release count the per-address limit inside their own Lua script (per address and schedule,
 * as the queue's join and poll do), which saves the platform's separate Redis call on the hot path.
 */
const buyerCountedInScript = { roles: ['BUYER'] as const, skipIpLimit: true };

export function registerBookingRoutes(app: HttpApp, deps: BookingRouteDeps): void {
  const { ctx, idempotency, feed } = deps;
  const tags = ['booking'];

  app.post(
    '/api/v1/schedules/:scheduleId/holds',
    {
      config: buyerCountedInScript,
      schema: {
        tags,
        params: ScheduleParams,
        headers: AdmissionHeaders,
        body: HoldBody,
        response: { 201: HoldView },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const bySeats = body.seatIds !== undefined;
      if (bySeats === (body.sectionId !== undefined)) {
        throw Errors.validation('body', 'send either seatIds, or sectionId with quantity');
      }
      if (bySeats && body.quantity !== undefined)
        throw Errors.validation('body.quantity', 'quantity goes with sectionId');
      const userId = principalOf(request).userId;
      return idempotency.run(request, reply, async () => ({
        statusCode: 201,
        body: await placeHold(ctx, {
          userId,
          ip: request.ip,
          scheduleId: request.params.scheduleId,
          admissionToken: request.headers['x-admission-token'],
          ...(bySeats
            ? { seatIds: body.seatIds }
            : { sectionId: body.sectionId, quantity: body.quantity ?? 1 }),
        }),
      }));
    },
  );

  app.get(
    '/api/v1/holds/:holdId',
    { config: buyer, schema: { tags, params: HoldParams, response: { 200: HoldView } } },
    async (request) => getHold(ctx, principalOf(request).userId, request.params.holdId),
  );

  app.delete(
    '/api/v1/holds/:holdId',
    { config: buyerCountedInScript, schema: { tags, params: HoldParams } },
    async (request, reply) => {
      await releaseHold(ctx, principalOf(request).userId, request.params.holdId, request.ip);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/holds/:holdId/extend',
    { config: buyer, schema: { tags, params: HoldParams, response: { 200: HoldView } } },
    async (request) => {
      const body = request.body ?? {};
      if (!Value.Check(ExtendBody, body))
        throw Errors.validation('body.seconds', 'seconds must be an integer 1–7200');
      return extendHold(ctx, principalOf(request).userId, request.params.holdId, body.seconds);
    },
  );

  app.get(
    '/api/v1/holds/:holdId/quote',
    { config: buyer, schema: { tags, params: HoldParams, response: { 200: QuoteView } } },
    async (request) => deps.quote(principalOf(request).userId, request.params.holdId),
  );

  app.post(
    '/api/v1/orders',
    { config: buyer, schema: { tags, body: CreateOrderBody, response: { 201: OrderView } } },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return idempotency.run(request, reply, async () => ({
        statusCode: 201,
        body: await createOrder(ctx, userId, request.body),
      }));
    },
  );

  app.get(
    '/api/v1/orders/:id',
    { schema: { tags, params: OrderParams, response: { 200: OrderView } } },
    async (request) => readOrder(ctx, principalOf(request), request.params.id),
  );

  app.get(
    '/api/v1/me/orders',
    { schema: { tags, querystring: MyOrdersQuery, response: { 200: { type: 'array', items: OrderView } } } },
    async (request) => {
      const before = request.query.before === undefined ? null : new Date(request.query.before);
      return listMyOrders(ctx, principalOf(request).userId, request.query.limit ?? 20, before);
    },
  );

  app.post(
    '/api/v1/orders/:id/cancel',
    { schema: { tags, params: OrderParams, response: { 200: OrderView } } },
    async (request, reply) => {
      const body = request.body ?? {};
      if (!Value.Check(CancelBody, body)) {
        throw Errors.validation('body', 'expected {seatIds?: positive integers, reason?: text up to 500}');
      }
      const principal = principalOf(request);
      return idempotency.run(request, reply, async () => ({
        statusCode: 200,
        body: await cancelOrder(ctx, principal, request.params.id, body),
      }));
    },
  );

  app.get(
    '/api/v1/schedules/:scheduleId/seats/stream',
    { config: { auth: 'public' }, schema: { tags, params: ScheduleParams } },
    async (request, reply) => {
      const scheduleId = request.params.scheduleId;
      if ((await ctx.sales.schedule(scheduleId)) === null) throw BookingErrors.scheduleNotFound();
      reply.hijack();
      await feed.attach(scheduleId, reply.raw, deps.snapshot(scheduleId));
    },
  );

  app.addHook('preClose', async () => feed.close());
}
