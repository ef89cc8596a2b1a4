import { HEADER, JOIN_FN, PRELUDE, VIEW } from './lua-user.ts';

/**
 * Batched request-path scripts: the joins (or polls) that reached one api process in the same
 * event-loop turn go to Redis as ONE script call, in arrival order. Each request still gets its own
 * atomic answer, computed after it arrived; the per-request cost of the client library and of the
 * socket writes is shared by the batch.
 *
 * Rate limits are counted here too, in the schedule's hash slot: KEYS[11] is the hash of the current
 * 1 s window (`…:rl:<window>`), fields `a:<userId>` (per account) and `i:<ip>` (per address); every
 * request counts, a request over either limit is answered LIMITED and changes nothing.
 * ARGV: accountLimit, ipLimit, windowMs, then pairs userId, ip.
 */
const LIMITS = `
local RL = KEYS[11]
local accountLimit, ipLimit = tonumber(ARGV[1]), tonumber(ARGV[2])
local function limited(user, ip)
  local a = redis.call('HINCRBY', RL, 'a:' .. user, 1)
  local i = redis.call('HINCRBY', RL, 'i:' .. ip, 1)
  return a > accountLimit or i > ipLimit
end
local function finishLimits()
  if redis.call('PTTL', RL) < 0 then redis.call('PEXPIRE', RL, ARGV[3]) end
end
`;

/** JOIN_MANY: {now, header, r1..rn}, r = {state|'LIMITED', ticket, pos, expiry, token, closed, isNew, lapsed}. */
export const JOIN_MANY_LUA = `${PRELUDE}${VIEW}${JOIN_FN}${LIMITS}
local h = ${HEADER}
if not h[1] then return {'NOINIT'} end
local now = nowms()
local closed = closedReason(h, now)
local out = {now, h}
for i = 4, #ARGV, 2 do
  if limited(ARGV[i], ARGV[i + 1]) then out[#out + 1] = {'LIMITED'}
  else out[#out + 1] = joinOne(ARGV[i], now, h, closed) end
end
finishLimits()
return out
`;

/** STATUS_MANY: {now, header, r1..rn}, r = {state|'LIMITED', ticket, pos, expiry, token, closed}. */
export const STATUS_MANY_LUA = `${PRELUDE}${VIEW}${LIMITS}
local h = ${HEADER}
if not h[1] then return {'NOINIT'} end
local now = nowms()
local closed = closedReason(h, now)
local out = {now, h}
for i = 4, #ARGV, 2 do
  if limited(ARGV[i], ARGV[i + 1]) then out[#out + 1] = {'LIMITED'}
  else
    local state, t, pos, exp, tok = view(ARGV[i], now)
    if closed and (state == 'WAITING' or state == 'PRE_QUEUE' or state == 'NONE') then state = 'CLOSED' end
    out[#out + 1] = {state, t, pos, exp, tok, closed}
  end
end
finishLimits()
return out
`;
