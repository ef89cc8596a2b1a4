import { useState } from 'react';
import { cancelPerformance, getPerformance } from '../../api/catalog.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { Money } from '../../components/Money.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatDateTime, formatNumber } from '../../lib/format.ts';
import { useAsync, useInterval } from '../../lib/hooks.ts';
import { Link } from '../../lib/router.tsx';
import { useAction } from '../../lib/useAction.ts';
import { loadSales, type ScheduleSales } from './sales.ts';

function SalesTable({ sales }: { sales: ScheduleSales }) {
  const { t, lang } = useI18n();
  return (
    <table className="table compact" data-testid={`sales-${sales.scheduleId}`}>
      <thead>
        <tr>
          <th scope="col">{t('sales.grade')}</th>
          <th scope="col">{t('sales.sold')}</th>
          <th scope="col">{t('sales.held')}</th>
          <th scope="col">{t('sales.available')}</th>
          <th scope="col">{t('sales.revenue')}</th>
        </tr>
      </thead>
      <tbody>
        {sales.grades.map((g) => (
          <tr key={g.grade}>
            <th scope="row">{g.grade}</th>
            <td>{formatNumber(g.sold, lang)}</td>
            <td>{formatNumber(g.held, lang)}</td>
            <td>{formatNumber(g.available, lang)}</td>
            <td>
              <Money amount={g.revenue} />
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">{t('sales.total')}</th>
          <td data-testid="sold-total">{formatNumber(sales.sold, lang)}</td>
          <td>{formatNumber(sales.held, lang)}</td>
          <td>{formatNumber(sales.available, lang)}</td>
          <td>
            <Money amount={sales.revenue} />
          </td>
        </tr>
      </tfoot>
    </table>
  );
}

function Inner({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const perf = useAsync(() => getPerformance(id), [id]);
  const scheduleIds = (perf.data?.schedules ?? []).map((s) => s.id).join(',');
  const sales = useAsync(async () => (scheduleIds ? loadSales(scheduleIds.split(',')) : []), [scheduleIds]);
  useInterval(sales.reload, 5000);
  const [reason, setReason] = useState('');
  const { error, run } = useAction();
  if (perf.error) return <ErrorMessage error={perf.error} />;
  if (!perf.data) return <Loading />;
  const p = perf.data;
  return (
    <article>
      <header className="title-row">
        <h1>{p.title}</h1>
        <StatusBadge status={p.status} />
      </header>
      <p className="muted">
        {p.venue?.name} · <Link to={`/performances/${p.id}`}>{t('sp.publicPage')}</Link> ·{' '}
        <Link to={`/seller/campaigns?performance=${p.id}`}>{t('nav.campaigns')}</Link>
      </p>
      <section aria-labelledby="sales-h">
        <h2 id="sales-h">{t('sales.title')}</h2>
        <p className="muted small">{t('sales.help')}</p>
        <ErrorMessage error={sales.error} />
        {p.schedules.map((s) => {
          const found = sales.data?.find((x) => x.scheduleId === s.id);
          return (
            <section key={s.id} className="panel">
              <div className="title-row">
                <h3>{formatDateTime(s.startsAt, lang)}</h3>
                <Link className="btn btn-small" to={`/admin/queues?schedule=${s.id}`}>
                  {t('nav.queues')}
                </Link>
              </div>
              {found ? <SalesTable sales={found} /> : <Loading />}
            </section>
          );
        })}
      </section>
      {p.status === 'ON_SALE' ? (
        <section className="panel danger-zone" aria-labelledby="cancel-h">
          <h2 id="cancel-h">{t('sp.cancelTitle')}</h2>
          <p>{t('sp.cancelHelp')}</p>
          <div className="field">
            <label htmlFor="cancel-reason">{t('sp.cancelReason')}</label>
            <input id="cancel-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <ErrorMessage error={error} />
          <ConfirmButton
            label={t('sp.cancel')}
            question={t('sp.cancelQ')}
            disabled={reason.trim() === ''}
            onConfirm={() =>
              run(async () => {
                await cancelPerformance(p.id, reason.trim());
                perf.reload();
              })
            }
          />
        </section>
      ) : null}
    </article>
  );
}

export function SellerPerformancePage({ id }: { id: string }) {
  return (
    <RequireRole roles={['SELLER', 'ADMIN']}>
      <Inner id={id} />
    </RequireRole>
  );
}
