import { Errors } from '../../platform/errors.ts';
import type { Batched } from './batcher.ts';
import { QueueErrors } from './errors.ts';
import { afterJoin, joinQueue, type QueueResources, type QueueView, viewOf } from './service.ts';
import type { JoinOutcome, UserView } from './store.ts';

/** Answer of a hot-path call: an error (AppError or a dependency's) or the view. */
export type ViewCallback = (err: Error | null, view: QueueView | null) => void;

/**
 * Join and poll as the HTTP routes run them: callbacks from the batcher's reply straight to the view,
 * so a request that Redis answers at once (the usual case) costs no promise and no microtask hop of
 * its own. The rare cases take the promise path of service.ts: a sales halt to look up, the queue
 * keys missing (open / rebuild, then ask again), an admission token to sign.
 */
export function joinFast(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  ip: string,
  done: ViewCallback,
): void {
  if (r.salesGate !== null && r.salesGate.haltOf(scheduleId) !== null) {
    // halted, or the gate must read its state first: the promise path answers (409 SALES_PAUSED)
    deliver(joinQueue(r, scheduleId, userId, ip), done);
    return;
  }
  r.batcher.joinCb(scheduleId, userId, ip, (err, outcome) => {
    if (err !== null) done(asError(err), null);
    else if (outcome === null) {
      const again = retry(r, scheduleId, () => r.batcher.join(scheduleId, userId, ip));
      again.then(
        (second) => finishJoin(r, scheduleId, userId, second, done),
        (e: unknown) => done(asError(e), null),
      );
    } else finishJoin(r, scheduleId, userId, outcome, done);
  });
}

/** GET …/queue/me. */
export function statusFast(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  ip: string,
  done: ViewCallback,
): void {
  r.batcher.statusCb(scheduleId, userId, ip, (err, view) => {
    if (err !== null) done(asError(err), null);
    else if (view === null) {
      const again = retry(r, scheduleId, () => r.batcher.status(scheduleId, userId, ip));
      again.then(
        (second) => finishStatus(r, scheduleId, userId, second, done),
        (e: unknown) => done(asError(e), null),
      );
    } else finishStatus(r, scheduleId, userId, view, done);
  });
}

function finishJoin(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  outcome: JoinOutcome | 'LIMITED',
  done: ViewCallback,
): void {
  if (outcome === 'LIMITED') {
    done(Errors.rateLimited(1), null);
    return;
  }
  let view: QueueView | Promise<QueueView>;
  try {
    view = afterJoin(r, scheduleId, userId, outcome);
  } catch (err) {
    done(asError(err), null);
    return;
  }
  deliver(view, done);
}

function finishStatus(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  view: UserView | 'LIMITED',
  done: ViewCallback,
): void {
  if (view === 'LIMITED') done(Errors.rateLimited(1), null);
  else deliver(viewOf(r, scheduleId, userId, view), done);
}

/** Keys missing: open / rebuild the queue, then ask once more (503 QUEUE_RESTORING if still missing). */
async function retry<T>(
  r: QueueResources,
  scheduleId: string,
  call: () => Promise<Batched<T>>,
): Promise<Exclude<Batched<T>, null>> {
  await r.bootstrap.ensure(scheduleId);
  const second: Batched<T> = await call();
  if (second === null) throw QueueErrors.restoring();
  return second as Exclude<Batched<T>, null>;
}

function deliver(view: QueueView | Promise<QueueView>, done: ViewCallback): void {
  if (view instanceof Promise)
    view.then(
      (v) => done(null, v),
      (err: unknown) => done(asError(err), null),
    );
  else done(null, view);
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
