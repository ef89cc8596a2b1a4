import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnApiProcess } from '../support/api-process.ts';

/**
 * The real process (`node src/main.ts`, ROLES=api) on SIGTERM: readiness turns 503 while requests are
 * still served (SHUTDOWN_DRAIN_MS), then the listener closes, a request already in flight still gets
 * its answer, and the process exits 0.
 */
const DRAIN_MS = 1500;

let child: ChildProcess | undefined;
afterAll(() => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('graceful shutdown of the api process', () => {
  it('drains (readyz 503), finishes the in-flight request, then exits 0', async () => {
    const { proc, port, base, output, exited } = await spawnApiProcess(DRAIN_MS);
    child = proc;

    await waitFor(async () => (await status(`${base}/readyz`)) === 200, 45_000, output);

    // A request in flight: headers sent, body still arriving when SIGTERM comes.
    const body = JSON.stringify({ email: 'nobody-shutdown@test.local', password: 'not-the-password' });
    const slow = rawRequest(port, 'POST', '/api/v1/auth/login', body);
    await slow.headersSent;

    const signalledAt = Date.now();
    proc.kill('SIGTERM');

    // Draining: readiness fails (naming the shutdown), but traffic is still served.
    await waitFor(async () => (await status(`${base}/readyz`)) === 503, 1000, output);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { failing: string[] }).failing).toContain('shutdown');
    expect(await status(`${base}/healthz`)).toBe(200);
    expect(Date.now() - signalledAt).toBeLessThan(DRAIN_MS);

    // After the drain the listener closes: new connections are refused...
    await waitFor(async () => !(await accepts(port)), DRAIN_MS + 5000, output);
    expect(proc.exitCode).toBeNull();

    // ...while the request already in flight completes normally.
    slow.finish();
    const response = await slow.response;
    expect(response).toMatch(/^HTTP\/1\.1 401 /);
    expect(response).toContain('INVALID_CREDENTIALS');

    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(output()).toContain('shutting down');
  });
});

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

async function accepts(port: number): Promise<boolean> {
  const socket = tcpConnect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, context: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms; process output:\n${context().slice(-4000)}`);
}

/** An HTTP/1.1 request over a raw socket whose body is held back until `finish()`. */
function rawRequest(port: number, method: string, path: string, body: string) {
  const socket: Socket = tcpConnect(port, '127.0.0.1');
  const half = Math.floor(body.length / 2);
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  const closed = once(socket, 'close');
  const headersSent = (async () => {
    await once(socket, 'connect');
    socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`,
    );
    // Give the server time to parse the headers and start the request.
    await new Promise((r) => setTimeout(r, 300));
  })();
  return {
    headersSent,
    // write, not end: Node's HTTP server aborts a request whose client half-closes the socket.
    finish: () => void socket.write(body.slice(half)),
    response: closed.then(() => Buffer.concat(received).toString()),
  };
}
