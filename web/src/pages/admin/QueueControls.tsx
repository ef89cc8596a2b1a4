import { useEffect, useState } from 'react';
import { updateQueue } from '../../api/queue.ts';
import type { QueueStats } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { NumberField } from '../../components/Field.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { useAction } from '../../lib/useAction.ts';

/** Pause / resume and the admission rate and cap of one schedule's queue. */
export function QueueControls({
  scheduleId,
  stats,
  onChanged,
}: {
  scheduleId: string;
  stats: QueueStats;
  onChanged(): void;
}) {
  const { t } = useI18n();
  const [rate, setRate] = useState(stats.admitPerSecond);
  const [cap, setCap] = useState(stats.maxActive);
  const { busy, error, run, submit } = useAction();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setRate(stats.admitPerSecond);
    setCap(stats.maxActive);
  }, [stats.admitPerSecond, stats.maxActive]);

  const patch = (body: { paused?: boolean; admitPerSecond?: number; maxActive?: number }) => async () => {
    setSaved(false);
    await updateQueue(scheduleId, body);
    setSaved(true);
    onChanged();
  };
  return (
    <section className="panel" aria-labelledby="controls-h">
      <h2 id="controls-h">{t('dash.controls')}</h2>
      <p>
        <button
          type="button"
          className={`btn btn-big ${stats.paused ? 'btn-primary' : 'btn-danger'}`}
          disabled={busy}
          onClick={() => void run(patch({ paused: !stats.paused }))}
          aria-pressed={stats.paused}
        >
          {stats.paused ? t('dash.resume') : t('dash.pause')}
        </button>
      </p>
      <form className="inline-form" onSubmit={submit(patch({ admitPerSecond: rate, maxActive: cap }))}>
        <NumberField label={t('dash.rate')} min={1} value={rate} onValue={setRate} />
        <NumberField label={t('dash.cap')} min={1} value={cap} onValue={setCap} />
        <button type="submit" className="btn" disabled={busy}>
          {t('common.save')}
        </button>
      </form>
      {saved ? (
        <p role="status" className="muted small">
          {t('dash.saved')}
        </p>
      ) : null}
      <ErrorMessage error={error} />
    </section>
  );
}
