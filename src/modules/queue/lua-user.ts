/**
 * Lua of the request path: join, read one or many users' state, leave, and the admission checks that
 * booking calls. Every script takes the ten keys of keys.ts in that order and uses Redis TIME, so all
 * processes agree on the clock. A missing meta hash (`init`) means Redis lost the queue (or it was
 * never opened): the script answers NOINIT and the caller rebuilds from the journal, then retries.
 */
export const PRELUDE = `
local M, TK, PRE, W, A, X, TOK, AL, LEASE, RB = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local function nowms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Meta fields returned with every read, in this order (see store.ts parseHeader). */
export const HEADER = `redis.call('HMGET', M, 'init', 'paused', 'opensAt', 'closesAt', 'closed', 'mrate', 'lw', 'admitted', 'rate', 'drawn')`;

// View of one user: {state, ticket, position, expiry, token}. The caller overlays CLOSED.
export const VIEW = `
local function view(user, now)
  local t = redis.call('HGET', TK, user)
  if t then
    local r = redis.call('ZRANK', W, user)
    if r then return 'WAITING', t, r + 1 + redis.call('ZCARD', PRE), false, false end
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
    if string.sub(x, 1, sep - 1) == 'EXPIRED' then return 'EXPIRED', string.sub(x, sep + 1), false, false, false end
  end
  return 'NONE', false, false, false, false
end
local function closedReason(h, now)
  if h[5] then return h[5] end
  if now >= tonumber(h[4]) then return 'SALES_CLOSED' end
  return false
end
-- A cancelled show closes admitted buyers' view too (booking ends their holds and orders); after a sell-out
-- or the end of sales, admitted buyers keep their admission to finish paying.
local function endsAdmission(closed)
  return closed == 'CANCELLED'
end
`;

/**
 * JOIN: one place per account. Reply {state, ticket, position, expiry, token, closedReason, now,
 * header, isNew, lapsedTicket}. A repeat join returns the current place unchanged; a user whose
 * admission lapsed (or who left) gets a new place at the back. Scores never tie: a new place is scored
 * by HINCRBY seq, above every ticket so far and above every draw index.
 */
// The join of one user (see JOIN_LUA); h is the HEADER, closed the overlay.
export const JOIN_FN = `
local function joinOne(user, now, h, closed)
  local state, t, pos, exp, tok = view(user, now)
  if state == 'ADMITTED' then
    if endsAdmission(closed) then return {'CLOSED', t, false, false, false, closed, 0, false} end
    return {state, t, false, exp, tok, closed, 0, false}
  end
  if state == 'WAITING' or state == 'PRE_QUEUE' then
    if closed then return {'CLOSED', t, false, false, false, closed, 0, false} end
    return {state, t, pos, false, false, false, 0, false}
  end
  local lapsed = false
  if state == 'EXPIRED' and redis.call('HEXISTS', TK, user) == 1 then
    -- lapsed slot not swept yet: end it here (the caller journals the expiry)
    redis.call('ZREM', A, user)
    redis.call('HDEL', TOK, user)
    redis.call('HDEL', TK, user)
    redis.call('HSET', X, user, 'EXPIRED:' .. t)
    lapsed = t
  end
  if closed then return {'CLOSED', false, false, false, false, closed, 0, lapsed} end
  local seq = redis.call('HINCRBY', M, 'seq', 1)
  redis.call('HSET', TK, user, seq)
  redis.call('HDEL', X, user)
  if now < tonumber(h[3]) then
    redis.call('ZADD', PRE, seq, user)
    return {'PRE_QUEUE', seq, false, false, false, false, 1, lapsed}
  end
  redis.call('ZADD', W, seq, user)
  -- the newest place has the highest score: its rank is the size of the set minus one
  return {'WAITING', seq, redis.call('ZCARD', W) + redis.call('ZCARD', PRE), false, false, false, 1, lapsed}
