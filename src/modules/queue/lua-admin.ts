import { PRELUDE } from './lua-user.ts';

/**
 * Lua of the admitter and of queue management. Everything the leader changes checks its fencing token
 * against the lease key first, in the same script: a stale leader (paused by GC, partitioned, lease
 * lost) cannot admit anyone.
 */
const FENCE = `
if redis.call('GET', LEASE) ~= ARGV[1] then return {'FENCED'} end
`;

/**
 * ADMIT (one tick of the leader). ARGV: fence, measured rate (string), max per tick, sweep limit.
 * 1. lapsed slots (expiry <= now) are freed: {user, ticket} pairs returned for the journal;
 * 2. when open, drawn, not paused and not closed: admit n = floor(credit) users, where credit refills at
 *    `rate` per second up to one tenth of a second's worth (smooth, ten small steps a second), and n is
 *    further capped so the admissions of the last 1000 ms never exceed `rate` (exact sliding window over
 *    the admission log) and the active slots never exceed `maxActive`.
 * Reply: {'OK', now, waiting, pre, active, admittedTotal, flags, expired{u,t..}, admitted{u,t,exp..}}
 * with flags = needsDraw(1) + pastClose(2) + closed(4) + paused(8).
 */
export const ADMIT_LUA = `${PRELUDE}${FENCE}
local h = redis.call('HMGET', M, 'init', 'paused', 'opensAt', 'closesAt', 'closed', 'drawn', 'rate', 'maxActive', 'ttl', 'bc', 'bt')
if not h[1] then return {'NOINIT'} end
local now = nowms()
redis.call('HSET', M, 'mrate', ARGV[2])
local expired = {}
local lapsed = redis.call('ZRANGEBYSCORE', A, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
for _, user in ipairs(lapsed) do
  local t = redis.call('HGET', TK, user) or '0'
  redis.call('ZREM', A, user)
  redis.call('HDEL', TOK, user)
  redis.call('HDEL', TK, user)
  redis.call('HSET', X, user, 'EXPIRED:' .. t)
  expired[#expired + 1] = user
  expired[#expired + 1] = t
end
redis.call('ZREMRANGEBYSCORE', AL, '-inf', now - 1000)
local flags = 0
local open = now >= tonumber(h[3])
if open and h[6] ~= '1' then flags = flags + 1 end
if now >= tonumber(h[4]) and not h[5] then flags = flags + 2 end
if h[5] then flags = flags + 4 end
if h[2] == '1' then flags = flags + 8 end
local admitted = {}
local rate = tonumber(h[7])
local credit = 0
if flags == 0 and open then
  local cap = math.max(1, rate / 10)
  local last = tonumber(h[11] or now)
  credit = math.min(cap, tonumber(h[10] or '0') + math.max(0, now - last) * rate / 1000)
  local n = math.floor(credit)
  n = math.min(n, rate - redis.call('ZCARD', AL), tonumber(h[8]) - redis.call('ZCARD', A), tonumber(ARGV[3]))
  if n > 0 then
    local popped = redis.call('ZPOPMIN', W, n)
    local expiry = now + tonumber(h[9]) * 1000
    for i = 1, #popped, 2 do
      local user = popped[i]
      local t = redis.call('HGET', TK, user) or '0'
      redis.call('ZADD', A, expiry, user)
      redis.call('ZADD', AL, now, t)
      admitted[#admitted + 1] = user
      admitted[#admitted + 1] = t
      admitted[#admitted + 1] = expiry
    end
    credit = credit - #popped / 2
    redis.call('HINCRBY', M, 'admitted', #popped / 2)
  end
end
redis.call('HSET', M, 'bc', tostring(credit), 'bt', now)
return {'OK', now, redis.call('ZCARD', W), redis.call('ZCARD', PRE), redis.call('ZCARD', A),
  tonumber(redis.call('HGET', M, 'admitted') or '0'), flags, expired, admitted}
`;

/** DRAW_BEGIN: {'GO', {user, ticket, ...}} when open and not drawn yet; {'DONE'} / {'EARLY'}. */
export const DRAW_BEGIN_LUA = `${PRELUDE}${FENCE}
local h = redis.call('HMGET', M, 'init', 'opensAt', 'drawn')
if not h[1] then return {'NOINIT'} end
if h[3] == '1' then return {'DONE'} end
if nowms() < tonumber(h[2]) then return {'EARLY'} end
return {'GO', redis.call('ZRANGE', PRE, 0, -1, 'WITHSCORES')}
`;

/**
 * DRAW_APPLY: ARGV fence, then user/score pairs in ascending score. Each user still in the pre-queue
 * moves to the waiting set at its draw index. Chunks go front first, so anyone already moved has every
 * user drawn ahead of it moved too, and positions (rank + remaining pre-queue) never rise.
 */
