import { useEffect, useState } from 'react';
import type { StandingView } from '../api/types.ts';
import type { SeatMapModel } from './model.ts';

type Change = { id: number; status: string };
type StandingChange = { sectionId: string; available: number | null };

/**
 * Follows `GET /schedules/{id}/seats/stream`: a `snapshot` (every seat not available) on each
 * (re)connect, then batched `seats` changes. Mutates the model in place and returns a version
 * number that changes with it, plus live standing counts. `live` says whether the stream is open.
 */
export function useSeatStream(
  scheduleId: string,
  model: SeatMapModel | null,
  onStanding?: (changes: StandingChange[]) => void,
): { version: number; live: boolean } {
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(false);
  useEffect(() => {
    if (model === null || typeof EventSource === 'undefined') return;
    const es = new EventSource(`/api/v1/schedules/${scheduleId}/seats/stream`);
    const parse = (e: MessageEvent<string>) => {
      try {
        return JSON.parse(e.data) as { seats?: Change[]; changes?: Change[]; standing?: StandingChange[] };
      } catch {
        return {};
      }
    };
    es.addEventListener('snapshot', (e: MessageEvent<string>) => {
      model.resetTo(parse(e).seats ?? []);
      setVersion(model.version);
    });
    es.addEventListener('seats', (e: MessageEvent<string>) => {
      const data = parse(e);
      if (model.apply(data.changes ?? [])) setVersion(model.version);
      if (data.standing && data.standing.length > 0) onStanding?.(data.standing);
    });
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    return () => es.close();
  }, [scheduleId, model, onStanding]);
  return { version, live };
}

export function applyStanding(list: StandingView[], changes: StandingChange[]): StandingView[] {
  return list.map((s) => {
    const change = changes.find((c) => c.sectionId === s.sectionId);
    return change && change.available !== null ? { ...s, available: change.available } : s;
  });
}
