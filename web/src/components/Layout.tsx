import { type ReactNode, useEffect, useRef } from 'react';
import { useAuth } from '../auth/Auth.tsx';
import { useI18n } from '../i18n/I18n.tsx';
import { Link, useRouter } from '../lib/router.tsx';

function NavLink({ to, children }: { to: string; children: ReactNode }) {
  const { location } = useRouter();
  const active = to === '/' ? location.pathname === '/' : location.pathname.startsWith(to);
  return (
    <Link to={to} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

/**
 * What a screen reader needs from a page change in a single-page app: the tab's title names the page
 * (its h1, kept in step as the page loads), and focus moves to the new content unless the page put
 * it somewhere inside already.
 */
function usePageChange(main: { current: HTMLElement | null }, pathname: string) {
  useEffect(() => {
    const el = main.current;
    if (el === null) return;
    const sync = () => {
      const heading = el.querySelector('h1')?.textContent?.trim();
      const title = heading ? `${heading} · QueueTicket` : 'QueueTicket';
      if (document.title !== title) document.title = title;
    };
    sync();
    const observer = new MutationObserver(sync);
    observer.observe(el, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, [main]);
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each page change
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const el = main.current;
    if (el !== null && !el.contains(document.activeElement)) el.focus({ preventScroll: true });
  }, [pathname]);
}

export function Layout({ children }: { children: ReactNode }) {
  const { t, lang, setLang } = useI18n();
  const { role, user, logout } = useAuth();
  const { navigate, location } = useRouter();
  const main = useRef<HTMLElement>(null);
  usePageChange(main, location.pathname);
  return (
    <>
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header className="site-header">
        <Link to="/" className="brand" aria-label={t('nav.home')}>
          <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true" focusable="false">
            <rect width="32" height="32" rx="7" fill="#fff" />
            <path d="M8 11h16v3a2 2 0 0 0 0 4v3H8v-3a2 2 0 0 0 0-4z" fill="#3b2a8f" />
          </svg>{' '}
          QueueTicket
        </Link>
        <nav aria-label={t('nav.main')}>
          <NavLink to="/">{t('nav.shows')}</NavLink>
          {role === 'BUYER' ? (
            <>
              <NavLink to="/me/orders">{t('nav.orders')}</NavLink>
              <NavLink to="/me/coupons">{t('nav.coupons')}</NavLink>
            </>
          ) : null}
          {role === 'SELLER' || role === 'ADMIN' ? (
            <>
              <NavLink to="/seller/performances">{t('nav.performances')}</NavLink>
              <NavLink to="/seller/venues">{t('nav.venues')}</NavLink>
              <NavLink to="/seller/campaigns">{t('nav.campaigns')}</NavLink>
              <NavLink to="/seller/settlements">{t('nav.settlements')}</NavLink>
              <NavLink to="/admin/queues">{t('nav.queues')}</NavLink>
            </>
          ) : null}
          {role === 'ADMIN' ? <NavLink to="/admin/reconciliation">{t('nav.reconciliation')}</NavLink> : null}
        </nav>
        <div className="header-tools">
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => setLang(lang === 'ko' ? 'en' : 'ko')}
            title={t('nav.language')}
            lang={lang === 'ko' ? 'en' : 'ko'}
          >
            {lang === 'ko' ? 'English' : '한국어'}
          </button>
          {role === null ? (
            <Link to="/login" className="btn btn-primary">
              {t('nav.login')}
            </Link>
          ) : (
            <>
              <span className="who" title={user?.email}>
                {user?.name ?? ''} <small>({t(`role.${role}`)})</small>
              </span>
              <button
                type="button"
                className="btn btn-ghost"
                onClick={async () => {
                  await logout();
                  navigate('/');
                }}
              >
                {t('nav.logout')}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        {children}
      </main>
      <footer className="site-footer">
        <p>{t('footer.text')}</p>
      </footer>
    </>
  );
}
