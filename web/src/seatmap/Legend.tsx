import type { Grade } from '../api/types.ts';
import { gradeColor, SEAT_HELD, SEAT_SELECTED, SEAT_SOLD } from '../components/grades.ts';
import { Money } from '../components/Money.tsx';
import { useI18n } from '../i18n/I18n.tsx';
import { formatNumber } from '../lib/format.ts';

export function Legend({ grades, available }: { grades: Grade[]; available: ReadonlyMap<string, number> }) {
  const { t, lang } = useI18n();
  return (
    <ul className="legend" aria-label={t('seats.legend')}>
      {grades.map((g, i) => (
        <li key={g.grade}>
          <span className="swatch" style={{ background: gradeColor(i) }} aria-hidden="true" />
          <strong>{g.grade}</strong> <Money amount={g.price} />{' '}
          <span className="muted" data-testid={`grade-available-${g.grade}`}>
            {t('seats.availableN', { n: formatNumber(available.get(g.grade) ?? 0, lang) })}
          </span>
        </li>
      ))}
      <li>
        <span className="swatch" style={{ background: SEAT_SELECTED }} aria-hidden="true" />{' '}
        {t('seats.selected')}
      </li>
      <li>
        <span className="swatch" style={{ background: SEAT_HELD }} aria-hidden="true" /> {t('seats.held')}
      </li>
      <li>
        <span className="swatch" style={{ background: SEAT_SOLD }} aria-hidden="true" /> {t('seats.sold')}
      </li>
    </ul>
  );
}
