import type { QueueHeader } from './store.ts';

/**
 * Seconds until admission for someone at `position`:
 *   ahead that will still be there = position × (1 − observed no-show share), where the no-show share is
 *   the fraction of places that left the queue before their turn (smoothed with 20 pseudo-admissions so
 *   a handful of early leavers do not swing it);
 *   pace = the measured admission rate (admissions per second over the last seconds, kept by the
 *   admitter), or the configured rate when nothing was measured yet (before opening, after a pause).
 */
export function etaSeconds(position: number, h: QueueHeader): number {
  const noShow = h.leftWhileWaiting / (h.leftWhileWaiting + h.admittedTotal + 20);
  const pace = h.measuredRate >= 0.05 ? h.measuredRate : Math.max(h.rate, 0.05);
  return Math.max(0, Math.ceil((position * (1 - noShow)) / pace));
}

/**
 * How long a polling client should wait before asking again: about a tenth of the remaining wait,
 * between 1 s (near the front) and 30 s (far back). Before opening: a tenth of the time to opening.
 */
export function pollAfterSeconds(etaOrUntilOpen: number | null): number {
  if (etaOrUntilOpen === null) return 5;
  return Math.min(30, Math.max(1, Math.ceil(etaOrUntilOpen / 10)));
}
