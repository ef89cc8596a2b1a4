import { defineLua, type LuaScript, type Redis } from '../../platform/redis.ts';
import { queueKeys } from './keys.ts';
import {
  ADMIT_LUA,
  CLOSE_LUA,
  CONFIGURE_LUA,
  DRAW_APPLY_LUA,
  DRAW_BEGIN_LUA,
  DRAW_FINISH_LUA,
  REASSERT_LUA,
  RESTORE_ENTRIES_LUA,
  RESTORE_META_LUA,
  STATS_LUA,
} from './lua-admin.ts';
import { JOIN_MANY_LUA, STATUS_MANY_LUA } from './lua-batch.ts';
import {
  ACTIVE_LUA,
  JOIN_LUA,
  LEAVE_LUA,
  PUT_TOKEN_LUA,
  RELEASE_LUA,
  RETAIN_LUA,
  STATES_LUA,
} from './lua-user.ts';

import {
  type AdmitOutcome,
  type Batched,
  type BatchView,
  type CloseReason,
  type EndStatus,
  isFenced,
  isNoInit,
  type JoinOutcome,
  num,
  parseBatch,
  parseStates,
  parseView,
  type QueueLimits,
  type QueueState,
  type Reply,
  str,
  type UserView,
} from './views.ts';

export type {
  AdmitOutcome,
  Batched,
  BatchView,
  CloseReason,
  EndStatus,
  JoinOutcome,
  QueueHeader,
  QueueLimits,
  QueueState,
  UserView,
} from './views.ts';
export { STATE_CODES } from './views.ts';

/** Thrown when a leader script finds another fencing token under the lease key. */
export class FencedError extends Error {}

/**
 * Typed access to the queue's Redis scripts. Methods answer `null` when the queue keys are missing
 * (Redis lost them, or the queue was never opened): the caller rebuilds and retries.
 */
export class QueueStore {
  readonly #s: Record<string, LuaScript<unknown>>;
  readonly #redis: Redis;
  readonly #joinMany: LuaScript<unknown>;
  readonly #statusMany: LuaScript<unknown>;

