/** The project's own Redis for fault runs (the machine's Redis keeps nothing on disk and is shared). */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const answers = async (port: number) => {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
};

export class OwnRedis {
  readonly port: number;
  readonly dir: string;
  readonly aof: boolean;
  child: ChildProcess | null = null;

  constructor(port: number, aof: boolean) {
    this.port = port;
    this.aof = aof;
    this.dir = mkdtempSync(join(tmpdir(), 'qt-chaos-redis-'));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** First free port from `from` (6380 unless someone else runs one there). */
  static async freePort(from = 6380): Promise<number> {
    for (let p = from; p < from + 20; p++) if (!(await answers(p))) return p;
    throw new Error('no free port for a chaos Redis');
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push('--appendonly', this.aof ? 'yes' : 'no');
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await answers(this.port)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`redis-server on ${this.port} did not start`);
  }

  /** SIGTERM: Redis flushes its AOF and exits (a clean restart). SIGKILL: a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  }

  /** Forget everything on disk too (the data-loss case: a failover to an empty replica). */
  wipeDisk(): void {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
