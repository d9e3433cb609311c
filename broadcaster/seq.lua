#!lua
-- seq.lua — the room sequencer: for each event of a batch (possibly of
-- different rooms) it checks idempotency, bans, mutes and rate limits,
-- assigns the room's next seq, appends seq/ts_ms to the protobuf Event,
-- stores it in the capped stream and publishes it, all atomically.
-- Contract: docs/ARCHITECTURE.md "The sequencer script"; key names as in
-- common/keys.h.
-- The shebang makes Redis check for OOM before the script starts. Each
-- room's meta hash is read once and written once per call (after all its
-- XADDs, also when the call fails half-way), so whenever the script ends
-- HGET meta seq equals the room's last stream ID.
--
-- No KEYS. ARGV:
--   1 retention (stream MAXLEN, exact)   2 dedupe window in seconds
--   3 epoch candidate (16 hex chars)      4 F = fields per event (>= 5)
--   5 N = number of events
--   then N groups of F fields: room, kind ("c"|"g"|"l"), user_id,
--   client_msg_id ("" = none), Event bytes (protobuf, without seq/ts_ms),
--   and with F >= 6: the rate limits "<room_cap> <room_window_ms> <global_cap>
--   <global_window_ms>" (caps 0 = that bucket off); fields 7.. are ignored.
--   With F = 5 no ban, mute or rate check is made.
-- Reply: one flat array of 4 * N values, four per event in order:
--   "ok", seq, epoch, ts_ms      sequenced now
--   "dup", seq, epoch, ts_ms     an earlier publish (its seq, epoch, ts_ms)
--   "banned" | "muted" | "limited", ms, "", 0: refused, nothing stored, the
--   client_msg_id not consumed; ms is the ban/mute TTL (-1: no expiry) or
--   the wait until the buckets allow one event (Retry-After).
-- A retry of a stored event (its dedupe key exists) is answered "dup"
-- before the checks (limits.lua, spliced in below by bc_seq.c when it loads
-- the script), so it is never refused nor charged; the id is recorded only
-- when the event is stored.

-- numbers that only go back to Redis stay strings: Lua formats numbers with
-- printf("%.14g")
local retention, window = ARGV[1], ARGV[2]
local cand = ARGV[3]
local F = tonumber(ARGV[4])
local N = tonumber(ARGV[5])

if not tonumber(retention) or not tonumber(window) or not F or F < 5 or not N or #ARGV < 5 + N * F then
  return redis.error_reply('SEQ bad arguments')
end

