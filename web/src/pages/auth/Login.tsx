import { useState } from 'react';
import { useAuth } from '../../auth/Auth.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Field } from '../../components/Field.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { Link, useRouter } from '../../lib/router.tsx';
import { useAction } from '../../lib/useAction.ts';

/** Only same-site paths are followed after signing in. */
export const safeNext = (next: string | null, fallback: string): string =>
  next?.startsWith('/') && !next.startsWith('//') ? next : fallback;

export function LoginPage() {
  const { t } = useI18n();
  const { login } = useAuth();
  const { location, navigate } = useRouter();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useAction();
  const next = location.search.get('next');

  return (
    <section className="panel narrow">
      <h1>{t('auth.loginTitle')}</h1>
      <form
        className="form"
        onSubmit={submit(async () => {
          await login(email.trim(), password);
          navigate(safeNext(next, '/'), { replace: true });
        })}
      >
        <Field
          label={t('auth.email')}
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label={t('auth.password')}
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorMessage error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t('nav.login')}
        </button>
      </form>
      <p>
        {t('auth.noAccount')}{' '}
        <Link to={`/signup${next === null ? '' : `?next=${encodeURIComponent(next)}`}`}>
          {t('auth.signup')}
        </Link>
      </p>
      <details className="demo-accounts">
        <summary>{t('auth.demoAccounts')}</summary>
        <ul>
          <li>{t('auth.demoSeller')}: seller@queueticket.local / seller-password</li>
          <li>{t('auth.demoAdmin')}: admin@queueticket.local / admin-password</li>
        </ul>
      </details>
    </section>
  );
}
