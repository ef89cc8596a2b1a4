import type { Coupon, Quote } from '../../api/types.ts';
import { Money } from '../../components/Money.tsx';
import { useI18n } from '../../i18n/I18n.tsx';

/** Radio choice among the usable coupons (the best pre-selected by the caller) or none. */
export function CouponChoice({
  quote,
  coupons,
  value,
  locked,
  onChange,
}: {
  quote: Quote;
  coupons: Coupon[];
  value: string;
  locked: boolean;
  onChange(couponId: string): void;
}) {
  const { t } = useI18n();
  const nameOf = (id: string) => coupons.find((c) => c.id === id)?.name ?? t('checkout.coupon');
  return (
    <fieldset className="radio-group coupons" disabled={locked}>
      <legend>{t('checkout.coupons')}</legend>
      {quote.options.length === 0 ? <p className="muted">{t('checkout.noCoupons')}</p> : null}
      {quote.options.map((o) => (
        <label key={o.couponId} className="coupon-option">
          <input
            type="radio"
            name="coupon"
            value={o.couponId}
            checked={value === o.couponId}
            onChange={() => onChange(o.couponId)}
          />{' '}
          <span>{nameOf(o.couponId)}</span>{' '}
          <span className="discount">
            −<Money amount={o.discount} />
          </span>
          {quote.best?.couponId === o.couponId ? (
            <span className="badge badge-ok">{t('checkout.best')}</span>
          ) : null}
        </label>
      ))}
      <label className="coupon-option">
        <input
          type="radio"
          name="coupon"
          value="NONE"
          checked={value === 'NONE'}
          onChange={() => onChange('NONE')}
        />{' '}
        {t('checkout.noCoupon')}
      </label>
      {locked ? <p className="muted small">{t('checkout.couponLocked')}</p> : null}
    </fieldset>
  );
}
