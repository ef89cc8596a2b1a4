import { useRef, useState } from 'react';
import {
  cancelOrder,
  createOrder,
  extendHold,
  getHold,
  getQuote,
  myOrders,
  releaseHold,
} from '../../api/booking.ts';
import { isApiError, newIdempotencyKey } from '../../api/client.ts';
import { myCoupons } from '../../api/coupons.ts';
import { confirmPayment, sandboxCheckout } from '../../api/payments.ts';
import type { Order } from '../../api/types.ts';
import { Countdown } from '../../components/Countdown.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { Money } from '../../components/Money.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { useAsync } from '../../lib/hooks.ts';
import { useRouter } from '../../lib/router.tsx';
import { useAction } from '../../lib/useAction.ts';
import { loadHoldContext } from '../../queue/hold-context.ts';
import { CouponChoice } from './CouponChoice.tsx';

const PENDING = ['PENDING_PAYMENT', 'PAYMENT_PENDING'];

async function loadCheckout(holdId: string) {
  const [hold, quote, coupons, orders] = await Promise.all([
    getHold(holdId),
    getQuote(holdId),
    myCoupons().catch(() => []),
    myOrders().catch(() => [] as Order[]),
  ]);
  const existing = orders.find((o) => o.holdId === holdId && PENDING.includes(o.status)) ?? null;
  return { hold, quote, coupons, existing };
}

function CheckoutInner({ holdId }: { holdId: string }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const data = useAsync(() => loadCheckout(holdId), [holdId]);
  const context = loadHoldContext(holdId);
  const [choice, setChoice] = useState<string | null>(null);
  const [order, setOrder] = useState<Order | null>(null);
  const [decline, setDecline] = useState(false);
  const { busy, error, setError, run } = useAction();
  const [extendedUntil, setExtendedUntil] = useState<string | null>(null);
  const orderKey = useRef(newIdempotencyKey());

  if (data.error) return <ErrorMessage error={data.error} />;
  if (!data.data) return <Loading />;
  const { hold, quote, coupons, existing } = data.data;
  const current = order ?? existing;
  const selected = current ? (current.couponId ?? 'NONE') : (choice ?? quote.best?.couponId ?? 'NONE');
  const discount = current
    ? current.discount
    : (quote.options.find((o) => o.couponId === selected)?.discount ?? 0);
  const total = current ? current.amount : quote.subtotal - discount;
  const seatsPath = context
    ? `/performances/${context.performanceId}/schedules/${context.scheduleId}/seats`
    : '/';

  const pay = async () => {
    try {
      let o = current;
      if (o === null) {
        o = await createOrder(holdId, selected === 'NONE' ? null : selected, orderKey.current);
        setOrder(o);
      }
      const checkout = await sandboxCheckout(
        { orderId: o.tossOrderId, amount: o.amount, method: 'CARD' },
        decline ? 'REJECT_CARD_PAYMENT' : undefined,
      );
      await confirmPayment({ orderId: o.tossOrderId, paymentKey: checkout.paymentKey, amount: o.amount });
      navigate(`/orders/${o.id}?paid=1`);
    } catch (err) {
      // no order made: the next try is a new one (a 5xx may have made it: retry with the same key)
      if (current === null && !(isApiError(err) && err.status >= 500)) orderKey.current = newIdempotencyKey();
      throw err;
    }
  };

  const giveUp = async () => {
    try {
      if (current) await cancelOrder(current.id, { reason: 'buyer left checkout' });
      else await releaseHold(holdId);
    } catch {
      // already gone: the seats are back either way
    }
    navigate(seatsPath);
  };

  const paymentsMissing = isApiError(error) && error.status === 404 && error.code === 'NOT_FOUND';
  return (
    <section className="panel checkout" aria-labelledby="checkout-h">
      <h1 id="checkout-h">{t('checkout.title')}</h1>
      <div className="actions">
        <Countdown
          until={current?.expiresAt ?? extendedUntil ?? hold.expiresAt}
          label={t('checkout.holdLeft')}
          testId="hold-countdown"
        />
        {current === null ? (
          <button
            type="button"
            className="btn btn-small"
            disabled={busy}
            onClick={async () => {
              try {
                setExtendedUntil((await extendHold(holdId)).expiresAt);
              } catch (err) {
                setError(err);
              }
            }}
          >
            {t('checkout.extend')}
          </button>
        ) : null}
      </div>
      <h2>{t('checkout.seats')}</h2>
      <ul className="plain" data-testid="checkout-seats">
        {(context?.labels ?? hold.seatIds.map((id) => `#${id}`)).map((label) => (
          <li key={label}>{label}</li>
        ))}
      </ul>
      <CouponChoice
        quote={quote}
        coupons={coupons}
        value={selected}
        locked={current !== null}
        onChange={setChoice}
      />
      <dl className="summary">
        <dt>{t('checkout.subtotal')}</dt>
        <dd>
          <Money amount={quote.subtotal} />
        </dd>
        <dt>{t('checkout.discount')}</dt>
        <dd data-testid="checkout-discount">
          − <Money amount={discount} />
        </dd>
        <dt>{t('checkout.total')}</dt>
        <dd className="total" data-testid="checkout-total">
          <Money amount={total} />
        </dd>
      </dl>
      <fieldset className="sandbox">
        <legend>{t('checkout.sandbox')}</legend>
        <p className="muted small">{t('checkout.sandboxHelp')}</p>
        <label>
          <input type="checkbox" checked={decline} onChange={(e) => setDecline(e.target.checked)} />{' '}
          {t('checkout.simulateDecline')}
        </label>
      </fieldset>
      {paymentsMissing ? (
        <p className="alert alert-warn" role="alert">
          {t('checkout.paymentsUnavailable')}
        </p>
      ) : (
        <ErrorMessage error={error} />
      )}
      <div className="actions">
        <button
          type="button"
          className="btn btn-primary btn-big"
          disabled={busy}
          onClick={() => void run(pay)}
        >
          {current ? t('checkout.payAgain') : t('checkout.pay')} <Money amount={total} />
        </button>
        <button type="button" className="btn btn-ghost" disabled={busy} onClick={() => void run(giveUp)}>
          {t('checkout.release')}
        </button>
      </div>
    </section>
  );
}

export function CheckoutPage({ holdId }: { holdId: string }) {
  return (
    <RequireRole roles={['BUYER']}>
      <CheckoutInner holdId={holdId} />
    </RequireRole>
  );
}
