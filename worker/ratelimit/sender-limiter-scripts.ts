/**
 * The sender limiter's Lua scripts (`sender-limiter.ts`): each runs atomically in Redis, so every worker
 * replica sees one schedule per sender. Keys hold ids, never phone numbers.
 */
// KEYS[1] schedule hash (tat: the theoretical next slot, epoch), KEYS[2] cool-down key, KEYS[3] the
// caller's ticket key or "" for none. ARGV: interval ms, burst tolerance ms ((burst - 1) intervals), now ms
// ("" for Redis's own clock, so replicas with skewed clocks agree), key ttl ms, lead ms (the earliest slot
// from now), horizon ms (a slot at most lead + horizon away is handed out to be waited for in process),
// late tolerance ms.
// Returns {code, ms}: code 0 = go, your slot is in ms (>= 0; wait in process); 1 = your slot is in ms,
// come back (reserved when there is a ticket); 2 = the sender cools down for ms more.
export const RESERVE_SLOT = `
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local ttl = tonumber(ARGV[4])
local lead = tonumber(ARGV[5])
local horizon = tonumber(ARGV[6])
local late = tonumber(ARGV[7])
local cool = redis.call('PTTL', KEYS[2])
local state = redis.call('HMGET', KEYS[1], 'tat', 'epoch')
local tat = tonumber(state[1]) or now
local epoch = tonumber(state[2]) or 0
local ticket = KEYS[3] ~= '' and KEYS[3] or nil
if ticket then
  local held = redis.call('GET', ticket)
  if held then
    redis.call('DEL', ticket)
    local sep = string.find(held, ':', 1, true)
    local heldEpoch = sep and tonumber(string.sub(held, 1, sep - 1))
    local slot = sep and tonumber(string.sub(held, sep + 1))
    if cool > 0 then return {2, cool} end
    if heldEpoch == epoch and slot then
      local left = slot - now
      if left > lead + horizon then
        redis.call('SET', ticket, held, 'PX', math.ceil(left + ttl))
        return {1, math.ceil(left)}
      end
      if left >= -late then return {0, math.max(0, math.ceil(left))} end
      -- Missed: going now would put it next to the holders of the following slots. A new slot below.
    end
  end
end
if cool > 0 then return {2, cool} end
local slot = math.max(now + lead, tat - tolerance)
local left = slot - now
if left > lead + horizon and not ticket then return {1, math.ceil(left)} end
tat = math.max(tat, slot) + interval
redis.call('HSET', KEYS[1], 'tat', tat, 'epoch', epoch)
redis.call('PEXPIRE', KEYS[1], math.ceil(tat - now + ttl))
if left > lead + horizon then
  redis.call('SET', ticket, epoch .. ':' .. slot, 'PX', math.ceil(left + ttl))
  return {1, math.ceil(left)}
end
return {0, math.ceil(left)}
`;

// KEYS[1] cool-down key, KEYS[2] schedule hash; ARGV: ms, now ms ("" for Redis's clock), key ttl ms, keep
// ms. Extends, never shortens, the cool-down. An extension voids every ticket handed out so far (new epoch):
// their holders take new slots, one interval apart, after it. The schedule forgets the voided slots beyond
// the cool-down's end, but not those within `keep` ms (turns already handed out to be waited for in
// process, which a cool-down cannot recall), so a new slot never lands next to one of those.
export const COOL_DOWN = `
local ms = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left >= ms then return 0 end
local now = tonumber(ARGV[2])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('SET', KEYS[1], '1', 'PX', ms)
redis.call('HINCRBY', KEYS[2], 'epoch', 1)
local tat = tonumber(redis.call('HGET', KEYS[2], 'tat'))
if tat then redis.call('HSET', KEYS[2], 'tat', math.min(tat, now + math.max(ms, tonumber(ARGV[4])))) end
local keep = redis.call('PTTL', KEYS[2])
redis.call('PEXPIRE', KEYS[2], math.max(keep, ms + tonumber(ARGV[3])))
return 1
`;

// KEYS[1] recipient key; ARGV[1] gap ms. 0 when the recipient may receive now, else the ms to wait.
export const RECIPIENT_GAP = `
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
return math.max(1, redis.call('PTTL', KEYS[1]))
`;
