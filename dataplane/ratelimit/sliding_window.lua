-- Turnpike's sliding-window rate limits, shared by every replica through one
-- Redis. It is the algorithm of window.go, run atomically inside Redis: every
-- rate of every limit of one request is checked, and recorded only if all have
-- room, in one call. Time is Redis's own clock (TIME), so replicas whose clocks
-- differ still agree, and it never runs backwards for a counter.
--
-- KEYS[h]  one hash per counter (a limit and its counter values).
-- ARGV     first the time in µs, 0 for Redis's own (tests pass their clock);
--          then for each key in order: the number of rates, then for each rate:
--          limit, window (µs), slot (µs; 0 keeps one entry per request), and
--          the most entries kept.
-- A counter's hash has a field per rate, "0", "1", ...: its entries, oldest
-- first, as a MessagePack array {last, count, last, count, ...} (last in µs);
-- and "m", the latest time the counter was checked at. A check costs three
-- commands per counter (HMGET, HSET, PEXPIRE), whatever the rates hold.
-- Returns  {admitted (1 or 0), retry after (µs), then for each rate in order:
--          remaining, µs until it has more room}.

local clock = tonumber(ARGV[1])
if clock == 0 then
  local t = redis.call('TIME')
  clock = tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- How long until enough of the oldest requests leave for one more to fit
-- (or, with room left, until the room next grows).
local function wait(rate, now)
  local need = math.max(rate.total - rate.limit + 1, 1)
  local e = rate.entries
  for i = 1, #e, 2 do
    need = need - e[i + 1]
    if need <= 0 then
      return e[i] + rate.window - now
    end
  end
  return rate.window
end

local hits = {}
local admitted = true
local retry = 0
local arg = 2
for h = 1, #KEYS do
  local key = KEYS[h]
  local nrates = tonumber(ARGV[arg])
  arg = arg + 1
  local fields = {'m'}
  for r = 1, nrates do
    fields[r + 1] = tostring(r - 1)
  end
  local stored = redis.call('HMGET', key, unpack(fields))
  local hit = {key = key, now = math.max(clock, tonumber(stored[1]) or 0), rates = {}, ttl = 0}
  hits[h] = hit
  for r = 1, nrates do
    local rate = {
      field = fields[r + 1],
      limit = tonumber(ARGV[arg]),
      window = tonumber(ARGV[arg + 1]),
      slot = tonumber(ARGV[arg + 2]),
      max = tonumber(ARGV[arg + 3]),
      entries = {},
      total = 0,
    }
    arg = arg + 4
    -- Keep the entries whose newest request is after now - window.
    local cutoff = hit.now - rate.window
    if stored[r + 1] then
      local old = {cmsgpack.unpack(stored[r + 1])}
      if type(old[1]) == 'table' then
        old = old[1]
      end
      for i = 1, #old, 2 do
        if old[i] > cutoff then
          rate.entries[#rate.entries + 1] = old[i]
          rate.entries[#rate.entries + 1] = old[i + 1]
          rate.total = rate.total + old[i + 1]
        end
      end
    end
    if rate.total >= rate.limit then
      admitted = false
      retry = math.max(retry, wait(rate, hit.now))
    end
    hit.ttl = math.max(hit.ttl, rate.window)
    hit.rates[r] = rate
  end
end

-- Record the request in every rate, only when all had room. A request joins
-- the newest entry when it falls in the same slot (or the entries are at
-- their maximum); otherwise it starts a new one.
if admitted then
  for _, hit in ipairs(hits) do
    for _, rate in ipairs(hit.rates) do
      local e = rate.entries
      local n = #e
      local sameSlot = n > 0 and rate.slot > 0 and math.floor(e[n - 1] / rate.slot) == math.floor(hit.now / rate.slot)
      if n > 0 and (sameSlot or n / 2 >= rate.max) then
        e[n - 1] = math.max(e[n - 1], hit.now)
        e[n] = e[n] + 1
      else
        e[n + 1] = hit.now
        e[n + 2] = 1
      end
      rate.total = rate.total + 1
    end
  end
end

-- Write back what expired and what was recorded; a key outlives its longest
-- window by a second, then Redis frees it.
local out = {admitted and 1 or 0, retry}
for _, hit in ipairs(hits) do
  local update = {'m', string.format('%d', hit.now)}
  for _, rate in ipairs(hit.rates) do
    update[#update + 1] = rate.field
    update[#update + 1] = cmsgpack.pack(rate.entries)
    out[#out + 1] = math.max(rate.limit - rate.total, 0)
    out[#out + 1] = wait(rate, hit.now)
  end
  redis.call('HSET', hit.key, unpack(update))
  redis.call('PEXPIRE', hit.key, math.ceil(hit.ttl / 1000) + 1000)
end
return out
