import { type FormEvent, useState } from 'react';
import { listPerformances } from '../../api/catalog.ts';
import type { PerformanceSummary } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { Money } from '../../components/Money.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatDate } from '../../lib/format.ts';
import { useAsync } from '../../lib/hooks.ts';
import { Link, useRouter } from '../../lib/router.tsx';

function PerformanceCard({ p }: { p: PerformanceSummary }) {
  const { t, lang } = useI18n();
  return (
    <li className="card">
      <h2>
        <Link to={`/performances/${p.id}`}>{p.title}</Link>
      </h2>
      <p className="muted">{p.venueName}</p>
      {p.firstStartsAt ? (
        <p>
          {formatDate(p.firstStartsAt, lang)}
          {p.lastStartsAt && p.lastStartsAt !== p.firstStartsAt
            ? ` – ${formatDate(p.lastStartsAt, lang)}`
            : ''}
        </p>
      ) : null}
      {p.minPrice !== undefined ? (
        <p>
          {t('home.from')} <Money amount={p.minPrice} />
        </p>
      ) : null}
      {p.status !== 'ON_SALE' ? <StatusBadge status={p.status} /> : null}
    </li>
  );
}

export function HomePage() {
  const { t } = useI18n();
  const { location, navigate } = useRouter();
  const q = location.search.get('q') ?? '';
  const [draft, setDraft] = useState(q);
  const page = Number(location.search.get('page') ?? '1') || 1;
  const result = useAsync(() => listPerformances({ q, page, size: 12 }), [q, page]);

  const search = (event: FormEvent) => {
    event.preventDefault();
    navigate(draft.trim() === '' ? '/' : `/?q=${encodeURIComponent(draft.trim())}`);
  };
  const pages = result.data ? Math.max(1, Math.ceil(result.data.total / result.data.size)) : 1;
  const pageLink = (n: number) => `/?${new URLSearchParams({ ...(q ? { q } : {}), page: String(n) })}`;

  return (
    <>
      <section className="hero">
        <h1>{t('home.title')}</h1>
        <p>{t('home.subtitle')}</p>
        <search>
          <form onSubmit={search} className="search">
            <label htmlFor="search-q" className="visually-hidden">
              {t('home.search')}
            </label>
            <input
              id="search-q"
              type="search"
              value={draft}
              placeholder={t('home.searchPlaceholder')}
              onChange={(e) => setDraft(e.target.value)}
            />
            <button type="submit" className="btn btn-primary">
              {t('home.search')}
            </button>
          </form>
        </search>
      </section>
      <ErrorMessage error={result.error} />
      {result.loading && !result.data ? <Loading /> : null}
      {result.data && result.data.items.length === 0 ? <p>{t('home.none')}</p> : null}
      <ul className="cards" aria-label={t('home.listLabel')}>
        {result.data?.items.map((p) => (
          <PerformanceCard key={p.id} p={p} />
        ))}
      </ul>
      {pages > 1 ? (
        <nav className="pager" aria-label={t('home.pages')}>
          {page > 1 ? <Link to={pageLink(page - 1)}>{t('common.previous')}</Link> : null}
          <span>
            {page} / {pages}
          </span>
          {page < pages ? <Link to={pageLink(page + 1)}>{t('common.next')}</Link> : null}
        </nav>
      ) : null}
    </>
  );
}
