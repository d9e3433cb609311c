-- limits.lua — ingest protection state in Redis: global bans, per-room mutes
-- and per-user token buckets (per room and global, per event kind), checked
-- atomically. Written so that seq.lua can call dm_limits_check() for each
-- event before sequencing it (a limited publish then costs no extra round
-- trip); it also runs standalone (see the end) for tests and tooling.
--
-- Keys (R = room, U = user id, K = kind "c" | "g" | "l"):
--   dm:ban:U          string, optional TTL  banned everywhere        -> 'banned'
--   dm:{R}:mute:U     string, optional TTL  muted in room R          -> 'muted'
--   dm:{R}:rl:K:U     hash {tokens, ts}     bucket of U in R for K   -> 'limited'
--   dm:rl:K:U         hash {tokens, ts}     global bucket of U for K -> 'limited'
--   dm:{R}:limits     hash, optional        per-room override (slow mode):
--                     field K = "<capacity>/<window_ms>" replaces the room bucket
--                     parameters for that kind ("0/0" removes the room limit)
-- A bucket holds up to `capacity` tokens and refills capacity per window_ms,
-- continuously; each event costs `cost` tokens. Bucket keys expire after
-- window_ms idle (a missing bucket is a full one), so idle users cost nothing.
-- Timestamps come from the caller's now_ms (Redis TIME in seq.lua), never
-- from the broadcaster's clock. A capacity of 0 disables that bucket.

-- Refills bucket `key` to now_ms; returns tokens (float) or nil if disabled.
local function dm_bucket_level(key, cap, win, now_ms)
  if cap <= 0 or win <= 0 then return nil end
  local v = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens, ts = tonumber(v[1]), tonumber(v[2])
  if not tokens or not ts then return cap end
  local elapsed = now_ms - ts
  if elapsed < 0 then elapsed = 0 end
  tokens = tokens + elapsed * cap / win
  if tokens > cap then tokens = cap end
  return tokens
end

-- ms until `tokens` has refilled to `cost` at cap tokens per win ms
local function dm_bucket_wait(tokens, cost, cap, win)
  local ms = math.ceil((cost - tokens) * win / cap)
  if ms < 1 then ms = 1 end
  return ms
end

-- "<cap>/<win>" override from dm:{R}:limits, or the defaults; read once
-- per room and kind per script call (a hot room's batch costs one HGET)
local dm_overrides = {}
local function dm_room_params(room, kind, cap, win)
  local ck = kind .. room
  local o = dm_overrides[ck]
  if o == nil then
    o = redis.call('HGET', 'dm:{' .. room .. '}:limits', kind)
    dm_overrides[ck] = o
  end
  if o then
    local c, w = string.match(o, '^(%d+)/(%d+)$')
    if c then return tonumber(c), tonumber(w) end
  end
  return cap, win
end

-- Checks and, when allowed, charges one event. Returns nil if allowed, else
-- {status, ms}: {'banned', ttl_ms}, {'muted', ttl_ms} (ttl -1: no expiry) or
-- {'limited', retry_after_ms}. Nothing is charged unless both buckets allow.
local function dm_limits_check(room, kind, user, now_ms, rcap, rwin, gcap, gwin, cost)
  local ban, mute = 'dm:ban:' .. user, 'dm:{' .. room .. '}:mute:' .. user
  if redis.call('EXISTS', ban, mute) > 0 then     -- one command in the common case
    if redis.call('EXISTS', ban) == 1 then return {'banned', redis.call('PTTL', ban)} end
    return {'muted', redis.call('PTTL', mute)}
  end
  rcap, rwin = dm_room_params(room, kind, rcap, rwin)
  local rkey = 'dm:{' .. room .. '}:rl:' .. kind .. ':' .. user
  local gkey = 'dm:rl:' .. kind .. ':' .. user
  local rt = dm_bucket_level(rkey, rcap, rwin, now_ms)
  local gt = dm_bucket_level(gkey, gcap, gwin, now_ms)
  local wait = 0
  if rt and rt < cost then wait = dm_bucket_wait(rt, cost, rcap, rwin) end
  if gt and gt < cost then
    local w = dm_bucket_wait(gt, cost, gcap, gwin)
    if w > wait then wait = w end
  end
  if wait > 0 then return {'limited', wait} end
  if rt then
    redis.call('HSET', rkey, 'tokens', tostring(rt - cost), 'ts', now_ms)
    redis.call('PEXPIRE', rkey, rwin)
  end
  if gt then
    redis.call('HSET', gkey, 'tokens', tostring(gt - cost), 'ts', now_ms)
    redis.call('PEXPIRE', gkey, gwin)
  end
  return nil
end

-- Standalone entry: EVAL <this script> 0 __limits__ room kind user
--   room_cap room_window_ms global_cap global_window_ms cost
-- Reply: {'ok', 0} or {status, ms} as above. When this file is merged into
-- seq.lua only the functions above are taken (everything before this line).
if ARGV[1] == '__limits__' then
  local t = redis.call('TIME')
  local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local r = dm_limits_check(ARGV[2], ARGV[3], ARGV[4], now_ms, tonumber(ARGV[5]),
                            tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]),
                            tonumber(ARGV[9]))
  return r or {'ok', 0}
end
return redis.error_reply('limits.lua: call with ARGV[1] = __limits__')
