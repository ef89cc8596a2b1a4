/*
 * The seat-state Lua scripts. Every key of one schedule carries the hash tag `{s:<scheduleId>}` (one
 * Cluster slot); KEYS[1] is always the meta hash `seat:{s:<id>}:m`, and the pub/sub channel is derived
 * from it (`...:ch`, carrying the client's key prefix, which ioredis does not add to channels).
 *
 *   m        hash   exat (keys' expiry, ms), init (ms), fence (monotonic fencing counter), v (bumped by every change)
 *   seats    hash   seatId → `holdId|expiresAtMs|fence` (held; lapsed when expiresAt <= now) | `S|orderId`
 *   st       hash   `<sectionId>:h` standing entries held, `<sectionId>:s` standing entries sold
 *   stz      zset   `holdId|sectionId|qty` scored by expiry (standing holds, lazily expired)
 *   paid     hash   userId → valid tickets of the performance (for maxTicketsPerBuyer)
 *   h:<id>   hash   u user, k S|T, seats csv | sec, n count, e expiry, cap max expiry, f fence, st H|O, o order,
 *                   p performance, ax admission expiry (ms or '')
 *   {h:<holdId>}    string (own hash tag) the hold's scheduleId, so DELETE /holds/{id} needs no PostgreSQL read
 *   u:<uid>  zset   `holdId|n` scored by expiry: the user's live holds in this schedule
 *   rl:<s>   hash   address → hold/release requests in second <s> (per-address limit), expires after 2 s
 *
 * Without `m.exat` the schedule is not loaded (fresh, or Redis lost its data): scripts that decide
 * availability answer INIT and the caller seeds from PostgreSQL first (seed.ts).
 */

export const COMMON = `
local function keep(key, at)
  local t = redis.call('PEXPIRETIME', key)
  if t == -1 or (t >= 0 and t < at) then redis.call('PEXPIREAT', key, at) end
end
local function chan(m) return string.sub(m, 1, -2) .. 'ch' end
-- Frees the seats of csv that still carry this hold id (fencing: a seat re-held by someone else after a
-- lapse stays theirs), appending each freed seat to the list 'freed'.
local function freeOwnSeats(seats, holdId, csv, freed)
  local prefix = holdId .. '|'
  for seat in string.gmatch(csv, '[^,]+') do
    local v = redis.call('HGET', seats, seat)
    if v and string.sub(v, 1, #prefix) == prefix then
      redis.call('HDEL', seats, seat)
      freed[#freed + 1] = seat
    end
  end
end
-- The per-address limit of the request path (RATE_LIMIT_IP_PER_SECOND), counted here rather than by a
-- separate Redis call per request: key = this schedule's hash of the current 1 s window ("rl:<window>"),
-- field = address. Per address and schedule. ip '' (background callers) counts nothing.
local function overIpLimit(key, ip, limit)
  if ip == '' then return false end
  local n = redis.call('HINCRBY', key, ip, 1)
  if n == 1 and redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, 2000) end
  return n > tonumber(limit)
end
`;

// Seated holds: HOLD_MANY in hold-batch.ts (the holds of one schedule and event-loop turn in one call).

const STANDING_CLEANUP = `
local function cleanup(st, stz, now)
  for _, mem in ipairs(redis.call('ZRANGEBYSCORE', stz, '-inf', now)) do
    local s, q = string.match(mem, '^[^|]+|([^|]+)|(%d+)$')
    if s then redis.call('HINCRBY', st, s .. ':h', -tonumber(q)) end
    redis.call('ZREM', stz, mem)
  end
end
`;

/**
 * Standing hold. KEYS m st stz h u paid rl; ARGV holdId userId now exp cap perUser maxTickets keepMs
 * sectionId qty capacity performanceId admissionExp ip ipLimit
 */
