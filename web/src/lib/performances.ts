import { getPerformance } from '../api/catalog.ts';
import type { Performance } from '../api/types.ts';

const cache = new Map<string, Promise<Performance | null>>();

/** Performance details, fetched once per page load (orders and coupons show titles). */
export function performanceOnce(id: string): Promise<Performance | null> {
  let found = cache.get(id);
  if (found === undefined) {
    found = getPerformance(id).catch(() => null);
    cache.set(id, found);
  }
  return found;
}

export async function titlesOf(ids: (string | null | undefined)[]): Promise<Map<string, Performance>> {
  const unique = [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
  const found = await Promise.all(unique.map(performanceOnce));
  const map = new Map<string, Performance>();
  found.forEach((p) => {
    if (p) map.set(p.id, p);
  });
  return map;
}
