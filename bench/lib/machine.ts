/** The machine a run measured on: cores, RAM, Node, versions of the parts, load average. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  cpuModel: string;
  ramGiB: number;
  node: string;
  kernel: string;
  openFilesLimit: string;
  redis: string;
  postgres: string;
  autocannon: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return 'unknown';
  }
};

export function machine(): Machine {
  const require = createRequire(import.meta.url);
  let autocannon = 'unknown';
  try {
    autocannon = (require('autocannon/package.json') as { version: string }).version;
  } catch {
    // keep unknown
  }
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    openFilesLimit: `${sh('sh', ['-c', 'ulimit -n; ulimit -Hn']).replace('\n', ' soft / ')} hard`,
    redis: sh('redis-server', ['--version']).replace(/^Redis server v=(\S+).*$/s, '$1'),
    postgres: sh('psql', ['--version']).replace(/^psql \(PostgreSQL\) /, ''),
    autocannon,
    loadAverageStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export const loadNow = () => loadavg().map((x) => Math.round(x * 100) / 100);
