import type { ReactNode } from 'react';
import type { Role } from '../api/types.ts';
import { useAuth } from '../auth/Auth.tsx';
import { useI18n } from '../i18n/I18n.tsx';
import { Link, useRouter } from '../lib/router.tsx';

/** Shows `children` to the listed roles; others get a sign-in link that returns here. */
export function RequireRole({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const { role } = useAuth();
  const { t } = useI18n();
  const { location } = useRouter();
  if (role !== null && roles.includes(role)) return <>{children}</>;
  const back = encodeURIComponent(
    location.pathname + (location.search.size > 0 ? `?${location.search}` : ''),
  );
  return (
    <section className="panel narrow">
      <h1>{t('auth.required')}</h1>
      <p>{t('auth.requiredRoles', { roles: roles.map((r) => t(`role.${r}`)).join(', ') })}</p>
      <p>
        <Link className="btn btn-primary" to={`/login?next=${back}`}>
          {t('nav.login')}
        </Link>{' '}
        <Link className="btn" to={`/signup?next=${back}`}>
          {t('auth.signup')}
        </Link>
      </p>
    </section>
  );
}
