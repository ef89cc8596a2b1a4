import { newIdempotencyKey, request } from './client.ts';
import type { CheckoutResult, ConfirmResult } from './types.ts';

/** The sandbox stand-in for the Toss payment widget: what Toss would pass to the success URL. */
export const sandboxCheckout = (
  input: { orderId: string; amount: number; method?: string },
  declineCode?: string,
) =>
  request<CheckoutResult>('POST', '/sandbox/toss/checkout', {
    body: input,
    auth: false,
    headers: declineCode === undefined ? {} : { 'TossPayments-Test-Code': declineCode },
  });

export const confirmPayment = (input: { orderId: string; paymentKey: string; amount: number }) =>
  request<ConfirmResult>('POST', '/api/v1/payments/confirm', {
    body: input,
    idempotencyKey: newIdempotencyKey(),
  });
