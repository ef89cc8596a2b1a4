interface Waiting<Req, Res> {
  req: Req;
  resolve: (r: Res) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects calls per schedule during one event-loop turn (flushed with setImmediate: no wait beyond the
 * current turn); `run` answers a whole group, in arrival order, with one Redis call.
 */
export class TurnBatcher<Scope extends { scheduleId: string }, Req, Res> {
  readonly #run: (scope: Scope, reqs: readonly Req[]) => Promise<Res[]>;
  readonly #max: number;
  #groups = new Map<string, { scope: Scope; waiting: Waiting<Req, Res>[] }>();
  #scheduled = false;

  constructor(run: (scope: Scope, reqs: readonly Req[]) => Promise<Res[]>, max: number) {
    this.#run = run;
    this.#max = max;
  }

  add(scope: Scope, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      let group = this.#groups.get(scope.scheduleId);
      if (group === undefined) {
        group = { scope, waiting: [] };
        this.#groups.set(scope.scheduleId, group);
      }
      group.waiting.push({ req, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const groups = this.#groups;
    this.#groups = new Map();
    this.#scheduled = false;
    for (const { scope, waiting } of groups.values()) {
      for (let i = 0; i < waiting.length; i += this.#max) {
        const batch = i === 0 && waiting.length <= this.#max ? waiting : waiting.slice(i, i + this.#max);
        this.#run(
          scope,
          batch.map((w) => w.req),
        ).then(
          (results) => {
            for (let j = 0; j < batch.length; j++) batch[j]?.resolve(results[j] as Res);
          },
          (err: unknown) => {
            for (const w of batch) w.reject(err);
          },
        );
      }
    }
  }
}
