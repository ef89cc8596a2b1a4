import type { MessageKey } from '../i18n/dictionary.ts';
import { useI18n } from '../i18n/I18n.tsx';

const TONE: Record<string, string> = {
  PAID: 'ok',
  AVAILABLE: 'ok',
  ON_SALE: 'ok',
  PAID_OUT: 'ok',
  PENDING_PAYMENT: 'warn',
  PAYMENT_PENDING: 'warn',
  WAITING_FOR_DEPOSIT: 'warn',
  RESERVED: 'warn',
  CALCULATED: 'warn',
  CONFIRMED: 'info',
  PARTIALLY_REFUNDED: 'info',
  REFUNDED: 'muted',
  USED: 'muted',
  EXPIRED: 'muted',
  CANCELLED: 'muted',
  DELETED: 'muted',
};

export function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  const key = `status.${status}` as MessageKey;
  const label = t(key);
  return <span className={`badge badge-${TONE[status] ?? 'info'}`}>{label === key ? status : label}</span>;
}
