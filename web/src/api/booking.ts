import { newIdempotencyKey, request } from './client.ts';
import type { Hold, Order, Quote } from './types.ts';

export const createHold = (
  scheduleId: string,
  admissionToken: string,
  body: { seatIds: number[] } | { sectionId: string; quantity: number },
) =>
  request<Hold>('POST', `/api/v1/schedules/${scheduleId}/holds`, {
    body,
    headers: { 'x-admission-token': admissionToken },
    idempotencyKey: newIdempotencyKey(),
  });

export const getHold = (holdId: string) => request<Hold>('GET', `/api/v1/holds/${holdId}`);
export const releaseHold = (holdId: string) => request<void>('DELETE', `/api/v1/holds/${holdId}`);
export const extendHold = (holdId: string) => request<Hold>('POST', `/api/v1/holds/${holdId}/extend`);
export const getQuote = (holdId: string) => request<Quote>('GET', `/api/v1/holds/${holdId}/quote`);

export const createOrder = (holdId: string, couponId: string | null, idempotencyKey: string) =>
  request<Order>('POST', '/api/v1/orders', {
    body: couponId === null ? { holdId } : { holdId, couponId },
    idempotencyKey,
  });

export const getOrder = (id: string) => request<Order>('GET', `/api/v1/orders/${id}`);
export const myOrders = () => request<Order[]>('GET', '/api/v1/me/orders?limit=50');
export const cancelOrder = (id: string, body: { seatIds?: number[]; reason?: string }) =>
  request<Order>('POST', `/api/v1/orders/${id}/cancel`, { body, idempotencyKey: newIdempotencyKey() });
