import { Errors } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Redis } from '../../platform/redis.ts';
import type { TokenService } from '../../platform/tokens.ts';
import type { Batched, QueueBatcher } from './batcher.ts';
import { QueueErrors } from './errors.ts';
import { etaSeconds, pollAfterSeconds } from './eta.ts';
import type { Journal } from './journal.ts';
import type { JournalRepository } from './journal-repository.ts';
import { EVENTS_CHANNEL } from './keys.ts';
import type { SalesGate } from './ports.ts';
import type { QueueBootstrap } from './rebuild.ts';
import type { CloseReason, EndStatus, JoinOutcome, QueueState, QueueStore, UserView } from './store.ts';

/** The body of join, `queue/me` and the stream's first event. */
export interface QueueView {
  state: QueueState;
  ticketNumber: number | null;
  position: number | null;
  etaSeconds: number | null;
  paused: boolean;
  opensAt?: string;
  admissionToken?: string;
  expiresAt?: string;
  closedReason?: CloseReason;
  /** Suggested wait before the next poll (also sent as `Retry-After`). */
  pollAfterSeconds: number;
}

/** Pushed to every api process (Redis pub/sub) so streams react at once rather than at their next tick. */
export type QueuePush =
  | { s: string; k: 'admitted'; users: string[] }
  | { s: string; k: 'paused' | 'closed' | 'changed' };

export interface QueueResources {
  redis: Redis;
  store: QueueStore;
  batcher: QueueBatcher;
  bootstrap: QueueBootstrap;
  journal: Journal;
  repo: JournalRepository;
  tokens: TokenService;
  logger: Logger;
  /** Full pub/sub channel name (key prefix included: channels are not prefixed by the client). */
  channel: string;
  /** The operators' kill switch (null until ops plugs it in). */
  salesGate: SalesGate | null;
}

/** Whether an operator halted sales of the schedule's performance; synchronous when nothing is halted. */
export function isHalted(r: QueueResources, scheduleId: string): boolean | Promise<boolean> {
  if (r.salesGate === null) return false;
  const answer = r.salesGate.haltOf(scheduleId);
  if (answer instanceof Promise) return answer.then((h) => h !== null);
  return answer !== null;
}

export const channelName = (keyPrefix: string) => `${keyPrefix}${EVENTS_CHANNEL}`;

/** Runs a store call; when the queue keys are missing, opens / rebuilds the queue and runs it again. */
export async function withQueue<T>(
  r: QueueResources,
  scheduleId: string,
  call: () => Promise<T | null>,
): Promise<T> {
  const first = await call();
  if (first !== null) return first;
  await r.bootstrap.ensure(scheduleId);
  const second = await call();
  if (second === null) throw QueueErrors.restoring();
  return second;
}

export function publish(r: QueueResources, push: QueuePush): void {
  r.redis.publish(r.channel, JSON.stringify(push)).catch((err: unknown) => {
    r.logger.warn({ err }, 'queue push failed (streams catch up at their next tick)');
  });
}

/** A batched request-path call: rebuild on missing keys, 429 over a per-account or per-address limit. */
async function batched<T>(
  r: QueueResources,
  scheduleId: string,
  call: () => Promise<Batched<T>>,
): Promise<T> {
  const result = await withQueue(r, scheduleId, call);
  if (result === 'LIMITED') throw Errors.rateLimited(1);
  return result;
}

/** POST …/queue: one place per account; a repeat join returns the same place. */
export async function joinQueue(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  ip: string,
): Promise<QueueView> {
  if (r.salesGate !== null) {
    const answer = r.salesGate.haltOf(scheduleId);
    const halt = answer instanceof Promise ? await answer : answer;
    if (halt !== null) throw QueueErrors.salesPaused(halt.reason);
  }
  const outcome = await batched(r, scheduleId, () => r.batcher.join(scheduleId, userId, ip));
  return afterJoin(r, scheduleId, userId, outcome);
}

/** A join's answer from Redis: journal the new place (and a lapsed one), 409 when closed, the view. */
export function afterJoin(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  outcome: JoinOutcome,
): QueueView | Promise<QueueView> {
  if (outcome.lapsedTicket !== null) {
    r.journal.end({ scheduleId, userId, ticket: outcome.lapsedTicket, status: 'EXPIRED', at: outcome.now });
  }
  if (outcome.state === 'CLOSED') throw QueueErrors.closed(outcome.closedReason ?? 'SALES_CLOSED');
  if (outcome.isNew && outcome.ticketNumber !== null) {
    r.journal.join({
      scheduleId,
      userId,
      ticket: outcome.ticketNumber,
      preQueue: outcome.state === 'PRE_QUEUE',
      at: outcome.now,
      epoch: outcome.header.epoch,
    });
  }
  return viewOf(r, scheduleId, userId, outcome);
}

/** GET …/queue/me (and the stream's first state). */
export async function queueStatus(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  ip: string,
): Promise<QueueView> {
  const view = await batched(r, scheduleId, () => r.batcher.status(scheduleId, userId, ip));
  return toView(r, scheduleId, userId, view);
}

/** DELETE …/queue/me: gives up the place (frees an active slot); nothing to leave is fine too. */
export async function leaveQueue(r: QueueResources, scheduleId: string, userId: string): Promise<void> {
  const left = await withQueue(r, scheduleId, () => r.store.leave(scheduleId, userId));
  if (left.was === 'NONE' || left.ticket === null) return;
  r.journal.end({ scheduleId, userId, ticket: left.ticket, status: 'LEFT', at: left.now });
}

export async function toView(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  v: UserView,
): Promise<QueueView> {
  return viewOf(r, scheduleId, userId, v);
}

