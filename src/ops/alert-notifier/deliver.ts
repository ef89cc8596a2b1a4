import { request } from 'undici';

export interface DeliveryOptions {
  attempts: number;
  baseMs: number;
  capMs: number;
  timeoutMs: number;
}

export type DeliveryResult =
  | { ok: true; attempts: number }
  | { ok: false; attempts: number; lastError: string; retryable: boolean };

/**
 * POSTs `{text}` to a Slack-compatible webhook. Retries network errors, timeouts, 429 (honouring
 * Retry-After, capped) and 5xx with capped exponential backoff and full jitter; any other 4xx is final
 * (a bad URL or payload does not get better by asking again).
 */
export async function deliverToWebhook(
  url: string,
  text: string,
  options: DeliveryOptions,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<DeliveryResult> {
  let lastError = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    let retryAfterMs: number | undefined;
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      const body = (await res.body.text()).slice(0, 200);
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, attempts: attempt };
      lastError = `webhook answered ${res.statusCode}${body === '' ? '' : `: ${body}`}`;
      const retryable = res.statusCode === 429 || res.statusCode >= 500;
      if (!retryable) return { ok: false, attempts: attempt, lastError, retryable: false };
      retryAfterMs = retryAfterOf(res.headers['retry-after']);
    } catch (error) {
      lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (attempt < options.attempts) {
      const backoff = Math.random() * Math.min(options.capMs, options.baseMs * 2 ** (attempt - 1));
      await sleep(Math.min(options.capMs, Math.max(backoff, retryAfterMs ?? 0)));
    }
  }
  return { ok: false, attempts: options.attempts, lastError, retryable: true };
}

function retryAfterOf(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
