/**
 * The settlement calendar: days and months in a fixed UTC offset (KST by default, which has no
 * daylight saving) and business days for payout dates. Dates are `YYYY-MM-DD` strings.
 */

const DAY_MS = 86_400_000;

export interface Calendar {
  utcOffsetMinutes: number;
  holidays: ReadonlySet<string>;
}

/** The local calendar date of an instant. */
export function localDate(instant: Date, cal: Calendar): string {
  return new Date(instant.getTime() + cal.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** The instant local midnight starts `date`. */
export function startOfLocalDay(date: string, cal: Calendar): Date {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) - cal.utcOffsetMinutes * 60_000);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function isBusinessDay(date: string, cal: Calendar): boolean {
  const weekday = new Date(`${date}T00:00:00.000Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !cal.holidays.has(date);
}

/**
 * Payout date: the period's last local day plus `businessDays` business days (Toss's D+N rule). A
 * period [start, end) ends on the local date of the instant just before `end`.
 */
export function payoutDate(periodEnd: Date, businessDays: number, cal: Calendar): string {
  let date = localDate(new Date(periodEnd.getTime() - 1), cal);
  let left = businessDays;
  while (left > 0) {
    date = addDays(date, 1);
    if (isBusinessDay(date, cal)) left--;
  }
  // With N = 0 a payout still never falls on a closed day.
  while (!isBusinessDay(date, cal)) date = addDays(date, 1);
  return date;
}

export interface Period {
  periodStart: Date;
  periodEnd: Date;
}

/** The local day `daysAgo` days before the local day of `now` (1 = yesterday). */
export function localDayPeriod(now: Date, daysAgo: number, cal: Calendar): Period {
  const day = addDays(localDate(now, cal), -daysAgo);
  return { periodStart: startOfLocalDay(day, cal), periodEnd: startOfLocalDay(addDays(day, 1), cal) };
}

/** The local calendar month before the one `now` falls in. */
export function previousLocalMonth(now: Date, cal: Calendar): Period {
  const today = localDate(now, cal);
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7)); // 1..12, the current month
  const first = (y: number, m: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-01`;
  const prev = month === 1 ? first(year - 1, 12) : first(year, month - 1);
  return { periodStart: startOfLocalDay(prev, cal), periodEnd: startOfLocalDay(first(year, month), cal) };
}
