import { listVenues } from '../../api/catalog.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatNumber } from '../../lib/format.ts';
import { useAsync } from '../../lib/hooks.ts';
import { VenueEditor } from './VenueEditor.tsx';

function VenuesInner() {
  const { t, lang } = useI18n();
  const venues = useAsync(listVenues, []);
  return (
    <div className="two-col">
      <section aria-labelledby="venues-h">
        <h1 id="venues-h">{t('venue.title')}</h1>
        <ErrorMessage error={venues.error} />
        {venues.loading && !venues.data ? <Loading /> : null}
        {venues.data?.length === 0 ? <p>{t('venue.none')}</p> : null}
        <ul className="cards single">
          {venues.data?.map((v) => (
            <li key={v.id} className="card" data-testid="venue-card">
              <h2>{v.name}</h2>
              {v.address ? <p className="muted">{v.address}</p> : null}
              <p>{t('venue.total', { n: formatNumber(v.seatCount, lang) })}</p>
            </li>
          ))}
        </ul>
      </section>
      <VenueEditor onCreated={venues.reload} />
    </div>
  );
}

export function VenuesPage() {
  return (
    <RequireRole roles={['SELLER', 'ADMIN']}>
      <VenuesInner />
    </RequireRole>
  );
}
