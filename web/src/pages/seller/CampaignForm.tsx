import { useState } from 'react';
import { createCampaign } from '../../api/coupons.ts';
import type { CampaignInput, PerformanceSummary, Role } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Field, NumberField } from '../../components/Field.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { fromLocalInput, toLocalInput } from '../../lib/format.ts';
import { useAction } from '../../lib/useAction.ts';

const later = (days: number) => toLocalInput(new Date(Date.now() + days * 86_400_000));
/** The campaign's three moments, each a `datetime-local` field labelled `camp.<key>`. */
const MOMENTS = ['issueStartsAt', 'issueEndsAt', 'validUntil'] as const;

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
  const { busy, error, submit } = useAction();
  const set = (patch: Partial<typeof form>) => setForm({ ...form, ...patch });

  const create = async () => {
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
  };

  return (
    <form className="panel form" onSubmit={submit(create)} aria-labelledby="camp-new-h">
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
        <NumberField
          label={form.kind === 'PERCENTAGE' ? t('camp.percent') : t('camp.amount')}
          min={1}
          max={form.kind === 'PERCENTAGE' ? 100 : undefined}
          required
          value={form.value}
          onValue={(value) => set({ value })}
        />
        {form.kind === 'PERCENTAGE' ? (
          <NumberField
            label={t('camp.maxDiscount')}
            min={0}
            value={form.maxDiscount}
            onValue={(maxDiscount) => set({ maxDiscount })}
          />
        ) : null}
        <NumberField
          label={t('camp.minSpend')}
          min={0}
          value={form.minSpend}
          onValue={(minSpend) => set({ minSpend })}
        />
        <NumberField
          label={t('camp.total')}
          min={1}
          required
          value={form.totalQuantity}
          onValue={(totalQuantity) => set({ totalQuantity })}
        />
        <NumberField
          label={t('camp.perUser')}
          min={1}
          required
          value={form.perUserLimit}
          onValue={(perUserLimit) => set({ perUserLimit })}
        />
        {MOMENTS.map((key) => (
          <Field
            key={key}
            label={t(`camp.${key}`)}
            type="datetime-local"
            required
            value={form[key]}
            onChange={(e) => set({ [key]: e.target.value })}
          />
        ))}
      </div>
      <ErrorMessage error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {t('camp.create')}
      </button>
    </form>
  );
}
