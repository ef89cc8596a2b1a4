import { useState } from 'react';
import { claimCoupon, getCampaign } from '../../api/coupons.ts';
import { useAuth } from '../../auth/Auth.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatDateTime, formatNumber, formatWon } from '../../lib/format.ts';
import { useAsync, useInterval } from '../../lib/hooks.ts';
import { performanceOnce } from '../../lib/performances.ts';
import { Link } from '../../lib/router.tsx';
import { useAction } from '../../lib/useAction.ts';
import { couponValue } from './CouponsPage.tsx';

/** A coupon campaign: what it gives, how many are left (live), and the claim button for buyers. */
export function CampaignPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const { role } = useAuth();
  const campaign = useAsync(() => getCampaign(id), [id]);
  const perf = useAsync(
    async () => (campaign.data?.performanceId ? performanceOnce(campaign.data.performanceId) : null),
    [campaign.data?.performanceId],
  );
  const [claimed, setClaimed] = useState(false);
  const { busy, error, run } = useAction();
  useInterval(campaign.reload, 3000);

  if (campaign.error && !campaign.data) return <ErrorMessage error={campaign.error} />;
  if (!campaign.data) return <Loading />;
  const c = campaign.data;
  const now = Date.now();
  const inWindow = now >= new Date(c.issueStartsAt).getTime() && now < new Date(c.issueEndsAt).getTime();
  const open = c.issuing !== false && inWindow && !c.stoppedAt && c.remaining > 0;

  const claim = async () => {
    await claimCoupon(id);
    setClaimed(true);
    campaign.reload();
  };

  return (
    <section className="panel narrow campaign" aria-labelledby="campaign-h">
      <h1 id="campaign-h">{c.name}</h1>
      <p className="coupon-value big">{couponValue(c, t, lang)}</p>
      {c.minSpend ? <p>{t('campaign.minSpend', { amount: formatWon(c.minSpend, lang) })}</p> : null}
      <p>
        {perf.data ? (
          <>
            {t('campaign.for')} <Link to={`/performances/${perf.data.id}`}>{perf.data.title}</Link>
          </>
        ) : (
          t('campaign.allShows')
        )}
      </p>
      <p aria-live="polite" data-testid="campaign-remaining">
        {t('campaign.remaining', {
          n: formatNumber(c.remaining, lang),
          total: formatNumber(c.totalQuantity, lang),
        })}
      </p>
      <progress max={c.totalQuantity} value={c.issuedCount} aria-label={t('campaign.issued')} />
      <p className="muted small">
        {t('campaign.window', {
          from: formatDateTime(c.issueStartsAt, lang),
          to: formatDateTime(c.issueEndsAt, lang),
        })}
      </p>
      {claimed ? (
        <p className="alert alert-ok" role="status" data-testid="claim-ok">
          {t('campaign.claimed')} <Link to="/me/coupons">{t('nav.coupons')}</Link>
        </p>
      ) : null}
      <ErrorMessage error={error} />
      {role === 'BUYER' ? (
        <button
          type="button"
          className="btn btn-primary btn-big"
          disabled={!open || busy}
          onClick={() => void run(claim)}
        >
          {open ? t('campaign.claim') : c.remaining === 0 ? t('error.soldOut') : t('error.notIssuing')}
        </button>
      ) : role === null ? (
        <Link className="btn btn-primary" to={`/login?next=${encodeURIComponent(`/campaigns/${id}`)}`}>
          {t('campaign.loginToClaim')}
        </Link>
      ) : null}
    </section>
  );
}
