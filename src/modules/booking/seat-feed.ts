import type { ServerResponse } from 'node:http';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { duplicateRedis, type Redis } from '../../platform/redis.ts';
import { reconnectDelays, retryField } from '../../platform/sse.ts';
import { seatChannel } from './redis/seat-store.ts';

type SeatStatus = 'AVAILABLE' | 'HELD' | 'SOLD';
const STATUS_OF: Record<string, SeatStatus> = { H: 'HELD', A: 'AVAILABLE', S: 'SOLD' };

/** At most 4 events a second per schedule (contract). */
const MIN_GAP_MS = 250;
const PING_MS = 15_000;
/** A client this far behind (bytes buffered) is dropped; its EventSource reconnects and gets a snapshot. */
const MAX_BUFFERED = 1 << 20;

interface Client {
  res: ServerResponse;
  ready: boolean;
  backlog: string[];
}

interface Feed {
  scheduleId: string;
  channel: string;
  clients: Set<Client>;
  seats: Map<number, SeatStatus>;
  standing: Map<string, number | null>;
  lastFlush: number;
  timer: NodeJS.Timeout | null;
}

export type Snapshot = () => Promise<Map<number, 'HELD' | 'SOLD'>>;

/**
 * The public seat stream. One Redis subscriber connection per process, one channel per schedule
 * (the seat scripts PUBLISH every change atomically with it); changes are merged per seat and
 * flushed at most every 250 ms to every local client of the schedule, so a hot schedule costs one
 * fan-out per process, not one per client. A new client first gets a `snapshot` event (seats not
 * AVAILABLE), then `seats` events `{changes:[{id, status}]}`; every event has an id.
 */
export class SeatFeed {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #clientsGauge: ReturnType<Metrics['gauge']>;
  readonly #feeds = new Map<string, Feed>();
  #sub: Redis | null = null;
  #ping: NodeJS.Timeout | null = null;
  #seq = 0;
  #closed = false;

  constructor(redis: Redis, prefix: string, logger: Logger, metrics: Metrics) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#logger = logger;
    this.#clientsGauge = metrics.gauge('booking_seat_stream_clients', 'open seat-stream connections');
  }

  /** Streams to `res` until the client goes away. */
  async attach(scheduleId: string, res: ServerResponse, snapshot: Snapshot): Promise<void> {
    if (this.#closed) {
      res.end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const client: Client = { res, ready: false, backlog: [] };
    let feed: Feed | null = null;
    let gone = false;
    res.on('close', () => {
      gone = true;
      if (feed !== null) this.#leave(feed, client);
    });
    try {
      feed = await this.#join(scheduleId, client);
    } catch (err) {
      this.#logger.warn({ err, scheduleId }, 'seat stream could not subscribe');
      res.end();
      return;
    }
    if (gone) {
      this.#leave(feed, client);
      return;
    }
    try {
      const seats = await snapshot();
      const list = [...seats].map(([id, status]) => ({ id, status }));
      this.#write(client, this.#event('snapshot', { seats: list }));
      for (const chunk of client.backlog) this.#write(client, chunk);
      client.backlog = [];
      client.ready = true;
    } catch (err) {
      this.#logger.warn({ err, scheduleId }, 'seat stream snapshot failed');
      res.end();
    }
  }

  /** Shutdown: every stream ends with a jittered `retry:` hint (the client reconnects elsewhere, gets a snapshot). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#ping !== null) clearInterval(this.#ping);
    let count = 0;
    for (const feed of this.#feeds.values()) count += feed.clients.size;
    const delay = reconnectDelays(count);
    for (const feed of this.#feeds.values()) {
      if (feed.timer !== null) clearTimeout(feed.timer);
      for (const c of feed.clients) c.res.end(retryField(delay()));
    }
    this.#feeds.clear();
    const sub = this.#sub;
    this.#sub = null;
    if (sub !== null) await sub.quit().catch(() => sub.disconnect());
  }

  async #join(scheduleId: string, client: Client): Promise<Feed> {
    const channel = seatChannel(this.#prefix, scheduleId);
    let feed = this.#feeds.get(channel);
    if (feed === undefined) {
      feed = {
        scheduleId,
        channel,
        clients: new Set(),
        seats: new Map(),
        standing: new Map(),
        lastFlush: 0,
        timer: null,
      };
      this.#feeds.set(channel, feed);
      feed.clients.add(client);
      try {
        await this.#subscriber().subscribe(channel);
      } catch (err) {
        feed.clients.delete(client);
        if (this.#feeds.get(channel) === feed && feed.clients.size === 0) this.#feeds.delete(channel);
        throw err;
      }
    } else {
      feed.clients.add(client);
    }
    this.#clientsGauge.inc();
    return feed;
  }

  #leave(feed: Feed, client: Client): void {
    if (!feed.clients.delete(client)) return;
    this.#clientsGauge.dec();
    if (feed.clients.size > 0 || this.#feeds.get(feed.channel) !== feed) return;
    this.#feeds.delete(feed.channel);
    if (feed.timer !== null) clearTimeout(feed.timer);
    void this.#sub?.unsubscribe(feed.channel).catch(() => undefined);
  }

  #subscriber(): Redis {
    if (this.#sub !== null) return this.#sub;
    const sub = duplicateRedis(this.#redis, { enableAutoPipelining: false });
    sub.on('error', (err: Error) => this.#logger.warn({ err }, 'seat stream subscriber error'));
    sub.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
    this.#sub = sub;
    this.#ping = setInterval(() => this.#pingAll(), PING_MS);
    this.#ping.unref();
    return sub;
  }

  #onMessage(channel: string, message: string): void {
    const feed = this.#feeds.get(channel);
    if (feed === undefined) return;
    const [kind = '', a = '', b = ''] = message.split('|');
    if (kind === 'T') {
      feed.standing.set(a, b === '' ? null : Number(b));
    } else {
      const status = STATUS_OF[kind];
      if (status === undefined || a === '') return;
      for (const id of a.split(',')) feed.seats.set(Number(id), status);
    }
    if (feed.timer === null) {
      const wait = Math.max(0, feed.lastFlush + MIN_GAP_MS - Date.now());
      feed.timer = setTimeout(() => this.#flush(feed), wait);
    }
  }

  #flush(feed: Feed): void {
    feed.timer = null;
    feed.lastFlush = Date.now();
    if (feed.seats.size === 0 && feed.standing.size === 0) return;
    const changes = [...feed.seats].map(([id, status]) => ({ id, status }));
    const standing = [...feed.standing].map(([sectionId, available]) => ({ sectionId, available }));
    feed.seats.clear();
    feed.standing.clear();
    const chunk = this.#event('seats', standing.length > 0 ? { changes, standing } : { changes });
    for (const c of feed.clients) {
      if (c.ready) this.#write(c, chunk);
      else c.backlog.push(chunk);
    }
  }

  #event(type: string, data: unknown): string {
    this.#seq = (this.#seq + 1) % 1_000_000;
    return `id: ${Date.now()}-${this.#seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  #write(client: Client, chunk: string): void {
    if (client.res.writableEnded) return;
    if (client.res.writableLength > MAX_BUFFERED) {
      client.res.end();
      return;
    }
    client.res.write(chunk);
  }

  #pingAll(): void {
    for (const feed of this.#feeds.values()) for (const c of feed.clients) this.#write(c, ': ping\n\n');
  }
}
