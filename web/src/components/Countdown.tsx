import { formatClock } from '../lib/format.ts';
import { useCountdown } from '../lib/hooks.ts';

/** Time left until `until`, with a label; turns urgent under a minute. */
export function Countdown({ until, label, testId }: { until: string; label: string; testId?: string }) {
  const left = useCountdown(until) ?? 0;
  const urgent = left < 60;
  return (
    <p className={`countdown${urgent ? ' countdown-urgent' : ''}`} data-testid={testId}>
      <span>{label}</span> <time dateTime={until}>{formatClock(left)}</time>
    </p>
  );
}
