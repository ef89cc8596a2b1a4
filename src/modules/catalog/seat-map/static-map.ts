import type { SeatInfo, StandingSectionInfo } from '../ports.ts';
import type { PricedSection, SeatRow } from './seat-map-repository.ts';

/**
 * The immutable part of one performance version's seat map, built once and shared by every schedule
 * of the performance. `body` is the JSON of every seat with status "AVAILABLE", joined by commas;
 * `statusOffset[i]` is where seat i's 11-byte status value starts, so a HELD or SOLD seat is
 * rendered by overwriting those bytes (`"HELD"` padded with JSON whitespace) in a copy.
 */
export interface StaticSeatMap {
  performanceId: string;
  version: number;
  venueId: string;
  grades: string[];
  sections: PricedSection[];
  ids: Float64Array;
  indexById: Map<number, number>;
  sectionIdx: Uint16Array;
  rowNo: Int32Array;
  seatNo: Int32Array;
  gradeIdx: Uint16Array;
  statusOffset: Int32Array;
  body: Buffer;
  standing: StandingSectionInfo[];
  /** Seated seats per grade (index as in `grades`). */
  gradeTotals: number[];
  bytes: number;
}

export const STATUS_BYTES = {
  HELD: Buffer.from('"HELD"     '),
  SOLD: Buffer.from('"SOLD"     '),
} as const;

/** Row 1 → "A", 26 → "Z", 27 → "AA": the labels printed on tickets. */
export function rowLabel(rowNo: number): string {
  let n = rowNo;
  let label = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    label = String.fromCharCode(65 + rem) + label;
    n = Math.floor((n - 1) / 26);
  }
  return label;
}

export function buildStaticSeatMap(
  key: { performanceId: string; version: number; venueId: string },
  sections: PricedSection[],
  seats: SeatRow[],
): StaticSeatMap {
  const grades = [...new Set(sections.map((s) => s.grade))];
  const sectionPos = new Map(sections.map((s, i) => [s.id, i]));
  const n = seats.length;
  const ids = new Float64Array(n);
  const indexById = new Map<number, number>();
  const sectionIdx = new Uint16Array(n);
  const rowNo = new Int32Array(n);
  const seatNo = new Int32Array(n);
  const gradeIdx = new Uint16Array(n);
  const statusOffset = new Int32Array(n);
  const gradeTotals = grades.map(() => 0);
  // Per section: the constant middle of its fragments, pre-escaped.
  const sectionJson = sections.map((s) => `,"section":${JSON.stringify(s.name)},"row":`);
  const gradeJson = sections.map((s) => `,"grade":${JSON.stringify(s.grade)},"price":${s.price},"status":`);
  const rowJson = new Map<number, string>();
  const parts: string[] = new Array(n);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const seat = seats[i] as SeatRow;
    const si = sectionPos.get(seat.sectionId);
    if (si === undefined) throw new Error(`seat ${seat.id} has no priced section`);
    const section = sections[si] as PricedSection;
    let row = rowJson.get(seat.rowNo);
    if (row === undefined) {
      row = JSON.stringify(rowLabel(seat.rowNo));
      rowJson.set(seat.rowNo, row);
    }
    const prefix = `{"id":${seat.id}${sectionJson[si]}${row},"number":${seat.number}${gradeJson[si]}`;
    const fragment = `${prefix}"AVAILABLE"}`;
    const gi = grades.indexOf(section.grade);
    ids[i] = seat.id;
    indexById.set(seat.id, i);
    sectionIdx[i] = si;
    rowNo[i] = seat.rowNo;
    seatNo[i] = seat.number;
    gradeIdx[i] = gi;
    gradeTotals[gi] = (gradeTotals[gi] ?? 0) + 1;
    statusOffset[i] = offset + Buffer.byteLength(prefix);
    offset += Buffer.byteLength(fragment) + 1;
    parts[i] = fragment;
  }
  const body = Buffer.from(parts.join(','));
  const standing = sections
    .filter((s) => s.kind === 'STANDING')
    .map((s) => ({ sectionId: s.id, section: s.name, capacity: s.capacity, grade: s.grade, price: s.price }));
  return {
    ...key,
    grades,
    sections,
    ids,
    indexById,
    sectionIdx,
    rowNo,
    seatNo,
    gradeIdx,
    statusOffset,
    body,
    standing,
    gradeTotals,
    // body + typed arrays + the id index (about 40 bytes an entry)
    bytes: body.length + n * (8 + 2 + 4 + 4 + 2 + 4 + 40),
  };
}

export function seatInfoAt(map: StaticSeatMap, i: number): SeatInfo {
  const section = map.sections[map.sectionIdx[i] as number] as PricedSection;
  return {
    id: map.ids[i] as number,
    sectionId: section.id,
    section: section.name,
    row: rowLabel(map.rowNo[i] as number),
    number: map.seatNo[i] as number,
    grade: section.grade,
    price: section.price,
  };
}

/** A copy of `body` with the given seats' statuses written over "AVAILABLE"; `body` itself when none. */
export function overlayStatuses(map: StaticSeatMap, unavailable: Map<number, 'HELD' | 'SOLD'>): Buffer {
  if (unavailable.size === 0) return map.body;
  const out = Buffer.allocUnsafe(map.body.length);
  map.body.copy(out);
  for (const [id, status] of unavailable) {
    const i = map.indexById.get(id);
    if (i === undefined) continue;
    const bytes = STATUS_BYTES[status];
    if (bytes !== undefined) bytes.copy(out, map.statusOffset[i] as number);
  }
  return out;
}
