import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { type Config, tossApiBase } from '../../platform/config.ts';
import type { PlatformTables } from '../../platform/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import type { Idempotency } from '../../platform/http/idempotency.ts';
import type { JobSpec } from '../../platform/jobs.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { ConsumerSpec } from '../../platform/outbox/consumer.ts';
import { performanceCancelledConsumer, runBulkRefunds } from './bulk-refunds.ts';
import { type ConfirmInput, confirmPayment } from './confirm.ts';
import { type PaymentContext, type PaymentTestHooks, paymentStats } from './context.ts';
import { describeById, type PaymentDescription } from './describe.ts';
import { registerPaymentRoutes } from './http/routes.ts';
import { PaymentRepository } from './payment-repository.ts';
import type { BookingPort, CatalogPort, OrderForPayment, RefundPort } from './ports.ts';
import { ProviderCalls } from './provider.ts';
import { reconciliationSource } from './reconciliation.ts';
import { recoverOnce } from './recovery.ts';
import { RefundRepository } from './refund-repository.ts';
import { type RefundInput, refundOrder } from './refunds.ts';
import { registerSandbox, type SandboxHandle } from './sandbox/routes.ts';
import { settingsFromEnv } from './sandbox/settings.ts';
import type { SandboxTables } from './sandbox/tables.ts';
import { loadPaymentSettings } from './settings.ts';
import { TossClient } from './toss-client/client.ts';

export type { PaymentDescription } from './describe.ts';
export type {
  BookingPort,
  CatalogPort,
  ConfirmInput,
  OrderForPayment,
  PaymentTestHooks,
  RefundInput,
  RefundPort,
};

export interface PaymentDeps {
  db: Kysely<PlatformTables>;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  idempotency: Idempotency;
  booking: BookingPort;
  /** For the cancellation policy of buyer refunds; without it the default policy applies. */
  catalog?: CatalogPort | null;
  /** Payment and SANDBOX_* settings come from here (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Payments (docs/contracts.md; docs/decisions/0008-payments.md): the Toss client, the built-in
 * Toss-compatible sandbox, confirm with retries, recovery, refunds (booking's RefundPort), the
 * performance-cancelled bulk refund and the Toss webhook.
 */
export function createPaymentModule(deps: PaymentDeps) {
  const env = deps.env ?? process.env;
  const settings = loadPaymentSettings(env);
  const logger = deps.logger.child({ module: 'payment' });
  let app: HttpApp | null = null;

  /** This process's own address once listening (an ephemeral port in tests). */
  const selfBaseUrl = (): string | null => {
    const address = app?.server.address() as AddressInfo | string | null | undefined;
    if (address === null || address === undefined || typeof address === 'string') return null;
    return `http://127.0.0.1:${address.port}`;
  };
  const providerBase = () => {
    if (deps.config.TOSS_API_BASE === '' && deps.config.HTTP_PORT === 0) {
      const self = selfBaseUrl();
      if (self !== null) return `${self}/sandbox/toss`;
    }
    return tossApiBase(deps.config);
  };

  const toss = new TossClient({
    baseUrl: providerBase,
    secretKey: deps.config.TOSS_SECRET_KEY,
    timeoutMs: settings.TOSS_TIMEOUT_MS,
  });
  const payments = new PaymentRepository(deps.db);
  const hooks: PaymentTestHooks = { afterProviderSuccess: null };
  const ctx: PaymentContext = {
    payments,
    refunds: new RefundRepository(payments.db),
    provider: new ProviderCalls(toss, payments, logger, deps.metrics),
    booking: deps.booking,
    catalog: deps.catalog ?? null,
    settings,
    retry: {
      maxRetries: settings.PAYMENT_RETRY_MAX,
      baseMs: settings.PAYMENT_RETRY_BASE_MS,
      capMs: settings.PAYMENT_RETRY_CAP_MS,
    },
    logger,
    hooks,
    stats: paymentStats(deps.metrics),
  };
  const refundPort: RefundPort = { refundOrder: (orderId, input) => refundOrder(ctx, orderId, input) };

  const sandboxEnabled =
    settings.SANDBOX_ENABLED && (deps.config.NODE_ENV !== 'production' || env.SANDBOX_ENABLED === 'true');
  let sandbox: SandboxHandle | null = null;

  return {
    registerRoutes(http: HttpApp): void {
      app = http;
      registerPaymentRoutes(http, ctx, deps.idempotency);
      if (sandboxEnabled) {
        sandbox = registerSandbox(http, {
          db: deps.db.withTables<SandboxTables>(),
          logger: logger.child({ component: 'toss-sandbox' }),
          defaults: settingsFromEnv(env, true),
          selfBaseUrl,
        });
      }
      http.addHook('onClose', async () => toss.close());
    },
    consumers: (): ConsumerSpec[] => [performanceCancelledConsumer(ctx)],
    jobs: (): JobSpec[] => [
      {
        name: 'payment.recovery',
        intervalMs: settings.PAYMENT_RECOVERY_INTERVAL_MS,
        run: async () => void (await recoverOnce(ctx)),
      },
      {
        name: 'payment.bulk-refunds',
        intervalMs: settings.PAYMENT_BULK_REFUND_INTERVAL_MS,
        run: async () => void (await runBulkRefunds(ctx)),
      },
    ],

    /** booking's RefundPort: src/roles/modules.ts calls booking.setRefundPort(payment.refundPort). */
    refundPort,
    confirm: (input: ConfirmInput) => confirmPayment(ctx, input),
    /** One recovery pass; `asOf` in the future acts as if leases had lapsed, `orderIds` limits it. */
    recoverOnce: (options?: { asOf?: Date; orderIds?: readonly string[] }) => recoverOnce(ctx, options),
    runBulkRefunds: () => runBulkRefunds(ctx),
    /** Operations (ops lookup): a payment by paymentKey or payment id, with its refunds; else null. */
    describeById: (id: string): Promise<PaymentDescription | null> => describeById(ctx, id),
    /** settlement's ReconciliationSource: src/roles/modules.ts plugs it in. */
    reconciliationSource: reconciliationSource(ctx, toss),
    /** Test-only fault hooks (see PaymentTestHooks). */
    testHooks: hooks,
    sandbox: () => sandbox,
    providerBaseUrl: providerBase,
    close: () => toss.close(),
  };
}

export type PaymentModule = ReturnType<typeof createPaymentModule>;
