import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRedis, mastersOf, scanKeys } from '../../src/platform/redis.ts';

const UP = fileURLToPath(new URL('../../scripts/redis-cluster/up.sh', import.meta.url));

/**
 * The local 3-master cluster of scripts/redis-cluster/up.sh (started when not running; reused when
 * healthy, which takes a fraction of a second): its REDIS_CLUSTER_NODES. A REDIS_CLUSTER_NODES in the
 * environment picks the ports.
 */
export function ensureCluster(): string {
  const out = execFileSync('bash', [UP], { encoding: 'utf8', timeout: 150_000 });
  const line = out.split('\n').find((l) => l.startsWith('REDIS_CLUSTER_NODES='));
  if (line === undefined) throw new Error(`redis-cluster/up.sh printed no node list:\n${out}`);
  return line.slice('REDIS_CLUSTER_NODES='.length).trim();
}

/** Every key under `prefix`, per master (`host:port`), found with SCAN on each master. */
export async function keysPerMaster(nodes: string, prefix: string): Promise<Map<string, string[]>> {
  const redis = createRedis('', '', nodes);
  try {
    const out = new Map<string, string[]>();
    for (const node of await mastersOf(redis)) {
      const keys: string[] = [];
      for await (const page of scanKeys(node, `${prefix}*`)) keys.push(...page);
      out.set(`${node.options.host}:${node.options.port}`, keys);
    }
    return out;
  } finally {
    await redis.quit();
  }
}

/** The hash slots of `keys` (CLUSTER KEYSLOT, asked of any node). */
export async function slotsOf(nodes: string, keys: readonly string[]): Promise<Set<number>> {
  const redis = createRedis('', '', nodes);
  try {
    const [node] = await mastersOf(redis);
    if (node === undefined) throw new Error('no master');
    const slots = await Promise.all(keys.map((k) => node.cluster('KEYSLOT', k)));
    return new Set(slots.map(Number));
  } finally {
    await redis.quit();
  }
}

export interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A server-sent event stream read over fetch: its events as they arrive, until `close()`. */
export function readStream(url: string) {
  const events: StreamEvent[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    if (res.status !== 200 || res.body === null) throw new Error(`stream ${url}: ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const block of blocks) {
          const field = (name: string) =>
            block
              .split('\n')
              .find((l) => l.startsWith(`${name}: `))
              ?.slice(name.length + 2);
          const event = field('event');
          if (event !== undefined) events.push({ event, data: JSON.parse(field('data') ?? '{}') });
        }
      }
    } catch {
      // closed
    }
  })();
  return {
    events,
    close: async () => {
      controller.abort();
      await done.catch(() => undefined);
    },
  };
}
