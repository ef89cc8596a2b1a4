import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Errors } from '../../platform/errors.ts';
import { type BookingContext, MAX_SEATS_HELD_PER_USER, withLoaded } from './context.ts';
import { BookingErrors } from './errors.ts';
import type { BookingEvent, HoldEventPayload } from './events.ts';
import type { Hold } from './hold-repository.ts';
import type { OrderLine, ScheduleForSale } from './ports.ts';
import type { HoldOutcome, NewHold } from './redis/seat-store.ts';
import { assertSalesNotHalted } from './sales-gate.ts';

export interface PlaceHoldInput {
  userId: string;
  /** the request's address, counted against RATE_LIMIT_IP_PER_SECOND by the hold script */
  ip: string;
  scheduleId: string;
  admissionToken: string | undefined;
  seatIds?: number[];
  sectionId?: string;
  quantity?: number;
}

export interface HoldView {
  holdId: string;
  scheduleId: string;
  seatIds: number[];
  sectionId: string | null;
  quantity: number;
  status: string;
  expiresAt: string;
  maxExpiresAt: string;
}

export function holdView(h: Hold): HoldView {
  return {
    holdId: h.id,
    scheduleId: h.scheduleId,
    seatIds: h.seatIds,
    sectionId: h.sectionId,
    quantity: h.quantity,
    status: h.status,
    expiresAt: h.expiresAt.toISOString(),
    maxExpiresAt: h.maxExpiresAt.toISOString(),
  };
}

export function holdEvent(type: BookingEvent['type'], h: Hold, at: Date): BookingEvent {
  const payload: HoldEventPayload = {
    holdId: h.id,
    scheduleId: h.scheduleId,
    performanceId: h.performanceId,
    userId: h.userId,
    seatIds: h.seatIds,
    sectionId: h.sectionId,
    quantity: h.quantity,
    fence: h.fence,
    expiresAt: h.expiresAt.toISOString(),
    at: at.toISOString(),
  };
  return { type, scheduleId: h.scheduleId, payload };
}

export function assertOnSale(schedule: ScheduleForSale, now: number): void {
  if (schedule.status !== 'ON_SALE') throw BookingErrors.salesClosed(`the performance is ${schedule.status}`);
  if (now < schedule.salesOpenAt.getTime()) throw BookingErrors.salesClosed('sales have not opened yet');
  if (now >= schedule.salesCloseAt.getTime()) throw BookingErrors.salesClosed('sales have closed');
}

/** Tickets the buyer holds (held or in an unpaid order) on the performance's other schedules. */
async function heldOnOtherNights(
  ctx: BookingContext,
  schedule: ScheduleForSale,
  userId: string,
  nowMs: number,
): Promise<number> {
  const others = (await ctx.sales.siblings(schedule.performanceId)).filter(
    (id) => id !== schedule.scheduleId,
  );
  return others.length === 0 ? 0 : ctx.store.liveHeldCount(others, userId, nowMs);
}

/**
 * Hold seats (or standing entries) all-or-nothing: one Lua script decides (seats free or lapsed, per-user
 * caps), then the hold is group-committed to PostgreSQL before the 201. If that write fails the seats are
 * given back at once and the caller gets 503 (never a hold the record does not know).
 */
