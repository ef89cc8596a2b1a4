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
