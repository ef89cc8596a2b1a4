/**
 * Load generator child for bench/queue-hotpath.ts: autocannon, rotating bearer tokens per request.
 *   LOAD='{"url":..., "method":"GET", "tokensFile":..., "duration":10, "connections":100}' node bench/queue/load.ts
 * Prints one JSON line: {rps, p50, p99, errors, non2xx}.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  tokensFile?: string;
  duration: number;
  connections: number;
}

const spec = JSON.parse(process.env.LOAD ?? '{}') as LoadSpec;
const tokens =
  spec.tokensFile === undefined ? [] : (JSON.parse(readFileSync(spec.tokensFile, 'utf8')) as string[]);
let next = 0;

const result = await autocannon({
  url: spec.url,
  method: spec.method,
  duration: spec.duration,
  connections: spec.connections,
  pipelining: 1,
  requests: [
    {
      method: spec.method,
      setupRequest: (req) => {
        if (tokens.length === 0) return req;
        const token = tokens[next++ % tokens.length];
        return { ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } };
      },
    },
  ],
});
console.log(
  JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    total: result.requests.total,
  }),
);
