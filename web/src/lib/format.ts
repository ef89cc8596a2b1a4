import type { Lang } from '../i18n/dictionary.ts';

const locale = (lang: Lang) => (lang === 'ko' ? 'ko-KR' : 'en-GB');

/** Money is integer KRW. */
export const formatWon = (amount: number, lang: Lang): string =>
  lang === 'ko'
    ? `${new Intl.NumberFormat('ko-KR').format(amount)}원`
    : `₩${new Intl.NumberFormat('en-GB').format(amount)}`;

/** Times show in the reader's own time zone, the same one the date inputs use. */
export const formatDateTime = (iso: string | null | undefined, lang: Lang): string => {
  if (iso === null || iso === undefined) return '—';
  return new Intl.DateTimeFormat(locale(lang), {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(iso));
};

export const formatDate = (iso: string, lang: Lang): string =>
  new Intl.DateTimeFormat(locale(lang), { dateStyle: 'medium' }).format(new Date(iso));

export const formatNumber = (n: number, lang: Lang): string => new Intl.NumberFormat(locale(lang)).format(n);

/** 125 → "2:05"; 3725 → "1:02:05". */
export function formatClock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** datetime-local input value (local time) ↔ ISO UTC. */
export const toLocalInput = (date: Date): string => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
};
/** The same with seconds (inputs with step={1}): report periods end at "now", not the minute before. */
export const toLocalInputSeconds = (date: Date): string =>
  `${toLocalInput(date)}:${String(date.getSeconds()).padStart(2, '0')}`;
export const fromLocalInput = (value: string): string => new Date(value).toISOString();