export const HOLD_STANDING = `${COMMON}${STANDING_CLEANUP}
local m, st, stz, hk, uk, paid = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local exat = redis.call('HGET', m, 'exat')
if not exat then return {'INIT'} end
if overIpLimit(KEYS[7], ARGV[14], ARGV[15]) then return {'LIMITED'} end
local holdId, userId, now, exp = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local perUser, maxTickets, keepMs = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local sec, qty, capacity = ARGV[9], tonumber(ARGV[10]), tonumber(ARGV[11])
cleanup(st, stz, now)
local taken = tonumber(redis.call('HGET', st, sec .. ':h') or '0') + tonumber(redis.call('HGET', st, sec .. ':s') or '0')
if taken + qty > capacity then return {'FULL', tostring(math.max(0, capacity - taken))} end
redis.call('ZREMRANGEBYSCORE', uk, '-inf', now)
local held = 0
for _, mem in ipairs(redis.call('ZRANGE', uk, 0, -1)) do held = held + tonumber(string.match(mem, '|(%d+)$')) end
local bought = tonumber(redis.call('HGET', paid, userId) or '0')
if held + qty > perUser or held + bought + qty > maxTickets then return {'LIMIT', tostring(held + bought)} end
local fence = string.format('%d', redis.call('HINCRBY', m, 'fence', 1))
redis.call('HINCRBY', st, sec .. ':h', qty)
redis.call('ZADD', stz, exp, holdId .. '|' .. sec .. '|' .. qty)
keep(st, tonumber(exat))
keep(stz, tonumber(exat))
redis.call('HSET', hk, 'u', userId, 'k', 'T', 'sec', sec, 'n', qty, 'e', exp, 'cap', ARGV[5], 'f', fence, 'st', 'H', 'p', ARGV[12], 'ax', ARGV[13])
redis.call('PEXPIREAT', hk, tonumber(exp) + keepMs)
redis.call('ZADD', uk, exp, holdId .. '|' .. qty)
keep(uk, tonumber(exp) + keepMs)
redis.call('HINCRBY', m, 'v', 1)
redis.call('PUBLISH', chan(m), 'T|' .. sec .. '|' .. (capacity - taken - qty))
return {'OK', fence}
`;

/**
 * Release. KEYS m seats st stz h u rl; ARGV holdId userId mode now ip ipLimit → OK user kind seats sec n exp fence
 * performanceId admissionExp freed... | GONE | ORDERED orderId | LIVE | LIMITED. mode USER: only the owner, not while
 * ordered; EXPIRE: only once lapsed and not ordered; SYSTEM: unconditionally. Only seat entries still
 * carrying this hold id are removed (fencing: a seat re-held by someone else after a lapse stays theirs).
 */
export const RELEASE = `${COMMON}
local m, seats, st, stz, hk, uk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local holdId, userId, mode, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if overIpLimit(KEYS[7], ARGV[5], ARGV[6]) then return {'LIMITED'} end
local h = redis.call('HMGET', hk, 'u', 'k', 'seats', 'sec', 'n', 'e', 'st', 'o', 'f', 'p', 'ax')
if not h[1] then return {'GONE'} end
if mode == 'USER' then
  if h[1] ~= userId then return {'GONE'} end
  if h[7] == 'O' then return {'ORDERED', h[8]} end
elseif mode == 'EXPIRE' then
  if h[7] == 'O' or tonumber(h[6]) > now then return {'LIVE'} end
end
local freed = {}
if h[2] == 'S' then
  freeOwnSeats(seats, holdId, h[3], freed)
  if #freed > 0 then redis.call('PUBLISH', chan(m), 'A|' .. table.concat(freed, ',')) end
else
  if redis.call('ZREM', stz, holdId .. '|' .. h[4] .. '|' .. h[5]) == 1 then
    redis.call('HINCRBY', st, h[4] .. ':h', -tonumber(h[5]))
    redis.call('PUBLISH', chan(m), 'T|' .. h[4] .. '|')
  end
end
redis.call('ZREM', uk, holdId .. '|' .. h[5])
redis.call('DEL', hk)
redis.call('HINCRBY', m, 'v', 1)
return {'OK', h[1], h[2], h[3] or '', h[4] or '', h[5], h[6], h[9] or '0', h[10] or '', h[11] or '', unpack(freed)}
`;

/** Claim for an order. KEYS m seats stz h; ARGV holdId userId now orderId → OK expiry | INIT | GONE | EXPIRED | ORDERED | LOST */
export const CLAIM = `
local m, seats, stz, hk = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local holdId, userId, now, orderId = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if not redis.call('HGET', m, 'exat') then return {'INIT'} end
local h = redis.call('HMGET', hk, 'u', 'k', 'seats', 'sec', 'n', 'e', 'st', 'o')
if not h[1] or h[1] ~= userId then return {'GONE'} end
if h[7] == 'O' then
  if h[8] == orderId then return {'OK', h[6]} end
  return {'ORDERED', h[8]}
end
if tonumber(h[6]) <= now then return {'EXPIRED'} end
if h[2] == 'S' then
  local prefix = holdId .. '|'
  for seat in string.gmatch(h[3], '[^,]+') do
    local v = redis.call('HGET', seats, seat)
    if not v or string.sub(v, 1, #prefix) ~= prefix then return {'LOST', seat} end
  end
elseif not redis.call('ZSCORE', stz, holdId .. '|' .. h[4] .. '|' .. h[5]) then
  return {'LOST'}
end
redis.call('HSET', hk, 'st', 'O', 'o', orderId)
redis.call('HINCRBY', m, 'v', 1)
return {'OK', h[6]}
`;