export async function placeHold(ctx: BookingContext, input: PlaceHoldInput): Promise<HoldView> {
  const started = performance.now();
  const { userId, scheduleId } = input;
  const token = input.admissionToken;
  if (token === undefined || token === '') throw BookingErrors.admissionRequired();
  const q = ctx.queue;
  // Seated holds check the admission slot inside the hold script (one round trip): here only the token.
  const slotKeys =
    input.seatIds !== undefined && q.checkAdmissionToken !== undefined && q.admissionSlotKeys !== undefined
      ? q.admissionSlotKeys(scheduleId)
      : null;
  let schedule: ScheduleForSale | null;
  let admissionExpiresAt: Date | null;
  if (slotKeys !== null) {
    const valid = q.checkAdmissionToken?.(token, scheduleId, userId) ?? null;
    if (valid === null) throw BookingErrors.admissionRequired();
    admissionExpiresAt = new Date(valid.expiresAtMs);
    schedule = await ctx.sales.schedule(scheduleId);
  } else {
    const [admitted, found] = await Promise.all([
      q.verifyAdmission(token, scheduleId, userId),
      ctx.sales.schedule(scheduleId),
    ]);
    if (!admitted) throw BookingErrors.admissionRequired();
    admissionExpiresAt = admissionExpiry(token);
    schedule = found;
  }
  if (schedule === null) throw BookingErrors.scheduleNotFound();
  const nowMs = Date.now();
  assertOnSale(schedule, nowMs);
  await assertSalesNotHalted(ctx, scheduleId);

  const holdId = randomUUID();
  const expMs = nowMs + ctx.config.HOLD_TTL_SECONDS * 1000;
  const capMs = expMs + ctx.config.HOLD_MAX_EXTEND_SECONDS * 1000;
  // maxTicketsPerBuyer is per performance: the script counts this schedule's holds and the paid tickets
  // of the performance; what the buyer holds on its other nights is taken off the limit here (best
  // effort against a simultaneous hold on another night; createOrder re-checks exactly in PostgreSQL).
  const elsewhere = await heldOnOtherNights(ctx, schedule, userId, nowMs);
  const maxTickets = schedule.maxTicketsPerBuyer - elsewhere;
  const limits = { perUserCap: MAX_SEATS_HELD_PER_USER, maxTickets };
  const from = { ip: input.ip, perSecond: ctx.config.RATE_LIMIT_IP_PER_SECOND };
  const s: NewHold = {
    scheduleId,
    holdId,
    userId,
    performanceId: schedule.performanceId,
    nowMs,
    expMs,
    capMs,
    admissionExpMs: admissionExpiresAt?.getTime() ?? null,
  };

  let seatIds: number[] = [];
  let sectionId: string | null = null;
  let quantity: number;
  let outcome: HoldOutcome;
  if (input.seatIds !== undefined) {
    seatIds = input.seatIds;
    if (new Set(seatIds).size !== seatIds.length) throw BookingErrors.duplicateSeats();
    const known = await ctx.catalog.getSeats(scheduleId, seatIds);
    if (known.length !== seatIds.length) {
      const ids = new Set(known.map((k) => k.id));
      throw BookingErrors.unknownSeats(seatIds.filter((id) => !ids.has(id)));
    }
    quantity = seatIds.length;
    const scope = { scheduleId, performanceId: schedule.performanceId, slotKeys };
    const req = {
      holdId,
      userId,
      expMs,
      capMs,
      admissionExpMs: s.admissionExpMs,
      ip: input.ip,
      checkSlot: slotKeys !== null,
      maxTickets,
      seatIds,
    };
    let batched = await withLoaded(ctx, scheduleId, () => ctx.holdBatch.hold(scope, req));
    if (batched.kind === 'NOQUEUE') {
      // The queue's keys are missing (Redis lost them): the queue rebuilds them while checking, then
      // the hold runs once more without the slot check (as before the slot check moved into the script).
      if (!(await q.verifyAdmission(token, scheduleId, userId))) throw BookingErrors.admissionRequired();
      batched = await withLoaded(ctx, scheduleId, () =>
        ctx.holdBatch.hold(scope, { ...req, checkSlot: false }),
      );
    }
    if (batched.kind === 'NOADMIT' || batched.kind === 'NOQUEUE') throw BookingErrors.admissionRequired();
    outcome = batched;
  } else {
    const section =
      input.sectionId === undefined
        ? null
        : await ctx.catalog.getStandingSection(scheduleId, input.sectionId);
    if (section === null) throw BookingErrors.unknownSection();
    sectionId = section.sectionId;
    quantity = input.quantity ?? 1;
    const wanted = { sectionId, quantity, capacity: section.capacity };
    outcome = await withLoaded(ctx, scheduleId, () => ctx.store.holdStanding(s, wanted, limits, from));
  }

  if (outcome.kind !== 'OK') {
    ctx.stats.holds.inc({ outcome: outcome.kind });
    switch (outcome.kind) {
      case 'TAKEN':
        throw BookingErrors.seatsUnavailable(outcome.seatIds);
      case 'FULL':
        throw BookingErrors.standingFull(outcome.available);
      case 'LIMIT':
        throw BookingErrors.ticketLimit(schedule.maxTicketsPerBuyer, outcome.current + elsewhere);
      case 'LIMITED':
        throw Errors.rateLimited(1);
      default:
        throw BookingErrors.holdNotRecorded();
    }
  }

  const hold: Hold = {
    id: holdId,
    scheduleId,
    performanceId: schedule.performanceId,
    sellerId: schedule.sellerId,
    userId,
    kind: sectionId === null ? 'SEATS' : 'STANDING',
    seatIds,
    sectionId,
    quantity,
    fence: outcome.fence,
    status: 'ACTIVE',
    expiresAt: new Date(expMs),
    maxExpiresAt: new Date(capMs),
    admissionExpiresAt,
    createdAt: new Date(nowMs),
  };
  const recorded = ctx.journal.write({
    kind: 'insert',
    row: {
      id: hold.id,
      schedule_id: hold.scheduleId,
      performance_id: hold.performanceId,
      seller_id: hold.sellerId,
      user_id: hold.userId,
      kind: hold.kind,
      seat_ids: hold.seatIds,
      section_id: hold.sectionId,
      quantity: hold.quantity,
      fence: hold.fence,
      status: 'ACTIVE',
      expires_at: hold.expiresAt,
      max_expires_at: hold.maxExpiresAt,
      admission_expires_at: hold.admissionExpiresAt,
      created_at: hold.createdAt,
      ended_at: null,
    },
    event: holdEvent('hold.created', hold, hold.createdAt),
  });
  // The slot lives as long as the admission token (±1 s): retaining is needed only past that.
  const retained =
    admissionExpiresAt !== null && expMs <= admissionExpiresAt.getTime() - 1000
      ? undefined
      : ctx.queue.retainAdmission(scheduleId, userId, expMs).catch((err: unknown) => {
          ctx.logger.warn({ err, scheduleId, userId }, 'could not retain the admission slot for a hold');
        });
  try {
    await Promise.all([recorded, retained]);
  } catch (err) {
    ctx.logger.error({ err, holdId, scheduleId }, 'hold not recorded in PostgreSQL; seats given back');
    await ctx.store.release(scheduleId, holdId, userId, 'SYSTEM').catch(() => undefined);
    ctx.stats.holds.inc({ outcome: 'NOT_RECORDED' });
    throw BookingErrors.holdNotRecorded();
  }
  // Redis lost the schedule between the script and the commit: a reload may have read PostgreSQL
  // before this row existed and given the seats to someone else. Refuse rather than acknowledge.
  // (One check per schedule and group commit; the hold → schedule index is written beside it.)
  ctx.store.indexHold(scheduleId, holdId, capMs);
  if (!(await ctx.holdBatch.confirm(scheduleId, holdId))) {
    const at = new Date();
    await ctx.journal
      .write({ kind: 'end', holdId, status: 'RELEASED', at, event: holdEvent('hold.released', hold, at) })
      .catch(() => undefined);
    ctx.stats.holds.inc({ outcome: 'LOST' });
    throw BookingErrors.holdNotRecorded();
  }
  rememberHold(ctx, holdId, scheduleId);
  ctx.stats.holds.inc({ outcome: 'OK' });
  ctx.stats.holdSeconds.observe((performance.now() - started) / 1000);
  return holdView(hold);
}

