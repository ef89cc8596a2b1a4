import type { ReactNode } from 'react';
import { Layout } from './components/Layout.tsx';
import { useI18n } from './i18n/I18n.tsx';
import { Link, matchPath, useRouter } from './lib/router.tsx';
import { QueueDashboardPage } from './pages/admin/QueueDashboard.tsx';
import { ReconciliationPage } from './pages/admin/ReconciliationPage.tsx';
import { LoginPage } from './pages/auth/Login.tsx';
import { SignupPage } from './pages/auth/Signup.tsx';
import { CampaignPage } from './pages/buyer/CampaignPage.tsx';
import { CheckoutPage } from './pages/buyer/CheckoutPage.tsx';
import { CouponsPage } from './pages/buyer/CouponsPage.tsx';
import { HomePage } from './pages/buyer/Home.tsx';
import { OrderPage, OrdersPage } from './pages/buyer/OrdersPage.tsx';
import { PerformancePage } from './pages/buyer/PerformancePage.tsx';
import { QueuePage } from './pages/buyer/QueuePage.tsx';
import { SeatsPage } from './pages/buyer/SeatsPage.tsx';
import { SellerCampaignsPage } from './pages/seller/CampaignsPage.tsx';
import { PerformanceFormPage } from './pages/seller/PerformanceForm.tsx';
import { SellerPerformancesPage } from './pages/seller/PerformancesPage.tsx';
import { SellerPerformancePage } from './pages/seller/SellerPerformancePage.tsx';
import { SettlementsPage } from './pages/seller/SettlementsPage.tsx';
import { VenuesPage } from './pages/seller/VenuesPage.tsx';

type Params = Record<string, string>;
const p = (params: Params, name: string): string => params[name] ?? '';

/** Path patterns, most specific first. */
const ROUTES: [string, (params: Params) => ReactNode][] = [
  ['/', () => <HomePage />],
  ['/login', () => <LoginPage />],
  ['/signup', () => <SignupPage />],
  ['/performances/:id', (x) => <PerformancePage id={p(x, 'id')} />],
  [
    '/performances/:pid/schedules/:sid/queue',
    (x) => <QueuePage performanceId={p(x, 'pid')} scheduleId={p(x, 'sid')} />,
  ],
  [
    '/performances/:pid/schedules/:sid/seats',
    (x) => <SeatsPage performanceId={p(x, 'pid')} scheduleId={p(x, 'sid')} />,
  ],
  ['/checkout/:holdId', (x) => <CheckoutPage holdId={p(x, 'holdId')} />],
  ['/orders/:id', (x) => <OrderPage id={p(x, 'id')} />],
  ['/me/orders', () => <OrdersPage />],
  ['/me/coupons', () => <CouponsPage />],
  ['/campaigns/:id', (x) => <CampaignPage id={p(x, 'id')} />],
  ['/seller/venues', () => <VenuesPage />],
  ['/seller/performances', () => <SellerPerformancesPage />],
  ['/seller/performances/new', () => <PerformanceFormPage />],
  ['/seller/performances/:id', (x) => <SellerPerformancePage id={p(x, 'id')} />],
  ['/seller/campaigns', () => <SellerCampaignsPage />],
  ['/seller/settlements', () => <SettlementsPage />],
  ['/admin/queues', () => <QueueDashboardPage />],
  ['/admin/reconciliation', () => <ReconciliationPage />],
];

function NotFound() {
  const { t } = useI18n();
  return (
    <section className="panel narrow">
      <h1>{t('error.pageNotFound')}</h1>
      <Link to="/">{t('nav.shows')}</Link>
    </section>
  );
}

export function App() {
  const { location } = useRouter();
  // `/seller/performances/new` must win over `/seller/performances/:id`.
  const ordered = [...ROUTES].sort((a, b) => Number(b[0].includes('/new')) - Number(a[0].includes('/new')));
  let page: ReactNode = <NotFound />;
  for (const [pattern, render] of ordered) {
    const params = matchPath(pattern, location.pathname);
    if (params !== null) {
      page = render(params);
      break;
    }
  }
  return <Layout>{page}</Layout>;
}
