import type { EventEnvelope } from '../../platform/outbox/enqueue.ts';
import {
  PAYMENT_APPROVED,
  PAYMENT_REFUNDED,
  type PaymentRefunded,
  parseApproved,
  parseRefunded,
} from './events.ts';
import {
  feeRatesFor,
  findSale,
  insertLine,
  lockLedgerShared,
  lockOrder,
  parkedRefunds,
  recordEvent,
  recordedAtFor,
  refundedSoFar,
  type SaleLine,
  setEventStatus,
} from './ledger-repository.ts';
import { type FeeRates, refundFigures, saleFigures } from './money.ts';
import type { SettlementTx } from './tables.ts';

export interface IngestDeps {
  defaults: FeeRates;
  log: {
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
  counted(kind: 'SALE' | 'REFUND' | 'PARKED' | 'IGNORED' | 'REJECTED' | 'DUPLICATE'): void;
}

/**
 * The ledger's handler of payment events, run inside the consumer runner's transaction (or a test's).
 * Idempotent on its own: an event id is recorded once (settlement_events), a sale once per order and a
 * refund once per refundId (unique source_ref), whatever the platform inbox did. A refund that arrives
 * before its sale is parked and applied when the sale arrives, so reordering loses nothing.
 */
export async function handlePaymentEvent(
  trx: SettlementTx,
  event: EventEnvelope,
  deps: IngestDeps,
): Promise<void> {
  if (event.type === PAYMENT_APPROVED) return ingestApproved(trx, event, deps);
  if (event.type === PAYMENT_REFUNDED) return ingestRefunded(trx, event, deps);
  const inserted = await recordEvent(trx, {
    eventId: event.eventId,
    type: event.type,
    orderId: event.key || null,
    status: 'IGNORED',
    reason: 'moves no money',
    occurredAt: null,
    payload: event.payload,
  });
  deps.counted(inserted ? 'IGNORED' : 'DUPLICATE');
}

async function reject(
  trx: SettlementTx,
  event: EventEnvelope,
  reason: string,
  deps: IngestDeps,
): Promise<void> {
  const inserted = await recordEvent(trx, {
    eventId: event.eventId,
    type: event.type,
    orderId: event.key || null,
    status: 'REJECTED',
    reason,
    occurredAt: null,
    payload: event.payload,
  });
  if (inserted) {
    deps.log.error(
      { eventId: event.eventId, type: event.type, reason },
      'payment event rejected by the ledger',
    );
    deps.counted('REJECTED');
  }
}

async function ingestApproved(trx: SettlementTx, event: EventEnvelope, deps: IngestDeps): Promise<void> {
  const parsed = parseApproved(event.payload);
  if (!parsed.ok) return reject(trx, event, parsed.reason, deps);
  const sale = parsed.value;
  await lockLedgerShared(trx);
  await lockOrder(trx, sale.orderId);
  const existing = await findSale(trx, sale.orderId);
  const fresh = await recordEvent(trx, {
    eventId: event.eventId,
    type: event.type,
    orderId: sale.orderId,
    status: existing === null ? 'APPLIED' : 'IGNORED',
    reason: existing === null ? null : 'the order already has a sale line',
    occurredAt: parsed.at,
    payload: event.payload,
  });
  if (!fresh) return deps.counted('DUPLICATE');
  if (existing !== null) {
    deps.log.warn(
      { eventId: event.eventId, orderId: sale.orderId },
      'second payment.approved for an order ignored',
    );
    return deps.counted('IGNORED');
  }
  if (sale.amount !== sale.grossAmount - sale.discountAmount) {
    deps.log.warn(
      { eventId: event.eventId, orderId: sale.orderId, amount: sale.amount, gross: sale.grossAmount },
      'payment.approved amount is not gross − discount; recorded as charged',
    );
  }
  const rates = await feeRatesFor(trx, sale.sellerId, deps.defaults);
  const figures = saleFigures(
    {
      grossAmount: sale.grossAmount,
      discountAmount: sale.discountAmount,
      discountFundedBy: sale.discountFundedBy ?? null,
      amount: sale.amount,
    },
    rates,
  );
  await insertLine(trx, {
    type: 'SALE',
    sourceRef: `sale:${sale.orderId}`,
    sourceEventId: event.eventId,
    orderId: sale.orderId,
    sellerId: sale.sellerId,
    performanceId: sale.performanceId,
    paymentKey: sale.paymentKey,
    refundId: null,
    occurredAt: parsed.at,
    recordedAt: await recordedAtFor(trx, parsed.at),
    figures,
    rates,
    completesOrder: false,
    settlementId: null,
  });
  deps.counted('SALE');
  const saleLine: SaleLine = {
    orderId: sale.orderId,
    sellerId: sale.sellerId,
    performanceId: sale.performanceId,
    paymentKey: sale.paymentKey,
    figures,
  };
  for (const parked of await parkedRefunds(trx, sale.orderId)) {
    const refund = parseRefunded(parked.payload);
    if (!refund.ok) continue; // parked only after a successful parse
    if (await applyRefund(trx, parked.eventId, refund.value, refund.at, saleLine, deps)) {
      await setEventStatus(trx, parked.eventId, 'APPLIED', 'was parked until its sale arrived');
    }
  }
}

async function ingestRefunded(trx: SettlementTx, event: EventEnvelope, deps: IngestDeps): Promise<void> {
  const parsed = parseRefunded(event.payload);
  if (!parsed.ok) return reject(trx, event, parsed.reason, deps);
  const refund = parsed.value;
  await lockLedgerShared(trx);
  await lockOrder(trx, refund.orderId);
  const sale = await findSale(trx, refund.orderId);
  const fresh = await recordEvent(trx, {
    eventId: event.eventId,
    type: event.type,
    orderId: refund.orderId,
    status: sale === null ? 'PARKED' : 'APPLIED',
    reason: sale === null ? 'waiting for the sale of the order' : null,
    occurredAt: parsed.at,
    payload: event.payload,
  });
  if (!fresh) return deps.counted('DUPLICATE');
  if (sale === null) return deps.counted('PARKED');
  await applyRefund(trx, event.eventId, refund, parsed.at, sale, deps);
}

async function applyRefund(
  trx: SettlementTx,
  eventId: string,
  refund: PaymentRefunded,
  at: Date,
  sale: SaleLine,
  deps: IngestDeps,
): Promise<boolean> {
  if (refund.sellerId !== sale.sellerId) {
    deps.log.warn(
      { eventId, orderId: refund.orderId, refundSeller: refund.sellerId, saleSeller: sale.sellerId },
      'refund names another seller than its sale; booked to the sale’s seller',
    );
  }
  if (refund.refundAmount !== refund.refundFaceValue - refund.refundDiscount - refund.cancellationFee) {
    deps.log.warn(
      { eventId, orderId: refund.orderId },
      'refundAmount is not face − discount − cancellation fee',
    );
  }
  const before = await refundedSoFar(trx, refund.orderId);
  const figures = refundFigures(sale.figures, before, refund);
  const inserted = await insertLine(trx, {
    type: 'REFUND',
    sourceRef: `refund:${refund.refundId}`,
    sourceEventId: eventId,
    orderId: refund.orderId,
    sellerId: sale.sellerId,
    performanceId: sale.performanceId,
    paymentKey: refund.paymentKey,
    refundId: refund.refundId,
    occurredAt: at,
    recordedAt: await recordedAtFor(trx, at),
    figures,
    rates: null,
    completesOrder:
      before.complete || refund.full || before.faceValue + refund.refundFaceValue >= sale.figures.grossAmount,
    settlementId: null,
  });
  if (inserted) {
    deps.counted('REFUND');
    return true;
  }
  await setEventStatus(trx, eventId, 'IGNORED', 'the refund is already in the ledger');
  deps.log.warn(
    { eventId, refundId: refund.refundId },
    'refund already in the ledger under another event id',
  );
  deps.counted('IGNORED');
  return false;
}
