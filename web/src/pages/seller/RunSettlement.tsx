import { useState } from 'react';
import { runSettlement } from '../../api/settlement.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { lastDays, PeriodFields } from '../../components/PeriodFields.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { fromLocalInput } from '../../lib/format.ts';
import { useAction } from '../../lib/useAction.ts';

/** Admin: settle a period (half-open, ending no later than now). */
export function RunSettlement({ onDone }: { onDone(): void }) {
  const { t } = useI18n();
  const [period, setPeriod] = useState(() => lastDays(7));
  const [result, setResult] = useState<number | null>(null);
  const { busy, error, submit } = useAction();
  const settle = async () => {
    const end = new Date(Math.min(new Date(period.to).getTime(), Date.now() - 1000)).toISOString();
    const run = await runSettlement(fromLocalInput(period.from), end);
    setResult(run.settlements.length);
    onDone();
  };
  return (
    <form className="panel form inline-form" onSubmit={submit(settle)} aria-labelledby="run-h">
      <h2 id="run-h">{t('settle.run')}</h2>
      <PeriodFields value={period} onChange={setPeriod} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {t('settle.runButton')}
      </button>
      {result !== null ? <p role="status">{t('settle.ran', { n: result })}</p> : null}
      <ErrorMessage error={error} />
    </form>
  );
}
