/**
 * Reconnect hints for server-sent event streams a process ends on purpose (graceful shutdown).
 *
 * Each stream gets an SSE `retry:` field (the client's reconnection delay, ms; EventSource honours it
 * natively) just before it ends, each with its own random delay: the clients of a process that held
 * 19,000 streams come back spread over several seconds (about `perSecond` a second) to the processes
 * left, not all in the same millisecond. They resume with `Last-Event-ID`.
 */
export interface ReconnectSpread {
  /** The shortest delay (ms): the load balancer has taken this process out by then. */
  minMs?: number;
  /** Reconnections a second the spread aims at; the window grows with the number of streams. */
  perSecond?: number;
  /** The window never shrinks below this (ms)... */
  minSpreadMs?: number;
  /** ...nor grows beyond this (ms). */
  maxSpreadMs?: number;
}

/** A source of jittered delays for `count` streams: uniform in [minMs, minMs + window). */
export function reconnectDelays(count: number, spread: ReconnectSpread = {}): () => number {
  const minMs = spread.minMs ?? 1000;
  const perSecond = spread.perSecond ?? 2000;
  const window = Math.min(
    spread.maxSpreadMs ?? 30_000,
    Math.max(spread.minSpreadMs ?? 2000, (count / perSecond) * 1000),
  );
  return () => minMs + Math.floor(Math.random() * window);
}

/** The SSE `retry:` field as its own block (dispatches no event). */
export const retryField = (ms: number): string => `retry: ${Math.max(0, Math.round(ms))}\n\n`;

/** Headers of an event stream (no buffering by proxies). */
export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;
