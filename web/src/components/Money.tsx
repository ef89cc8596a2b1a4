import { useI18n } from '../i18n/I18n.tsx';
import { formatWon } from '../lib/format.ts';

export function Money({ amount }: { amount: number }) {
  const { lang } = useI18n();
  return <span className="money">{formatWon(amount, lang)}</span>;
}
