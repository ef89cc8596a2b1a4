import { type FormEvent, useState } from 'react';
import { reconciliation } from '../../api/settlement.ts';
import type { Reconciliation, Totals } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Field } from '../../components/Field.tsx';
import { Money } from '../../components/Money.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { fromLocalInput, toLocalInputSeconds } from '../../lib/format.ts';

function TotalsColumn({ totals }: { totals: Totals | null | undefined }) {
  const { t } = useI18n();
  if (!totals) return <td colSpan={1}>{t('recon.unavailable')}</td>;
  return (
    <td>
      <Money amount={totals.captured} /> / <Money amount={totals.refunded} /> →{' '}
      <strong>
        <Money amount={totals.net} />
      </strong>
      <div className="muted small">{t('recon.counts', { c: totals.captures, r: totals.refunds })}</div>
    </td>
  );
}

function Inner() {
  const { t } = useI18n();
  const [from, setFrom] = useState(toLocalInputSeconds(new Date(Date.now() - 86_400_000)));
  const [to, setTo] = useState(toLocalInputSeconds(new Date()));
  const [report, setReport] = useState<Reconciliation | null>(null);
  const [error, setError] = useState<unknown>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      setReport(await reconciliation(fromLocalInput(from), fromLocalInput(to)));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="recon-h">
      <h1 id="recon-h">{t('recon.title')}</h1>
      <form className="panel inline-form" onSubmit={submit}>
        <Field
          label={t('settle.periodStart')}
          type="datetime-local"
          step={1}
          required
          value={from}
          onChange={(e) => setFrom(e.target.value)}
        />
        <Field
          label={t('settle.periodEnd')}
          type="datetime-local"
          step={1}
          required
          value={to}
          onChange={(e) => setTo(e.target.value)}
        />
        <button type="submit" className="btn btn-primary">
          {t('recon.run')}
        </button>
      </form>
      <ErrorMessage error={error} />
      {report ? (
        <div className="panel" data-testid="recon-report">
          <p className={`alert ${report.balanced ? 'alert-ok' : 'alert-error'}`} role="status">
            {report.balanced ? t('recon.balanced') : t('recon.unbalanced', { n: report.differences.length })}
          </p>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('recon.ledger')}</th>
                <th scope="col">{t('recon.payments')}</th>
                <th scope="col">{t('recon.provider')}</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <TotalsColumn totals={report.ledger} />
                <TotalsColumn totals={report.payments} />
                <TotalsColumn totals={report.provider} />
              </tr>
            </tbody>
          </table>
          {report.differences.length > 0 ? (
            <table className="table compact">
              <caption>{t('recon.differences')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('recon.kind')}</th>
                  <th scope="col">{t('recon.order')}</th>
                  <th scope="col">{t('recon.ledger')}</th>
                  <th scope="col">{t('recon.payments')}</th>
                  <th scope="col">{t('recon.provider')}</th>
                  <th scope="col">{t('recon.issues')}</th>
                </tr>
              </thead>
              <tbody>
                {report.differences.map((d) => (
                  <tr key={`${d.kind}-${d.ref}`}>
                    <td>{d.kind}</td>
                    <td>
                      <code>{d.orderId.slice(0, 8)}</code>
                    </td>
                    <td>{d.ledger ?? '—'}</td>
                    <td>{d.payments ?? '—'}</td>
                    <td>{d.provider ?? '—'}</td>
                    <td>{d.issues.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

export function ReconciliationPage() {
  return (
    <RequireRole roles={['ADMIN']}>
      <Inner />
    </RequireRole>
  );
}