const RECENT_HOLDS = 100_000;

function rememberHold(ctx: BookingContext, holdId: string, scheduleId: string): void {
  const recent = ctx.recentHolds;
  recent.set(holdId, scheduleId);
  if (recent.size > RECENT_HOLDS) {
    const oldest = recent.keys().next().value;
    if (oldest !== undefined) recent.delete(oldest);
  }
}

function admissionExpiry(token: string): Date | null {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === 'number' ? new Date(exp * 1000) : null;
  } catch {
    return null;
  }
}

async function ownHold(ctx: BookingContext, userId: string, holdId: string): Promise<Hold> {
  const hold = await ctx.holds.find(holdId);
  if (hold === null || hold.userId !== userId) throw BookingErrors.holdNotFound();
  return hold;
}

export async function getHold(ctx: BookingContext, userId: string, holdId: string): Promise<HoldView> {
  return holdView(await ownHold(ctx, userId, holdId));
}

/**
 * DELETE: the seats return at once (Redis first, fenced by the hold id), then the record follows. The
 * hold → schedule index lets this run without a PostgreSQL read; without it (Redis lost it), the record
 * says where the hold is.
 */
export async function releaseHold(
  ctx: BookingContext,
  userId: string,
  holdId: string,
  ip: string,
): Promise<void> {
  // A hold placed by this process: its schedule is known (the pair never changes); else the index.
  const indexed = ctx.recentHolds.get(holdId) ?? (await ctx.store.scheduleOfHold(holdId));
  if (indexed !== null) {
    const outcome = await ctx.holdBatch.release(indexed, { holdId, userId, ip });
    if (outcome.kind === 'LIMITED') throw Errors.rateLimited(1);
    if (outcome.kind === 'ORDERED') throw BookingErrors.holdInOrder(outcome.orderId);
    if (outcome.kind === 'OK') {
      ctx.recentHolds.delete(holdId);
      const r = outcome.hold;
      const hold: Hold = {
        id: holdId,
        scheduleId: indexed,
        performanceId: r.performanceId,
        sellerId: '',
        userId,
        kind: r.kind === 'T' ? 'STANDING' : 'SEATS',
        seatIds: r.seatIds,
        sectionId: r.sectionId,
        quantity: r.quantity,
        fence: r.fence,
        status: 'RELEASED',
        expiresAt: new Date(r.expiresAtMs),
        maxExpiresAt: new Date(r.expiresAtMs),
        admissionExpiresAt: r.admissionExpiresAtMs === null ? null : new Date(r.admissionExpiresAtMs),
        createdAt: new Date(),
      };
      await endRecord(ctx, hold);
      return;
    }
  }
  const hold = await ownHold(ctx, userId, holdId);
  if (hold.status === 'ORDERED') throw BookingErrors.holdInOrder((await ctx.orders.findByHold(holdId))?.id);
  if (hold.status !== 'ACTIVE') return;
  const outcome = await ctx.store.release(hold.scheduleId, holdId, userId, 'USER');
  if (outcome.kind === 'ORDERED') throw BookingErrors.holdInOrder(outcome.orderId);
  await endRecord(ctx, hold);
}

