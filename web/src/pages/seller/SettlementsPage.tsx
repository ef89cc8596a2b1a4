import { useState } from 'react';
import {
  confirmSettlement,
  listSettlements,
  payoutSettlement,
  settlementCsv,
  settlementLines,
} from '../../api/settlement.ts';
import type { Settlement } from '../../api/types.ts';
import { useAuth } from '../../auth/Auth.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { Money } from '../../components/Money.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatDate, formatDateTime } from '../../lib/format.ts';
import { useAsync } from '../../lib/hooks.ts';
import { useAction } from '../../lib/useAction.ts';
import { RunSettlement } from './RunSettlement.tsx';

const MONEY = [
  'grossAmount',
  'refundAmount',
  'discountAmount',
  'pgFeeAmount',
  'platformFeeAmount',
  'vatAmount',
  'cancellationFeeAmount',
  'payoutAmount',
] as const;

async function download(id: string): Promise<void> {
  const blob = await settlementCsv(id);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `settlement-${id}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Lines({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const lines = useAsync(() => settlementLines(id), [id]);
  if (lines.error) return <ErrorMessage error={lines.error} />;
  if (!lines.data) return <Loading />;
  return (
    <div className="table-scroll">
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">{t('settle.type')}</th>
            <th scope="col">{t('settle.recordedAt')}</th>
            {MONEY.map((k) => (
              <th scope="col" key={k}>
                {t(`settle.${k}`)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {lines.data.map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id of their own
            <tr key={i}>
              <td>{l.type}</td>
              <td>{formatDateTime(l.recordedAt, lang)}</td>
              {MONEY.map((k) => (
                <td key={k}>
                  <Money amount={l[k]} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Row({ s, admin, onChanged }: { s: Settlement; admin: boolean; onChanged(): void }) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const { busy, error, run } = useAction();
  const act = (fn: () => Promise<unknown>) =>
    run(async () => {
      await fn();
      onChanged();
    });
  return (
    <li className="card">
      <div className="title-row">
        <h2>
          {formatDate(s.periodStart, lang)} – {formatDate(s.periodEnd, lang)}
        </h2>
        <StatusBadge status={s.status} />
      </div>
      <dl className="summary">
        {MONEY.map((k) => (
          <div key={k}>
            <dt>{t(`settle.${k}`)}</dt>
            <dd>
              <Money amount={s[k]} />
            </dd>
          </div>
        ))}
      </dl>
      <p className="muted small">{t('settle.payoutDate', { date: formatDate(s.payoutDate, lang) })}</p>
      <ErrorMessage error={error} />
      <div className="actions">
        <button type="button" className="btn" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? t('settle.hideLines') : t('settle.showLines')}
        </button>
        <button type="button" className="btn" onClick={() => void act(() => download(s.id))}>
          {t('settle.csv')}
        </button>
        {admin && s.status === 'CALCULATED' ? (
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={() => void act(() => confirmSettlement(s.id))}
          >
            {t('settle.confirm')}
          </button>
        ) : null}
        {admin && s.status === 'CONFIRMED' ? (
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={() => void act(() => payoutSettlement(s.id))}
          >
            {t('settle.payout')}
          </button>
        ) : null}
      </div>
      {open ? <Lines id={s.id} /> : null}
    </li>
  );
}

function Inner() {
  const { t } = useI18n();
  const { role } = useAuth();
  const list = useAsync(listSettlements, []);
  return (
    <section aria-labelledby="settle-h">
      <h1 id="settle-h">{t('settle.title')}</h1>
      {role === 'ADMIN' ? <RunSettlement onDone={list.reload} /> : null}
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data?.length === 0 ? <p>{t('settle.none')}</p> : null}
      <ul className="cards single">
        {list.data?.map((s) => (
          <Row key={s.id} s={s} admin={role === 'ADMIN'} onChanged={list.reload} />
        ))}
      </ul>
    </section>
  );
}

export function SettlementsPage() {
  return (
    <RequireRole roles={['SELLER', 'ADMIN']}>
      <Inner />
    </RequireRole>
  );
}
