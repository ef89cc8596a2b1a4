/** HTTP for the simulated buyers (undici, bounded sockets), recording every answer's latency and status. */
import { gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';

export const agent = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

export interface Second {
  n: number;
  lat: number[];
  s4xx: number;
  s5xx: number;
  errors: number;
  byStep: Record<string, number>;
}

export class Recorder {
  readonly t0 = Date.now();
  readonly steps = new Map<string, { lat: number[]; status: Record<string, number> }>();
  readonly seconds = new Map<number, Second>();
  readonly fivexx: { step: string; status: number; body: string }[] = [];

  record(step: string, ms: number, status: number, body?: string): void {
    const s = this.steps.get(step) ?? { lat: [], status: {} };
    s.lat.push(ms);
    s.status[String(status)] = (s.status[String(status)] ?? 0) + 1;
    this.steps.set(step, s);
    const sec = Math.floor((Date.now() - this.t0) / 1000);
    const x = this.seconds.get(sec) ?? { n: 0, lat: [], s4xx: 0, s5xx: 0, errors: 0, byStep: {} };
    x.n++;
    x.lat.push(ms);
    if (status === 0) x.errors++;
    else if (status >= 500) x.s5xx++;
    else if (status >= 400) x.s4xx++;
    x.byStep[step] = (x.byStep[step] ?? 0) + 1;
    this.seconds.set(sec, x);
    if ((status >= 500 || status === 0) && this.fivexx.length < 50)
      this.fivexx.push({ step, status, body: (body ?? '').slice(0, 300) });
  }
}

export interface Reply<T> {
  status: number;
  body: T;
}

export async function http<T = Record<string, unknown>>(
  rec: Recorder,
  step: string,
  base: string,
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; gzip?: boolean } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.gzip) headers['accept-encoding'] = 'gzip';
  const started = performance.now();
  try {
    const res = await request(`${base}${path}`, {
      method,
      headers,
      dispatcher: agent,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    let raw = Buffer.from(await res.body.arrayBuffer());
    if (res.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const text = raw.toString('utf8');
    rec.record(step, performance.now() - started, res.statusCode, res.statusCode >= 500 ? text : undefined);
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.statusCode, body: body as T };
  } catch (err) {
    rec.record(step, performance.now() - started, 0, String(err));
    return { status: 0, body: {} as T };
  }
}

export const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