export async function endRecord(ctx: BookingContext, hold: Hold): Promise<void> {
  const at = new Date();
  await ctx.journal.write({
    kind: 'end',
    holdId: hold.id,
    status: 'RELEASED',
    at,
    event: holdEvent('hold.released', hold, at),
  });
  void releaseAdmissionIfDone(ctx, hold, 'EXPIRED');
}

/** Adds time (default: one hold TTL) up to the hold's cap: created + HOLD_TTL + HOLD_MAX_EXTEND. */
export async function extendHold(
  ctx: BookingContext,
  userId: string,
  holdId: string,
  seconds: number | undefined,
): Promise<HoldView> {
  const hold = await ownHold(ctx, userId, holdId);
  if (hold.status === 'ORDERED') throw BookingErrors.holdInOrder((await ctx.orders.findByHold(holdId))?.id);
  if (hold.status !== 'ACTIVE') throw BookingErrors.holdExpired();
  const addMs = (seconds ?? ctx.config.HOLD_TTL_SECONDS) * 1000;
  let outcome = await ctx.store.extend(hold.scheduleId, holdId, userId, addMs);
  if (outcome.kind === 'GONE' && !(await ctx.store.isLoaded(hold.scheduleId))) {
    await ctx.loader.ensure(hold.scheduleId);
    outcome = await ctx.store.extend(hold.scheduleId, holdId, userId, addMs);
  }
  switch (outcome.kind) {
    case 'OK':
      break;
    case 'CAP':
      throw BookingErrors.extendLimit(hold.maxExpiresAt);
    case 'ORDERED':
      throw BookingErrors.holdInOrder();
    default:
      throw BookingErrors.holdExpired();
  }
  const expiresAt = new Date(outcome.expiresAtMs);
  await ctx.journal.write({ kind: 'extend', holdId, expiresAt });
  await ctx.queue.retainAdmission(hold.scheduleId, userId, outcome.expiresAtMs).catch((err: unknown) => {
    ctx.logger.warn({ err, holdId }, 'could not retain the admission slot for an extended hold');
  });
  return holdView({ ...hold, expiresAt });
}

/**
 * Frees the user's admission slot once nothing of theirs lives in the schedule: always after a
 * payment, and after an expiry / release only when the admission's own TTL is over (releasing a hold
 * inside the TTL keeps the admission, per the contract).
 */
export async function releaseAdmissionIfDone(
  ctx: BookingContext,
  hold: Hold,
  reason: 'PAID' | 'EXPIRED',
): Promise<void> {
  try {
    const now = new Date();
    if (reason === 'EXPIRED' && (hold.admissionExpiresAt === null || hold.admissionExpiresAt > now)) return;
    if (await ctx.holds.hasOtherLive(hold.userId, hold.scheduleId, hold.id, now)) return;
    await ctx.queue.releaseAdmission(hold.scheduleId, hold.userId, reason);
  } catch (err) {
    ctx.logger.warn({ err, holdId: hold.id }, 'could not release the admission slot');
  }
}

/** The priced lines of a hold: seat grades and prices from catalog; a standing hold is one line per entry. */
export async function priceHold(ctx: BookingContext, hold: Hold): Promise<OrderLine[]> {
  if (hold.kind === 'SEATS') {
    const seats = await ctx.catalog.getSeats(hold.scheduleId, hold.seatIds);
    const byId = new Map(seats.map((s) => [s.id, s]));
    return hold.seatIds.map((id) => {
      const seat = byId.get(id);
      if (seat === undefined) throw BookingErrors.unknownSeats([id]);
      return { seatId: id, sectionId: seat.sectionId, grade: seat.grade, price: seat.price };
    });
  }
  const section = await ctx.catalog.getStandingSection(hold.scheduleId, hold.sectionId ?? '');
  if (section === null) throw BookingErrors.unknownSection();
  return Array.from({ length: hold.quantity }, () => ({
    seatId: null,
    sectionId: section.sectionId,
    grade: section.grade,
    price: section.price,
  }));
}
