import { useEffect, useState } from 'react';
import { createPerformance, getVenue, listVenues } from '../../api/catalog.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Field, NumberField } from '../../components/Field.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { fromLocalInput, toLocalInput } from '../../lib/format.ts';
import { useAsync } from '../../lib/hooks.ts';
import { Link, useRouter } from '../../lib/router.tsx';
import { useAction } from '../../lib/useAction.ts';
import { type GradeDraft, GradesEditor } from './GradesEditor.tsx';

const inDays = (days: number, hour = 19) => {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setHours(hour, 0, 0, 0);
  return toLocalInput(d);
};

function PerformanceFormInner() {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const venues = useAsync(listVenues, []);
  const [venueId, setVenueId] = useState('');
  const venue = useAsync(async () => (venueId ? getVenue(venueId) : null), [venueId]);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [grades, setGrades] = useState<GradeDraft[]>([
    { grade: 'R', price: 150000 },
    { grade: 'S', price: 120000 },
  ]);
  const [sectionGrades, setSectionGrades] = useState<Record<string, string>>({});
  const [schedules, setSchedules] = useState<string[]>([inDays(30)]);
  const [salesOpenAt, setSalesOpenAt] = useState(toLocalInput(new Date()));
  const [salesCloseAt, setSalesCloseAt] = useState(inDays(29));
  const [maxTickets, setMaxTickets] = useState(4);
  const [admitPerSecond, setAdmitPerSecond] = useState(20);
  const [maxActive, setMaxActive] = useState(200);
  const { busy, error, submit } = useAction();

  useEffect(() => {
    if (!venueId && venues.data?.[0]) setVenueId(venues.data[0].id);
  }, [venues.data, venueId]);
  const sections = venue.data?.sections ?? [];
  const gradeFor = (name: string) => sectionGrades[name] ?? grades[0]?.grade ?? '';

  const create = async () => {
    const created = await createPerformance({
      venueId,
      title: title.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
      grades,
      sectionGrades: Object.fromEntries(sections.map((s) => [s.name, gradeFor(s.name)])),
      schedules: schedules.map((s) => ({ startsAt: fromLocalInput(s) })),
      salesOpenAt: fromLocalInput(salesOpenAt),
      salesCloseAt: fromLocalInput(salesCloseAt),
      maxTicketsPerBuyer: maxTickets,
      queue: { admitPerSecond, maxActive },
    });
    navigate(`/seller/performances/${created.id}`);
  };

  if (venues.loading && !venues.data) return <Loading />;
  if (venues.data?.length === 0) {
    return (
      <section className="panel narrow">
        <h1>{t('perfForm.title')}</h1>
        <p>
          {t('perfForm.needVenue')} <Link to="/seller/venues">{t('nav.venues')}</Link>
        </p>
      </section>
    );
  }
  return (
    <form className="panel form wide" onSubmit={submit(create)} aria-labelledby="perf-new-h">
      <h1 id="perf-new-h">{t('perfForm.title')}</h1>
      <div className="field">
        <label htmlFor="perf-venue">{t('perfForm.venue')}</label>
        <select id="perf-venue" value={venueId} onChange={(e) => setVenueId(e.target.value)} required>
          {venues.data?.map((v) => (
            <option key={v.id} value={v.id}>
              {v.name} ({v.seatCount})
            </option>
          ))}
        </select>
      </div>
      <Field label={t('perfForm.name')} required value={title} onChange={(e) => setTitle(e.target.value)} />
      <div className="field">
        <label htmlFor="perf-desc">{t('perfForm.description')}</label>
        <textarea
          id="perf-desc"
          rows={3}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <GradesEditor grades={grades} onChange={setGrades} />
      <fieldset>
        <legend>{t('perfForm.sectionGrades')}</legend>
        {sections.map((s) => (
          <div className="field inline" key={s.id}>
            <label htmlFor={`sg-${s.id}`}>
              {s.name} ({s.capacity})
            </label>
            <select
              id={`sg-${s.id}`}
              value={gradeFor(s.name)}
              onChange={(e) => setSectionGrades({ ...sectionGrades, [s.name]: e.target.value })}
            >
              {grades.map((g) => (
                <option key={g.grade} value={g.grade}>
                  {g.grade}
                </option>
              ))}
            </select>
          </div>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('perfForm.schedules')}</legend>
        {schedules.map((s, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: edited in place
          <div className="inline-row" key={i}>
            <Field
              label={t('perfForm.startsAt', { n: i + 1 })}
              type="datetime-local"
              required
              value={s}
              onChange={(e) => setSchedules(schedules.map((x, k) => (k === i ? e.target.value : x)))}
            />
            <button
              type="button"
              className="btn btn-small"
              disabled={schedules.length === 1}
              onClick={() => setSchedules(schedules.filter((_, k) => k !== i))}
            >
              {t('common.remove')}
            </button>
          </div>
        ))}
        <button type="button" className="btn" onClick={() => setSchedules([...schedules, inDays(31)])}>
          {t('perfForm.addSchedule')}
        </button>
      </fieldset>
      <div className="grid-2">
        <Field
          label={t('perfForm.salesOpenAt')}
          type="datetime-local"
          required
          value={salesOpenAt}
          onChange={(e) => setSalesOpenAt(e.target.value)}
        />
        <Field
          label={t('perfForm.salesCloseAt')}
          type="datetime-local"
          required
          value={salesCloseAt}
          onChange={(e) => setSalesCloseAt(e.target.value)}
        />
        <NumberField
          label={t('perfForm.maxTickets')}
          min={1}
          max={8}
          value={maxTickets}
          onValue={setMaxTickets}
        />
        <NumberField
          label={t('perfForm.admitPerSecond')}
          min={1}
          value={admitPerSecond}
          onValue={setAdmitPerSecond}
        />
        <NumberField label={t('perfForm.maxActive')} min={1} value={maxActive} onValue={setMaxActive} />
      </div>
      <ErrorMessage error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy || !venueId}>
        {t('perfForm.create')}
      </button>
    </form>
  );
}

export function PerformanceFormPage() {
  return (
    <RequireRole roles={['SELLER', 'ADMIN']}>
      <PerformanceFormInner />
    </RequireRole>
  );
}
