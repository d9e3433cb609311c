-- limits.lua — ingest protection state in Redis: global bans, per-room mutes
-- and per-user rate buckets (per room and global, per event kind), checked
-- atomically. Written so that seq.lua can check each event of a batch before
-- sequencing it (a limited publish then costs no extra round trip): the
-- batch's keys are read with one MGET up front (dm_limits_prefetch), then
-- dm_limits_check() runs per event on that snapshot, writing through it. It
-- also runs standalone (see the end) for tests and tooling.
--
-- Keys (R = room, U = user id, K = kind "c" | "g" | "l"; names as in
-- common/keys.h):
--   dm:ban:{U}        string, optional TTL  banned everywhere        -> 'banned'
--   dm:{R}:mute:U     string, optional TTL  muted in room R          -> 'muted'
--   dm:{R}:rl:K:U     string tat, PX        bucket of U in R for K   -> 'limited'
--   dm:rl:K:{U}       string tat, PX        global bucket of U for K -> 'limited'
--   dm:{R}:limits     hash, optional        per-room override (slow mode):
--                     field K = "<capacity>/<window_ms>" replaces the room bucket
--                     parameters for that kind ("0/0" removes the room limit)
-- A bucket holds up to `capacity` tokens and refills capacity per window_ms,
-- continuously; each event costs `cost` tokens. It is stored in its GCRA
-- form, one integer: tat (ms), the time at which the bucket is full again, so
-- tokens = capacity * (window_ms - (tat - now)) / window_ms; the key expires
-- at tat (PXAT; a missing bucket is a full one), so idle users cost nothing.
-- Timestamps come from the caller's now_ms (Redis TIME in seq.lua), never
-- from the broadcaster's clock. A capacity of 0 disables that bucket.

-- The call's snapshot: key -> value (false: missing). Bans and mutes are
-- never written by the script; buckets are written through, so two events of
-- one user in one call see each other's charge.
local dm_snap = {}
-- rooms that have a dm:{R}:limits hash (nil: not known, ask)
local dm_has_limits = nil

-- ban, mute, room bucket and global bucket key of an event (a bucket's
-- false unless its flag is set: no string built for a bucket that is off);
-- pfx is the room's key prefix "dm:{R}:"
local function dm_keys(pfx, kind, user, room_on, global_on)
  return 'dm:ban:{' .. user .. '}', pfx .. 'mute:' .. user,
         room_on and pfx .. 'rl:' .. kind .. ':' .. user,
         global_on and 'dm:rl:' .. kind .. ':{' .. user .. '}'
end

-- Reads keys (a list, duplicates allowed) into the snapshot with one MGET,
-- and learns with one EXISTS whether any of the rooms (a list of room names)
-- has a slow-mode override, so the common call reads no override at all.
local function dm_limits_prefetch(keys, rooms)
  if #keys > 0 then
    local v = redis.call('MGET', unpack(keys))
    for i = 1, #keys do dm_snap[keys[i]] = v[i] end
  end
  local lk = {}
  for i = 1, #rooms do lk[i] = 'dm:{' .. rooms[i] .. '}:limits' end
  if #lk > 0 and redis.call('EXISTS', unpack(lk)) == 0 then dm_has_limits = false end
end

local function dm_get(key)
  local v = dm_snap[key]
  if v == nil then
    v = redis.call('GET', key)
    dm_snap[key] = v
  end
  return v
end

-- "<cap>/<win>" override from dm:{R}:limits, or the defaults; read once
-- per room and kind per script call, and not at all when prefetch saw none
local dm_overrides = {}
local function dm_room_params(room, kind, cap, win)
  if dm_has_limits == false then return cap, win end
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

-- The bucket's tat after charging cost at now_ms, and the wait (ms, 0 when
-- allowed); nil when the bucket is disabled.
local function dm_bucket(key, cap, win, now_ms, cost)
  if cap <= 0 or win <= 0 then return nil, 0 end
  local tat = tonumber(dm_get(key)) or now_ms
  if tat < now_ms then tat = now_ms end
  tat = tat + cost * win / cap
  local over = tat - now_ms - win
  if over <= 0 then return tat, 0 end
  local ms = math.ceil(over)
  if ms < 1 then ms = 1 end
  return tat, ms
end

-- Stores tat rounded up to the ms (a bucket is at most 1 ms stricter per
-- event than exact), as the value and as the key's PXAT: the key expires
-- when the bucket is full again. One formatted number per bucket.
local function dm_charge(key, tat)
  tat = math.ceil(tat)
  local v = string.format('%d', tat)
  redis.call('SET', key, v, 'PXAT', v)
  dm_snap[key] = tat
end

-- Checks and, when allowed, charges one event; k is a list holding the
-- event's four keys (dm_keys) from index i + 1. Returns nil if allowed, else
-- {status, ms}: {'banned', ttl_ms}, {'muted', ttl_ms} (ttl -1: no expiry) or
-- {'limited', retry_after_ms}. Nothing is charged unless both buckets allow.
local function dm_limits_check(room, kind, user, k, i, now_ms, rcap, rwin, gcap, gwin, cost)
  local ban, mute, rkey, gkey = k[i + 1], k[i + 2], k[i + 3], k[i + 4]
  if dm_get(ban) then return {'banned', redis.call('PTTL', ban)} end
  if dm_get(mute) then return {'muted', redis.call('PTTL', mute)} end
  rcap, rwin = dm_room_params(room, kind, rcap, rwin)
  -- slow mode can turn on a room bucket the call's spec has off
  if not rkey and rcap > 0 then rkey = 'dm:{' .. room .. '}:rl:' .. kind .. ':' .. user end
  local rt, rw = dm_bucket(rkey, rcap, rwin, now_ms, cost)
  local gt, gw = dm_bucket(gkey, gcap, gwin, now_ms, cost)
  if rw > 0 or gw > 0 then return {'limited', math.max(rw, gw)} end
  if rt then dm_charge(rkey, rt) end
  if gt then dm_charge(gkey, gt) end
  return nil
end

-- Standalone entry: EVAL <this script> 0 __limits__ room kind user
--   room_cap room_window_ms global_cap global_window_ms cost
-- Reply: {'ok', 0} or {status, ms} as above. When this file is merged into
-- seq.lua only the functions above are taken (everything before this line).
if ARGV[1] == '__limits__' then
  local t = redis.call('TIME')
  local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local room, kind, user = ARGV[2], ARGV[3], ARGV[4]
  local k = {dm_keys('dm:{' .. room .. '}:', kind, user, true, true)}
  dm_limits_prefetch(k, {room})
  local r = dm_limits_check(room, kind, user, k, 0, now_ms, tonumber(ARGV[5]), tonumber(ARGV[6]),
                            tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]))
  return r or {'ok', 0}
end
return redis.error_reply('limits.lua: call with ARGV[1] = __limits__')
