import { useState } from 'react';
import { reconciliation } from '../../api/settlement.ts';
import type { Reconciliation, Totals } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Money } from '../../components/Money.tsx';
import { lastDays, PeriodFields } from '../../components/PeriodFields.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { fromLocalInput } from '../../lib/format.ts';
import { useAction } from '../../lib/useAction.ts';

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
  const [period, setPeriod] = useState(() => lastDays(1));
  const [report, setReport] = useState<Reconciliation | null>(null);
  const { busy, error, submit } = useAction();
  return (
    <section aria-labelledby="recon-h">
      <h1 id="recon-h">{t('recon.title')}</h1>
      <form
        className="panel inline-form"
        onSubmit={submit(async () => {
          setReport(await reconciliation(fromLocalInput(period.from), fromLocalInput(period.to)));
        })}
      >
        <PeriodFields value={period} onChange={setPeriod} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
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