end
`;

/**
 * JOIN: one place per account. Reply {state, ticket, position, expiry, token, closedReason, now,
 * header, isNew, lapsedTicket}. A repeat join returns the current place unchanged; a user whose
 * admission lapsed (or who left) gets a new place at the back. Scores never tie: a new place is scored
 * by HINCRBY seq, above every ticket so far and above every draw index.
 */
export const JOIN_LUA = `${PRELUDE}${VIEW}${JOIN_FN}
local h = ${HEADER}
if not h[1] then return {'NOINIT'} end
local now = nowms()
local r = joinOne(ARGV[1], now, h, closedReason(h, now))
return {r[1], r[2], r[3], r[4], r[5], r[6], now, h, r[7], r[8]}
`;

/**
 * STATES of many users at once (the SSE rooms' position round): {now, header, closedReason, rows}, rows
 * ONE string with a line per user `code[,position,expiry,token]`, code = state code (0 NONE, 1 PRE_QUEUE,
 * 2 WAITING, 3 ADMITTED, 4 EXPIRED, 5 CLOSED). A waiting user (the usual case) costs one ZRANK — a user
 * in the waiting set always has a ticket, so view()'s HGET is skipped — and its line is `2,<position>`.
 * O(k log N) for k users.
 */
export const STATES_LUA = `${PRELUDE}${VIEW}
local h = ${HEADER}
if not h[1] then return {'NOINIT'} end
local now = nowms()
local closed = closedReason(h, now)
local codes = {NONE = 0, PRE_QUEUE = 1, WAITING = 2, ADMITTED = 3, EXPIRED = 4}
local pre = redis.call('ZCARD', PRE)
local function s(v)
  if v then return v end
  return ''
end
local rows = {}
for i = 1, #ARGV do
  local r = redis.call('ZRANK', W, ARGV[i])
  if r then
    if closed then rows[i] = '5' else rows[i] = '2,' .. (r + 1 + pre) end
  else
    local state, t, pos, exp, tok = view(ARGV[i], now)
    local code = codes[state]
    if closed and (code <= 2 or (code == 3 and endsAdmission(closed))) then code = 5 end
    rows[i] = code .. ',' .. s(pos) .. ',' .. s(exp) .. ',' .. s(tok)
  end
end
return {now, h, closed, table.concat(rows, '\\n')}
`;

/** LEAVE: {wasState, ticket, now} or {'NONE'}; frees an active slot. */
export const LEAVE_LUA = `${PRELUDE}
local user = ARGV[1]
if redis.call('HEXISTS', M, 'init') == 0 then return {'NOINIT'} end
local t = redis.call('HGET', TK, user)
if not t then return {'NONE'} end
local was = 'NONE'
if redis.call('ZREM', W, user) == 1 then
  was = 'WAITING'
  redis.call('HINCRBY', M, 'lw', 1)
elseif redis.call('ZREM', PRE, user) == 1 then
  was = 'PRE_QUEUE'
elseif redis.call('ZREM', A, user) == 1 then
  was = 'ADMITTED'
  redis.call('HDEL', TOK, user)
end
redis.call('HDEL', TK, user)
redis.call('HSET', X, user, 'LEFT:' .. t)
return {was, t, nowms()}
`;

/** RELEASE an active slot with a reason (PAID, EXPIRED, LEFT): {ticket, now} or false. */
export const RELEASE_LUA = `${PRELUDE}
local user = ARGV[1]
if redis.call('HEXISTS', M, 'init') == 0 then return {'NOINIT'} end
if redis.call('ZREM', A, user) == 0 then return false end
local t = redis.call('HGET', TK, user)
redis.call('HDEL', TOK, user)
redis.call('HDEL', TK, user)
redis.call('HSET', X, user, ARGV[2] .. ':' .. (t or '0'))
return {t or '0', nowms()}
`;

/** RETAIN: a live slot's expiry becomes max(current, untilMs): {ticket, expiry} or false (not live). */
export const RETAIN_LUA = `${PRELUDE}
local user = ARGV[1]
local e = redis.call('ZSCORE', A, user)
if not e or tonumber(e) <= nowms() then return false end
local untilMs = tonumber(ARGV[2])
if untilMs > tonumber(e) then
  redis.call('ZADD', A, untilMs, user)
  e = ARGV[2]
end
return {redis.call('HGET', TK, user) or '0', e}
`;

/** ACTIVE: 1 when the user holds a live slot, 0 when not, -1 when the queue keys are missing. */
export const ACTIVE_LUA = `${PRELUDE}
local e = redis.call('ZSCORE', A, ARGV[1])
if e and tonumber(e) > nowms() then return 1 end
if redis.call('EXISTS', M) == 0 then return -1 end
return 0
`;

/** Stores a freshly signed admission token if the slot is still live: 1 stored, 0 not. */
export const PUT_TOKEN_LUA = `${PRELUDE}
local e = redis.call('ZSCORE', A, ARGV[1])
if not e or tonumber(e) <= nowms() then return 0 end
redis.call('HSET', TOK, ARGV[1], ARGV[2])
return 1
`;