/** Undo a claim whose order transaction did not commit. KEYS h; ARGV orderId */
export const UNCLAIM = `
if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'st', 'H')
  redis.call('HDEL', KEYS[1], 'o')
  return 1
end
return 0
`;

/** Extend. KEYS m seats stz h u; ARGV holdId userId now addMs keepMs → OK newExpiry | GONE | ORDERED | EXPIRED | CAP cap | LOST */
export const EXTEND = `${COMMON}
local m, seats, stz, hk, uk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local holdId, userId, now, add, keepMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local h = redis.call('HMGET', hk, 'u', 'k', 'seats', 'sec', 'n', 'e', 'cap', 'f', 'st')
if not h[1] or h[1] ~= userId then return {'GONE'} end
if h[9] == 'O' then return {'ORDERED'} end
local e = tonumber(h[6])
if e <= now then return {'EXPIRED'} end
local ne = math.min(e + add, tonumber(h[7]))
if ne <= e then return {'CAP', h[7]} end
local nes = string.format('%d', ne)
if h[2] == 'S' then
  local prefix = holdId .. '|'
  for seat in string.gmatch(h[3], '[^,]+') do
    local v = redis.call('HGET', seats, seat)
    if not v or string.sub(v, 1, #prefix) ~= prefix then return {'LOST', seat} end
  end
  for seat in string.gmatch(h[3], '[^,]+') do redis.call('HSET', seats, seat, holdId .. '|' .. nes .. '|' .. h[8]) end
else
  if redis.call('ZADD', stz, 'XX', 'CH', nes, holdId .. '|' .. h[4] .. '|' .. h[5]) == 0 then return {'LOST'} end
end
redis.call('ZADD', uk, 'XX', nes, holdId .. '|' .. h[5])
keep(uk, ne + keepMs)
redis.call('HSET', hk, 'e', nes)
redis.call('PEXPIREAT', hk, ne + keepMs)
return {'OK', nes}
`;

/**
 * Keep an ordered hold (and its seats) until a later time: a virtual account's deposit deadline.
 * KEYS m seats stz h u; ARGV holdId untilMs keepMs → 1, or 0 when the hold is gone from Redis.
 */
export const PROLONG = `${COMMON}
local m, seats, stz, hk, uk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local holdId, untilMs, keepMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', hk, 'k', 'seats', 'sec', 'n', 'e', 'f')
if not h[1] then return 0 end
if untilMs <= tonumber(h[5]) then return 1 end
if h[1] == 'S' then
  local prefix = holdId .. '|'
  for seat in string.gmatch(h[2], '[^,]+') do
    local v = redis.call('HGET', seats, seat)
    if v and string.sub(v, 1, #prefix) == prefix then redis.call('HSET', seats, seat, prefix .. ARGV[2] .. '|' .. h[6]) end
  end
else
  redis.call('ZADD', stz, 'XX', ARGV[2], holdId .. '|' .. h[3] .. '|' .. h[4])
end
redis.call('ZADD', uk, 'XX', ARGV[2], holdId .. '|' .. h[4])
keep(uk, untilMs + keepMs)
redis.call('HSET', hk, 'e', ARGV[2])
redis.call('PEXPIREAT', hk, untilMs + keepMs)
redis.call('HINCRBY', m, 'v', 1)
return 1
`;

/**
 * Apply an order's committed state (paid / refunded). KEYS m seats st stz h u paid;
 * ARGV orderId holdId userId holdN paidCount sectionId sectionSold nSold sold... freed...
 * Idempotent: values are absolute, removals conditional.
 */
