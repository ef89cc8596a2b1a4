import { listCampaigns, myCoupons } from '../../api/coupons.ts';
import type { Campaign, Coupon } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import type { Lang } from '../../i18n/dictionary.ts';
import { type Translate, useI18n } from '../../i18n/I18n.tsx';
import { formatDate, formatWon } from '../../lib/format.ts';
import { useAsync } from '../../lib/hooks.ts';
import { Link } from '../../lib/router.tsx';

/** "10% off (up to ₩20,000)" / "₩5,000 off". */
export function couponValue(
  c: Pick<Coupon, 'kind' | 'value' | 'maxDiscount'>,
  t: Translate,
  lang: Lang,
): string {
  const base =
    c.kind === 'PERCENTAGE'
      ? t('coupon.percentOff', { n: c.value })
      : c.kind === 'FIXED'
        ? t('coupon.wonOff', { amount: formatWon(c.value, lang) })
        : `${c.kind} ${c.value}`;
  return c.maxDiscount ? `${base} ${t('coupon.upTo', { amount: formatWon(c.maxDiscount, lang) })}` : base;
}

function CouponsInner() {
  const { t, lang } = useI18n();
  const coupons = useAsync(myCoupons, []);
  const campaigns = useAsync(() => listCampaigns().catch((): Campaign[] => []), []);
  if (coupons.error) return <ErrorMessage error={coupons.error} />;
  if (!coupons.data) return <Loading />;
  const claimable = (campaigns.data ?? []).filter((c) => c.issuing !== false && c.remaining > 0);
  return (
    <>
      <section aria-labelledby="coupons-h">
        <h1 id="coupons-h">{t('coupons.title')}</h1>
        {coupons.data.length === 0 ? <p>{t('coupons.none')}</p> : null}
        <ul className="cards">
          {coupons.data.map((c) => (
            <li key={c.id} className="card coupon" data-testid="coupon-card">
              <h2>{c.name ?? t('checkout.coupon')}</h2>
              <p className="coupon-value">{couponValue(c, t, lang)}</p>
              <StatusBadge status={c.status} />
              <p className="muted small">
                {t('coupons.validUntil', { date: formatDate(c.validUntil, lang) })}
              </p>
            </li>
          ))}
        </ul>
      </section>
      {claimable.length > 0 ? (
        <section aria-labelledby="claim-h">
          <h2 id="claim-h">{t('coupons.claimable')}</h2>
          <ul className="plain">
            {claimable.map((c) => (
              <li key={c.id}>
                <Link to={`/campaigns/${c.id}`}>{c.name}</Link> — {couponValue(c, t, lang)}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

export function CouponsPage() {
  return (
    <RequireRole roles={['BUYER']}>
      <CouponsInner />
    </RequireRole>
  );
}
