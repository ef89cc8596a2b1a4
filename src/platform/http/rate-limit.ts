import { Errors } from '../errors.ts';
import { defineLua, type LuaScript, type Redis } from '../redis.ts';

// Fixed window counter in one round trip. Cluster-safe: one key per call.
const SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then return redis.call('PTTL', KEYS[1]) end
return -1
`;

export interface RateLimitRule {
  /** Bucket name, e.g. `ip` or `login-account`. */
  name: string;
  limit: number;
  windowMs: number;
}

/** Redis-backed limits shared by every api process, so a second process never doubles a limit. */
export class RateLimiter {
  readonly #count: LuaScript<number>;

  constructor(redis: Redis) {
    this.#count = defineLua<number>(redis, 'qtRateLimit', 1, SCRIPT);
  }

  /** Throws RATE_LIMITED (429 + Retry-After) once `subject` went over `rule` in the current window. */
  async hit(rule: RateLimitRule, subject: string): Promise<void> {
    const window = Math.floor(Date.now() / rule.windowMs);
    const key = `rl:{${rule.name}:${subject}}:${window}`;
    const ttl = await this.#count([key], [rule.windowMs, rule.limit]);
    if (ttl >= 0) throw Errors.rateLimited(Math.max(1, Math.ceil(ttl / 1000)));
  }
}
