import { useI18n } from '../i18n/I18n.tsx';
import { formatClock } from '../lib/format.ts';
import { useCountdown } from '../lib/hooks.ts';

/**
 * Time left until `until`, with a label; turns urgent under a minute, which screen readers are told
 * once (the ticking clock itself is not announced).
 */
export function Countdown({ until, label, testId }: { until: string; label: string; testId?: string }) {
  const { t } = useI18n();
  const left = useCountdown(until) ?? 0;
  const urgent = left < 60;
  return (
    <p className={`countdown${urgent ? ' countdown-urgent' : ''}`} data-testid={testId}>
      <span>{label}</span> <time dateTime={until}>{formatClock(left)}</time>
      <span className="visually-hidden" aria-live="assertive">
        {urgent && left > 0 ? t('countdown.lastMinute', { label }) : ''}
      </span>
    </p>
  );
}
