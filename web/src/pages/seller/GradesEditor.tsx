import { useI18n } from '../../i18n/I18n.tsx';

export interface GradeDraft {
  grade: string;
  price: number;
}

/** Grades and their prices (KRW), one row each. */
export function GradesEditor({
  grades,
  onChange,
}: {
  grades: GradeDraft[];
  onChange(next: GradeDraft[]): void;
}) {
  const { t } = useI18n();
  const set = (i: number, patch: Partial<GradeDraft>) =>
    onChange(grades.map((g, k) => (k === i ? { ...g, ...patch } : g)));
  return (
    <fieldset>
      <legend>{t('perfForm.grades')}</legend>
      {grades.map((g, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: edited in place
        <div className="inline-row" key={i}>
          <div className="field">
            <label htmlFor={`grade-${i}`}>{t('perfForm.grade')}</label>
            <input
              id={`grade-${i}`}
              required
              maxLength={20}
              value={g.grade}
              onChange={(e) => set(i, { grade: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={`price-${i}`}>{t('perfForm.price')}</label>
            <input
              id={`price-${i}`}
              type="number"
              min={0}
              step={1000}
              required
              value={g.price}
              onChange={(e) => set(i, { price: Number(e.target.value) })}
            />
          </div>
          <button
            type="button"
            className="btn btn-small"
            disabled={grades.length === 1}
            onClick={() => onChange(grades.filter((_, k) => k !== i))}
          >
            {t('common.remove')}
          </button>
        </div>
      ))}
      <button
        type="button"
        className="btn"
        onClick={() =>
          onChange([...grades, { grade: String.fromCharCode(65 + grades.length), price: 100000 }])
        }
      >
        {t('perfForm.addGrade')}
      </button>
    </fieldset>
  );
}
