/** Grade colours (by the grade's place in the performance's price list), all ≥ 4.5:1 against white text. */
const PALETTE = ['#6d28d9', '#1d4ed8', '#0f766e', '#b45309', '#be123c', '#4d7c0f', '#a21caf', '#0e7490'];

export const gradeColor = (index: number): string => PALETTE[index % PALETTE.length] ?? '#334155';

export const SEAT_HELD = '#9ca3af';
export const SEAT_SOLD = '#d1d5db';
export const SEAT_SELECTED = '#111827';
