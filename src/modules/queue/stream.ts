import type { ServerResponse } from 'node:http';
import type { Metrics } from '../../platform/metrics.ts';
import { duplicateRedis, type Redis } from '../../platform/redis.ts';
import {
  EVENT_STREAM_HEADERS,
  type ReconnectSpread,
  reconnectDelays,
  retryField,
} from '../../platform/sse.ts';
import { etaSeconds } from './eta.ts';
import { admissionToken, isHalted, type QueuePush, type QueueResources, type QueueView } from './service.ts';
import type { BatchView, QueueHeader } from './store.ts';
import { CHUNK, type Client, FULL_MS, headOf, newRoom, type Room } from './stream-room.ts';

/**
 * Server-sent events for the waiting room, built to scale with the number of connected clients N:
 * every api process keeps one room per schedule with ONE timer that, once a second, reads the state of
 * all its connected users in one batch (chunks of 1000 users per Lua call, all in one auto-pipelined
 * round trip; each user costs one ZRANK, O(log n)), so a round costs O(N log n) and no per-client
 * timers or Redis calls exist. Position events go out only when the position went down and at most
 * once a second per client; admitted / paused / closed are pushed through Redis pub/sub at once.
 * A quiet queue costs little: a waiter's position moves only when the queue's head moves (admissions,
 * leaves from the waiting set, the draw, pause/close), so while it stays put a round reads only the
 * clients not known to be waiting (admitted, pre-queue, new) and the head, and the waiters every 10 s.
 * Every event has an `id:`; a `: ping` comment goes out after 10 s of silence. On shutdown `drain()`
 * ends every stream with a jittered `retry:` hint (clients resume elsewhere with Last-Event-ID).
 */
export class QueueStreamHub {
  readonly #r: QueueResources;
  readonly #tickMs: number;
  readonly #pingMs: number;
  readonly #rooms = new Map<string, Room>();
  #sub: Redis | null = null;
  #closed = false;
  readonly #spread: ReconnectSpread;
  readonly #connections: import('prom-client').Gauge<string>;
  readonly #tickSeconds: import('prom-client').Histogram<string>;

