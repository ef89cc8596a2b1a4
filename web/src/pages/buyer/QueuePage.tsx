import { useEffect, useRef } from 'react';
import { getPerformance } from '../../api/catalog.ts';
import { Countdown } from '../../components/Countdown.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useAsync } from '../../lib/hooks.ts';
import { Link, useRouter } from '../../lib/router.tsx';
import { type QueueModel, useQueue } from '../../queue/useQueue.ts';

function Eta({ seconds }: { seconds: number | null }) {
  const { t } = useI18n();
  if (seconds === null) return null;
  if (seconds < 60) return <>{t('queue.etaSeconds', { s: Math.max(1, seconds) })}</>;
  return <>{t('queue.etaMinutes', { m: Math.round(seconds / 60) })}</>;
}

function Waiting({ q }: { q: QueueModel }) {
  const { t } = useI18n();
  const v = q.view;
  if (v === null) return <Loading />;
  const progress =
    v.position !== null && q.startPosition !== null && q.startPosition > 1
      ? Math.round(((q.startPosition - v.position) / (q.startPosition - 1)) * 100)
      : 0;
  return (
    <div className="queue-status">
      {v.state === 'PRE_QUEUE' ? (
        <div className="pre-queue">
          <p>{t('queue.preQueue')}</p>
          {v.opensAt ? <Countdown until={v.opensAt} label={t('queue.opensIn')} /> : null}
        </div>
      ) : (
        <>
          <p className="position-label">{t('queue.position')}</p>
          <p className="position" data-testid="queue-position" aria-live="polite" aria-atomic="true">
            {v.position ?? '—'}
          </p>
          <p className="eta" data-testid="queue-eta">
            <Eta seconds={v.paused ? null : v.etaSeconds} />
          </p>
          <progress max={100} value={progress} aria-label={t('queue.progress')} />
        </>
      )}
      <p className="muted">
        <span data-testid="queue-ticket">{t('queue.ticket', { n: v.ticketNumber ?? '—' })}</span> ·{' '}
        <span data-testid="queue-mode">{q.mode === 'stream' ? t('queue.live') : t('queue.polling')}</span>
      </p>
    </div>
  );
}

function Admitted({ q, seatsPath }: { q: QueueModel; seatsPath: string }) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="admitted" data-testid="admitted">
      <h2 ref={heading} tabIndex={-1}>
        {t('queue.admitted')}
      </h2>
      <p>{t('queue.admittedText')}</p>
      {q.view?.expiresAt ? <Countdown until={q.view.expiresAt} label={t('queue.admissionLeft')} /> : null}
      <Link className="btn btn-primary btn-big" to={seatsPath}>
        {t('queue.chooseSeats')}
      </Link>
    </div>
  );
}

function QueueInner({ performanceId, scheduleId }: { performanceId: string; scheduleId: string }) {
  const { t, lang } = useI18n();
  const { navigate } = useRouter();
  const perf = useAsync(() => getPerformance(performanceId), [performanceId]);
  const q = useQueue(scheduleId);
  const schedule = perf.data?.schedules.find((s) => s.id === scheduleId);
  const seatsPath = `/performances/${performanceId}/schedules/${scheduleId}/seats`;
  const state = q.view?.state;

  return (
    <section className="panel queue-page" aria-labelledby="queue-h">
      <h1 id="queue-h">{t('queue.title')}</h1>
      {perf.data ? (
        <p className="muted">
          {perf.data.title}
          {schedule ? ` · ${formatDateTime(schedule.startsAt, lang)}` : ''}
        </p>
      ) : null}
      {q.view?.paused && state !== 'ADMITTED' ? (
        <p className="alert alert-warn" role="status" data-testid="queue-paused">
          {t('queue.paused')}
        </p>
      ) : null}
      <ErrorMessage error={q.error} />
      {q.error && q.view === null ? (
        <button type="button" className="btn" onClick={q.rejoin}>
          {t('common.retry')}
        </button>
      ) : null}
      {state === 'ADMITTED' ? <Admitted q={q} seatsPath={seatsPath} /> : null}
      {state === 'WAITING' || state === 'PRE_QUEUE' || (q.view === null && !q.error) ? (
        <Waiting q={q} />
      ) : null}
      {state === 'CLOSED' ? (
        <p className="alert alert-info" role="status">
          {q.view?.closedReason === 'SOLD_OUT' ? t('queue.closedSoldOut') : t('queue.closed')}
        </p>
      ) : null}
      {state === 'EXPIRED' || state === 'NONE' ? (
        <div role="status">
          <p>{state === 'EXPIRED' ? t('queue.expired') : t('queue.left')}</p>
          <button type="button" className="btn btn-primary" onClick={q.rejoin}>
            {t('queue.joinAgain')}
          </button>
        </div>
      ) : null}
      {state === 'WAITING' || state === 'PRE_QUEUE' || state === 'ADMITTED' ? (
        <p>
          <button
            type="button"
            className="btn btn-ghost"
            onClick={async () => {
              await q.leave().catch(() => undefined);
              navigate(`/performances/${performanceId}`);
            }}
          >
            {t('queue.leave')}
          </button>
        </p>
      ) : null}
      <p className="muted small">{t('queue.keepOpen')}</p>
    </section>
  );
}

export function QueuePage(props: { performanceId: string; scheduleId: string }) {
  return (
    <RequireRole roles={['BUYER']}>
      <QueueInner {...props} />
    </RequireRole>
  );
}
