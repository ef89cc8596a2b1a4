import { request } from './client.ts';
import type { QueueStats, QueueView } from './types.ts';

const base = (scheduleId: string) => `/api/v1/schedules/${scheduleId}/queue`;

export const joinQueue = (scheduleId: string) => request<QueueView>('POST', base(scheduleId));
export const queueMe = (scheduleId: string) => request<QueueView>('GET', `${base(scheduleId)}/me`);
export const leaveQueue = (scheduleId: string) => request<void>('DELETE', `${base(scheduleId)}/me`);
export const queueStats = (scheduleId: string) => request<QueueStats>('GET', `${base(scheduleId)}/stats`);
export const updateQueue = (
  scheduleId: string,
  body: { paused?: boolean; admitPerSecond?: number; maxActive?: number },
) => request<QueueStats>('PATCH', base(scheduleId), { body });
export const queueStreamUrl = (scheduleId: string, accessToken: string) =>
  `${base(scheduleId)}/stream?access_token=${encodeURIComponent(accessToken)}`;
