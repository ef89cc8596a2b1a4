import { useEffect, useState } from 'react';
import { getOrder, myOrders } from '../../api/booking.ts';
import { getSeatMap } from '../../api/catalog.ts';
import type { Order, Performance } from '../../api/types.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { useAsync } from '../../lib/hooks.ts';
import { titlesOf } from '../../lib/performances.ts';
import { Link, useRouter } from '../../lib/router.tsx';
import { OrderCard } from './OrderCard.tsx';

function useOrderList(load: () => Promise<Order[]>, key: string) {
  const result = useAsync(async () => {
    const orders = await load();
    return { orders, performances: await titlesOf(orders.map((o) => o.performanceId)) };
  }, [key]);
  const [orders, setOrders] = useState<Order[]>([]);
  useEffect(() => setOrders(result.data?.orders ?? []), [result.data]);
  const replace = (next: Order) => setOrders((list) => list.map((o) => (o.id === next.id ? next : o)));
  return {
    result,
    orders,
    performances: result.data?.performances ?? new Map<string, Performance>(),
    replace,
  };
}

/** Seat names of every schedule these orders are for. */
async function seatNamesOfAll(scheduleIds: string[]): Promise<Map<number, string>> {
  const maps = await Promise.all(scheduleIds.map(seatNamesOf));
  return new Map(maps.flatMap((m) => [...m]));
}

function OrdersInner() {
  const { t } = useI18n();
  const { result, orders, performances, replace } = useOrderList(myOrders, 'me');
  const schedules = [
    ...new Set(orders.map((o) => o.scheduleId).filter((id): id is string => id !== undefined)),
  ];
  const names = useAsync(() => seatNamesOfAll(schedules), [schedules.join(',')]);
  if (result.error) return <ErrorMessage error={result.error} />;
  if (!result.data) return <Loading />;
  return (
    <section aria-labelledby="orders-h">
      <h1 id="orders-h">{t('orders.title')}</h1>
      {orders.length === 0 ? (
        <p>
          {t('orders.none')} <Link to="/">{t('nav.shows')}</Link>
        </p>
      ) : null}
      <ul className="cards single">
        {orders.map((o) => (
          <OrderCard
            key={o.id}
            order={o}
            performance={o.performanceId ? performances.get(o.performanceId) : undefined}
            seatNames={names.data ?? new Map()}
            onChanged={replace}
          />
        ))}
      </ul>
    </section>
  );
}

/** Seat names (section, row, number) of one schedule, for an order's lines. */
async function seatNamesOf(scheduleId: string | undefined): Promise<Map<number, string>> {
  if (scheduleId === undefined) return new Map();
  const map = await getSeatMap(scheduleId).catch(() => null);
  return new Map((map?.seats ?? []).map((s) => [s.id, `${s.section} ${s.row}-${s.number} (${s.grade})`]));
}

function OrderInner({ id }: { id: string }) {
  const { t } = useI18n();
  const { location } = useRouter();
  const { result, orders, performances, replace } = useOrderList(async () => [await getOrder(id)], id);
  const order = orders[0];
  const names = useAsync(() => seatNamesOf(order?.scheduleId), [order?.scheduleId]);
  if (result.error) return <ErrorMessage error={result.error} />;
  if (!order) return <Loading />;
  return (
    <section aria-labelledby="order-h">
      <h1 id="order-h">{t('orders.order')}</h1>
      {location.search.get('paid') === '1' && order.status === 'PAID' ? (
        <p className="alert alert-ok" role="status" data-testid="payment-success">
          {t('orders.paidBanner')}
        </p>
      ) : null}
      <ul className="cards single">
        <OrderCard
          order={order}
          performance={order.performanceId ? performances.get(order.performanceId) : undefined}
          seatNames={names.data ?? new Map()}
          onChanged={replace}
        />
      </ul>
      <Link to="/me/orders">{t('orders.all')}</Link>
    </section>
  );
}

export function OrdersPage() {
  return (
    <RequireRole roles={['BUYER']}>
      <OrdersInner />
    </RequireRole>
  );
}

export function OrderPage({ id }: { id: string }) {
  return (
    <RequireRole roles={['BUYER', 'SELLER', 'ADMIN']}>
      <OrderInner id={id} />
    </RequireRole>
  );
}
