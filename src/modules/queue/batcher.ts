import type { Batched, JoinOutcome, QueueLimits, QueueStore, UserView } from './store.ts';

export type { Batched, QueueLimits };

/** Node-style callback of one batched request: an error, or the request's own answer. */
export type BatchCallback<T> = (err: unknown, value: Batched<T>) => void;

interface Pending {
  joins: string[];
  joinCallbacks: BatchCallback<JoinOutcome>[];
  reads: string[];
  readCallbacks: BatchCallback<UserView>[];
}

const MAX_BATCH = 500;

/**
 * Coalesces the joins and polls that reach this process in one event-loop turn into one script call
 * per schedule (JOIN_MANY / STATUS_MANY), flushed with setImmediate: no added wait beyond the current
 * turn, each answer computed in Redis after its request arrived, in arrival order (first come, first
 * served holds within a batch too). Under load a batch holds tens of requests, so the client-library
 * work and socket writes per request shrink by that factor — the hot path's main cost.
 *
 * Answers go to callbacks (`joinCb` / `statusCb`), called straight from the reply's parse: the request
 * path adds no promise per request (`join` / `status` wrap them for callers that want one).
 */
export class QueueBatcher {
  readonly #store: QueueStore;
  readonly #limits: QueueLimits;
  readonly #onCallbackError: (err: unknown) => void;
  readonly #observeBatch: (kind: 'join' | 'status', size: number) => void;
  #pending = new Map<string, Pending>();
  #last: { scheduleId: string; pending: Pending } | null = null;
  #scheduled = false;

  /**
   * `onCallbackError`: a callback threw (a bug): reported there, the batch's other callbacks still run.
   * `observeBatch`: the size of every script call (requests per batch), for the metrics.
   */
  constructor(
    store: QueueStore,
    limits: QueueLimits,
    hooks: {
      onCallbackError: (err: unknown) => void;
      observeBatch?: (kind: 'join' | 'status', size: number) => void;
    },
  ) {
    this.#store = store;
    this.#limits = limits;
    this.#onCallbackError = hooks.onCallbackError;
    this.#observeBatch = hooks.observeBatch ?? (() => {});
  }

  joinCb(scheduleId: string, userId: string, ip: string, done: BatchCallback<JoinOutcome>): void {
    const p = this.#slot(scheduleId);
    p.joins.push(userId, ip);
    p.joinCallbacks.push(done);
  }

  statusCb(scheduleId: string, userId: string, ip: string, done: BatchCallback<UserView>): void {
    const p = this.#slot(scheduleId);
    p.reads.push(userId, ip);
    p.readCallbacks.push(done);
  }

  join(scheduleId: string, userId: string, ip: string): Promise<Batched<JoinOutcome>> {
    return new Promise((resolve, reject) => {
      this.joinCb(scheduleId, userId, ip, (err, value) => (err === null ? resolve(value) : reject(err)));
    });
  }

  status(scheduleId: string, userId: string, ip: string): Promise<Batched<UserView>> {
    return new Promise((resolve, reject) => {
      this.statusCb(scheduleId, userId, ip, (err, value) => (err === null ? resolve(value) : reject(err)));
    });
  }

  #slot(scheduleId: string): Pending {
    // one schedule on sale is the usual case: compare with the last one before hashing the id
    if (this.#last !== null && this.#last.scheduleId === scheduleId) return this.#last.pending;
    let p = this.#pending.get(scheduleId);
    if (p === undefined) {
      p = { joins: [], joinCallbacks: [], reads: [], readCallbacks: [] };
      this.#pending.set(scheduleId, p);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    this.#last = { scheduleId, pending: p };
    return p;
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = new Map();
    this.#last = null;
    this.#scheduled = false;
    const window = Math.floor(Date.now() / 1000);
    for (const [scheduleId, p] of pending) {
      for (let i = 0; i < p.joinCallbacks.length; i += MAX_BATCH) {
        const pairs = slicePairs(p.joins, i, p.joinCallbacks.length);
        const callbacks = sliceCallbacks(p.joinCallbacks, i);
        this.#observeBatch('join', callbacks.length);
        this.#settle(callbacks, this.#store.joinMany(scheduleId, window, this.#limits, pairs));
      }
      for (let i = 0; i < p.readCallbacks.length; i += MAX_BATCH) {
        const pairs = slicePairs(p.reads, i, p.readCallbacks.length);
        const callbacks = sliceCallbacks(p.readCallbacks, i);
        this.#observeBatch('status', callbacks.length);
        this.#settle(callbacks, this.#store.statusMany(scheduleId, window, this.#limits, pairs));
      }
    }
  }

  #settle<T>(callbacks: BatchCallback<T>[], call: Promise<Batched<T>[] | null>): void {
    const each = (answer: (done: BatchCallback<T>, i: number) => void) => {
      for (let i = 0; i < callbacks.length; i++) {
        try {
          answer(callbacks[i] as BatchCallback<T>, i);
        } catch (err) {
          this.#onCallbackError(err);
        }
      }
    };
    call.then(
      (results) => each((done, i) => done(null, results === null ? null : (results[i] ?? null))),
      (err: unknown) => each((done) => done(err ?? new Error('queue batch failed'), null)),
    );
  }
}

const slicePairs = (pairs: string[], from: number, count: number): string[] =>
  from === 0 && count <= MAX_BATCH ? pairs : pairs.slice(2 * from, 2 * (from + MAX_BATCH));

const sliceCallbacks = <T>(callbacks: T[], from: number): T[] =>
  from === 0 && callbacks.length <= MAX_BATCH ? callbacks : callbacks.slice(from, from + MAX_BATCH);
