import { type FastifyReply, type HttpApp, principalOf } from '../../../platform/http/app.ts';
import type { RateLimiter, RateLimitRule } from '../../../platform/http/rate-limit.ts';
import { QueueErrors } from '../errors.ts';
import { joinFast, statusFast } from '../hot-path.ts';
import type { QueueCatalog } from '../ports.ts';
import { leaveQueue, type QueueResources, queueStatus } from '../service.ts';
import { assertOwner, queueStats, updateSettings } from '../settings.ts';
import type { QueueStreamHub } from '../stream.ts';
import {
  QueueViewSchema,
  ScheduleParams,
  SettingsPatchBody,
  SettingsView,
  StatsView,
  StreamHeaders,
  StreamQuery,
} from './schemas.ts';

export interface QueueRouteDeps {
  resources: QueueResources;
  hub: QueueStreamHub;
  catalog: () => QueueCatalog;
  rateLimiter: RateLimiter;
  accountPerSecond: number;
}

const BASE = '/api/v1/schedules/:scheduleId/queue';

/** Answers with the error handler's problem document (as a thrown error would). */
const fail = (reply: FastifyReply, err: Error | null) =>
  reply.send(err ?? new Error('queue answer without a view'));

/**
 * The waiting room's HTTP surface. Join, poll and the stream's connect are limited per account
 * (RATE_LIMIT_QUEUE_ACCOUNT_PER_SECOND) and per address (RATE_LIMIT_IP_PER_SECOND) per schedule, counted
 * in the same batched script that answers them; the stream also counts against the platform's
 * per-address limit and rt.rateLimiter's per-account rule. Join and poll touch Redis only: one script
 * call per batch, no PostgreSQL on their path.
 */
export function registerQueueRoutes(app: HttpApp, deps: QueueRouteDeps): void {
  const { resources: r, hub, catalog, rateLimiter } = deps;
  const perAccount: RateLimitRule = { name: 'queue-account', limit: deps.accountPerSecond, windowMs: 1000 };
  const tags = ['queue'];

  // Join and poll count their per-account and per-address limits inside their one (batched) script,
  // so they skip the platform's separate per-address check. Their handlers are plain functions that
  // answer from the batcher's callback (hot-path.ts): no promise per request on the usual path.
  app.post(
    BASE,
    {
      config: { roles: ['BUYER'], skipIpLimit: true },
      schema: { tags, params: ScheduleParams, response: { 202: QueueViewSchema } },
    },
    (request, reply) => {
      joinFast(r, request.params.scheduleId, principalOf(request).userId, request.ip, (err, view) => {
        if (view === null) fail(reply, err);
        else reply.code(202).header('retry-after', view.pollAfterSeconds).send(view);
      });
    },
  );

  app.get(
    `${BASE}/me`,
    {
      config: { skipIpLimit: true },
      schema: { tags, params: ScheduleParams, response: { 200: QueueViewSchema } },
    },
    (request, reply) => {
      statusFast(r, request.params.scheduleId, principalOf(request).userId, request.ip, (err, view) => {
        if (view === null) fail(reply, err);
        else reply.header('retry-after', view.pollAfterSeconds).send(view);
      });
    },
  );

  app.delete(`${BASE}/me`, { schema: { tags, params: ScheduleParams } }, async (request, reply) => {
    await leaveQueue(r, request.params.scheduleId, principalOf(request).userId);
    return reply.code(204).send();
  });

  app.get(
    `${BASE}/stream`,
    {
      config: { tokenInQuery: true },
      schema: { tags, params: ScheduleParams, querystring: StreamQuery, headers: StreamHeaders },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      await rateLimiter.hit(perAccount, userId);
      const { scheduleId } = request.params;
      const initial = await queueStatus(r, scheduleId, userId, request.ip);
      if (initial.state === 'NONE') throw QueueErrors.notInQueue();
      const fromHeader = Number.parseInt(request.headers['last-event-id'] ?? '', 10);
      const lastEventId =
        Number.isSafeInteger(fromHeader) && fromHeader >= 0 ? fromHeader : (request.query.lastEventId ?? 0);
      reply.hijack();
      reply.raw.setHeader('x-request-id', request.id);
      hub.attach(scheduleId, userId, reply.raw, lastEventId, initial);
    },
  );

  app.patch(
    BASE,
    {
      config: { roles: ['SELLER', 'ADMIN'] },
      schema: { tags, params: ScheduleParams, body: SettingsPatchBody, response: { 200: SettingsView } },
    },
    async (request) => {
      await assertOwner(catalog(), request.params.scheduleId, principalOf(request));
      return updateSettings(r, request.params.scheduleId, request.body);
    },
  );

  app.get(
    `${BASE}/stats`,
    {
      config: { roles: ['SELLER', 'ADMIN'] },
      schema: { tags, params: ScheduleParams, response: { 200: StatsView } },
    },
    async (request) => {
      await assertOwner(catalog(), request.params.scheduleId, principalOf(request));
      return queueStats(r, request.params.scheduleId);
    },
  );

  app.addHook('preClose', async () => hub.close());
}
