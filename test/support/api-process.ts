import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ApiProcess {
  proc: ChildProcess;
  port: number;
  base: string;
  /** stdout and stderr so far */
  output: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** A real `node src/main.ts api` on a free loopback port, for tests that signal or kill the process. */
export async function spawnApiProcess(drainMs: number): Promise<ApiProcess> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['src/main.ts', 'api'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      SHUTDOWN_DRAIN_MS: String(drainMs),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  proc.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()));
  proc.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()));
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { proc, port, base: `http://127.0.0.1:${port}`, output: () => chunks.join(''), exited };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
