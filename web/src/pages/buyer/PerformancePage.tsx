import { getPerformance } from '../../api/catalog.ts';
import { listCampaigns } from '../../api/coupons.ts';
import type { Performance, ScheduleView } from '../../api/types.ts';
import { useAuth } from '../../auth/Auth.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { gradeColor } from '../../components/grades.ts';
import { Loading } from '../../components/Loading.tsx';
import { Money } from '../../components/Money.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useAsync } from '../../lib/hooks.ts';
import { Link } from '../../lib/router.tsx';

function ScheduleRow({ p, s }: { p: Performance; s: ScheduleView }) {
  const { t, lang } = useI18n();
  const { role } = useAuth();
  const now = Date.now();
  const open = new Date(p.salesOpenAt).getTime() <= now;
  const closed = new Date(p.salesCloseAt).getTime() <= now || p.status !== 'ON_SALE';
  const soldOut = s.remainingSeats === 0;
  const queuePath = `/performances/${p.id}/schedules/${s.id}/queue`;
  return (
    <li className="schedule">
      <div>
        <strong>{formatDateTime(s.startsAt, lang)}</strong>
        {s.remainingSeats !== undefined ? (
          <span className="muted"> · {t('perf.remaining', { n: s.remainingSeats })}</span>
        ) : null}
      </div>
      {closed || soldOut ? (
        <span className="badge badge-muted">{soldOut ? t('perf.soldOut') : t('perf.closed')}</span>
      ) : role === 'BUYER' || role === null ? (
        <Link
          className="btn btn-primary"
          to={role === null ? `/login?next=${encodeURIComponent(queuePath)}` : queuePath}
        >
          {open ? t('perf.book') : t('perf.preQueue')}
        </Link>
      ) : (
        <Link className="btn" to={`/admin/queues?schedule=${s.id}`}>
          {t('nav.queues')}
        </Link>
      )}
    </li>
  );
}

export function PerformancePage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const perf = useAsync(() => getPerformance(id), [id]);
  const campaigns = useAsync(() => listCampaigns(id).catch(() => []), [id]);
  if (perf.error) return <ErrorMessage error={perf.error} />;
  if (!perf.data) return <Loading />;
  const p = perf.data;
  const issuing = (campaigns.data ?? []).filter((c) => c.issuing !== false && c.remaining > 0);
  return (
    <article className="performance">
      <header className="panel">
        <h1>{p.title}</h1>
        {p.status !== 'ON_SALE' ? <StatusBadge status={p.status} /> : null}
        <p className="muted">
          {p.venue?.name}
          {p.venue?.address ? ` · ${p.venue.address}` : ''}
        </p>
        {p.description ? <p>{p.description}</p> : null}
        <p>
          {t('perf.salesWindow', {
            open: formatDateTime(p.salesOpenAt, lang),
            close: formatDateTime(p.salesCloseAt, lang),
          })}
        </p>
        <p>{t('perf.limit', { n: p.maxTicketsPerBuyer })}</p>
      </header>
      <section className="panel" aria-labelledby="grades-h">
        <h2 id="grades-h">{t('perf.grades')}</h2>
        <ul className="grade-list">
          {p.grades.map((g, i) => (
            <li key={g.grade}>
              <span className="swatch" style={{ background: gradeColor(i) }} aria-hidden="true" />
              <strong>{g.grade}</strong> <Money amount={g.price} />
            </li>
          ))}
        </ul>
      </section>
      <section className="panel" aria-labelledby="schedules-h">
        <h2 id="schedules-h">{t('perf.schedules')}</h2>
        <ul className="schedules">
          {p.schedules.map((s) => (
            <ScheduleRow key={s.id} p={p} s={s} />
          ))}
        </ul>
      </section>
      {issuing.length > 0 ? (
        <section className="panel" aria-labelledby="coupons-h">
          <h2 id="coupons-h">{t('perf.coupons')}</h2>
          <ul className="plain">
            {issuing.map((c) => (
              <li key={c.id}>
                <Link to={`/campaigns/${c.id}`}>{c.name}</Link>{' '}
                <span className="muted">{t('campaign.remainingShort', { n: c.remaining })}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </article>
  );
}
