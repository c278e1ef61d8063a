import { LuaScript } from './LuaScript';

// Every script reads the clock with Redis TIME, so all presence instances agree on "now" (their own clocks may
// drift) and a script's read-compare-write-publish happens at one instant. Timestamps are integer milliseconds
// since the Unix epoch, stored as decimal strings.
//
// Stored per user (hash `<prefix>user:{presence:<id>}`): status (what watchers were last told), lastSeenAt,
// expiresAt. The effective status is OFFLINE when the stored one is ONLINE/AWAY but expiresAt has passed (lapsed, not
// yet swept). Lapsed users are found through the sorted set `<prefix>expiry` (member user id, score: when to look at
// the user again), an index the sweeper checks against the hash.
//
// Cluster-safe: a script touches only the keys it is given in KEYS, and they share one hash slot. A user's keys are
// hash-tagged with the user's channel (`{presence:<id>}`), so the script that changes a user's state also publishes
// the transition (SPUBLISH on a cluster, whose shard channel must be in the script's slot) atomically. The expiry
// index is a key of its own, read and written by scripts of its own (see PresenceStore).
const prelude = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function str(n)
  return string.format('%.0f', n)
end

local function effective(status, expires_at, now)
  if not status then return 'OFFLINE' end
  local e = tonumber(expires_at)
  if status ~= 'OFFLINE' and e and e <= now then return 'OFFLINE' end
  return status
end

-- ISO-8601 UTC with milliseconds (Redis Lua has no os.date); days-to-civil after H. Hinnant.
local function iso(ms)
  local secs = math.floor(ms / 1000)
  local milli = ms - secs * 1000
  local days = math.floor(secs / 86400)
  local rem = secs - days * 86400
  local hh = math.floor(rem / 3600)
  local mi = math.floor((rem - hh * 3600) / 60)
  local ss = rem - hh * 3600 - mi * 60
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, hh, mi, ss, milli)
end

-- The PresenceEvent payload in GraphQL shape. Ids are validated decimal strings and statuses enum values, so
-- nothing here needs JSON escaping.
local function event(id, status, last_seen, at)
  local ls = 'null'
  if last_seen then ls = '"' .. iso(last_seen) .. '"' end
  return '{"__typename":"PresenceEvent","user":{"__typename":"User","id":"' .. id .. '"},"status":"' .. status ..
    '","lastSeenAt":' .. ls .. ',"at":"' .. iso(at) .. '"}'
end
`;

/**
 * KEYS: user hash, rate-limit counter.
 * ARGV: user id, status (ONLINE|AWAY), ttl ms, retention ms, heartbeat limit, limit window ms, channel, publish
 * command (PUBLISH|SPUBLISH).
 * Returns `{0, retryAfterMs}` when rate-limited (nothing written), else `{1, nowMs, changed, expiresAtMs}`; publishes
 * the event only when the effective status changes (an expired-but-unswept user counts as OFFLINE; the sweeper reads
 * expiresAt from the hash, so it publishes no stale OFFLINE afterwards).
 */
const heartbeat = new LuaScript(`${prelude}
local now = now_ms()
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
if count > tonumber(ARGV[5]) then
  local wait = redis.call('PTTL', KEYS[2])
  if wait < 0 then
    redis.call('PEXPIRE', KEYS[2], ARGV[6])
    wait = tonumber(ARGV[6])
  end
  return {0, wait}
end
local prev = redis.call('HMGET', KEYS[1], 'status', 'expiresAt')
local before = effective(prev[1], prev[2], now)
local expires = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'lastSeenAt', str(now), 'expiresAt', str(expires))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local changed = 0
if before ~= ARGV[2] then
  redis.call(ARGV[8], ARGV[7], event(ARGV[1], ARGV[2], now, now))
  changed = 1