export const DRAW_APPLY_LUA = `${PRELUDE}${FENCE}
local moved = 0
for i = 2, #ARGV, 2 do
  if redis.call('ZREM', PRE, ARGV[i]) == 1 then
    redis.call('ZADD', W, ARGV[i + 1], ARGV[i])
    moved = moved + 1
  end
end
return {'OK', moved}
`;

/** DRAW_FINISH: marks the draw done; anyone left in the pre-queue (never expected) goes to the back. */
export const DRAW_FINISH_LUA = `${PRELUDE}${FENCE}
local left = redis.call('ZRANGE', PRE, 0, -1)
for _, user in ipairs(left) do
  redis.call('ZADD', W, redis.call('HINCRBY', M, 'seq', 1), user)
end
redis.call('DEL', PRE)
redis.call('HSET', M, 'drawn', '1')
return {'OK', #left}
`;

/** CLOSE: ARGV reason → 1 when this call closed it, 0 when already closed, {'NOINIT'}. */
export const CLOSE_LUA = `${PRELUDE}
if redis.call('HEXISTS', M, 'init') == 0 then return {'NOINIT'} end
if redis.call('HEXISTS', M, 'closed') == 1 then return 0 end
redis.call('HSET', M, 'closed', ARGV[1])
return 1
`;

/** CONFIGURE: ARGV field/value pairs written to meta (paused, rate, maxActive). */
export const CONFIGURE_LUA = `${PRELUDE}
if redis.call('HEXISTS', M, 'init') == 0 then return {'NOINIT'} end
for i = 1, #ARGV, 2 do redis.call('HSET', M, ARGV[i], ARGV[i + 1]) end
return 1
`;

/** STATS: {waiting, pre, active(live), admittedTotal, rate, maxActive, paused, closed, mrate, ttl}. */
export const STATS_LUA = `${PRELUDE}
local h = redis.call('HMGET', M, 'init', 'admitted', 'rate', 'maxActive', 'paused', 'closed', 'mrate', 'ttl')
if not h[1] then return {'NOINIT'} end
return {redis.call('ZCARD', W), redis.call('ZCARD', PRE), redis.call('ZCOUNT', A, '(' .. nowms(), '+inf'),
  h[2] or '0', h[3], h[4], h[5], h[6], h[7] or '0', h[8]}
`;

/**
 * RESTORE_ENTRIES (rebuild, while meta is absent and the rebuild lock is ours). ARGV lock token, then
 * groups of four: kind (w waiting, p pre-queue, a active, x ended), user, ticket, score-or-status.
 */
export const RESTORE_ENTRIES_LUA = `${PRELUDE}
if redis.call('GET', RB) ~= ARGV[1] then return -1 end
if redis.call('EXISTS', M) == 1 then return -2 end
for i = 2, #ARGV, 4 do
  local kind, user, t, s = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if kind == 'x' then
    redis.call('HSET', X, user, s .. ':' .. t)
  else
    redis.call('HSET', TK, user, t)
    if kind == 'w' then redis.call('ZADD', W, s, user)
    elseif kind == 'p' then redis.call('ZADD', PRE, s, user)
    else redis.call('ZADD', A, s, user) end
  end
end
return 1
`;

/** RESTORE_META: ARGV lock token, then field/value pairs (ending with init). Releases the lock. */
export const RESTORE_META_LUA = `${PRELUDE}
if redis.call('GET', RB) ~= ARGV[1] then return -1 end
if redis.call('EXISTS', M) == 1 then return -2 end
for i = 2, #ARGV, 2 do redis.call('HSET', M, ARGV[i], ARGV[i + 1]) end
redis.call('DEL', RB)
return 1
`;

/**
 * REASSERT (journal, after a rebuild that could not see these joins yet). ARGV: epoch, then triples
 * user, ticket, pre (1/0). A user with a current or ended place is left alone.
 */
export const REASSERT_LUA = `${PRELUDE}
local h = redis.call('HMGET', M, 'init', 'drawn', 'opensAt')
if not h[1] then return -1 end
if h[1] == ARGV[1] then return 0 end
local added = 0
for i = 2, #ARGV, 3 do
  local user, t, pre = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HEXISTS', TK, user) == 0 and redis.call('HEXISTS', X, user) == 0 then
    redis.call('HSET', TK, user, t)
    if pre == '1' and h[2] ~= '1' then redis.call('ZADD', PRE, t, user)
    elseif pre == '1' then redis.call('ZADD', W, tonumber(t) + 0.5, user)
    else redis.call('ZADD', W, t, user) end
    added = added + 1
  end
end
return added
`;
