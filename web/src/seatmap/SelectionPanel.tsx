import { useState } from 'react';
import type { Grade } from '../api/types.ts';
import { Money } from '../components/Money.tsx';
import { useI18n } from '../i18n/I18n.tsx';
import type { SeatMapModel } from './model.ts';

interface Props {
  model: SeatMapModel;
  grades: Grade[];
  selected: ReadonlySet<number>;
  limit: number;
  busy: boolean;
  describe(i: number): string;
  onRemove(i: number): void;
  onPick(indices: number[]): void;
  onHold(): void;
}

/** The chosen seats, their total, "best available" and the hold button. */
export function SelectionPanel({
  model,
  grades,
  selected,
  limit,
  busy,
  describe,
  onRemove,
  onPick,
  onHold,
}: Props) {
  const { t } = useI18n();
  const [grade, setGrade] = useState(grades[0]?.grade ?? '');
  const [count, setCount] = useState(Math.min(2, limit));
  const chosen = [...selected];
  const total = chosen.reduce((sum, i) => sum + (model.seats[i]?.price ?? 0), 0);
  return (
    <aside className="panel selection" aria-labelledby="selection-h">
      <h2 id="selection-h">{t('seats.yourSeats')}</h2>
      <p className="muted">{t('seats.limit', { n: limit })}</p>
      {chosen.length === 0 ? <p>{t('seats.noneSelected')}</p> : null}
      <ul className="plain" data-testid="selected-seats">
        {chosen.map((i) => (
          <li key={i} className="selected-seat">
            <span>{describe(i)}</span>
            <button
              type="button"
              className="btn btn-small"
              onClick={() => onRemove(i)}
              aria-label={t('seats.remove', { seat: describe(i) })}
            >
              <span aria-hidden="true">✕</span>
            </button>
          </li>
        ))}
      </ul>
      <p className="total">
        {t('seats.total')}{' '}
        <strong data-testid="selection-total">
          <Money amount={total} />
        </strong>
      </p>
      <button
        type="button"
        className="btn btn-primary btn-big"
        disabled={chosen.length === 0 || busy}
        onClick={onHold}
      >
        {t('seats.hold', { n: chosen.length })}
      </button>
      <form
        className="best"
        onSubmit={(e) => {
          e.preventDefault();
          onPick(model.bestAvailable(grade, count, new Set()));
        }}
      >
        <fieldset>
          <legend>{t('seats.bestAvailable')}</legend>
          <label>
            {t('seats.grade')}{' '}
            <select value={grade} onChange={(e) => setGrade(e.target.value)}>
              {grades.map((g) => (
                <option key={g.grade} value={g.grade}>
                  {g.grade}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            {t('seats.count')}{' '}
            <select value={count} onChange={(e) => setCount(Number(e.target.value))}>
              {Array.from({ length: limit }, (_, k) => k + 1).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>{' '}
          <button type="submit" className="btn btn-small">
            {t('seats.pick')}
          </button>
        </fieldset>
      </form>
    </aside>
  );
}