  /**
   * `batchRedis` runs the batched request-path scripts (JOIN_MANY / STATUS_MANY): a connection without
   * auto-pipelining, as the batcher already sends one call per schedule and event-loop turn; the shared
   * client would wrap each in a pipeline object of its own (ioredis copies every defined script onto
   * each pipeline) and answer through an extra nextTick.
   */
  constructor(redis: Redis, batchRedis: Redis = redis) {
    this.#redis = redis;
    const def = (name: string, lua: string) => defineLua<unknown>(redis, `qtQueue${name}`, 10, lua);
    this.#s = {
      join: def('Join', JOIN_LUA),
      states: def('States', STATES_LUA),
      leave: def('Leave', LEAVE_LUA),
      release: def('Release', RELEASE_LUA),
      retain: def('Retain', RETAIN_LUA),
      active: def('Active', ACTIVE_LUA),
      putToken: def('PutToken', PUT_TOKEN_LUA),
      admit: def('Admit', ADMIT_LUA),
      drawBegin: def('DrawBegin', DRAW_BEGIN_LUA),
      drawApply: def('DrawApply', DRAW_APPLY_LUA),
      drawFinish: def('DrawFinish', DRAW_FINISH_LUA),
      close: def('Close', CLOSE_LUA),
      configure: def('Configure', CONFIGURE_LUA),
      stats: def('Stats', STATS_LUA),
      restoreEntries: def('RestoreEntries', RESTORE_ENTRIES_LUA),
      restoreMeta: def('RestoreMeta', RESTORE_META_LUA),
      reassert: def('Reassert', REASSERT_LUA),
    };
    this.#joinMany = defineLua<unknown>(batchRedis, 'qtQueueJoinMany', 11, JOIN_MANY_LUA);
    this.#statusMany = defineLua<unknown>(batchRedis, 'qtQueueStatusMany', 11, STATUS_MANY_LUA);
  }

  #run(name: string, scheduleId: string, args: readonly (string | number)[]): Promise<unknown> {
    const script = this.#s[name];
    if (script === undefined) throw new Error(`no script ${name}`);
    return script(queueKeys(scheduleId), args);
  }

  async join(scheduleId: string, userId: string): Promise<JoinOutcome | null> {
    const r = (await this.#run('join', scheduleId, [userId])) as Reply;
    if (isNoInit(r)) return null;
    return { ...parseView(r), isNew: r[8] === 1, lapsedTicket: num(r[9]) };
  }

  #batchKeys(scheduleId: string, window: number): string[] {
    return [...queueKeys(scheduleId), `q:{s:${scheduleId}}:rl:${window}`];
  }

  #batchArgs(limits: QueueLimits, pairs: readonly string[]): (string | number)[] {
    return [limits.accountPerSecond, limits.ipPerSecond, 2000, ...pairs];
  }

  /** Joins of many users (pairs userId, ip) in order, with the per-account and per-address limits. */
  async joinMany(
    scheduleId: string,
    window: number,
    limits: QueueLimits,
    pairs: readonly string[],
  ): Promise<Batched<JoinOutcome>[] | null> {
    const r = (await this.#joinMany(
      this.#batchKeys(scheduleId, window),
      this.#batchArgs(limits, pairs),
    )) as Reply;
    return parseBatch(r, true) as Batched<JoinOutcome>[] | null;
  }

  /** States of many users (pairs userId, ip), with the per-account and per-address limits. */
  async statusMany(
    scheduleId: string,
    window: number,
    limits: QueueLimits,
    pairs: readonly string[],
  ): Promise<Batched<UserView>[] | null> {
    const r = (await this.#statusMany(
      this.#batchKeys(scheduleId, window),
      this.#batchArgs(limits, pairs),
    )) as Reply;
    return parseBatch(r, false);
  }

  /** The stream round's read: the state of every listed user (STATES_LUA), null when keys are missing. */
  async states(scheduleId: string, userIds: readonly string[]): Promise<BatchView | null> {
    return parseStates((await this.#run('states', scheduleId, userIds)) as Reply);
  }

  /** What the user left (state before), or NONE; null when the keys are missing. */
  async leave(
    scheduleId: string,
    userId: string,
  ): Promise<{ was: QueueState; ticket: number | null; now: number } | null> {
    const r = (await this.#run('leave', scheduleId, [userId])) as Reply;
    if (isNoInit(r)) return null;
    return { was: r[0] as QueueState, ticket: num(r[1]), now: Number(r[2] ?? Date.now()) };
  }

  async release(
    scheduleId: string,
    userId: string,
    status: EndStatus,
  ): Promise<{ ticket: number; now: number } | false | null> {
    const r = (await this.#run('release', scheduleId, [userId, status])) as Reply | null;
    if (isNoInit(r)) return null;
    if (r === null) return false;
    return { ticket: Number(r[0]), now: Number(r[1]) };
  }

  async retain(
    scheduleId: string,
    userId: string,
    untilMs: number,
  ): Promise<{ ticket: number; expiresAtMs: number } | null> {
    const r = (await this.#run('retain', scheduleId, [userId, Math.floor(untilMs)])) as Reply | null;
    return r === null ? null : { ticket: Number(r[0]), expiresAtMs: Number(r[1]) };
  }

  /** true live slot, false none, null keys missing. */
  async isActive(scheduleId: string, userId: string): Promise<boolean | null> {
    const r = Number(await this.#run('active', scheduleId, [userId]));
    return r === -1 ? null : r === 1;
  }

  async putToken(scheduleId: string, userId: string, stored: string): Promise<void> {
    await this.#run('putToken', scheduleId, [userId, stored]);
  }

  async admit(
    scheduleId: string,
    fence: string,
    measuredRate: number,
    maxPerTick: number,
  ): Promise<AdmitOutcome | null> {
    const r = (await this.#run('admit', scheduleId, [
      fence,
      measuredRate.toFixed(3),
      maxPerTick,
      1000,
    ])) as Reply;
    if (isFenced(r)) throw new FencedError(`fenced out of ${scheduleId}`);
    if (isNoInit(r)) return null;
    const flags = Number(r[6]);
    const expiredFlat = r[7] as string[];
    const admittedFlat = r[8] as (string | number)[];
    const expired: AdmitOutcome['expired'] = [];
    for (let i = 0; i < expiredFlat.length; i += 2)
      expired.push({ userId: String(expiredFlat[i]), ticket: Number(expiredFlat[i + 1]) });
    const admitted: AdmitOutcome['admitted'] = [];
    for (let i = 0; i < admittedFlat.length; i += 3) {
      admitted.push({
        userId: String(admittedFlat[i]),
        ticket: Number(admittedFlat[i + 1]),
        expiresAtMs: Number(admittedFlat[i + 2]),
      });
    }
    return {
      now: Number(r[1]),
      waiting: Number(r[2]),
      preQueue: Number(r[3]),
      active: Number(r[4]),
      admittedTotal: Number(r[5]),
      needsDraw: (flags & 1) !== 0,
      pastClose: (flags & 2) !== 0,
      closed: (flags & 4) !== 0,
      paused: (flags & 8) !== 0,
      expired,
      admitted,
    };
  }

  /** The pre-queue (user, ticket) when a draw is due; 'DONE' / 'EARLY'; null when keys are missing. */
  async drawBegin(
    scheduleId: string,
    fence: string,
  ): Promise<{ userId: string; ticket: number }[] | 'DONE' | 'EARLY' | null> {
    const r = (await this.#run('drawBegin', scheduleId, [fence])) as Reply;
    if (isFenced(r)) throw new FencedError(`fenced out of ${scheduleId}`);
    if (isNoInit(r)) return null;
    if (r[0] !== 'GO') return r[0] as 'DONE' | 'EARLY';
    const flat = r[1] as string[];
    const out: { userId: string; ticket: number }[] = [];
    for (let i = 0; i < flat.length; i += 2)
      out.push({ userId: String(flat[i]), ticket: Number(flat[i + 1]) });
    return out;
  }

  async drawApply(scheduleId: string, fence: string, pairs: readonly (string | number)[]): Promise<number> {
    const r = (await this.#run('drawApply', scheduleId, [fence, ...pairs])) as Reply;
    if (isFenced(r)) throw new FencedError(`fenced out of ${scheduleId}`);
    return Number(r[1]);
  }

  async drawFinish(scheduleId: string, fence: string): Promise<number> {
    const r = (await this.#run('drawFinish', scheduleId, [fence])) as Reply;
    if (isFenced(r)) throw new FencedError(`fenced out of ${scheduleId}`);
    return Number(r[1]);
  }

  /** true when this call closed it, false when it already was, null when keys are missing. */
  async close(scheduleId: string, reason: CloseReason): Promise<boolean | null> {
    const r = await this.#run('close', scheduleId, [reason]);
    if (isNoInit(r)) return null;
    return Number(r) === 1;
  }

  async configure(scheduleId: string, fields: Record<string, string | number>): Promise<boolean> {
    const args = Object.entries(fields).flat();
    const r = await this.#run('configure', scheduleId, args);
    return !isNoInit(r);
  }

  async stats(scheduleId: string) {
    const r = (await this.#run('stats', scheduleId, [])) as Reply;
    if (isNoInit(r)) return null;
    return {
      waiting: Number(r[0]),
      preQueue: Number(r[1]),
      active: Number(r[2]),
      admittedTotal: Number(r[3]),
      admitPerSecond: Number(r[4]),
      maxActive: Number(r[5]),
      paused: r[6] === '1',
      closed: str(r[7]) as CloseReason | null,
      measuredAdmitPerSecond: Number(r[8]),
      admissionTtlSeconds: Number(r[9]),
    };
  }

  /** -1 lock lost, -2 meta appeared (someone else rebuilt), 1 written. */
  async restoreEntries(
    scheduleId: string,
    lockToken: string,
    groups: readonly (string | number)[],
  ): Promise<number> {
    return Number(await this.#run('restoreEntries', scheduleId, [lockToken, ...groups]));
  }

  async restoreMeta(
    scheduleId: string,
    lockToken: string,
    fields: Record<string, string | number>,
  ): Promise<number> {
    return Number(await this.#run('restoreMeta', scheduleId, [lockToken, ...Object.entries(fields).flat()]));
  }

  /** The current epoch of the queue's meta hash (null when the keys are missing). */
  async epoch(scheduleId: string): Promise<string | null> {
    return this.#redis.hget(queueKeys(scheduleId)[0] as string, 'init');
  }

  /** Re-adds journaled joins a rebuild could not see; -1 keys missing, 0 same epoch, else added. */
  async reassert(scheduleId: string, epoch: string, triples: readonly (string | number)[]): Promise<number> {
    return Number(await this.#run('reassert', scheduleId, [epoch, ...triples]));
  }
}
