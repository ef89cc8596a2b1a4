import { AppError, Errors } from '../../platform/errors.ts';
import type { CloseReason } from './store.ts';

export const QueueErrors = {
  /** Join refused: CANCELLED performances count as closed sales. */
  closed: (reason: CloseReason) =>
    reason === 'SOLD_OUT'
      ? Errors.conflict('SOLD_OUT', 'this schedule is sold out')
      : Errors.conflict('SALES_CLOSED', 'sales for this schedule are closed'),
  salesPaused: (reason: string) =>
    Errors.conflict('SALES_PAUSED', 'sales of this performance are paused by an operator', { reason }),
  notInQueue: () => Errors.conflict('NOT_IN_QUEUE', 'join the queue of this schedule first'),
  notOwner: () => Errors.forbidden('only the seller of this performance or an admin may do this'),
  restoring: () =>
    new AppError('unavailable', 'QUEUE_REBUILDING', 'the queue is being restored; retry shortly'),
  emptyPatch: () => Errors.validation('body', 'give at least one of paused, admitPerSecond, maxActive'),
};
