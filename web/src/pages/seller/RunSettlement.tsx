import { type FormEvent, useState } from 'react';
import { runSettlement } from '../../api/settlement.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Field } from '../../components/Field.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { fromLocalInput, toLocalInputSeconds } from '../../lib/format.ts';

/** Admin: settle a period (half-open, ending no later than now). */
export function RunSettlement({ onDone }: { onDone(): void }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(toLocalInputSeconds(new Date(Date.now() - 7 * 86_400_000)));
  const [to, setTo] = useState(toLocalInputSeconds(new Date()));
  const [result, setResult] = useState<number | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const end = new Date(Math.min(new Date(to).getTime(), Date.now() - 1000)).toISOString();
      const run = await runSettlement(fromLocalInput(from), end);
      setResult(run.settlements.length);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="panel form inline-form" onSubmit={submit} aria-labelledby="run-h">
      <h2 id="run-h">{t('settle.run')}</h2>
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
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {t('settle.runButton')}
      </button>
      {result !== null ? <p role="status">{t('settle.ran', { n: result })}</p> : null}
      <ErrorMessage error={error} />
    </form>
  );
}
