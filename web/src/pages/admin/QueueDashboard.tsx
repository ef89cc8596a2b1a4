import { useEffect, useRef, useState } from 'react';
import { queueStats } from '../../api/queue.ts';
import type { QueueStats } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { LineChart } from '../../components/LineChart.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatNumber } from '../../lib/format.ts';
import { useInterval } from '../../lib/hooks.ts';
import { useRouter } from '../../lib/router.tsx';
import { QueueControls } from './QueueControls.tsx';
import { SchedulePicker } from './SchedulePicker.tsx';

const WINDOW = 120;

interface Sample {
  at: number;
  stats: QueueStats;
  rate: number;
}

function Dashboard({ scheduleId }: { scheduleId: string }) {
  const { t, lang } = useI18n();
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<unknown>();
  const last = useRef<Sample | null>(null);
  const poll = async () => {
    try {
      const stats = await queueStats(scheduleId);
      const at = Date.now();
      const prev = last.current;
      const rate = prev
        ? Math.max(0, (stats.admittedTotal - prev.stats.admittedTotal) / ((at - prev.at) / 1000))
        : 0;
      const sample = { at, stats, rate };
      last.current = sample;
      setSamples((s) => [...s.slice(-(WINDOW - 1)), sample]);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  useInterval(() => void poll(), 1000);
  const pollRef = useRef(poll);
  pollRef.current = poll;
  // The parent keys this component by schedule: a new schedule starts a fresh history.
  useEffect(() => {
    void pollRef.current();
  }, []);
  const now = samples.at(-1)?.stats;
  const tiles: [string, number | string][] = now
    ? [
        [t('dash.waiting'), formatNumber(now.waiting, lang)],
        [t('dash.active'), `${formatNumber(now.active, lang)} / ${formatNumber(now.maxActive, lang)}`],
        [t('dash.admitted'), formatNumber(now.admittedTotal, lang)],
        [t('dash.rateNow'), `${(samples.at(-1)?.rate ?? 0).toFixed(1)} / ${now.admitPerSecond}`],
        [t('dash.preQueue'), formatNumber(now.preQueue ?? 0, lang)],
      ]
    : [];
  return (
    <>
      <ErrorMessage error={error} />
      {now?.paused ? (
        <p className="alert alert-warn" role="status" data-testid="dash-paused">
          {t('dash.pausedNow')}
        </p>
      ) : null}
      {now?.closed ? <p className="alert alert-info">{t('dash.closed', { reason: now.closed })}</p> : null}
      <ul className="tiles" aria-live="polite" data-testid="dash-tiles">
        {tiles.map(([label, value]) => (
          <li key={label}>
            <span className="tile-label">{label}</span>
            <strong className="tile-value">{value}</strong>
          </li>
        ))}
      </ul>
      <LineChart
        description={t('dash.chartAria', {
          rate: (samples.at(-1)?.rate ?? 0).toFixed(1),
          waiting: now?.waiting ?? 0,
        })}
        series={[
          { label: t('dash.rateSeries'), color: '#6d28d9', values: samples.map((s) => s.rate) },
          { label: t('dash.waitingSeries'), color: '#0f766e', values: samples.map((s) => s.stats.waiting) },
        ]}
      />
      {now ? <QueueControls scheduleId={scheduleId} stats={now} onChanged={() => void poll()} /> : null}
    </>
  );
}

function Inner() {
  const { t } = useI18n();
  const { location, navigate } = useRouter();
  const scheduleId = location.search.get('schedule') ?? '';
  return (
    <section aria-labelledby="dash-h">
      <h1 id="dash-h">{t('dash.title')}</h1>
      <SchedulePicker
        value={scheduleId}
        onChange={(id) => navigate(id ? `/admin/queues?schedule=${id}` : '/admin/queues', { replace: true })}
      />
      {scheduleId ? <Dashboard key={scheduleId} scheduleId={scheduleId} /> : <p>{t('dash.pickHelp')}</p>}
    </section>
  );
}

export function QueueDashboardPage() {
  return (
    <RequireRole roles={['SELLER', 'ADMIN']}>
      <Inner />
    </RequireRole>
  );
}
