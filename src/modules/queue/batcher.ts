import type { Batched, JoinOutcome, QueueLimits, QueueStore, UserView } from './store.ts';

export type { Batched, QueueLimits };

interface Item<T> {
  userId: string;
  ip: string;
  resolve: (value: Batched<T>) => void;
  reject: (err: unknown) => void;
}

interface Pending {
  joins: Item<JoinOutcome>[];
  reads: Item<UserView>[];
}

const MAX_BATCH = 500;

/**
 * Coalesces the joins and polls that reach this process in one event-loop turn into one script call
 * per schedule (JOIN_MANY / STATUS_MANY), flushed with setImmediate: no added wait beyond the current
 * turn, each answer computed in Redis after its request arrived, in arrival order (first come, first
 * served holds within a batch too). Under load a batch holds tens of requests, so the client-library
 * work and socket writes per request shrink by that factor — the hot path's main cost.
 */
export class QueueBatcher {
  readonly #store: QueueStore;
  readonly #limits: QueueLimits;
  #pending = new Map<string, Pending>();
  #scheduled = false;

  constructor(store: QueueStore, limits: QueueLimits) {
    this.#store = store;
    this.#limits = limits;
  }

  join(scheduleId: string, userId: string, ip: string): Promise<Batched<JoinOutcome>> {
    return new Promise((resolve, reject) => {
      this.#slot(scheduleId).joins.push({ userId, ip, resolve, reject });
    });
  }

  status(scheduleId: string, userId: string, ip: string): Promise<Batched<UserView>> {
    return new Promise((resolve, reject) => {
      this.#slot(scheduleId).reads.push({ userId, ip, resolve, reject });
    });
  }

  #slot(scheduleId: string): Pending {
    let p = this.#pending.get(scheduleId);
    if (p === undefined) {
      p = { joins: [], reads: [] };
      this.#pending.set(scheduleId, p);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    return p;
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = new Map();
    this.#scheduled = false;
    const window = Math.floor(Date.now() / 1000);
    for (const [scheduleId, p] of pending) {
      for (let i = 0; i < p.joins.length; i += MAX_BATCH) {
        const items = p.joins.slice(i, i + MAX_BATCH);
        settle(items, this.#store.joinMany(scheduleId, window, this.#limits, pairs(items)));
      }
      for (let i = 0; i < p.reads.length; i += MAX_BATCH) {
        const items = p.reads.slice(i, i + MAX_BATCH);
        settle(items, this.#store.statusMany(scheduleId, window, this.#limits, pairs(items)));
      }
    }
  }
}

const pairs = (items: readonly { userId: string; ip: string }[]) => items.flatMap((it) => [it.userId, it.ip]);

function settle<T>(items: Item<T>[], call: Promise<Batched<T>[] | null>): void {
  call.then(
    (results) => {
      items.forEach((it, i) => {
        it.resolve(results === null ? null : (results[i] ?? null));
      });
    },
    (err: unknown) => {
      for (const it of items) it.reject(err);
    },
  );
}
