import type { PaymentContext } from './context.ts';
import type { TossClient } from './toss-client/client.ts';

/** settlement's ReconciliationMovement (docs/contracts.md, settlement section). */
export interface ReconciliationMovement {
  kind: 'CAPTURE' | 'REFUND';
  /** CAPTURE: the paymentKey; REFUND: the cancel's transactionKey (= payment.refunded refundId). */
  ref: string;
  orderId: string;
  paymentKey: string;
  amount: number;
  at: Date;
}

const PAGE = 5000;

/**
 * What settlement's reconciliation compares: the money movements payment recorded (its tables) and
 * the ones the provider reports (Toss's transactions API, served by the sandbox too), for [start, end).
 * Charges returned in full because the order could not take them (VOIDED: never a sale) are left
 * out on both sides. Toss reports times to the second, so a movement inside the boundary second of a
 * window may fall on the other side of it.
 */
export function reconciliationSource(ctx: PaymentContext, toss: TossClient) {
  return {
    async recordedMovements(start: Date, end: Date): Promise<ReconciliationMovement[]> {
      const db = ctx.payments.db;
      const captures = await db
        .selectFrom('payments')
        .select(['order_id', 'payment_key', 'amount', 'approved_at'])
        .where('status', 'in', ['DONE', 'PARTIAL_CANCELED', 'CANCELED'])
        .where('amount', '>', 0)
        .where('approved_at', '>=', start)
        .where('approved_at', '<', end)
        .execute();
      const refunds = await db
        .selectFrom('payment_refunds')
        .select(['order_id', 'payment_key', 'transaction_key', 'amount', 'refunded_at'])
        .where('status', '=', 'DONE')
        .where('amount', '>', 0)
        .where('refunded_at', '>=', start)
        .where('refunded_at', '<', end)
        .execute();
      return [
        ...captures.map((c) => ({
          kind: 'CAPTURE' as const,
          ref: c.payment_key,
          orderId: c.order_id,
          paymentKey: c.payment_key,
          amount: c.amount,
          at: c.approved_at as Date,
        })),
        ...refunds.map((r) => ({
          kind: 'REFUND' as const,
          ref: r.transaction_key ?? '',
          orderId: r.order_id,
          paymentKey: r.payment_key,
          amount: r.amount,
          at: r.refunded_at as Date,
        })),
      ];
    },

    async providerMovements(start: Date, end: Date): Promise<ReconciliationMovement[]> {
      const from = new Date(Math.floor(start.getTime() / 1000) * 1000);
      const out: ReconciliationMovement[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await toss.transactions(from, end, {
          limit: PAGE,
          ...(after === undefined ? {} : { startingAfter: after }),
        });
        for (const tx of page) {
          const at = new Date(tx.transactionAt);
          if (at < from || at >= end || tx.amount <= 0) continue;
          if (tx.status === 'DONE') {
            out.push({
              kind: 'CAPTURE',
              ref: tx.paymentKey,
              orderId: tx.orderId,
              paymentKey: tx.paymentKey,
              amount: tx.amount,
              at,
            });
          } else if (tx.status === 'CANCELED' || tx.status === 'PARTIAL_CANCELED') {
            out.push({
              kind: 'REFUND',
              ref: tx.transactionKey,
              orderId: tx.orderId,
              paymentKey: tx.paymentKey,
              amount: tx.amount,
              at,
            });
          }
        }
        if (page.length < PAGE) break;
        after = page.at(-1)?.transactionKey;
      }
      const keys = [...new Set(out.map((m) => m.paymentKey))];
      const voided = new Set<string>();
      for (let i = 0; i < keys.length; i += 1000) {
        const rows = await ctx.payments.db
          .selectFrom('payments')
          .select('payment_key')
          .where('status', '=', 'VOIDED')
          .where('payment_key', 'in', keys.slice(i, i + 1000))
          .execute();
        for (const r of rows) voided.add(r.payment_key);
      }
      // Our orderId is booking's order id: map the provider's (tossOrderId) back through our records.
      const orderIds = new Map<string, string>();
      for (let i = 0; i < keys.length; i += 1000) {
        const rows = await ctx.payments.db
          .selectFrom('payments')
          .select(['payment_key', 'order_id'])
          .where('payment_key', 'in', keys.slice(i, i + 1000))
          .execute();
        for (const r of rows) orderIds.set(r.payment_key, r.order_id);
      }
      return out
        .filter((m) => !voided.has(m.paymentKey))
        .map((m) => ({ ...m, orderId: orderIds.get(m.paymentKey) ?? m.orderId }));
    },
  };
}
