/**
 * The bench's own Redis reads (invariant checker, clean-up, keys per node) against either the single
 * Redis (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_NODES`, comma-separated host:port), as the
 * system under test is configured: the platform's clients and SCAN helpers (src/platform/redis.ts).
 */
import { createRedis, mastersOf, type Redis, scanKeys, unlinkMatching } from '../../src/platform/redis.ts';

export type AnyRedis = Redis;

export interface RedisTarget {
  url: string;
  /** Comma-separated host:port of the cluster's nodes; empty or absent: the single Redis at `url`. */
  clusterNodes?: string | undefined;
}

/** A client with the run's key prefix (commands name keys without it). */
export function benchRedis(t: RedisTarget, keyPrefix = ''): AnyRedis {
  return createRedis(t.url, keyPrefix, t.clusterNodes ?? '');
}

async function withClient<T>(t: RedisTarget, fn: (r: AnyRedis) => Promise<T>): Promise<T> {
  const r = benchRedis(t);
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** Keys under `prefix` on each master (`host:port` → count). */
export function keysPerNode(t: RedisTarget, prefix: string): Promise<Record<string, number>> {
  return withClient(t, async (r) => {
    const out: Record<string, number> = {};
    for (const node of await mastersOf(r)) {
      const name = `${node.options.host}:${node.options.port}`;
      out[name] = 0;
      for await (const keys of scanKeys(node, `${prefix}*`, 5000)) out[name] += keys.length;
    }
    return out;
  });
}

/** Deletes every key under `prefix` on every master. */
export function deleteRedisPrefix(t: RedisTarget, prefix: string): Promise<number> {
  return withClient(t, (r) => unlinkMatching(r, `${prefix}*`));
}
