import { useCallback, useEffect, useRef, useState } from 'react';
import { freshAccessToken } from '../api/client.ts';
import { joinQueue, leaveQueue, queueMe, queueStreamUrl } from '../api/queue.ts';
import type { QueueState, QueueView } from '../api/types.ts';
import { withRetry } from '../lib/hooks.ts';
import { saveAdmission } from './admission.ts';

export type LiveMode = 'connecting' | 'stream' | 'polling';

export interface QueueModel {
  view: QueueView | null;
  /** the first position seen, for the progress bar */
  startPosition: number | null;
  mode: LiveMode;
  error: unknown;
  leave(): Promise<void>;
  rejoin(): void;
}

const FINAL: QueueState[] = ['ADMITTED', 'CLOSED', 'EXPIRED', 'NONE'];
/** How long a natively reconnecting stream may take (the server's hints stay under ~30 s) before polling. */
const STREAM_GRACE_MS = 35_000;
/** `ms` spread over [ms/2, 3ms/2). */
const jitter = (ms: number) => Math.round(ms * (0.5 + Math.random()));

/**
 * Joins the waiting room of a schedule and follows it live: an EventSource on the queue stream
 * (`?access_token=`, resumed with `lastEventId`), polling `queue/me` whenever the stream is down.
 * The place belongs to the account, so a refreshed access token simply reconnects to it.
 *
 * A stream the server ends on purpose (an api process shutting down) carries an SSE `retry:` hint with
 * a jittered delay: the browser reconnects by itself after that delay (sending Last-Event-ID), so the
 * hook leaves a CONNECTING EventSource alone and polls only if it is not back within STREAM_GRACE_MS.
 * Every delay of its own is jittered too: thousands of clients dropped at once must not come back at
 * once.
 */
export function useQueue(scheduleId: string): QueueModel {
  const [view, setView] = useState<QueueView | null>(null);
  const [startPosition, setStart] = useState<number | null>(null);
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [error, setError] = useState<unknown>();
  const [round, setRound] = useState(0);
  const viewRef = useRef<QueueView | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` restarts the whole lifecycle
  useEffect(() => {
    let stopped = false;
    let source: EventSource | null = null;
    let pollTimer: ReturnType<typeof setTimeout> | null = null;
    let reopenTimer: ReturnType<typeof setTimeout> | null = null;
    let graceTimer: ReturnType<typeof setTimeout> | null = null;
    let failures = 0;
    let lastEventId = '';
    let streaming = false;

    const apply = (patch: Partial<QueueView>) => {
      const base: QueueView = viewRef.current ?? {
        state: 'WAITING',
        ticketNumber: null,
        position: null,
        etaSeconds: null,
        paused: false,
      };
      const next = { ...base, ...patch };
      viewRef.current = next;
      setView(next);
      const position = next.position;
      if (typeof position === 'number') setStart((s) => (s === null || position > s ? position : s));
      if (next.state === 'ADMITTED' && next.admissionToken && next.expiresAt)
        saveAdmission(scheduleId, { token: next.admissionToken, expiresAt: next.expiresAt });
      if (FINAL.includes(next.state)) stop();
    };

    const stop = () => {
      stopped = true;
      source?.close();
      if (pollTimer !== null) clearTimeout(pollTimer);
      if (reopenTimer !== null) clearTimeout(reopenTimer);
      if (graceTimer !== null) clearTimeout(graceTimer);
    };

    const poll = async () => {
      pollTimer = null;
      if (stopped) return;
      try {
        const v = await queueMe(scheduleId);
        apply(v);
        setError(undefined);
        if (stopped || streaming) return;
        pollTimer = setTimeout(poll, jitter(Math.min(5, Math.max(1, v.pollAfterSeconds ?? 2)) * 1000));
      } catch (err) {
        setError(err);
        pollTimer = setTimeout(poll, jitter(5000));
      }
    };

    const startPolling = () => {
      setMode('polling');
      if (pollTimer === null) pollTimer = setTimeout(poll, jitter(2000));
    };

    const open = async () => {
      if (stopped) return;
      if (typeof EventSource === 'undefined') return startPolling();
      const token = await freshAccessToken();
      if (token === null || stopped) return startPolling();
      const url =
        queueStreamUrl(scheduleId, token) +
        (lastEventId ? `&lastEventId=${encodeURIComponent(lastEventId)}` : '');
      const es = new EventSource(url);
      source = es;
      const on = (type: string, handle: (data: Record<string, unknown>, e: MessageEvent<string>) => void) =>
        es.addEventListener(type, (e: MessageEvent<string>) => {
          if (e.lastEventId) lastEventId = e.lastEventId;
          try {
            handle(JSON.parse(e.data) as Record<string, unknown>, e);
          } catch {
            // a malformed event is skipped; the next one or a poll brings the truth
          }
        });
      es.onopen = () => {
        failures = 0;
        streaming = true;
        setMode('stream');
        if (pollTimer !== null) clearTimeout(pollTimer);
        pollTimer = null;
        if (graceTimer !== null) clearTimeout(graceTimer);
        graceTimer = null;
      };
      on('position', (d) => {
        const position = typeof d.position === 'number' ? d.position : null;
        const state =
          (d.state as QueueState | undefined) ?? (position === null ? viewRef.current?.state : 'WAITING');
        apply({
          position,
          etaSeconds: typeof d.etaSeconds === 'number' ? d.etaSeconds : null,
          state: state ?? 'WAITING',
          ...(typeof d.opensAt === 'string' ? { opensAt: d.opensAt } : {}),
        });
      });
      on('paused', (d) => apply({ paused: d.paused === true }));
      on('admitted', (d) =>
        apply({
          state: 'ADMITTED',
          position: null,
          admissionToken: String(d.admissionToken),
          expiresAt: String(d.expiresAt),
        }),
      );
      on('closed', (d) => apply({ state: 'CLOSED', closedReason: String(d.reason ?? '') }));
      on('expired', () => apply({ state: 'EXPIRED' }));
      es.onerror = () => {
        if (stopped) return;
        streaming = false;
        if (es.readyState === EventSource.CONNECTING) {
          // The stream ended (e.g. its server shut down, with a `retry:` hint): the browser reconnects
          // after the hint with Last-Event-ID. Poll only if it stays away.
          graceTimer ??= setTimeout(() => {
            graceTimer = null;
            if (!streaming && !stopped) startPolling();
          }, jitter(STREAM_GRACE_MS));
          return;
        }
        // Refused (an expired token answers 401) or unreachable: the browser gave up. Poll meanwhile,
        // then reopen with a fresh token, backing off with jitter.
        es.close();
        failures += 1;
        startPolling();
        reopenTimer = setTimeout(() => void open(), jitter(Math.min(30_000, 1000 * 2 ** failures)));
      };
    };

    viewRef.current = null;
    setView(null);
    setStart(null);
    setMode('connecting');
    withRetry(() => joinQueue(scheduleId)).then(
      (v) => {
        if (stopped) return;
        apply(v);
        if (!stopped) void open();
      },
      (err: unknown) => {
        setError(err);
        stopped = true;
      },
    );
    return stop;
  }, [scheduleId, round]);

  const leave = useCallback(async () => {
    await leaveQueue(scheduleId);
    const left: QueueView = {
      state: 'NONE',
      ticketNumber: null,
      position: null,
      etaSeconds: null,
      paused: false,
    };
    viewRef.current = left;
    setView(left);
  }, [scheduleId]);

  const rejoin = useCallback(() => {
    setError(undefined);
    setRound((n) => n + 1);
  }, []);

  return { view, startPosition, mode, error, leave, rejoin };
}
