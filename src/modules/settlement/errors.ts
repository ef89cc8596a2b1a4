import { AppError } from '../../platform/errors.ts';
import type { SettlementStatus } from './tables.ts';

export const SettlementErrors = {
  notFound: () => new AppError('not_found', 'SETTLEMENT_NOT_FOUND', 'settlement not found'),
  notYours: () => new AppError('forbidden', 'FORBIDDEN', 'this settlement belongs to another seller'),
  invalidTransition: (id: string, status: SettlementStatus, wanted: SettlementStatus) =>
    new AppError(
      'conflict',
      'INVALID_SETTLEMENT_TRANSITION',
      `settlement ${id} is ${status}; it cannot become ${wanted}`,
      { extra: { status, wanted } },
    ),
  ledgerNotCaughtUp: (periodEnd: Date, watermark: Date, pending: number) =>
    new AppError(
      'unavailable',
      'LEDGER_NOT_CAUGHT_UP',
      `the settlement ledger has not received every payment event before ${periodEnd.toISOString()} yet ` +
        `(${pending} pending); retry shortly`,
      {
        extra: {
          periodEnd: periodEnd.toISOString(),
          watermark: watermark.toISOString(),
          pendingEvents: pending,
        },
        retryAfterSeconds: 5,
      },
    ),
};
