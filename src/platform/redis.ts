import { Redis } from 'ioredis';

/**
 * One ioredis client per process with auto-pipelining: concurrent requests share round trips, which
 * is most of the hot-path throughput. Keys carry the configured prefix (per test run, per deployment).
 */
export function createRedis(url: string, keyPrefix: string): Redis {
  return new Redis(url, {
    keyPrefix,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    lazyConnect: false,
  });
}

export type { Redis };

export type LuaScript<R> = (keys: readonly string[], args: readonly (string | number)[]) => Promise<R>;

/**
 * A Lua script sent by SHA (ioredis falls back to EVAL after NOSCRIPT, e.g. after a Redis restart).
 * Every multi-key change in this system is one such script, so it is atomic.
 */
export function defineLua<R>(redis: Redis, name: string, numberOfKeys: number, lua: string): LuaScript<R> {
  redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<R>>)[name];
  if (command === undefined) throw new Error(`lua script ${name} was not defined`);
  return (keys, args) => command.call(redis, ...keys, ...args);
}
