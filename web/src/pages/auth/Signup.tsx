import { useState } from 'react';
import { signup } from '../../api/auth.ts';
import { useAuth } from '../../auth/Auth.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Field } from '../../components/Field.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { Link, useRouter } from '../../lib/router.tsx';
import { useAction } from '../../lib/useAction.ts';
import { safeNext } from './Login.tsx';

export function SignupPage() {
  const { t } = useI18n();
  const { login } = useAuth();
  const { location, navigate } = useRouter();
  const [form, setForm] = useState({
    name: '',
    email: '',
    password: '',
    role: 'BUYER' as 'BUYER' | 'SELLER',
  });
  const { busy, error, submit } = useAction();
  const next = location.search.get('next');

  return (
    <section className="panel narrow">
      <h1>{t('auth.signupTitle')}</h1>
      <form
        className="form"
        onSubmit={submit(async () => {
          await signup({ ...form, email: form.email.trim() });
          await login(form.email.trim(), form.password);
          navigate(safeNext(next, form.role === 'SELLER' ? '/seller/performances' : '/'), { replace: true });
        })}
      >
        <Field
          label={t('auth.name')}
          autoComplete="name"
          required
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
        />
        <Field
          label={t('auth.email')}
          type="email"
          autoComplete="email"
          required
          value={form.email}
          onChange={(e) => setForm({ ...form, email: e.target.value })}
        />
        <Field
          label={t('auth.password')}
          type="password"
          autoComplete="new-password"
          minLength={8}
          required
          hint={t('auth.passwordHint')}
          value={form.password}
          onChange={(e) => setForm({ ...form, password: e.target.value })}
        />
        <fieldset className="radio-group">
          <legend>{t('auth.accountType')}</legend>
          {(['BUYER', 'SELLER'] as const).map((role) => (
            <label key={role}>
              <input
                type="radio"
                name="role"
                value={role}
                checked={form.role === role}
                onChange={() => setForm({ ...form, role })}
              />{' '}
              {t(`role.${role}`)}
            </label>
          ))}
        </fieldset>
        <ErrorMessage error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t('auth.signup')}
        </button>
      </form>
      <p>
        {t('auth.haveAccount')} <Link to="/login">{t('nav.login')}</Link>
      </p>
    </section>
  );
}
