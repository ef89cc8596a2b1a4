import { useState } from 'react';
import type { StandingView } from '../api/types.ts';
import { Money } from '../components/Money.tsx';
import { useI18n } from '../i18n/I18n.tsx';

/** General-admission sections: held by count, not by seat. */
export function StandingPanel({
  sections,
  limit,
  busy,
  onHold,
}: {
  sections: StandingView[];
  limit: number;
  busy: boolean;
  onHold(sectionId: string, quantity: number): void;
}) {
  const { t } = useI18n();
  const [quantity, setQuantity] = useState<Record<string, number>>({});
  if (sections.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="standing-h">
      <h2 id="standing-h">{t('seats.standing')}</h2>
      <ul className="plain">
        {sections.map((s) => {
          const q = quantity[s.sectionId] ?? 1;
          const max = Math.max(1, Math.min(limit, s.available));
          return (
            <li key={s.sectionId} className="standing-row">
              <span>
                <strong>{s.section}</strong> ({s.grade}) <Money amount={s.price} /> ·{' '}
                {t('seats.availableN', { n: s.available })}
              </span>
              <label>
                <span className="visually-hidden">{t('seats.quantityFor', { section: s.section })}</span>
                <input
                  type="number"
                  min={1}
                  max={max}
                  value={q}
                  onChange={(e) => setQuantity({ ...quantity, [s.sectionId]: Number(e.target.value) })}
                />
              </label>
              <button
                type="button"
                className="btn"
                disabled={busy || s.available === 0}
                onClick={() => onHold(s.sectionId, Math.min(max, Math.max(1, q)))}
              >
                {t('seats.holdStanding')}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
