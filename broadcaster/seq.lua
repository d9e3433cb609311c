#!lua
-- seq.lua — the room sequencer: for each event of a batch (possibly of
-- different rooms) it checks idempotency, assigns the room's next seq,
-- appends seq/ts_ms to the protobuf Event, stores it in the capped stream and
-- publishes it, all atomically. Contract: docs/ARCHITECTURE.md "Redis key layout".
-- The shebang makes Redis check for OOM before the script starts, so a call
-- runs whole; XADD precedes the seq update, so an error can never leave a
-- stream entry without its seq nor a seq without its entry (and a failed
-- XADD releases its dedupe claim and fails the call).
--
-- No KEYS. ARGV:
--   1 retention (stream MAXLEN, exact)   2 dedupe window in seconds
--   3 epoch candidate (16 hex chars)      4 F = fields per event (>= 5)
--   5 N = number of events
--   then N groups of F fields: room, kind ("c"|"g"|"l"), user_id,
--   client_msg_id ("" = none), Event bytes (protobuf, without seq/ts_ms),
--   and with F >= 6: the rate limits "<room_cap> <room_window_ms> <global_cap>
--   <global_window_ms>" (caps 0 = that bucket off); fields 7.. are ignored.
--   With F = 5 no ban, mute or rate check is made (the pre-issue-5 contract).
-- Reply: N entries in order, each {status, seq, epoch, ts_ms}:
--   "ok"  sequenced now;  "dup"  an earlier publish (its seq, epoch, ts_ms);
--   "banned" | "muted" | "limited": refused, nothing stored, the client_msg_id
--   not consumed; then {status, ms, "", 0} where ms is the ban/mute TTL (-1:
--   no expiry) or the wait until the bucket allows one event (Retry-After).
-- The checks (limits.lua, spliced in below at build of the script by
-- bc_seq.c) run after the dedupe claim, so a retry of a stored event is
-- answered "dup" uncharged; a refused event releases its claim.

-- numbers that only go back to Redis stay strings: Lua formats numbers with
-- printf("%.14g"), which was a large share of the script's cost
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

-- per-room state, read once per call: epoch, seq and the key names
local rooms = {}
local function room_state(room)
  local st = rooms[room]
  if st then return st end
  local pfx = 'dm:{' .. room .. '}:'
  local meta = pfx .. 'meta'
  local v = redis.call('HMGET', meta, 'epoch', 'seq')
  if not v[1] then
    -- new room, or Redis lost its state: a fresh epoch (distinct per room),
    -- and no stale entries of an older life may remain in the stream
    local epoch = string.sub(redis.sha1hex(cand .. ':' .. room), 1, 16)
    redis.call('DEL', pfx .. 's')
    redis.call('HSET', meta, 'epoch', epoch, 'seq', 0)
    v = {epoch, 0}
  end
  st = {epoch = v[1], seq = tonumber(v[2]) or 0, pfx = pfx, meta = meta,
        stream = pfx .. 's', chan = pfx .. 'n', ep = v[1] .. ':'}
  rooms[room] = st
  return st
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

local replies = {}
for i = 0, N - 1 do
  local b = 5 + i * F
  local room, kind, user, cmid, ev = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5]
  local st = room_state(room)
  local seq = st.seq + 1
  local seq_str = string.format('%d', seq)
  local ddkey, dup = nil, false
  if cmid ~= '' then
    -- claim the id for this seq, or get the first publish's "<seq>:<epoch>:<ts_ms>"
    ddkey = st.pfx .. 'dd:' .. user .. ':' .. cmid
    dup = redis.call('SET', ddkey, seq_str .. ':' .. st.epoch .. ':' .. now_str,
                     'NX', 'GET', 'EX', window)
  end
  local refused
  if not dup and F >= 6 then
    local p = spec_of(ARGV[b + 6])
    refused = dm_limits_check(room, kind, user, now_ms, p[1], p[2], p[3], p[4], 1)
    if refused and ddkey then redis.call('DEL', ddkey) end
  end
  if dup then
    local s, e, ts = string.match(dup, '^(%d+):([^:]+):(%d+)$')
    replies[#replies + 1] = {'dup', tonumber(s), e, tonumber(ts)}
  elseif refused then
    replies[#replies + 1] = {refused[1], refused[2], '', 0}
  else
    local bytes = ev .. '\8' .. varint(seq) .. ts_field
    local r = redis.pcall('XADD', st.stream, 'MAXLEN', retention, seq_str .. '-0', 'e', bytes)
    if type(r) == 'table' and r.err then
      -- cannot happen while the invariants hold; never leave a claim behind
      if ddkey then redis.call('DEL', ddkey) end
      return redis.error_reply('SEQ ' .. room .. ': ' .. r.err)
    end
    st.seq = seq
    redis.call('HSET', st.meta, 'seq', seq_str)
    redis.call('PUBLISH', st.chan, st.ep .. bytes)
    replies[#replies + 1] = {'ok', seq, st.epoch, now_ms}
  end
end
return replies
