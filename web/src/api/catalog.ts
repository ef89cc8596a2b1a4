import { request } from './client.ts';
import type {
  Page,
  Performance,
  PerformanceInput,
  PerformanceSummary,
  SeatMap,
  SectionInput,
  Venue,
} from './types.ts';

const q = (params: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s === '' ? '' : `?${s}`;
};

export const listPerformances = (params: { q?: string; sellerId?: string; page?: number; size?: number }) =>
  request<Page<PerformanceSummary>>('GET', `/api/v1/performances${q(params)}`, { auth: false });

export const getPerformance = (id: string) =>
  request<Performance>('GET', `/api/v1/performances/${id}`, { auth: false });

export const createPerformance = (input: PerformanceInput) =>
  request<{ id: string; title: string; schedules: { id: string; startsAt: string; endsAt: string }[] }>(
    'POST',
    '/api/v1/performances',
    { body: input },
  );

export const cancelPerformance = (id: string, reason: string) =>
  request<{ id: string; status: string }>('POST', `/api/v1/performances/${id}/cancel`, { body: { reason } });

export const getSeatMap = (scheduleId: string) =>
  request<SeatMap>('GET', `/api/v1/schedules/${scheduleId}/seats`, { auth: false });

/** `GET /venues` may answer a list or a page depending on the server version. */
export async function listVenues(): Promise<Venue[]> {
  const body = await request<Venue[] | Page<Venue>>('GET', '/api/v1/venues?size=100');
  return Array.isArray(body) ? body : body.items;
}

export const getVenue = (id: string) => request<Venue>('GET', `/api/v1/venues/${id}`);

export const createVenue = (input: { name: string; address?: string; sections: SectionInput[] }) =>
  request<Venue>('POST', '/api/v1/venues', { body: input });
