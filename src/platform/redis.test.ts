import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { parseClusterNodes } from './redis.ts';

describe('REDIS_CLUSTER_NODES', () => {
  it('is empty by default (one server at REDIS_URL) and parses host:port lists', () => {
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toBe('');
    expect(parseClusterNodes('')).toEqual([]);
    const list = loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7001, redis-1.local:7002,127.0.0.1:7003' });
    expect(parseClusterNodes(list.REDIS_CLUSTER_NODES)).toEqual([
      { host: '127.0.0.1', port: 7001 },
      { host: 'redis-1.local', port: 7002 },
      { host: '127.0.0.1', port: 7003 },
    ]);
  });

  it('refuses entries that are not host:port', () => {
    for (const bad of ['127.0.0.1', '127.0.0.1:7001,', 'redis://127.0.0.1:7001', ':7001']) {
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: bad }), bad).toThrow(ConfigError);
    }
    expect(() => parseClusterNodes('127.0.0.1:0')).toThrow(/host:port/);
  });
});
