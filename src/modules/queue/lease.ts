import { defineLua, type LuaScript, type Redis } from '../../platform/redis.ts';

// KEYS: lease, fence counter. ARGV: owner, ttl ms. A new holder gets `owner:fence` with fence from a
// counter that only grows, so two leaderships never share a token; the holder renews its own lease.
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  if string.sub(cur, 1, #ARGV[1] + 1) == ARGV[1] .. ':' then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return cur
  end
  return false
end
local token = ARGV[1] .. ':' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return token
`;
// KEYS: lease. ARGV: token, ttl ms → 1 renewed, 0 lost.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Leader leases in Redis with fencing tokens. `acquire` and `renew` are cheap single-key scripts;
 * the scripts that act as leader compare the token stored under the lease key with their own in the
 * same script (see lua-admin.ts), which is what makes a stale leader harmless.
 */
export class LeaseClient {
  readonly #acquire: LuaScript<string | null>;
  readonly #renew: LuaScript<number>;
  readonly #release: LuaScript<number>;

  constructor(redis: Redis) {
    this.#acquire = defineLua<string | null>(redis, 'qtQueueLeaseAcquire', 2, ACQUIRE);
    this.#renew = defineLua<number>(redis, 'qtQueueLeaseRenew', 1, RENEW);
    this.#release = defineLua<number>(redis, 'qtQueueLeaseRelease', 1, RELEASE);
  }

  /** The fencing token when `owner` holds (or now took) the lease, else null. */
  acquire(leaseKey: string, fenceKey: string, owner: string, ttlMs: number): Promise<string | null> {
    return this.#acquire([leaseKey, fenceKey], [owner, ttlMs]);
  }

  async renew(leaseKey: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.#renew([leaseKey], [token, ttlMs])) === 1;
  }

  async release(leaseKey: string, token: string): Promise<void> {
    await this.#release([leaseKey], [token]);
  }
}
