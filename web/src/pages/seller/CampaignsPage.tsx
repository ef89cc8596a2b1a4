import { listPerformances } from '../../api/catalog.ts';
import { listCampaigns, stopCampaign } from '../../api/coupons.ts';
import type { Campaign } from '../../api/types.ts';
import { useAuth } from '../../auth/Auth.tsx';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatNumber } from '../../lib/format.ts';
import { useAsync, useInterval } from '../../lib/hooks.ts';
import { Link, useRouter } from '../../lib/router.tsx';
import { couponValue } from '../buyer/CouponsPage.tsx';
import { CampaignForm } from './CampaignForm.tsx';

function Inner() {
  const { t, lang } = useI18n();
  const { role, session } = useAuth();
  const { location } = useRouter();
  const sellerId = role === 'SELLER' ? session?.userId : undefined;
  const perfs = useAsync(() => listPerformances({ sellerId, size: 100 }), [sellerId]);
  const mine = new Set((perfs.data?.items ?? []).map((p) => p.id));
  const campaigns = useAsync(listCampaigns, []);
  useInterval(campaigns.reload, 2000);
  const shown = (campaigns.data ?? []).filter(
    (c: Campaign) =>
      role === 'ADMIN' ||
      (c.performanceId !== null && c.performanceId !== undefined && mine.has(c.performanceId)),
  );
  const title = (id: string | null | undefined) =>
    perfs.data?.items.find((p) => p.id === id)?.title ?? t('campaign.allShows');
  return (
    <div className="two-col">
      <section aria-labelledby="camps-h">
        <h1 id="camps-h">{t('camp.title')}</h1>
        <ErrorMessage error={campaigns.error} />
        {!campaigns.data ? <Loading /> : null}
        {campaigns.data && shown.length === 0 ? <p>{t('camp.none')}</p> : null}
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('camp.name')}</th>
              <th scope="col">{t('camp.issued')}</th>
              <th scope="col">{t('camp.remaining')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody aria-live="polite">
            {shown.map((c) => (
              <tr key={c.id} data-testid="campaign-row">
                <td>
                  <Link to={`/campaigns/${c.id}`}>{c.name}</Link>
                  <div className="muted small">
                    {couponValue(c, t, lang)} · {title(c.performanceId)}
                  </div>
                </td>
                <td>
                  {formatNumber(c.issuedCount, lang)} / {formatNumber(c.totalQuantity, lang)}
                </td>
                <td>{formatNumber(c.remaining, lang)}</td>
                <td>
                  {c.stoppedAt ? (
                    <span className="badge badge-muted">{t('camp.stopped')}</span>
                  ) : (
                    <ConfirmButton
                      label={t('camp.stop')}
                      question={t('camp.stopQ')}
                      onConfirm={async () => {
                        await stopCampaign(c.id).catch(() => undefined);
                        campaigns.reload();
                      }}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {perfs.data ? (
        <CampaignForm
          performances={perfs.data.items}
          role={role}
          initialPerformance={location.search.get('performance') ?? ''}
          onCreated={campaigns.reload}
        />
      ) : null}
    </div>
  );
}

export function SellerCampaignsPage() {
  return (
    <RequireRole roles={['SELLER', 'ADMIN']}>
      <Inner />
    </RequireRole>
  );
}
