import type { LineRow } from './settlement-repository.ts';

/** Excel reads UTF-8 (Korean performance titles) only with a byte-order mark. */
export const BOM = '\uFEFF';

const COLUMNS = [
  'orderId',
  'type',
  'recordedAt',
  'soldDate',
  'performanceId',
  'performanceTitle',
  'grossAmount',
  'refundAmount',
  'discountAmount',
  'pgFeeAmount',
  'platformFeeAmount',
  'vatAmount',
  'cancellationFeeAmount',
  'payoutAmount',
] as const;

/** RFC 4180 quoting, plus a leading apostrophe on text that a spreadsheet would run as a formula. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function linesCsv(
  lines: readonly LineRow[],
  titles: ReadonlyMap<string, string>,
  soldDateOf: (at: Date) => string,
): string {
  const rows = [COLUMNS.join(',')];
  for (const l of lines) {
    const cells: (string | number | null)[] = [
      l.orderId,
      l.type,
      l.recordedAt.toISOString(),
      soldDateOf(l.recordedAt),
      l.performanceId,
      l.performanceId === null ? null : (titles.get(l.performanceId) ?? null),
      l.grossAmount,
      l.refundAmount,
      l.discountAmount,
      l.pgFeeAmount,
      l.platformFeeAmount,
      l.vatAmount,
      l.cancellationFeeAmount,
      l.payoutAmount,
    ];
    rows.push(cells.map(csvCell).join(','));
  }
  return `${BOM}${rows.join('\r\n')}\r\n`;
}
