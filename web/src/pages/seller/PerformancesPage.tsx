import { listPerformances } from '../../api/catalog.ts';
import { useAuth } from '../../auth/Auth.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatDate } from '../../lib/format.ts';
import { useAsync } from '../../lib/hooks.ts';
import { Link } from '../../lib/router.tsx';

function PerformancesInner() {
  const { t, lang } = useI18n();
  const { session, role } = useAuth();
  const sellerId = role === 'SELLER' ? session?.userId : undefined;
  const list = useAsync(() => listPerformances({ sellerId, size: 100 }), [sellerId]);
  return (
    <section aria-labelledby="sp-h">
      <div className="title-row">
        <h1 id="sp-h">{role === 'ADMIN' ? t('sp.titleAll') : t('sp.title')}</h1>
        <Link className="btn btn-primary" to="/seller/performances/new">
          {t('sp.new')}
        </Link>
      </div>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data?.items.length === 0 ? <p>{t('sp.none')}</p> : null}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('sp.show')}</th>
            <th scope="col">{t('sp.dates')}</th>
            <th scope="col">{t('sp.status')}</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((p) => (
            <tr key={p.id}>
              <td>
                <Link to={`/seller/performances/${p.id}`}>{p.title}</Link>
                <div className="muted small">{p.venueName}</div>
              </td>
              <td>{p.firstStartsAt ? formatDate(p.firstStartsAt, lang) : '—'}</td>
              <td>
                <StatusBadge status={p.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function SellerPerformancesPage() {
  return (
    <RequireRole roles={['SELLER', 'ADMIN']}>
      <PerformancesInner />
    </RequireRole>
  );
}
