/**
 * Redis keys of one schedule's queue. Every key carries the hash tag `{s:<scheduleId>}` so each Lua
 * script touches one Cluster slot. The client adds REDIS_KEY_PREFIX in front.
 *
 * m    hash    meta: init (epoch), seq, opensAt, closesAt, rate, maxActive, ttl, paused, closed, drawn,
 *              admitted (total), lw (left while waiting), mrate (measured admissions/s), bc/bt (credit)
 * tk   hash    userId → ticketNumber of the user's current place (pre-queue, waiting or admitted)
 * pre  zset    pre-queue before the draw: userId scored by ticketNumber
 * w    zset    waiting: userId scored by its order (draw index for the pre-queue, else ticketNumber)
 * a    zset    active admission slots: userId scored by expiry (epoch ms)
 * x    hash    userId → `STATUS:ticket` of the user's last ended place (EXPIRED, LEFT, PAID)
 * tok  hash    userId → `jwt|expiresAtMs`, the admission token of an active slot
 * al   zset    admission log of the last second: ticketNumber scored by admission time (rate window)
 * lease string the admitter leader's fencing token (owner:fence), with a TTL
 * rb   string  rebuild lock
 * fence string fencing counter
 */
export const KEY_NAMES = ['m', 'tk', 'pre', 'w', 'a', 'x', 'tok', 'al', 'lease', 'rb'] as const;

export function queueKeys(scheduleId: string): string[] {
  const tag = `q:{s:${scheduleId}}:`;
  return KEY_NAMES.map((name) => tag + name);
}

export const fenceKey = (scheduleId: string) => `q:{s:${scheduleId}}:fence`;
export const leaseKey = (scheduleId: string) => `q:{s:${scheduleId}}:lease`;

/** Schedules with a queue (one key, its own slot): the admitter's discovery list, kept on join. */
export const LIVE_SET = 'q:live';

/** Pub/sub channel (not prefixed by ioredis: add the prefix) for admitted / paused / closed pushes. */
export const EVENTS_CHANNEL = 'q:events';
