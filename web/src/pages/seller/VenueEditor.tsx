import { useState } from 'react';
import { createVenue } from '../../api/catalog.ts';
import type { SectionInput, Venue } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Field, NumberField } from '../../components/Field.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { useAction } from '../../lib/useAction.ts';
import { VenuePreview } from './VenuePreview.tsx';

type Draft = {
  name: string;
  kind: 'SEATED' | 'STANDING';
  rows: number;
  seatsPerRow: number;
  capacity: number;
};

const blank = (n: number): Draft => ({
  name: `Section ${n}`,
  kind: 'SEATED',
  rows: 10,
  seatsPerRow: 20,
  capacity: 100,
});

export const seatsOf = (d: Draft): number => (d.kind === 'STANDING' ? d.capacity : d.rows * d.seatsPerRow);

/** The seat-map editor: sections of rows × seats (or standing capacity), previewed as you type. */
export function VenueEditor({ onCreated }: { onCreated(venue: Venue): void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [sections, setSections] = useState<Draft[]>([blank(1)]);
  const { busy, error, submit } = useAction();
  const update = (i: number, patch: Partial<Draft>) =>
    setSections(sections.map((s, k) => (k === i ? { ...s, ...patch } : s)));

  const create = async () => {
    const body: SectionInput[] = sections.map((s) =>
      s.kind === 'STANDING'
        ? { name: s.name.trim(), kind: 'STANDING', capacity: s.capacity }
        : { name: s.name.trim(), rows: s.rows, seatsPerRow: s.seatsPerRow },
    );
    const venue = await createVenue({
      name: name.trim(),
      address: address.trim() || undefined,
      sections: body,
    });
    onCreated(venue);
    setName('');
    setAddress('');
    setSections([blank(1)]);
  };

  const total = sections.reduce((sum, s) => sum + seatsOf(s), 0);
  return (
    <form className="panel form" onSubmit={submit(create)} aria-labelledby="venue-new-h">
      <h2 id="venue-new-h">{t('venue.new')}</h2>
      <Field label={t('venue.name')} required value={name} onChange={(e) => setName(e.target.value)} />
      <Field label={t('venue.address')} value={address} onChange={(e) => setAddress(e.target.value)} />
      <fieldset>
        <legend>{t('venue.sections')}</legend>
        {sections.map((s, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; the index is their identity
          <fieldset className="section-row" key={i}>
            <legend className="visually-hidden">{s.name}</legend>
            <Field
              label={t('venue.sectionName')}
              required
              value={s.name}
              onChange={(e) => update(i, { name: e.target.value })}
            />
            <div className="field">
              <label htmlFor={`kind-${i}`}>{t('venue.kind')}</label>
              <select
                id={`kind-${i}`}
                value={s.kind}
                onChange={(e) => update(i, { kind: e.target.value as Draft['kind'] })}
              >
                <option value="SEATED">{t('venue.seated')}</option>
                <option value="STANDING">{t('venue.standing')}</option>
              </select>
            </div>
            {s.kind === 'SEATED' ? (
              <>
                <NumberField
                  label={t('venue.rows')}
                  min={1}
                  max={100}
                  required
                  value={s.rows}
                  onValue={(rows) => update(i, { rows })}
                />
                <NumberField
                  label={t('venue.seatsPerRow')}
                  min={1}
                  max={200}
                  required
                  value={s.seatsPerRow}
                  onValue={(seatsPerRow) => update(i, { seatsPerRow })}
                />
              </>
            ) : (
              <NumberField
                label={t('venue.capacity')}
                min={1}
                required
                value={s.capacity}
                onValue={(capacity) => update(i, { capacity })}
              />
            )}
            <button
              type="button"
              className="btn btn-small"
              disabled={sections.length === 1}
              onClick={() => setSections(sections.filter((_, k) => k !== i))}
              aria-label={t('venue.removeSection', { name: s.name })}
            >
              {t('common.remove')}
            </button>
          </fieldset>
        ))}
        <button
          type="button"
          className="btn"
          onClick={() => setSections([...sections, blank(sections.length + 1)])}
        >
          {t('venue.addSection')}
        </button>
      </fieldset>
      <VenuePreview sections={sections} />
      <p>{t('venue.total', { n: total })}</p>
      <ErrorMessage error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {t('venue.create')}
      </button>
    </form>
  );
}