local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- protobuf varint of a non-negative integer below 2^53
local char, floor = string.char, math.floor
local function varint(n)
  if n < 128 then return char(n) end
  if n < 16384 then return char(n % 128 + 128, floor(n / 128)) end
  if n < 2097152 then return char(n % 128 + 128, floor(n / 128) % 128 + 128, floor(n / 16384)) end
  local out = {}
  while n >= 128 do
    out[#out + 1] = char(n % 128 + 128)
    n = floor(n / 128)
  end
  out[#out + 1] = char(n)
  return table.concat(out)
end
local ts_field = '\16' .. varint(now_ms)    -- field 2 (ts_ms), the same for the call
local now_str = string.format('%d', now_ms)
-- dedupe records expire at an absolute time: no per-command PX -> PXAT rewrite
local dd_until = string.format('%d', now_ms + 1000 * tonumber(window))

-- per-room state: read on first use, written back by flush_rooms()
local rooms, order = {}, {}
local function room_state(room)
  local st = rooms[room]
  if st then return st end
  local pfx = 'dm:{' .. room .. '}:'
  local meta = pfx .. 'meta'
  local v = redis.call('HMGET', meta, 'epoch', 'seq')
  local created = false
  if not v[1] then
    -- new room, or Redis lost its state: a fresh epoch (distinct per room),
    -- and no stale entries of an older life may remain in the stream
    v = {string.sub(redis.sha1hex(cand .. ':' .. room), 1, 16), 0}
    redis.call('DEL', pfx .. 's')
    created = true
  end
  st = {epoch = v[1], seq = tonumber(v[2]) or 0, pfx = pfx, meta = meta,
        stream = pfx .. 's', chan = pfx .. 'n', ep = v[1] .. ':', created = created}
  st.seq0 = st.seq
  rooms[room] = st
  order[#order + 1] = st
  return st
end

-- one HSET per room that changed: the seq of its last XADD (and the epoch
-- of a room created by this call)
local function flush_rooms()
  for i = 1, #order do
    local st = order[i]
    if st.created then
      redis.call('HSET', st.meta, 'epoch', st.epoch, 'seq', string.format('%d', st.seq))
    elseif st.seq ~= st.seq0 then
      redis.call('HSET', st.meta, 'seq', string.format('%d', st.seq))
    end
  end
end

--@@LIMITS@@

-- "<rcap> <rwin> <gcap> <gwin>" -> numbers, parsed once per distinct spec
local specs = {}
local function spec_of(s)
  local p = specs[s]
  if p then return p end
  local a, b2, c, d = string.match(s, '^(%d+) (%d+) (%d+) (%d+)$')
  p = {tonumber(a) or 0, tonumber(b2) or 0, tonumber(c) or 0, tonumber(d) or 0}
  specs[s] = p
  return p
end

-- One MGET for the whole call: every event's ban and mute keys, its bucket
-- keys when the event's spec has that bucket on (event i's four keys, or
-- false, at 4i+1..4i+4 of keys), and its dedupe key; the rooms' meta are
-- read on the way (one HMGET per room).
local keys, ddkeys = {}, {}
local function prefetch()
  local rl, mk = {}, {}
  for i = 0, N - 1 do
    local b = 5 + i * F
    local room, user, cmid = ARGV[b + 1], ARGV[b + 3], ARGV[b + 4]
    local st = room_state(room)
    if not st.listed then st.listed = true; rl[#rl + 1] = room end
    local n, p = i * 4, spec_of(ARGV[b + 6])
    local ban, mute, rkey, gkey = dm_keys(st.pfx, ARGV[b + 2], user, p[1] > 0, p[3] > 0)
    keys[n + 1], keys[n + 2], keys[n + 3], keys[n + 4] = ban, mute, rkey, gkey
    mk[#mk + 1] = ban
    mk[#mk + 1] = mute
    if rkey then mk[#mk + 1] = rkey end
    if gkey then mk[#mk + 1] = gkey end
    if cmid ~= '' then
      local dk = st.pfx .. 'dd:' .. user .. ':' .. cmid
      ddkeys[i] = dk
      mk[#mk + 1] = dk
    end
  end
  dm_limits_prefetch(mk, rl)
end

local out = {}
local function sequence()
  if F >= 6 then prefetch() end
  for i = 0, N - 1 do
    local b = 5 + i * F
    local room, kind, user, cmid, ev = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5]
    local st = room_state(room)
    local ddkey = ddkeys[i]
    if not ddkey and cmid ~= '' then ddkey = st.pfx .. 'dd:' .. user .. ':' .. cmid end
    -- the first publish's "<seq>:<epoch>:<ts_ms>" if this is a retry
    local dup = ddkey and dm_get(ddkey)
    local refused
    if not dup and F >= 6 then
      local p = spec_of(ARGV[b + 6])
      refused = dm_limits_check(room, kind, user, keys, i * 4, now_ms, p[1], p[2], p[3], p[4], 1)
    end
    local o = #out
    if dup then
      local s, e, ts = string.match(dup, '^(%d+):([^:]+):(%d+)$')
      out[o + 1], out[o + 2], out[o + 3], out[o + 4] = 'dup', tonumber(s), e, tonumber(ts)
    elseif refused then
      out[o + 1], out[o + 2], out[o + 3], out[o + 4] = refused[1], refused[2], '', 0
    else
      local seq = st.seq + 1
      local seq_str = string.format('%d', seq)
      local bytes = ev .. '\8' .. varint(seq) .. ts_field
      local r = redis.pcall('XADD', st.stream, 'MAXLEN', retention, seq_str .. '-0', 'e', bytes)
      if type(r) == 'table' and r.err then
        -- cannot happen while the invariants hold
        error('SEQ ' .. room .. ': ' .. r.err, 0)
      end
      st.seq = seq
      if ddkey then
        -- record the id (a retry inside this call sees it through the snapshot)
        local v = seq_str .. ':' .. st.epoch .. ':' .. now_str
        redis.call('SET', ddkey, v, 'PXAT', dd_until)
        dm_snap[ddkey] = v
      end
      redis.call('PUBLISH', st.chan, st.ep .. bytes)
      out[o + 1], out[o + 2], out[o + 3], out[o + 4] = 'ok', seq, st.epoch, now_ms
    end
  end
end

-- whatever fails half-way (an XADD, a command on a key of the wrong type),
-- the rooms' meta still catch up with their streams before the call ends
local ok, err = pcall(sequence)
flush_rooms()
if not ok then
  if type(err) == 'table' then err = err.err end
  return redis.error_reply(tostring(err))
end
return out
