import { type FormEvent, useEffect, useState } from 'react';
import { updateQueue } from '../../api/queue.ts';
import type { QueueStats } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Field } from '../../components/Field.tsx';
import { useI18n } from '../../i18n/I18n.tsx';

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
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setRate(stats.admitPerSecond);
    setCap(stats.maxActive);
  }, [stats.admitPerSecond, stats.maxActive]);

  const patch = async (body: { paused?: boolean; admitPerSecond?: number; maxActive?: number }) => {
    setError(undefined);
    setSaved(false);
    try {
      await updateQueue(scheduleId, body);
      setSaved(true);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void patch({ admitPerSecond: rate, maxActive: cap });
  };
  return (
    <section className="panel" aria-labelledby="controls-h">
      <h2 id="controls-h">{t('dash.controls')}</h2>
      <p>
        <button
          type="button"
          className={`btn btn-big ${stats.paused ? 'btn-primary' : 'btn-danger'}`}
          onClick={() => void patch({ paused: !stats.paused })}
          aria-pressed={stats.paused}
        >
          {stats.paused ? t('dash.resume') : t('dash.pause')}
        </button>
      </p>
      <form className="inline-form" onSubmit={submit}>
        <Field
          label={t('dash.rate')}
          type="number"
          min={1}
          value={rate}
          onChange={(e) => setRate(Number(e.target.value))}
        />
        <Field
          label={t('dash.cap')}
          type="number"
          min={1}
          value={cap}
          onChange={(e) => setCap(Number(e.target.value))}
        />
        <button type="submit" className="btn">
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
