import { Cluster, type ClusterOptions, type RedisOptions, Redis as RedisServer } from 'ioredis';

/**
 * A process's Redis client: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). Both are
 * ioredis commanders with the same commands, `defineCommand`, pub/sub and events; what differs
 * (duplicate, SCAN over the keyspace) goes through the helpers below.
 */
export type Redis = RedisServer | Cluster;

/** Options a duplicate may override (the same meaning for a server and a cluster client). */
export interface DuplicateOptions {
  keyPrefix?: string;
  enableAutoPipelining?: boolean;
  lazyConnect?: boolean;
}

/** `host:port,host:port` → startup nodes; empty list when `list` is blank. */
export function parseClusterNodes(list: string): { host: string; port: number }[] {
  return list
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
    .map((n) => {
      const at = n.lastIndexOf(':');
      const port = Number(n.slice(at + 1));
      if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new Error(`REDIS_CLUSTER_NODES: "${n}" is not host:port`);
      }
      return { host: n.slice(0, at), port };
    });
}

/**
 * One ioredis client per process with auto-pipelining: concurrent requests share round trips, which
 * is most of the hot-path throughput. Keys carry the configured prefix (per test run, per deployment).
 * With `clusterNodes` (REDIS_CLUSTER_NODES) the client is a Cluster: commands go to the master of their
 * key's slot (the prefix counts, but every key's hash tag `{...}` decides the slot), MOVED / ASK /
 * TRYAGAIN / CLUSTERDOWN are retried, and auto-pipelines are kept per node.
 */
export function createRedis(url: string, keyPrefix: string, clusterNodes = ''): Redis {
  const nodes = parseClusterNodes(clusterNodes);
  if (nodes.length === 0) {
    return new RedisServer(url, {
      keyPrefix,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 2,
      lazyConnect: false,
    });
  }
  const options: ClusterOptions = {
    keyPrefix,
    enableAutoPipelining: true,
    scaleReads: 'master',
    maxRedirections: 16,
    retryDelayOnMoved: 0,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2000,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    redisOptions: { maxRetriesPerRequest: 2, connectTimeout: 5000 } satisfies Partial<RedisOptions>,
  };
  return guardVariadicScripts(new Cluster(nodes, options));
}

/** A second connection (or set of connections) with the same server(s), prefix and options but `overrides`. */
export function duplicateRedis(redis: Redis, overrides: DuplicateOptions = {}): Redis {
  if (!(redis instanceof Cluster)) return redis.duplicate(overrides);
  const ignored = [...(redis.options.autoPipeliningIgnoredCommands ?? [])];
  return guardVariadicScripts(redis.duplicate([], { ...overrides, autoPipeliningIgnoredCommands: ignored }));
}

/**
 * A script defined without a fixed key count is called as `EVALSHA sha numkeys key… arg…`. A cluster
 * client routes it by its keys, but groups auto-pipelines by the first argument, which is then the
 * count: batched with commands of another node, the pipeline fails ("All keys in the pipeline should
 * belong to the same slots allocation group"). Such scripts therefore skip auto-pipelining on a cluster
 * (they batch requests themselves); scripts with a fixed count are unaffected.
 */
function guardVariadicScripts(cluster: Cluster): Cluster {
  const ignored = [...(cluster.options.autoPipeliningIgnoredCommands ?? [])];
  cluster.options.autoPipeliningIgnoredCommands = ignored; // this client's own list, not ioredis's shared default
  const define = cluster.defineCommand.bind(cluster);
  cluster.defineCommand = (name, definition) => {
    if (definition.numberOfKeys === undefined && !ignored.includes(name)) ignored.push(name);
    define(name, definition);
  };
  return cluster;
}

/** Every master of the client: the server itself, or the cluster's masters (after the client is ready). */
export async function mastersOf(redis: Redis): Promise<RedisServer[]> {
  if (!(redis instanceof Cluster)) return [redis];
  await redis.ping(); // resolves once the slots are known
  return redis.nodes('master');
}

/**
 * SCAN on every master (a cluster's keyspace is split between them), pages of full key names (SCAN
 * does not add or strip the client's prefix: `match` must hold it).
 */
export async function* scanKeys(redis: Redis, match: string, count = 1000): AsyncGenerator<string[]> {
  for (const node of await mastersOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/**
 * Deletes every key matching `match` on every master; the count deleted. `redis` must have no key
 * prefix (SCAN answers full names). On a cluster each key goes alone (keys of different slots cannot
 * share one command), pipelined per node.
 */
export async function unlinkMatching(redis: Redis, match: string): Promise<number> {
  let deleted = 0;
  for (const node of await mastersOf(redis)) {
    for await (const keys of scanKeys(node, match)) {
      if (redis instanceof Cluster) {
        const p = node.pipeline();
        for (const key of keys) p.unlink(key);
        await p.exec();
      } else {
        await node.unlink(...keys);
      }
      deleted += keys.length;
    }
  }
  return deleted;
}

export type LuaScript<R> = (keys: readonly string[], args: readonly (string | number)[]) => Promise<R>;

/**
 * A Lua script sent by SHA (ioredis falls back to EVAL after NOSCRIPT, e.g. after a Redis restart).
 * Every multi-key change in this system is one such script, so it is atomic. On a cluster a script runs
 * on the master of its keys' slot: every key it touches must share one hash tag (declared in KEYS, or
 * derived inside the script from a declared key and keeping its tag).
 */
export function defineLua<R>(redis: Redis, name: string, numberOfKeys: number, lua: string): LuaScript<R> {
  redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<R>>)[name];
  if (command === undefined) throw new Error(`lua script ${name} was not defined`);
  return (keys, args) => command.call(redis, ...keys, ...args);
}
