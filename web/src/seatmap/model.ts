import type { Seat, SeatStatus } from '../api/types.ts';

/** Status codes kept in a typed array (one byte a seat) so 50,000 seats stay cheap to update. */
export const AVAILABLE = 0;
export const HELD = 1;
export const SOLD = 2;
const CODE: Record<SeatStatus, number> = { AVAILABLE, HELD, SOLD };

/** A section laid out as a block of cells, in map units (1 unit = 1 seat cell). */
export interface SectionBlock {
  name: string;
  grade: string;
  rows: string[];
  cols: number;
  x: number;
  y: number;
  /** seat index at (row, col), or -1 for a gap */
  grid: Int32Array;
}

export const CELL = 1;
const GAP = 2;
const LABEL = 2;
/** The stage: a bar across the top of the map, this many units high, then a gap. */
export const STAGE = 2;
const TOP = STAGE + GAP;

/**
 * The seat map of one schedule: seats in a flat array (index order), their status, and a layout of
 * section blocks flowed into rows of roughly the map's width. Hit-testing is O(1) through each
 * block's grid; drawing only needs the blocks that intersect the viewport.
 */
export class SeatMapModel {
  readonly seats: Seat[];
  readonly status: Uint8Array;
  readonly blocks: SectionBlock[] = [];
  readonly width: number;
  readonly height: number;
  /** per seat: block index, row index, column */
  readonly blockOf: Int32Array;
  readonly rowOf: Int32Array;
  readonly colOf: Int32Array;
  readonly #indexById = new Map<number, number>();
  version = 0;

  constructor(seats: Seat[], gradeOrder: string[]) {
    this.seats = seats;
    const n = seats.length;
    this.status = new Uint8Array(n);
    this.blockOf = new Int32Array(n);
    this.rowOf = new Int32Array(n);
    this.colOf = new Int32Array(n);
    const bySection = new Map<string, { rows: Map<string, number[]>; maxNumber: number; grade: string }>();
    seats.forEach((seat, i) => {
      this.#indexById.set(seat.id, i);
      this.status[i] = CODE[seat.status] ?? SOLD;
      let section = bySection.get(seat.section);
      if (section === undefined) {
        section = { rows: new Map(), maxNumber: 0, grade: seat.grade };
        bySection.set(seat.section, section);
      }
      const row = section.rows.get(seat.row) ?? [];
      row.push(i);
      section.rows.set(seat.row, row);
      section.maxNumber = Math.max(section.maxNumber, seat.number);
    });
    // Dearest grades first (closest to the stage), then the order the venue lists them.
    const rank = (grade: string) => {
      const r = gradeOrder.indexOf(grade);
      return r < 0 ? gradeOrder.length : r;
    };
    const sections = [...bySection.entries()].sort((a, b) => rank(a[1].grade) - rank(b[1].grade));
    const area = sections.reduce((sum, [, s]) => sum + (s.maxNumber + GAP) * (s.rows.size + LABEL + GAP), 0);
    const widest = sections.reduce((w, [, s]) => Math.max(w, s.maxNumber), 0);
    const lineWidth = Math.max(widest, Math.ceil(Math.sqrt(area * 1.8)));
    let x = 0;
    let y = TOP;
    let lineHeight = 0;
    let width = 0;
    for (const [name, s] of sections) {
      const cols = s.maxNumber;
      const rows = [...s.rows.keys()];
      if (x > 0 && x + cols > lineWidth) {
        x = 0;
        y += lineHeight + GAP;
        lineHeight = 0;
      }
      const grid = new Int32Array(rows.length * cols).fill(-1);
      const blockIndex = this.blocks.length;
      rows.forEach((rowName, r) => {
        for (const i of s.rows.get(rowName) ?? []) {
          const seat = seats[i];
          if (seat === undefined) continue;
          const c = seat.number - 1;
          grid[r * cols + c] = i;
          this.blockOf[i] = blockIndex;
          this.rowOf[i] = r;
          this.colOf[i] = c;
        }
      });
      this.blocks.push({ name, grade: s.grade, rows, cols, x, y: y + LABEL, grid });
      x += cols + GAP;
      width = Math.max(width, x - GAP);
      lineHeight = Math.max(lineHeight, rows.length + LABEL);
    }
    this.width = Math.max(1, width);
    this.height = Math.max(1, y + lineHeight);
  }

