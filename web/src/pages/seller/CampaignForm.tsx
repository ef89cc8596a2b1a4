import { type FormEvent, useState } from 'react';
import { createCampaign } from '../../api/coupons.ts';
import type { CampaignInput, PerformanceSummary, Role } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Field } from '../../components/Field.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { fromLocalInput, toLocalInput } from '../../lib/format.ts';

const later = (days: number) => toLocalInput(new Date(Date.now() + days * 86_400_000));

/** A new first-come-first-served coupon campaign. */
export function CampaignForm({
  performances,
  role,
  initialPerformance,
  onCreated,
}: {
  performances: PerformanceSummary[];
  role: Role | null;
  initialPerformance: string;
  onCreated(): void;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState({
    name: '',
    kind: 'PERCENTAGE',
    value: 10,
    maxDiscount: 20000,
    minSpend: 0,
    performanceId: initialPerformance || performances[0]?.id || '',
    totalQuantity: 100,
    perUserLimit: 1,
    issueStartsAt: toLocalInput(new Date()),
    issueEndsAt: later(14),
    validUntil: later(60),
  });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<typeof form>) => setForm({ ...form, ...patch });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const input: CampaignInput = {
        name: form.name.trim(),
        kind: form.kind,
        value: form.value,
        ...(form.kind === 'PERCENTAGE' && form.maxDiscount > 0 ? { maxDiscount: form.maxDiscount } : {}),
        ...(form.minSpend > 0 ? { minSpend: form.minSpend } : {}),
        ...(form.performanceId ? { performanceId: form.performanceId } : {}),
        totalQuantity: form.totalQuantity,
        perUserLimit: form.perUserLimit,
        issueStartsAt: fromLocalInput(form.issueStartsAt),
        issueEndsAt: fromLocalInput(form.issueEndsAt),
        validUntil: fromLocalInput(form.validUntil),
      };
      await createCampaign(input);
      set({ name: '' });
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel form" onSubmit={submit} aria-labelledby="camp-new-h">
      <h2 id="camp-new-h">{t('camp.new')}</h2>
      <Field
        label={t('camp.name')}
        required
        value={form.name}
        onChange={(e) => set({ name: e.target.value })}
      />
      <div className="field">
        <label htmlFor="camp-perf">{t('camp.performance')}</label>
        <select
          id="camp-perf"
          value={form.performanceId}
          onChange={(e) => set({ performanceId: e.target.value })}
        >
          {role === 'ADMIN' ? <option value="">{t('campaign.allShows')}</option> : null}
          {performances.map((p) => (
            <option key={p.id} value={p.id}>
              {p.title}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="camp-kind">{t('camp.kind')}</label>
        <select id="camp-kind" value={form.kind} onChange={(e) => set({ kind: e.target.value })}>
          <option value="PERCENTAGE">{t('camp.percentage')}</option>
          <option value="FIXED">{t('camp.fixed')}</option>
        </select>
      </div>
      <div className="grid-2">
        <Field
          label={form.kind === 'PERCENTAGE' ? t('camp.percent') : t('camp.amount')}
          type="number"
          min={1}
          max={form.kind === 'PERCENTAGE' ? 100 : undefined}
          required
          value={form.value}
          onChange={(e) => set({ value: Number(e.target.value) })}
        />
        {form.kind === 'PERCENTAGE' ? (
          <Field
            label={t('camp.maxDiscount')}
            type="number"
            min={0}
            value={form.maxDiscount}
            onChange={(e) => set({ maxDiscount: Number(e.target.value) })}
          />
        ) : null}
        <Field
          label={t('camp.minSpend')}
          type="number"
          min={0}
          value={form.minSpend}
          onChange={(e) => set({ minSpend: Number(e.target.value) })}
        />
        <Field
          label={t('camp.total')}
          type="number"
          min={1}
          required
          value={form.totalQuantity}
          onChange={(e) => set({ totalQuantity: Number(e.target.value) })}
        />
        <Field
          label={t('camp.perUser')}
          type="number"
          min={1}
          required
          value={form.perUserLimit}
          onChange={(e) => set({ perUserLimit: Number(e.target.value) })}
        />
        <Field
          label={t('camp.issueStartsAt')}
          type="datetime-local"
          required
          value={form.issueStartsAt}
          onChange={(e) => set({ issueStartsAt: e.target.value })}
        />
        <Field
          label={t('camp.issueEndsAt')}
          type="datetime-local"
          required
          value={form.issueEndsAt}
          onChange={(e) => set({ issueEndsAt: e.target.value })}
        />
        <Field
          label={t('camp.validUntil')}
          type="datetime-local"
          required
          value={form.validUntil}
          onChange={(e) => set({ validUntil: e.target.value })}
        />
      </div>
      <ErrorMessage error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {t('camp.create')}
      </button>
    </form>
  );
}