/**
 * The body of join / `queue/me` for a user's state. Synchronous (no promise on the hot path) except
 * when an admission token must be signed and stored, or the sales kill switch must ask Redis first.
 */
export function viewOf(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  v: UserView,
): QueueView | Promise<QueueView> {
  // paused by the seller (queue settings) or halted by an operator (sales kill switch)
  const halted = v.header.paused ? true : isHalted(r, scheduleId);
  if (halted instanceof Promise) return halted.then((paused) => viewWith(r, scheduleId, userId, v, paused));
  return viewWith(r, scheduleId, userId, v, halted);
}

function viewWith(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  v: UserView,
  paused: boolean,
): QueueView | Promise<QueueView> {
  const { state, ticketNumber } = v;
  switch (state) {
    case 'WAITING': {
      const position = v.position ?? 1;
      const eta = etaSeconds(position, v.header);
      return {
        state,
        ticketNumber,
        position,
        etaSeconds: eta,
        paused,
        pollAfterSeconds: pollAfterSeconds(eta),
      };
    }
    case 'PRE_QUEUE': {
      const untilOpen = Math.max(0, Math.ceil((v.header.opensAt - v.now) / 1000));
      return {
        state,
        ticketNumber,
        position: null,
        etaSeconds: null,
        paused,
        opensAt: new Date(v.header.opensAt).toISOString(),
        pollAfterSeconds: pollAfterSeconds(untilOpen),
      };
    }
    case 'ADMITTED': {
      const expiresAtMs = v.expiresAtMs ?? v.now;
      return admissionToken(r, scheduleId, userId, v.storedToken, expiresAtMs, v.now).then((token) => ({
        state,
        ticketNumber,
        position: null,
        etaSeconds: 0,
        paused,
        admissionToken: token,
        expiresAt: new Date(expiresAtMs).toISOString(),
        pollAfterSeconds: 30,
      }));
    }
    case 'CLOSED':
      return {
        state,
        ticketNumber,
        position: null,
        etaSeconds: null,
        paused,
        closedReason: v.closedReason ?? 'SALES_CLOSED',
        pollAfterSeconds: 30,
      };
    default:
      return { state, ticketNumber, position: null, etaSeconds: null, paused, pollAfterSeconds: 30 };
  }
}

/**
 * The admission token of a live slot: the one the admitter signed, or a new one when there is none yet
 * or the slot was retained past the token's expiry (a hold or order keeps the admission valid).
 */
export async function admissionToken(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  stored: string | null,
  expiresAtMs: number,
  now: number,
): Promise<string> {
  if (stored !== null) {
    const bar = stored.lastIndexOf('|');
    if (bar > 0 && Number(stored.slice(bar + 1)) >= expiresAtMs - 1000) return stored.slice(0, bar);
  }
  const ttl = Math.max(1, Math.ceil((expiresAtMs - now) / 1000));
  const token = await r.tokens.sign({ sch: scheduleId }, userId, 'admission', ttl);
  await r.store.putToken(scheduleId, userId, `${token}|${Date.now() + ttl * 1000}`);
  return token;
}

/**
 * The token half of verifyAdmission, synchronous (verified tokens are cached): the admission token's
 * expiry (ms) when it is a valid admission token of this user for this schedule, else null. The slot
 * half is then checked atomically by the caller's own script (admissionSlotKeys).
 */
export function checkAdmissionToken(
  r: QueueResources,
  token: string,
  scheduleId: string,
  userId: string,
): { expiresAtMs: number } | null {
  const claims = r.tokens.verifySync(token, 'admission');
  if (claims === null || claims.sub !== userId || claims.sch !== scheduleId) return null;
  return { expiresAtMs: typeof claims.exp === 'number' ? claims.exp * 1000 : 0 };
}

/** Booking's check: a valid admission token of this user for this schedule, and a live slot. */
export async function verifyAdmission(
  r: QueueResources,
  token: string,
  scheduleId: string,
  userId: string,
): Promise<boolean> {
  const claims = await r.tokens.verify(token, 'admission');
  if (claims === null || claims.sub !== userId || claims.sch !== scheduleId) return false;
  return withQueue(r, scheduleId, () => r.store.isActive(scheduleId, userId));
}

/** The slot lives at least until `untilMs` (a hold or pending order); no effect on a lapsed slot. */
export async function retainAdmission(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  untilMs: number,
): Promise<void> {
  const kept = await r.store.retain(scheduleId, userId, untilMs);
  if (kept !== null)
    r.journal.slot({
      scheduleId,
      userId,
      ticket: kept.ticket,
      admittedAt: null,
      expiresAt: kept.expiresAtMs,
    });
}

export async function releaseAdmission(
  r: QueueResources,
  scheduleId: string,
  userId: string,
  reason: EndStatus,
): Promise<void> {
  const released = await withQueue(r, scheduleId, () => r.store.release(scheduleId, userId, reason));
  if (released === false) return;
  r.journal.end({ scheduleId, userId, ticket: released.ticket, status: reason, at: released.now });
}

/** Sold out, sales closed or cancelled: durable first, then Redis, then every stream hears it. */
export async function closeSchedule(
  r: QueueResources,
  scheduleId: string,
  reason: CloseReason,
): Promise<void> {
  await r.repo.markClosed(scheduleId, reason);
  const closed = await r.store.close(scheduleId, reason);
  if (closed === null) return; // not open in Redis: opening it later reads the closure from PostgreSQL
  publish(r, { s: scheduleId, k: 'closed' });
  if (closed) r.logger.info({ scheduleId, reason }, 'queue closed');
}