end
return {1, now, changed, expires}
`);

/**
 * KEYS: user hash. ARGV: user id, retention ms, channel, publish command.
 * Sets OFFLINE with lastSeenAt = now; publishes when watchers were last told ONLINE or AWAY (also when the TTL had
 * lapsed but the sweeper had not announced it yet: the sweeper then finds OFFLINE and says nothing).
 * Returns `{nowMs, changed}`.
 */
const goOffline = new LuaScript(`${prelude}
local now = now_ms()
local prev = redis.call('HGET', KEYS[1], 'status')
redis.call('HSET', KEYS[1], 'status', 'OFFLINE', 'lastSeenAt', str(now), 'expiresAt', str(now))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local changed = 0
if prev and prev ~= 'OFFLINE' then
  redis.call(ARGV[4], ARGV[3], event(ARGV[1], 'OFFLINE', now, now))
  changed = 1
end
return {now, changed}
`);

/**
 * KEYS: expiry index. ARGV: batch size, lease ms.
 * Claims up to `batch size` users due in the index: their score moves `lease ms` into the future, so another sweeper
 * does not take them meanwhile, and a sweeper that dies before it released them leaves them to be claimed again once
 * the lease ran out. Returns `{lease score, id...}`.
 */
const claim = new LuaScript(`${prelude}
local now = now_ms()
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', str(now), 'LIMIT', 0, tonumber(ARGV[1]))
local lease = str(now + tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', lease, id) end
table.insert(ids, 1, lease)
return ids
`);

/**
 * KEYS: user hash. ARGV: user id, channel, publish command.
 * When the hash says ONLINE/AWAY and its expiresAt has passed: sets OFFLINE and publishes the transition with `at` =
 * the moment the TTL ran out, and returns `{1, 0}`. Still online: `{0, expiresAt}` (look again then). Else (OFFLINE,
 * or gone): `{0, 0}`. Running it again changes nothing, so a user is announced once however many sweepers look.
 */
const lapse = new LuaScript(`${prelude}
local now = now_ms()
local h = redis.call('HMGET', KEYS[1], 'status', 'lastSeenAt', 'expiresAt')
local expires = tonumber(h[3])
if not h[1] or h[1] == 'OFFLINE' or not expires then return {0, 0} end
if expires > now then return {0, expires} end
redis.call('HSET', KEYS[1], 'status', 'OFFLINE')
redis.call(ARGV[3], ARGV[2], event(ARGV[1], 'OFFLINE', tonumber(h[2]), expires))
return {1, 0}
`);

/**
 * KEYS: expiry index. ARGV: lease score, then pairs of user id and next score (0: drop the user from the index).
 * Releases claimed users: each is moved to its next score, or dropped, unless its score is no longer the lease
 * (a heartbeat indexed it again meanwhile: that entry stays).
 */
const release = new LuaScript(`
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], id) == ARGV[1] then
    if ARGV[i + 1] == '0' then
      redis.call('ZREM', KEYS[1], id)
    else
      redis.call('ZADD', KEYS[1], ARGV[i + 1], id)
    end
  end
end
return 0
`);

/**
 * KEYS: user hashes (of one hash slot, on a cluster). Returns one `{effective status, lastSeenAt or nil}` pair per
 * key, read at one instant: the presence of any number of users in one command.
 */
const read = new LuaScript(`${prelude}
local now = now_ms()
local out = {}
for i, key in ipairs(KEYS) do
  local h = redis.call('HMGET', key, 'status', 'lastSeenAt', 'expiresAt')
  out[i] = {effective(h[1], h[3], now), h[2]}
end
return out
`);

/**
 * Formats an epoch-millisecond timestamp the way the scripts do (exposed so a test can compare it with
 * `Date.prototype.toISOString`).
 */
const isoFormat = new LuaScript(`${prelude}
local out = {}
for i, v in ipairs(ARGV) do out[i] = iso(tonumber(v)) end
return out
`);

/** The Lua scripts of the presence store. */
export const presenceScripts = { heartbeat, goOffline, claim, lapse, release, read, isoFormat } as const;
