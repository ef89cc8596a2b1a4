import { useState } from 'react';
import { cancelOrder } from '../../api/booking.ts';
import type { Order, OrderLine, Performance } from '../../api/types.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Money } from '../../components/Money.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { Link } from '../../lib/router.tsx';
import { useAction } from '../../lib/useAction.ts';

const REFUNDABLE = ['PAID', 'PARTIALLY_REFUNDED'];

export function lineLabel(line: OrderLine, seatNames: ReadonlyMap<number, string>): string {
  if (line.seatId !== null) return seatNames.get(line.seatId) ?? `${line.grade} · #${line.seatId}`;
  return `${line.grade} · ${line.entryNumber ? `No. ${line.entryNumber}` : 'standing'}`;
}

/** One order with its seats and the cancel / refund actions the buyer may take. */
export function OrderCard({
  order,
  performance,
  seatNames,
  onChanged,
}: {
  order: Order;
  performance?: Performance;
  seatNames: ReadonlyMap<number, string>;
  onChanged(order: Order): void;
}) {
  const { t, lang } = useI18n();
  const [picked, setPicked] = useState<number[]>([]);
  const { error, run } = useAction();
  const schedule = performance?.schedules.find((s) => s.id === order.scheduleId);
  const refundable = (order.lines ?? []).filter(
    (l) => l.seatId !== null && l.status !== 'REFUNDED' && REFUNDABLE.includes(order.status),
  );
  const act = (body: { seatIds?: number[]; reason?: string }) =>
    run(async () => {
      onChanged(await cancelOrder(order.id, body));
      setPicked([]);
    });
  return (
    <li className="card order" data-testid="order-card" data-status={order.status}>
      <header className="order-head">
        <h2>
          <Link to={`/orders/${order.id}`}>{performance?.title ?? t('orders.order')}</Link>
        </h2>
        <StatusBadge status={order.status} />
      </header>
      {schedule ? <p className="muted">{formatDateTime(schedule.startsAt, lang)}</p> : null}
      <ul className="plain">
        {(order.lines ?? []).map((line, k) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: standing lines share a section and may lack an entry number
          <li key={`${line.seatId ?? line.sectionId}-${k}`}>
            {refundable.includes(line) ? (
              <label>
                <input
                  type="checkbox"
                  checked={line.seatId !== null && picked.includes(line.seatId)}
                  onChange={(e) => {
                    const id = line.seatId ?? 0;
                    setPicked(e.target.checked ? [...picked, id] : picked.filter((x) => x !== id));
                  }}
                />{' '}
                {lineLabel(line, seatNames)}
              </label>
            ) : (
              lineLabel(line, seatNames)
            )}{' '}
            <Money amount={line.price} />{' '}
            {line.status && line.status !== order.status ? <StatusBadge status={line.status} /> : null}
          </li>
        ))}
      </ul>
      <p>
        {t('orders.amount')}{' '}
        <strong>
          <Money amount={order.amount} />
        </strong>
        {order.discount > 0 ? (
          <span className="muted">
            {' '}
            ({t('orders.discount')} <Money amount={order.discount} />)
          </span>
        ) : null}
      </p>
      <ErrorMessage error={error} />
      <div className="actions">
        {order.status === 'PENDING_PAYMENT' && order.holdId ? (
          <Link className="btn btn-primary" to={`/checkout/${order.holdId}`}>
            {t('orders.pay')}
          </Link>
        ) : null}
        {order.status === 'PENDING_PAYMENT' ? (
          <ConfirmButton
            label={t('orders.cancel')}
            question={t('orders.cancelQ')}
            onConfirm={() => act({ reason: 'buyer cancelled' })}
          />
        ) : null}
        {refundable.length > 0 ? (
          <>
            <ConfirmButton
              label={t('orders.refundAll')}
              question={t('orders.refundQ')}
              onConfirm={() => act({ reason: 'buyer refund' })}
            />
            {picked.length > 0 && picked.length < refundable.length ? (
              <ConfirmButton
                label={t('orders.refundSome', { n: picked.length })}
                question={t('orders.refundQ')}
                onConfirm={() => act({ seatIds: picked, reason: 'buyer partial refund' })}
              />
            ) : null}
          </>
        ) : null}
      </div>
      <p className="muted small">
        {t('orders.created', { at: formatDateTime(order.createdAt, lang) })}
        {order.paidAt ? ` · ${t('orders.paidAt', { at: formatDateTime(order.paidAt, lang) })}` : ''}
      </p>
    </li>
  );
}