  indexOf(seatId: number): number {
    return this.#indexById.get(seatId) ?? -1;
  }

  /** Applies `{id, status}` changes; true when anything moved. */
  apply(changes: { id: number; status: string }[]): boolean {
    let moved = false;
    for (const change of changes) {
      const i = this.indexOf(change.id);
      const code = CODE[change.status as SeatStatus];
      if (i < 0 || code === undefined || this.status[i] === code) continue;
      this.status[i] = code;
      moved = true;
    }
    if (moved) this.version += 1;
    return moved;
  }

  /** A snapshot lists every seat that is not available: everything else is available again. */
  resetTo(unavailable: { id: number; status: string }[]): void {
    this.status.fill(AVAILABLE);
    this.apply(unavailable);
    this.version += 1;
  }

  /** The seat under map coordinates (units), or -1. */
  hit(ux: number, uy: number): number {
    for (const b of this.blocks) {
      const c = Math.floor(ux - b.x);
      const r = Math.floor(uy - b.y);
      if (c < 0 || r < 0 || c >= b.cols || r >= b.rows.length) continue;
      return b.grid[r * b.cols + c] ?? -1;
    }
    return -1;
  }

  /** Seat position in map units (top-left of its cell). */
  position(i: number): { x: number; y: number } {
    const b = this.blocks[this.blockOf[i] ?? 0];
    if (b === undefined) return { x: 0, y: 0 };
    return { x: b.x + (this.colOf[i] ?? 0), y: b.y + (this.rowOf[i] ?? 0) };
  }

  /** The nearest seat from `i` in a direction (arrow keys), crossing gaps; -1 at the edge. */
  step(i: number, dx: number, dy: number): number {
    const b = this.blocks[this.blockOf[i] ?? 0];
    if (b === undefined) return -1;
    let r = this.rowOf[i] ?? 0;
    let c = this.colOf[i] ?? 0;
    for (;;) {
      r += dy;
      c += dx;
      if (r < 0 || c < 0 || r >= b.rows.length || c >= b.cols) return -1;
      const found = b.grid[r * b.cols + c] ?? -1;
      if (found >= 0) return found;
    }
  }

  /** First seat of the next (or previous) block. */
  jumpBlock(i: number, delta: number): number {
    const target = this.blocks[(this.blockOf[i] ?? 0) + delta];
    if (target === undefined) return -1;
    for (const index of target.grid) if (index >= 0) return index;
    return -1;
  }

  /**
   * Up to `count` available seats of a grade, side by side in one row when possible (best rows
   * first), else the first available ones.
   */
  bestAvailable(grade: string, count: number, exclude: Set<number>): number[] {
    const free = (i: number) => i >= 0 && this.status[i] === AVAILABLE && !exclude.has(i);
    for (const b of this.blocks) {
      if (b.grade !== grade) continue;
      for (let r = 0; r < b.rows.length; r += 1) {
        let run: number[] = [];
        for (let c = 0; c < b.cols; c += 1) {
          const i = b.grid[r * b.cols + c] ?? -1;
          run = free(i) ? [...run, i] : [];
          if (run.length === count) return run;
        }
      }
    }
    const any: number[] = [];
    this.seats.forEach((seat, i) => {
      if (any.length < count && seat.grade === grade && free(i)) any.push(i);
    });
    return any;
  }

  countsByGrade(): Map<string, number> {
    const counts = new Map<string, number>();
    this.seats.forEach((seat, i) => {
      if (this.status[i] === AVAILABLE) counts.set(seat.grade, (counts.get(seat.grade) ?? 0) + 1);
    });
    return counts;
  }
}
