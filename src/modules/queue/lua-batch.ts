import { HEADER, PRELUDE, VIEW } from './lua-user.ts';

/**
 * Batched request-path scripts: the joins (or polls) that reached one api process in the same
 * event-loop turn go to Redis as ONE script call, in arrival order. Each request still gets its own
 * atomic answer, computed after it arrived; the per-request cost of the client library and of the
 * socket writes is shared by the batch.
 *
 * Both are written for the cost per request, in Redis and in the api process:
 * - rate limits: KEYS[11] is the hash of the current 1 s window (`…:rl:<window>`), fields `a:<userId>`
 *   (per account) and `i:<ip>` (per address). Every request counts; a request over either limit is
 *   answered LIMITED and changes nothing. The counters of the whole batch are read with one HMGET and
 *   written back with one HSET (the script is atomic, so this equals an HINCRBY per request);
 * - the pre-queue size, the waiting-set size and the ticket sequence are read once per batch and kept
 *   in script locals while the batch changes them;
 * - the reply is {now, header, closedReason, rows}: `rows` is ONE string, a line per request, fields
 *   separated by commas (no field can hold a comma or a newline: states, numbers, `jwt|expiry`), so the
 *   client decodes one bulk string instead of eight values per request.
 * ARGV: accountLimit, ipLimit, windowMs, then pairs userId, ip.
 */
const BATCH = `
local RL = KEYS[11]
local h = ${HEADER}
if not h[1] then return {'NOINIT'} end
local now = nowms()
local closed = closedReason(h, now)
local accountLimit, ipLimit = tonumber(ARGV[1]), tonumber(ARGV[2])
local counts, fields = {}, {}
for i = 4, #ARGV, 2 do
  local a, p = 'a:' .. ARGV[i], 'i:' .. ARGV[i + 1]
  if not counts[a] then counts[a] = 0; fields[#fields + 1] = a end
  if not counts[p] then counts[p] = 0; fields[#fields + 1] = p end
end
local stored = redis.call('HMGET', RL, unpack(fields))
for k = 1, #fields do counts[fields[k]] = tonumber(stored[k] or '0') end
local function limited(user, ip)
  local a, p = 'a:' .. user, 'i:' .. ip
  local ca, cp = counts[a] + 1, counts[p] + 1
  counts[a] = ca
  counts[p] = cp
  return ca > accountLimit or cp > ipLimit
end
local function finishLimits()
  local args = {}
  for k = 1, #fields do
    args[#args + 1] = fields[k]
    args[#args + 1] = counts[fields[k]]
  end
  redis.call('HSET', RL, unpack(args))
  if redis.call('PTTL', RL) < 0 then redis.call('PEXPIRE', RL, ARGV[3]) end
end
local preCount = false
local function pre()
  if not preCount then preCount = redis.call('ZCARD', PRE) end
  return preCount
end
local function s(v)
  if v then return v end
  return ''
end
-- view(user, now) of lua-user.ts with the pre-queue size counted once per batch; the 6th value says
-- whether the ended-places hash has an entry (nil: not looked at)
local function viewOne(user)
  local t = redis.call('HGET', TK, user)
  if t then
    local r = redis.call('ZRANK', W, user)
    if r then return 'WAITING', t, r + 1 + pre(), false, false end
    if redis.call('ZSCORE', PRE, user) then return 'PRE_QUEUE', t, false, false, false end
    local e = redis.call('ZSCORE', A, user)
    if e then
      if tonumber(e) > now then return 'ADMITTED', t, false, e, redis.call('HGET', TOK, user) end
      return 'EXPIRED', t, false, e, false
    end
    return 'NONE', false, false, false, false
  end
  local x = redis.call('HGET', X, user)
  if x then
    local sep = string.find(x, ':', 1, true)
    if string.sub(x, 1, sep - 1) == 'EXPIRED' then return 'EXPIRED', string.sub(x, sep + 1), false, false, false, true end
    return 'NONE', false, false, false, false, true
  end
  return 'NONE', false, false, false, false, false
end
local rows = {}
`;

/**
 * JOIN_MANY: rows `state,ticket,position,expiry,token,isNew,lapsedTicket` (or `LIMITED`). The join of
 * one user is joinOne of lua-user.ts (JOIN_FN); the ticket sequence and the waiting-set size are
 * counted in locals and the sequence is written back once.
 */
export const JOIN_MANY_LUA = `${PRELUDE}${VIEW}${BATCH}
local seq = false
local waitCount = false
local function joinOne(user)
  local state, t, pos, exp, tok, hadX = viewOne(user)
  if state == 'ADMITTED' then
    if endsAdmission(closed) then return 'CLOSED,' .. t .. ',,,,0,' end
    return state .. ',' .. t .. ',,' .. exp .. ',' .. s(tok) .. ',0,'
  end
  if state == 'WAITING' or state == 'PRE_QUEUE' then
    if closed then return 'CLOSED,' .. t .. ',,,,0,' end
    return state .. ',' .. t .. ',' .. s(pos) .. ',,,0,'
  end
  local lapsed = false
  if state == 'EXPIRED' and redis.call('HEXISTS', TK, user) == 1 then
    -- lapsed slot not swept yet: end it here (the caller journals the expiry)
    redis.call('ZREM', A, user)
    redis.call('HDEL', TOK, user)
    redis.call('HDEL', TK, user)
    redis.call('HSET', X, user, 'EXPIRED:' .. t)
    lapsed = t
    hadX = true
  end
  if closed then return 'CLOSED,,,,,0,' .. s(lapsed) end
  if not seq then seq = tonumber(redis.call('HGET', M, 'seq') or '0') end
  seq = seq + 1
  redis.call('HSET', TK, user, seq)
  if hadX ~= false then redis.call('HDEL', X, user) end
  if now < tonumber(h[3]) then
    redis.call('ZADD', PRE, seq, user)
    if preCount then preCount = preCount + 1 end
    return 'PRE_QUEUE,' .. seq .. ',,,,1,' .. s(lapsed)
  end
  redis.call('ZADD', W, seq, user)
  if waitCount then waitCount = waitCount + 1 else waitCount = redis.call('ZCARD', W) end
  -- the newest place has the highest score: its rank is the size of the set minus one
  return 'WAITING,' .. seq .. ',' .. (waitCount + pre()) .. ',,,1,' .. s(lapsed)
end
for i = 4, #ARGV, 2 do
  if limited(ARGV[i], ARGV[i + 1]) then rows[#rows + 1] = 'LIMITED'
  else rows[#rows + 1] = joinOne(ARGV[i]) end
end
if seq then redis.call('HSET', M, 'seq', seq) end
finishLimits()
return {now, h, closed, table.concat(rows, '\\n')}
`;

/** STATUS_MANY: rows `state,ticket,position,expiry,token` (or `LIMITED`). */
export const STATUS_MANY_LUA = `${PRELUDE}${VIEW}${BATCH}
for i = 4, #ARGV, 2 do
  if limited(ARGV[i], ARGV[i + 1]) then rows[#rows + 1] = 'LIMITED'
  else
    local state, t, pos, exp, tok = viewOne(ARGV[i])
    if closed and (state == 'WAITING' or state == 'PRE_QUEUE' or state == 'NONE') then state = 'CLOSED' end
    if state == 'ADMITTED' and endsAdmission(closed) then state, exp, tok = 'CLOSED', false, false end
    rows[#rows + 1] = state .. ',' .. s(t) .. ',' .. s(pos) .. ',' .. s(exp) .. ',' .. s(tok)
  end
end
finishLimits()
return {now, h, closed, table.concat(rows, '\\n')}
`;
