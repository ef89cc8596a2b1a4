import { useI18n } from '../i18n/I18n.tsx';
import { toLocalInputSeconds } from '../lib/format.ts';
import { Field } from './Field.tsx';

/** A period as the two `datetime-local` values (to the second) its fields edit. */
export interface Period {
  from: string;
  to: string;
}

/** The last `days` days up to now. */
export const lastDays = (days: number): Period => ({
  from: toLocalInputSeconds(new Date(Date.now() - days * 86_400_000)),
  to: toLocalInputSeconds(new Date()),
});

/** The period start and end fields of the settlement and reconciliation forms. */
export function PeriodFields({ value, onChange }: { value: Period; onChange(period: Period): void }) {
  const { t } = useI18n();
  return (
    <>
      <Field
        label={t('settle.periodStart')}
        type="datetime-local"
        step={1}
        required
        value={value.from}
        onChange={(e) => onChange({ ...value, from: e.target.value })}
      />
      <Field
        label={t('settle.periodEnd')}
        type="datetime-local"
        step={1}
        required
        value={value.to}
        onChange={(e) => onChange({ ...value, to: e.target.value })}
      />
    </>
  );
}
