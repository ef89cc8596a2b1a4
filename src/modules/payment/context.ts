import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { PaymentRepository } from './payment-repository.ts';
import type { BookingPort, CatalogPort } from './ports.ts';
import type { ProviderCalls } from './provider.ts';
import type { RefundRepository } from './refund-repository.ts';
import type { RetrySettings } from './retry.ts';
import type { PaymentSettings } from './settings.ts';
import type { TossPayment } from './toss-client/types.ts';

/**
 * Test-only fault hooks. `afterProviderSuccess` runs after the provider reported a charge and before
 * our transaction records it: throwing there simulates a process killed in between.
 */
export interface PaymentTestHooks {
  afterProviderSuccess: ((payment: TossPayment) => void | Promise<void>) | null;
}

/** What every payment use case shares (one object, built in index.ts). */
export interface PaymentContext {
  payments: PaymentRepository;
  refunds: RefundRepository;
  provider: ProviderCalls;
  booking: BookingPort;
  catalog: CatalogPort | null;
  settings: PaymentSettings;
  retry: RetrySettings;
  logger: Logger;
  hooks: PaymentTestHooks;
  stats: PaymentStats;
}

export function paymentStats(metrics: Metrics) {
  return {
    confirmations: metrics.counter('payment_confirmations_total', 'Confirm requests by result', ['result']),
    refunds: metrics.counter('payment_refunds_total', 'Refunds by result and initiator', [
      'result',
      'initiator',
    ]),
    recovered: metrics.counter('payment_recovered_total', 'Payments settled by the recovery job', ['to']),
    voided: metrics.counter(
      'payment_voided_total',
      'Charges returned because the order could not take them',
      ['reason'],
    ),
  };
}
export type PaymentStats = ReturnType<typeof paymentStats>;
