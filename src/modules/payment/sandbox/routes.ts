import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../../../platform/errors.ts';
import type { HttpApp } from '../../../platform/http/app.ts';
import { fromDataException } from '../../../platform/http/dependency-errors.ts';
import { statusOf } from '../../../platform/http/problem.ts';
import type { Logger } from '../../../platform/logger.ts';
import { methodOf, type PaymentMethod, tossMethodName } from '../toss-client/types.ts';
import { SandboxError } from './codes.ts';
import { type Answer, merchantOf, SandboxGateway } from './gateway.ts';
import { SandboxLedger } from './ledger.ts';
import {
  ApiHeaders,
  CancelBody,
  CheckoutBody,
  CheckoutHeaders,
  CheckoutView,
  ConfirmBody,
  LedgerQuery,
  OrderIdParams,
  PaymentKeyParams,
  TransactionsQuery,
  WebhookQuery,
} from './schemas.ts';
import { SandboxService } from './service.ts';
import { type SandboxSettings, SandboxSettingsPatchSchema, SandboxSettingsStore } from './settings.ts';
import type { SandboxDb } from './tables.ts';
import { kst } from './view.ts';
import { SandboxWebhooks } from './webhooks.ts';

export const SANDBOX_PREFIX = '/sandbox/toss';

export interface SandboxDeps {
  db: SandboxDb;
  logger: Logger;
  defaults: SandboxSettings;
  /** This server's own base URL once listening (for webhookUrl 'auto'); null before. */
  selfBaseUrl: () => string | null;
}

export interface SandboxHandle {
  service: SandboxService;
  settings: SandboxSettingsStore;
  webhooks: SandboxWebhooks;
}

/** Route options: no JWT (Toss Basic auth instead) and no per-IP limit (it stands in for Toss). */
const open = { auth: 'public', skipIpLimit: true } as const;

/**
 * The Toss-compatible sandbox under /sandbox/toss: the checkout stand-in, Toss's core payment API
 * (confirm, query by paymentKey / orderId, cancel) and sandbox-only controls. Errors are Toss's
 * `{code, message}`, never problem documents.
 */
