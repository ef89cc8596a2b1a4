import { request, requestRaw } from './client.ts';
import type { Reconciliation, Settlement, SettlementLine } from './types.ts';

export const listSettlements = () => request<Settlement[]>('GET', '/api/v1/seller/settlements?limit=100');
export const settlementLines = (id: string) =>
  request<SettlementLine[]>('GET', `/api/v1/seller/settlements/${id}/lines`);

/** The lines as CSV (needs the bearer token, so fetched and handed over as a Blob). */
export async function settlementCsv(id: string): Promise<Blob> {
  const res = await requestRaw('GET', `/api/v1/seller/settlements/${id}/lines.csv`, {
    headers: { accept: 'text/csv' },
  });
  return res.blob();
}

export const runSettlement = (periodStart: string, periodEnd: string) =>
  request<{ settlements: { id: string; sellerId: string }[] }>('POST', '/api/v1/admin/settlements/run', {
    body: { periodStart, periodEnd },
  });
export const confirmSettlement = (id: string) =>
  request<Settlement>('POST', `/api/v1/admin/settlements/${id}/confirm`);
export const payoutSettlement = (id: string) =>
  request<Settlement>('POST', `/api/v1/admin/settlements/${id}/payout`);

export const reconciliation = (periodStart: string, periodEnd: string) =>
  request<Reconciliation>(
    'GET',
    `/api/v1/admin/reconciliation?periodStart=${encodeURIComponent(periodStart)}&periodEnd=${encodeURIComponent(periodEnd)}`,
  );
