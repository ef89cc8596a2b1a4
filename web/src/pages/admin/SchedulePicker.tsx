import { getPerformance, listPerformances } from '../../api/catalog.ts';
import { useAuth } from '../../auth/Auth.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useAsync } from '../../lib/hooks.ts';

/** Every schedule the caller may watch (own performances for a seller, all for an admin). */
export function SchedulePicker({ value, onChange }: { value: string; onChange(scheduleId: string): void }) {
  const { t, lang } = useI18n();
  const { role, session } = useAuth();
  const sellerId = role === 'SELLER' ? session?.userId : undefined;
  const perfs = useAsync(async () => {
    const page = await listPerformances({ sellerId, size: 50 });
    return Promise.all(page.items.map((p) => getPerformance(p.id)));
  }, [sellerId]);
  return (
    <div className="field">
      <label htmlFor="schedule-pick">{t('dash.schedule')}</label>
      <select id="schedule-pick" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t('dash.pick')}</option>
        {value && perfs.data && !perfs.data.some((p) => p.schedules.some((s) => s.id === value)) ? (
          // a link from elsewhere may name a date the (cached) listing does not show yet
          <option value={value}>{t('dash.current')}</option>
        ) : null}
        {perfs.data?.map((p) => (
          <optgroup key={p.id} label={p.title}>
            {p.schedules.map((s) => (
              <option key={s.id} value={s.id}>
                {p.title} · {formatDateTime(s.startsAt, lang)}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
}