export function registerSandbox(app: HttpApp, deps: SandboxDeps): SandboxHandle {
  const ledger = new SandboxLedger(deps.db);
  const settings = new SandboxSettingsStore(deps.db, deps.defaults);
  const webhooks = new SandboxWebhooks(deps.db, settings, deps.selfBaseUrl, deps.logger);
  const service = new SandboxService(ledger, settings, webhooks);
  const gateway = new SandboxGateway(deps.db, settings);

  app.register(
    async (plain) => {
      const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
      scope.setErrorHandler((error: FastifyError, request, reply) => {
        if (error instanceof SandboxError) return tossError(reply, error);
        if (isAppError(error))
          return tossError(reply, new SandboxError(error.code, error.message, statusOf(error.kind)));
        if (
          error.validation !== undefined ||
          (error.statusCode ?? 500) < 500 ||
          fromDataException(error) !== null
        )
          return tossError(reply, new SandboxError('INVALID_REQUEST', error.message, 400));
        request.log.error({ err: error }, 'sandbox failure');
        return tossError(reply, new SandboxError('FAILED_INTERNAL_SYSTEM_PROCESSING'));
      });
      scope.setNotFoundHandler((_request, reply) =>
        tossError(reply, new SandboxError('NOT_FOUND', 'no such API', 404)),
      );

      scope.post(
        '/checkout',
        {
          config: open,
          schema: {
            tags: ['sandbox'],
            body: CheckoutBody,
            headers: CheckoutHeaders,
            response: { 200: CheckoutView },
          },
        },
        async (request) => {
          const b = request.body;
          return service.checkout({
            orderId: b.orderId,
            amount: b.amount,
            method: methodOf(b.method ?? 'CARD') as PaymentMethod,
            ...(b.orderName === undefined ? {} : { orderName: b.orderName }),
            ...(b.taxFreeAmount === undefined ? {} : { taxFreeAmount: Math.min(b.taxFreeAmount, b.amount) }),
            ...(b.validHours === undefined ? {} : { validHours: b.validHours }),
            ...(request.headers['tosspayments-test-code'] === undefined
              ? {}
              : { testCode: request.headers['tosspayments-test-code'] }),
            ...(request.headers['sandbox-test-code-times'] === undefined
              ? {}
              : { testCodeTimes: request.headers['sandbox-test-code-times'] }),
          });
        },
      );

      const answer = (reply: FastifyReply, a: Answer) =>
        reply.code(a.status).header('content-type', 'application/json; charset=utf-8').send(a.body);
      const callOf = (request: FastifyRequest, op: 'confirm' | 'cancel' | 'query') => {
        const h = request.headers as Record<string, string | undefined>;
        return {
          merchant: merchantOf(h.authorization),
          op,
          idempotencyKey: h['idempotency-key'],
          testCode: h['tosspayments-test-code'],
          fingerprint: `${request.method} ${request.url.split('?')[0]} ${JSON.stringify(request.body ?? null)}`,
        };
      };

      scope.post(
        '/v1/payments/confirm',
        { config: open, schema: { tags: ['sandbox'], headers: ApiHeaders, body: ConfirmBody } },
        async (request, reply) => {
          const call = callOf(request, 'confirm');
          return answer(reply, await gateway.run(call, () => service.confirm(call.merchant, request.body)));
        },
      );
      scope.get(
        '/v1/payments/orders/:orderId',
        { config: open, schema: { tags: ['sandbox'], headers: ApiHeaders, params: OrderIdParams } },
        async (request, reply) =>
          answer(
            reply,
            await gateway.run(callOf(request, 'query'), () => service.getByOrderId(request.params.orderId)),
          ),
      );
      scope.get(
        '/v1/payments/:paymentKey',
        { config: open, schema: { tags: ['sandbox'], headers: ApiHeaders, params: PaymentKeyParams } },
        async (request, reply) =>
          answer(
            reply,
            await gateway.run(callOf(request, 'query'), () => service.get(request.params.paymentKey)),
          ),
      );
      scope.post(
        '/v1/payments/:paymentKey/cancel',
        {
          config: open,
          schema: { tags: ['sandbox'], headers: ApiHeaders, params: PaymentKeyParams, body: CancelBody },
        },
        async (request, reply) => {
          const call = callOf(request, 'cancel');
          const { cancelReason, cancelAmount } = request.body;
          return answer(
            reply,
            await gateway.run(call, () =>
              service.cancel(call.merchant, request.params.paymentKey, { cancelReason, cancelAmount }),
            ),
          );
        },
      );

      scope.get(
        '/v1/transactions',
        { config: open, schema: { tags: ['sandbox'], headers: ApiHeaders, querystring: TransactionsQuery } },
        async (request, reply) => {
          const call = callOf(request, 'query');
          return answer(
            reply,
            await gateway.run(call, async () => {
              const q = request.query;
              const rows = await ledger.transactions(
                call.merchant,
                parseTossTime(q.startDate, false),
                parseTossTime(q.endDate, true),
                q.limit ?? 100,
                q.startingAfter ?? null,
              );
              return rows.map((r) => ({
                mId: 'tosspayments',
                transactionKey: r.transactionKey,
                paymentKey: r.paymentKey,
                orderId: r.orderId,
                method: tossMethodName(r.method as PaymentMethod),
                customerKey: null,
                useEscrow: false,
                receiptUrl: null,
                status: r.status,
                transactionAt: kst(r.at),
                currency: 'KRW',
                amount: r.amount,
              }));
            }),
          );
        },
      );

      // Sandbox-only controls (not part of Toss's API).
      scope.post(
        '/virtual-accounts/:paymentKey/deposit',
        { config: open, schema: { tags: ['sandbox'], params: PaymentKeyParams } },
        async (request) => service.deposit(request.params.paymentKey),
      );
      scope.post(
        '/virtual-accounts/:paymentKey/expire',
        { config: open, schema: { tags: ['sandbox'], headers: ApiHeaders, params: PaymentKeyParams } },
        async (request) => {
          merchantOf(request.headers.authorization);
          return service.expireVirtualAccount(request.params.paymentKey);
        },
      );
      scope.get(
        '/admin/settings',
        { config: open, schema: { tags: ['sandbox'], headers: ApiHeaders } },
        async (request) => settings.get(merchantOf(request.headers.authorization)),
      );
      scope.put(
        '/admin/settings',
        {
          config: open,
          schema: { tags: ['sandbox'], headers: ApiHeaders, body: SandboxSettingsPatchSchema },
        },
        async (request) => settings.update(merchantOf(request.headers.authorization), request.body),
      );
      scope.delete(
        '/admin/settings',
        { config: open, schema: { tags: ['sandbox'], headers: ApiHeaders } },
        async (request) => settings.reset(merchantOf(request.headers.authorization)),
      );
      scope.get(
        '/admin/ledger',
        { config: open, schema: { tags: ['sandbox'], headers: ApiHeaders, querystring: LedgerQuery } },
        async (request) => {
          merchantOf(request.headers.authorization);
          const q = request.query;
          return {
            payments: await ledger.confirmedLedger(q.limit ?? 500, q.after ?? null, q.orderId ?? null),
          };
        },
      );
      scope.get(
        '/admin/webhooks',
        { config: open, schema: { tags: ['sandbox'], headers: ApiHeaders, querystring: WebhookQuery } },
        async (request) => {
          merchantOf(request.headers.authorization);
          const rows = await deps.db
            .selectFrom('sandbox_webhook_deliveries')
            .select([
              'id',
              'url',
              'event_type',
              'status',
              'attempts',
              'last_status',
              'body',
              'created_at',
              'delivered_at',
            ])
            .where('payment_key', '=', request.query.paymentKey)
            .orderBy('id')
            .execute();
          return { deliveries: rows };
        },
      );
    },
    { prefix: SANDBOX_PREFIX },
  );

  webhooks.start();
  app.addHook('onClose', async () => webhooks.stop());
  return { service, settings, webhooks };
}

/**
 * Toss query times: KST local (`2024-01-01T00:00:00`, or a date) unless an offset is given; an end
 * time is inclusive to its last unit (the whole second, or the millisecond when given).
 */
function parseTossTime(value: string, isEnd: boolean): Date {
  const local = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value);
  const withTime = value.length === 10 ? `${value}T${isEnd ? '23:59:59' : '00:00:00'}` : value;
  const date = new Date(local ? `${withTime}+09:00` : withTime);
  if (Number.isNaN(date.getTime())) throw new SandboxError('INVALID_REQUEST', `bad date ${value}`);
  if (!isEnd) return date;
  return new Date(date.getTime() + (/\.\d+/.test(value) ? 1 : 1000));
}

function tossError(reply: FastifyReply, error: SandboxError): FastifyReply {
  return reply
    .code(error.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send({ code: error.code, message: error.message });
}
