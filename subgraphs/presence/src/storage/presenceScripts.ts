import { LuaScript } from './LuaScript';

// Every script reads the clock with Redis TIME, so all presence instances agree on "now" (their own clocks may
// drift) and a script's read-compare-write-publish happens at one instant. Timestamps are integer milliseconds
// since the Unix epoch, stored as decimal strings.
//
// Stored per user (hash `<prefix>user:<id>`): status (what watchers were last told), lastSeenAt, expiresAt.
// The effective status is OFFLINE when the stored one is ONLINE/AWAY but expiresAt has passed (lapsed, not yet
// swept). Lapsed users are found through the sorted set `<prefix>expiry` (member user id, score expiresAt).
//
// The sweep script touches keys it does not declare in KEYS (one hash per lapsed user): fine on a standalone Redis
// or a replicated one, not on Redis Cluster.
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
 * KEYS: user hash, expiry zset, rate-limit counter.
 * ARGV: user id, status (ONLINE|AWAY), ttl ms, retention ms, heartbeat limit, limit window ms, channel.
 * Returns `{0, retryAfterMs}` when rate-limited (nothing written), else `{1, nowMs, changed}`; publishes the event
 * only when the effective status changes (an expired-but-unswept user counts as OFFLINE, and moving its expiry score
 * into the future keeps the sweeper from publishing a stale OFFLINE afterwards).
 */
const heartbeat = new LuaScript(`${prelude}
local now = now_ms()
local count = redis.call('INCR', KEYS[3])
if count == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[6]) end
if count > tonumber(ARGV[5]) then
  local wait = redis.call('PTTL', KEYS[3])
  if wait < 0 then
    redis.call('PEXPIRE', KEYS[3], ARGV[6])
    wait = tonumber(ARGV[6])
  end
  return {0, wait}
end
local prev = redis.call('HMGET', KEYS[1], 'status', 'expiresAt')
local before = effective(prev[1], prev[2], now)
local expires = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'lastSeenAt', str(now), 'expiresAt', str(expires))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], str(expires), ARGV[1])
local changed = 0
if before ~= ARGV[2] then
  redis.call('PUBLISH', ARGV[7], event(ARGV[1], ARGV[2], now, now))
  changed = 1
end
return {1, now, changed}
`);

/**
 * KEYS: user hash, expiry zset. ARGV: user id, retention ms, channel.
 * Sets OFFLINE with lastSeenAt = now; publishes when watchers were last told ONLINE or AWAY (also when the TTL had
 * lapsed but the sweeper had not announced it yet: removing the user from the expiry set takes that over).
 * Returns `{nowMs, changed}`.
 */
const goOffline = new LuaScript(`${prelude}
local now = now_ms()
local prev = redis.call('HGET', KEYS[1], 'status')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'OFFLINE', 'lastSeenAt', str(now), 'expiresAt', str(now))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local changed = 0
if prev and prev ~= 'OFFLINE' then
  redis.call('PUBLISH', ARGV[3], event(ARGV[1], 'OFFLINE', now, now))
  changed = 1
end
return {now, changed}
`);

/**
 * KEYS: expiry zset. ARGV: batch size, user hash key prefix, channel prefix.
 * Claims up to `batch size` lapsed users by removing them from the expiry set (one claimant per user, however many
 * sweepers run) and, for each whose hash still says ONLINE/AWAY with a passed expiresAt, sets OFFLINE and publishes
 * the transition with `at` = the moment the TTL ran out. Returns `{claimed, published}`.
 */
const sweep = new LuaScript(`${prelude}
local now = now_ms()
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', str(now), 'LIMIT', 0, tonumber(ARGV[1]))
local published = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local key = ARGV[2] .. id
    local h = redis.call('HMGET', key, 'status', 'lastSeenAt', 'expiresAt')
    local expires = tonumber(h[3])
    if h[1] and h[1] ~= 'OFFLINE' and expires and expires <= now then
      redis.call('HSET', key, 'status', 'OFFLINE')
      redis.call('PUBLISH', ARGV[3] .. id, event(id, 'OFFLINE', tonumber(h[2]), expires))
      published = published + 1
    end
  end
end
return {#ids, published}
`);

/**
 * KEYS: user hashes. Returns one `{effective status, lastSeenAt or nil}` pair per key, read at one instant: the
 * presence of any number of users in one command.
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
export const presenceScripts = { heartbeat, goOffline, sweep, read, isoFormat } as const;
