import { getSeatMap } from '../../api/catalog.ts';
import type { SeatMap } from '../../api/types.ts';

export interface GradeSales {
  grade: string;
  sold: number;
  held: number;
  available: number;
  revenue: number;
}

export interface ScheduleSales {
  scheduleId: string;
  grades: GradeSales[];
  sold: number;
  held: number;
  available: number;
  revenue: number;
}

/**
 * Sales of one schedule read from its live seat map: seats SOLD / HELD / AVAILABLE per grade and the
 * face value sold (standing: capacity − available counts as sold or held, shown as sold).
 */
export function salesOf(scheduleId: string, map: SeatMap): ScheduleSales {
  const byGrade = new Map<string, GradeSales>();
  const row = (grade: string) => {
    let g = byGrade.get(grade);
    if (g === undefined) {
      g = { grade, sold: 0, held: 0, available: 0, revenue: 0 };
      byGrade.set(grade, g);
    }
    return g;
  };
  for (const seat of map.seats) {
    const g = row(seat.grade);
    if (seat.status === 'SOLD') {
      g.sold += 1;
      g.revenue += seat.price;
    } else if (seat.status === 'HELD') g.held += 1;
    else g.available += 1;
  }
  for (const s of map.standing ?? []) {
    const g = row(s.grade);
    const taken = s.capacity - s.available;
    g.sold += taken;
    g.revenue += taken * s.price;
    g.available += s.available;
  }
  const grades = [...byGrade.values()];
  const sum = (k: 'sold' | 'held' | 'available' | 'revenue') => grades.reduce((n, g) => n + g[k], 0);
  return {
    scheduleId,
    grades,
    sold: sum('sold'),
    held: sum('held'),
    available: sum('available'),
    revenue: sum('revenue'),
  };
}

export async function loadSales(scheduleIds: string[]): Promise<ScheduleSales[]> {
  return Promise.all(scheduleIds.map(async (id) => salesOf(id, await getSeatMap(id))));
}
