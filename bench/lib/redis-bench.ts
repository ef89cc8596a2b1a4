/** Raw `redis-benchmark` of the primitives the hot paths use, against the run's Redis, same run. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

export interface RedisFigure {
  name: string;
  command: string;
  rps: number;
  p50: number;
  p99: number;
}

async function bench(
  url: URL,
  name: string,
  args: string[],
  n: number,
  clients: number,
): Promise<RedisFigure> {
  const { stdout } = await run(
    'redis-benchmark',
    [
      '-h',
      url.hostname,
      '-p',
      url.port || '6379',
      '-n',
      String(n),
      '-c',
      String(clients),
      '-r',
      '100000',
      '--csv',
      ...args,
    ],
    { timeout: 120_000 },
  );
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const row =
    stdout
      .trim()
      .split('\n')
      .at(-1)
      ?.split(',')
      .map((c) => c.replace(/"/g, '')) ?? [];
  return { name, command: args.join(' '), rps: Number(row[1]), p50: Number(row[4]), p99: Number(row[6]) };
}

/** EVALSHA of a trivial script, ZADD and ZRANK (keys under the run's prefix; deleted afterwards). */
export async function redisPrimitives(redisUrl: string, prefix: string, n = 100_000, clients = 50) {
  const url = new URL(redisUrl);
  const redis = new Redis(redisUrl);
  try {
    const sha = (await redis.script('LOAD', 'return 1')) as string;
    const z = `${prefix}rb:z`;
    const out: RedisFigure[] = [];
    out.push(await bench(url, 'PING (floor)', ['ping'], n, clients));
    out.push(await bench(url, 'EVALSHA trivial script', ['evalsha', sha, '0'], n, clients));
    out.push(await bench(url, 'ZADD', ['zadd', z, '__rand_int__', 'm:__rand_int__'], n, clients));
    out.push(await bench(url, 'ZRANK', ['zrank', z, 'm:__rand_int__'], n, clients));
    await redis.del(z);
    return out;
  } finally {
    redis.disconnect();
  }
}
