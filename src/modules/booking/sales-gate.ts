import type { BookingContext } from './context.ts';
import { BookingErrors } from './errors.ts';

/**
 * The operators' kill switch (ops plugs its gate in through booking.setSalesGate): new holds and new
 * orders of a halted performance are refused with 409 SALES_PAUSED. Paying an order that already
 * exists stays possible (markPaymentPending does not ask), so nobody loses seats they are paying for.
 * The gate answers from a per-process snapshot (≤ 1 s old), synchronously when nothing is halted.
 */
export async function assertSalesNotHalted(ctx: BookingContext, scheduleId: string): Promise<void> {
  const gate = ctx.ports.salesGate;
  if (gate === null) return;
  const answer = gate.haltOf(scheduleId);
  const halt = answer instanceof Promise ? await answer : answer;
  if (halt !== null) throw BookingErrors.salesPaused(halt.reason);
}