  constructor(
    r: QueueResources,
    metrics: Metrics,
    options: { tickMs?: number; pingMs?: number; reconnect?: ReconnectSpread } = {},
  ) {
    this.#r = r;
    this.#spread = options.reconnect ?? {};
    this.#tickMs = options.tickMs ?? 1000;
    this.#pingMs = options.pingMs ?? 10_000;
    this.#connections = metrics.gauge('queue_stream_connections', 'Open waiting-room event streams');
    this.#tickSeconds = metrics.histogram(
      'queue_stream_round_seconds',
      'Time of one position round over all connected clients of a schedule',
      [],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    );
  }

  get connections(): number {
    let n = 0;
    for (const room of this.#rooms.values()) for (const set of room.users.values()) n += set.size;
    return n;
  }

  /** Takes over a hijacked response: headers, the current state, then live updates. */
  attach(
    scheduleId: string,
    userId: string,
    res: ServerResponse,
    lastEventId: number,
    initial: QueueView,
  ): void {
    if (this.#closed) {
      // shutting down: a stream that ends at once with a hint, so the client retries elsewhere
      res.writeHead(200, EVENT_STREAM_HEADERS);
      res.end(retryField(reconnectDelays(1, this.#spread)()));
      return;
    }
    this.#subscribe();
    res.writeHead(200, EVENT_STREAM_HEADERS);
    res.write('retry: 3000\n\n');
    const client: Client = {
      res,
      userId,
      nextId: lastEventId + 1,
      lastPosition: null,
      lastPositionAt: 0,
      lastWrite: Date.now(),
      admittedSent: false,
      paused: initial.paused,
      done: false,
      synced: false,
    };
    let room = this.#rooms.get(scheduleId);
    if (room === undefined) {
      room = newRoom(scheduleId);
      this.#rooms.set(scheduleId, room);
      this.#schedule(room);
    }
    const set = room.users.get(userId) ?? new Set<Client>();
    set.add(client);
    room.users.set(userId, set);
    this.#connections.inc();
    const theRoom = room;
    res.on('close', () => this.#detach(theRoom, client));
    this.#first(client, initial);
  }

  #first(c: Client, v: QueueView): void {
    if (v.paused) this.#send(c, 'paused', { paused: true });
    switch (v.state) {
      case 'WAITING':
        c.lastPosition = v.position;
        c.lastPositionAt = Date.now();
        this.#send(c, 'position', { position: v.position, etaSeconds: v.etaSeconds });
        return;
      case 'PRE_QUEUE':
        this.#send(c, 'position', {
          position: null,
          etaSeconds: null,
          state: 'PRE_QUEUE',
          opensAt: v.opensAt,
        });
        return;
      case 'ADMITTED':
        c.admittedSent = true;
        this.#send(c, 'admitted', { admissionToken: v.admissionToken, expiresAt: v.expiresAt });
        return;
      case 'EXPIRED':
        this.#send(c, 'expired', { ticketNumber: v.ticketNumber });
        this.#end(c);
        return;
      default:
        this.#send(c, 'closed', { reason: v.closedReason ?? 'LEFT' });
        this.#end(c);
        return;
    }
  }

  #send(c: Client, event: string, data: unknown): void {
    this.#sendRaw(c, event, JSON.stringify(data));
  }

  #sendRaw(c: Client, event: string, json: string): void {
    if (c.done) return;
    c.res.write(`id: ${c.nextId}\nevent: ${event}\ndata: ${json}\n\n`);
    c.nextId += 1;
    c.lastWrite = Date.now();
  }

  /** Ends a stream; with `retryMs`, after an SSE `retry:` hint (the client's next reconnect delay). */
  #end(c: Client, retryMs?: number): void {
    if (c.done) return;
    c.done = true;
    if (retryMs === undefined) c.res.end();
    else c.res.end(retryField(retryMs));
  }

  #detach(room: Room, c: Client): void {
    c.done = true;
    const set = room.users.get(c.userId);
    if (set?.delete(c)) this.#connections.dec();
    if (set !== undefined && set.size === 0) room.users.delete(c.userId);
    if (room.users.size === 0 && this.#rooms.get(room.scheduleId) === room) {
      if (room.timer !== null) clearTimeout(room.timer);
      this.#rooms.delete(room.scheduleId);
    }
  }

  /**
   * The next full round, one tick after the last one READ the states (not after it finished writing):
   * writing to tens of thousands of streams takes a good part of a second, and counting from its end
   * would stretch the period to tick + write time. Reads stay ≥ one tick apart, so every client whose
   * position changed is due again (the per-client once-a-second check counts from the read time).
   */
  #schedule(room: Room): void {
    const delay = Math.max(0, this.#tickMs - (Date.now() - room.readAt));
    room.timer = setTimeout(() => {
      room.timer = null;
      void this.#round(room, null);
    }, delay);
  }

  /** One round for the whole room (users = null) or for some of its users (a push). */
  async #round(room: Room, only: string[] | null): Promise<void> {
    const failed = (err: unknown) =>
      this.#r.logger.warn({ err, scheduleId: room.scheduleId }, 'queue stream round failed');
    if (only !== null) {
      // An admission push (a tick's few users) goes out at once, not behind a full round in progress
      // (hundreds of ms with ~20,000 streams): `admittedSent` keeps the two from sending it twice.
      await this.#compute(room, only).catch(failed);
      return;
    }
    if (room.ticking !== null) {
      room.again = true;
      await room.ticking;
      return;
    }
    const started = process.hrtime.bigint();
    room.ticking = this.#compute(room, null)
      .catch(failed)
      .finally(() => {
        room.ticking = null;
      });
    await room.ticking;
    this.#tickSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (this.#rooms.get(room.scheduleId) !== room) return;
    room.again = false;
    if (room.timer === null) this.#schedule(room);
  }

  async #compute(room: Room, only: string[] | null): Promise<void> {
    if (only !== null) {
      const users = only.filter((u) => room.users.has(u));
      if (users.length > 0) await this.#read(room, users);
      return;
    }
    const started = Date.now();
    const waiting: string[] = [];
    const rest: string[] = [];
    for (const [userId, set] of room.users) {
      let synced = true;
      for (const c of set) synced &&= c.synced;
      (synced ? waiting : rest).push(userId);
    }
    const full = room.moving || waiting.length === 0 || started - room.fullAt >= FULL_MS;
    const head = await this.#read(room, full ? [...rest, ...waiting] : rest);
    if (head === null) return;
    room.readAt = Date.now();
    const moved = head !== room.head;
    room.head = head;
    if (full) {
      room.fullAt = started;
      room.moving = moved;
    } else if (moved) {
      room.moving = true;
      room.fullAt = started;
      await this.#read(room, waiting);
    } else {
      for (const userId of waiting) for (const c of room.users.get(userId) ?? []) this.#ping(c, started);
    }
  }

  /**
   * Reads the states of `users` (chunks of 1,000 per Lua call, one pipeline; none: the head only) and
   * writes their events. Returns the queue's head as read, or null when the keys were missing.
   */
  async #read(room: Room, users: string[]): Promise<string | null> {
    const chunks: string[][] = [];
    for (let i = 0; i < users.length; i += CHUNK) chunks.push(users.slice(i, i + CHUNK));
    if (chunks.length === 0) chunks.push([]);
    const views = await Promise.all(chunks.map((chunk) => this.#r.store.states(room.scheduleId, chunk)));
    if (views.some((v) => v === null)) {
      await this.#r.bootstrap.ensure(room.scheduleId);
      return null;
    }
    const now = Date.now();
    const haltAnswer = isHalted(this.#r, room.scheduleId);
    const halted = haltAnswer === true || (haltAnswer !== false && (await haltAnswer));
    const pending: Promise<void>[] = [];
    for (let ci = 0; ci < chunks.length; ci++) {
      // Writing ~20,000 streams takes a few hundred ms of CPU: let an admission push, a request or a
      // ping in between chunks instead of after the whole round (clients gone meanwhile are skipped).
      if (ci > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const view = views[ci] as BatchView;
      (chunks[ci] as string[]).forEach((userId, ui) => {
        const s = view.users[ui];
        const clients = room.users.get(userId);
        if (s === undefined || clients === undefined) return;
        for (const c of clients) {
          const p = this.#apply(room.scheduleId, c, s, view, now, halted);
          if (p !== null) pending.push(p);
        }
      });
    }
    await Promise.all(pending);
    return headOf(views[0] as BatchView, halted);
  }

  #apply(
    scheduleId: string,
    c: Client,
    s: BatchView['users'][number],
    view: BatchView,
    now: number,
    halted: boolean,
  ): Promise<void> | null {
    if (c.done) return null;
    c.synced = false;
    const header: QueueHeader = view.header;
    // Paused by the seller (queue settings) or halted by an operator (sales kill switch).
    const paused = header.paused || halted;
    if (c.paused !== paused) {
      c.paused = paused;
      this.#send(c, 'paused', { paused });
    }
    switch (s.state) {
      case 'WAITING': {
        const position = s.position ?? 1;
        const changed = c.lastPosition === null || position < c.lastPosition;
        if (changed && now - c.lastPositionAt >= 1000 && !c.res.writableNeedDrain) {
          c.lastPosition = position;
          c.lastPositionAt = now;
          // the round's most frequent event, written for each waiter every second: no JSON.stringify
          this.#sendRaw(
            c,
            'position',
            `{"position":${position},"etaSeconds":${etaSeconds(position, header)}}`,
          );
        }
        // a position not sent yet (at most one a second, or a slow reader) keeps it in the next read
        c.synced = c.lastPosition === position;
        break;
      }
      case 'ADMITTED': {
        if (c.admittedSent) break;
        c.admittedSent = true;
        const expiresAtMs = s.expiresAtMs ?? view.now;
        return admissionToken(this.#r, scheduleId, c.userId, s.storedToken, expiresAtMs, view.now).then(
          (token) =>
            this.#send(c, 'admitted', {
              admissionToken: token,
              expiresAt: new Date(expiresAtMs).toISOString(),
            }),
        );
      }
      case 'EXPIRED':
        this.#send(c, 'expired', {});
        this.#end(c);
        return null;
      case 'CLOSED':
        this.#send(c, 'closed', { reason: view.closedReason ?? 'SALES_CLOSED' });
        this.#end(c);
        return null;
      case 'NONE':
        this.#send(c, 'closed', { reason: 'LEFT' });
        this.#end(c);
        return null;
      default:
        break;
    }
    this.#ping(c, now);
    return null;
  }

  #ping(c: Client, now: number): void {
    if (!c.done && now - c.lastWrite >= this.#pingMs) {
      c.res.write(': ping\n\n');
      c.lastWrite = now;
    }
  }

  /** A push from the admitter or a settings change, through Redis pub/sub. */
  onPush(push: QueuePush): void {
    const room = this.#rooms.get(push.s);
    if (room === undefined) return;
    void this.#round(room, push.k === 'admitted' ? push.users : null);
  }

  #subscribe(): void {
    if (this.#sub !== null) return;
    const sub = duplicateRedis(this.#r.redis, { enableAutoPipelining: false });
    this.#sub = sub;
    sub.on('error', (err: Error) => this.#r.logger.warn({ err }, 'queue stream subscriber error'));
    sub.on('message', (_channel: string, message: string) => {
      try {
        this.onPush(JSON.parse(message) as QueuePush);
      } catch (err) {
        this.#r.logger.warn({ err }, 'bad queue push');
      }
    });
    sub
      .subscribe(this.#r.channel)
      .catch((err: unknown) => this.#r.logger.warn({ err }, 'queue subscribe failed'));
  }

  /**
   * Graceful shutdown, before the HTTP server closes (it would otherwise wait for the streams): every
   * stream gets a `retry:` hint with its own jittered delay and ends; streams asked for afterwards end
   * at once with one. Resolves when the ends are written (at most `timeoutMs`), so the server then
   * closes the connections as idle. Returns how many streams were ended.
   */
  async drain(timeoutMs = 5000): Promise<number> {
    this.#closed = true;
    const clients: Client[] = [];
    for (const room of this.#rooms.values()) {
      if (room.timer !== null) clearTimeout(room.timer);
      for (const set of room.users.values()) for (const c of set) if (!c.done) clients.push(c);
    }
    this.#rooms.clear();
    const delay = reconnectDelays(clients.length, this.#spread);
    const finished = clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.res.once('close', resolve);
          c.res.once('finish', resolve);
        }),
    );
    for (const c of clients) this.#end(c, delay());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(finished),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (clients.length > 0) this.#r.logger.info({ streams: clients.length }, 'queue streams drained');
    return clients.length;
  }

  /** Ends every stream (see drain) and the pub/sub subscription. */
  async close(): Promise<void> {
    await this.drain();
    const sub = this.#sub;
    this.#sub = null;
    if (sub !== null) await sub.quit().catch(() => sub.disconnect());
  }
}