export const SYNC_ORDER = `${COMMON}
local m, seats, st, stz, hk, uk, paid = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local exat = redis.call('HGET', m, 'exat')
if not exat then return 'INIT' end
local orderId, holdId, userId, holdN = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local sec, nSold = ARGV[6], tonumber(ARGV[8])
local mark = 'S|' .. orderId
local sold, freed = {}, {}
for i = 9, 8 + nSold do
  redis.call('HSET', seats, ARGV[i], mark)
  sold[#sold + 1] = ARGV[i]
end
local own = holdId .. '|'
for i = 9 + nSold, #ARGV do
  local v = redis.call('HGET', seats, ARGV[i])
  if v == mark or (v and string.sub(v, 1, #own) == own) then
    redis.call('HDEL', seats, ARGV[i])
    freed[#freed + 1] = ARGV[i]
  end
end
if #sold > 0 then keep(seats, tonumber(exat)) end
if sec ~= '' then
  if redis.call('ZREM', stz, holdId .. '|' .. sec .. '|' .. holdN) == 1 then
    redis.call('HINCRBY', st, sec .. ':h', -tonumber(holdN))
  end
  redis.call('HSET', st, sec .. ':s', ARGV[7])
  keep(st, tonumber(exat))
  redis.call('PUBLISH', chan(m), 'T|' .. sec .. '|')
end
redis.call('DEL', hk)
redis.call('ZREM', uk, holdId .. '|' .. holdN)
redis.call('HSET', paid, userId, ARGV[5])
keep(paid, tonumber(exat))
if #sold > 0 then redis.call('PUBLISH', chan(m), 'S|' .. table.concat(sold, ',')) end
if #freed > 0 then redis.call('PUBLISH', chan(m), 'A|' .. table.concat(freed, ',')) end
redis.call('HINCRBY', m, 'v', 1)
return 'OK'
`;

/**
 * Load a schedule from PostgreSQL's record (first use, or after Redis lost the data). KEYS m; ARGV json now.
 * No-op when another process seeded first. Sibling keys are derived from KEYS[1] (same hash tag, same slot).
 */
export const SEED = `
local m = KEYS[1]
if redis.call('HEXISTS', m, 'exat') == 1 then return 0 end
local base = string.sub(m, 1, -2)
local seats, st, stz, paid = base .. 'seats', base .. 'st', base .. 'stz', base .. 'paid'
local d = cjson.decode(ARGV[1])
redis.call('DEL', seats, st, stz, paid)
for _, s in ipairs(d.sold) do redis.call('HSET', seats, s[1], 'S|' .. s[2]) end
for _, u in ipairs(d.users) do redis.call('DEL', base .. 'u:' .. u) end
for _, h in ipairs(d.holds) do
  local hk = base .. 'h:' .. h.id
  redis.call('DEL', hk)
  if h.k == 'S' then
    local v = h.id .. '|' .. h.e .. '|' .. h.f
    for seat in string.gmatch(h.seats, '[^,]+') do
      local cur = redis.call('HGET', seats, seat)
      if not cur then redis.call('HSET', seats, seat, v) end
    end
    redis.call('HSET', hk, 'u', h.u, 'k', 'S', 'seats', h.seats, 'n', h.n, 'e', h.e, 'cap', h.cap, 'f', h.f, 'st', h.st, 'p', h.p, 'ax', h.ax)
  else
    redis.call('ZADD', stz, h.e, h.id .. '|' .. h.sec .. '|' .. h.n)
    redis.call('HINCRBY', st, h.sec .. ':h', tonumber(h.n))
    redis.call('HSET', hk, 'u', h.u, 'k', 'T', 'sec', h.sec, 'n', h.n, 'e', h.e, 'cap', h.cap, 'f', h.f, 'st', h.st, 'p', h.p, 'ax', h.ax)
  end
  if h.o ~= '' then redis.call('HSET', hk, 'o', h.o) end
  redis.call('PEXPIREAT', hk, tonumber(h.e) + tonumber(d.keepMs))
  local uk = base .. 'u:' .. h.u
  redis.call('ZADD', uk, h.e, h.id .. '|' .. h.n)
  redis.call('PEXPIREAT', uk, tonumber(d.exat))
end
for _, s in ipairs(d.standingSold) do redis.call('HSET', st, s[1] .. ':s', s[2]) end
for _, p in ipairs(d.paid) do redis.call('HSET', paid, p[1], p[2]) end
local f = redis.call('HGET', m, 'fence')
if not f or tonumber(f) < tonumber(d.fenceFloor) then redis.call('HSET', m, 'fence', d.fenceFloor) end
redis.call('HSET', m, 'exat', d.exat, 'init', ARGV[2])
redis.call('HINCRBY', m, 'v', 1)
for _, k in ipairs({m, seats, st, stz, paid}) do redis.call('PEXPIREAT', k, d.exat) end
return 1
`;

/** Held + sold entries of a standing section (lazily expiring). KEYS m st stz; ARGV now sectionId → -1 when not loaded */
export const STANDING_TAKEN = `${STANDING_CLEANUP}
if not redis.call('HGET', KEYS[1], 'exat') then return -1 end
cleanup(KEYS[2], KEYS[3], tonumber(ARGV[1]))
return tonumber(redis.call('HGET', KEYS[2], ARGV[2] .. ':h') or '0') + tonumber(redis.call('HGET', KEYS[2], ARGV[2] .. ':s') or '0')
`;
