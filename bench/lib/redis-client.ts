/**
 * The bench's own Redis reads (invariant checker, clean-up, keys per node) against either the single
 * Redis (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_NODES`, comma-separated host:port), as the
 * system under test is configured.
 */
import { Cluster, Redis } from 'ioredis';

export type AnyRedis = Redis | Cluster;

export interface RedisTarget {
  url: string;
  /** Comma-separated host:port of the cluster's nodes; empty or absent: the single Redis at `url`. */
  clusterNodes?: string | undefined;
}

const nodesOf = (csv: string) =>
  csv
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
    .map((n) => {
      const i = n.lastIndexOf(':');
      return { host: n.slice(0, i), port: Number(n.slice(i + 1)) };
    });

export const isCluster = (t: RedisTarget) => (t.clusterNodes ?? '').trim() !== '';

/** A client with the run's key prefix (commands name keys without it). */
export function benchRedis(t: RedisTarget, keyPrefix = ''): AnyRedis {
  if (isCluster(t)) {
    return new Cluster(nodesOf(t.clusterNodes ?? ''), {
      keyPrefix,
      redisOptions: { maxRetriesPerRequest: 3 },
      slotsRefreshTimeout: 5000,
    });
  }
  return new Redis(t.url, { keyPrefix, maxRetriesPerRequest: 3 });
}

/** One plain client per master (the single Redis: itself), for SCAN and per-node counts. */
async function masters(
  t: RedisTarget,
): Promise<{ nodes: { name: string; client: Redis }[]; close: () => void }> {
  if (!isCluster(t)) {
    const r = new Redis(t.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await r.connect();
    return { nodes: [{ name: new URL(t.url).host, client: r }], close: () => r.disconnect() };
  }
  const cluster = new Cluster(nodesOf(t.clusterNodes ?? ''), { redisOptions: { maxRetriesPerRequest: 2 } });
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', () => resolve());
    cluster.once('error', reject);
  });
  return {
    nodes: cluster.nodes('master').map((n) => ({ name: `${n.options.host}:${n.options.port}`, client: n })),
    close: () => cluster.disconnect(),
  };
}

/** Calls `each` with every page of keys under `prefix`, per master. */
async function scanEach(
  t: RedisTarget,
  prefix: string,
  each: (node: string, client: Redis, keys: string[]) => Promise<void>,
): Promise<void> {
  const m = await masters(t);
  try {
    for (const node of m.nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
        cursor = next;
        if (keys.length > 0) await each(node.name, node.client, keys);
      } while (cursor !== '0');
    }
  } finally {
    m.close();
  }
}

/** Keys under `prefix` on each master (`host:port` → count). */
export async function keysPerNode(t: RedisTarget, prefix: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await scanEach(t, prefix, async (node, _client, keys) => {
    out[node] = (out[node] ?? 0) + keys.length;
  });
  return out;
}

/** Deletes every key under `prefix` (one UNLINK per key on its own node: keys of many slots). */
export async function deleteRedisPrefix(t: RedisTarget, prefix: string): Promise<number> {
  let n = 0;
  await scanEach(t, prefix, async (_node, client, keys) => {
    if (!isCluster(t)) {
      n += await client.unlink(...keys);
      return;
    }
    const p = client.pipeline();
    for (const k of keys) p.unlink(k);
    for (const [err, v] of (await p.exec()) ?? []) if (err === null) n += Number(v);
  });
  return n;
}
