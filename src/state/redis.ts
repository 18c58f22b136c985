// Redis adapter (node-redis): several gateway nodes (and log watchers) share bans, counters,
// concurrent-call gauges, spend and the event log through one Redis server.
//
// - Time comes from the injected clock, never from Redis: every expiry is kept in the data
//   (sorted sets scored by expiry, hashes with an `e` field) and removed by sweep(). A Redis
//   PEXPIRE of "remaining lifetime + SAFETY_MARGIN_MS" is set as a safety net on every entry
//   that has a lifetime, so nothing outlives its TTL by long if every node dies.
// - Every read-modify-write is one Lua script (atomic on the server): counters, incrBy (floor
//   at 0), sets, key LRU, eviction at the limits, event append and trim.
// - Bans: planned in JavaScript with the same code as the other adapters (BanTable.planBan,
//   so escalation is identical), written by a compare-and-set script (the record's version is
//   its score in the least-recently-banned index) that also evicts at maxBans and PUBLISHes
//   the change on `<prefix>bans`, in the same atomic step as the write. Every node keeps a
//   local mirror of the active bans, fed by that channel and by a full reload at connect and
//   after a reconnect, so isBanned() stays a synchronous Map lookup.
// - Not for Redis Cluster: the scripts compute their key names from the prefix.
//
// Data layout (p = keyPrefix): see docs/state.md ("Redis").

import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient } from 'redis'
import { ErrorCodes, SgwError } from '../errors.js'
import type { SecurityEvent } from '../events/event.js'
import { type BanEntry, type BanPlan, BanTable } from './internal/bans.js'
import { resolveQuery, storedEvent } from './internal/event-ring.js'
import {
  argError,
  banAddress,
  boundKey,
  checkAmount,
  checkSweepInterval,
  checkTtl,
  checkWindow,
  closedError,
  makeListenerErrorHandler,
  startSweepTimer,
  TICKS_PER_FULL_SWEEP,
} from './internal/util.js'
import { resolveLimits, type StoreLimits } from './limits.js'
import { checkDelta, checkValue } from './memory.js'
import type {
  BanChange,
  BanChangeKind,
  BanInput,
  BanListener,
  BanRecord,
  Clock,
  CommonStoreOptions,
  EventQuery,
  Store,
  StoredEvent,
  StoreStats,
  SweepResult,
  UnbanOptions,
} from './store.js'

export interface RedisStoreOptions extends CommonStoreOptions {
  /** redis:// or rediss:// URL (may carry a password; it is never printed) */
  readonly url: string
  /** Prefix of every key and of the ban channel. Default `sipwarden:`. */
  readonly keyPrefix?: string
  /** Connect timeout. Default 5000 ms. */
  readonly connectTimeoutMs?: number
  /**
   * Called when the connection to Redis fails or is lost (the client keeps reconnecting).
   * Default: one process warning (code SGW_WARN_STORE_REDIS) per outage.
   */
  readonly onConnectionError?: (error: unknown) => void
}

/** The part of node-redis's client this adapter uses (RESP2 replies, raw commands). */
interface Client {
  readonly isReady: boolean
  connect(): Promise<unknown>
  duplicate(): Client
  sendCommand<T>(args: readonly string[]): Promise<T>
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
  on(event: 'error' | 'ready', listener: (arg?: unknown) => void): unknown
  close(): Promise<void>
  destroy(): void
}
type Reply = string | number | null | Reply[]

/** Extra lifetime of the Redis-side safety-net expiry beyond the entry's own TTL. */
export const SAFETY_MARGIN_MS = 5 * 60_000
/** An expiry score meaning "never" (sets): above any ms epoch, exact as a double. */
const NO_EXPIRY = Number.MAX_SAFE_INTEGER
/** Entries removed per table per sweep, so that one sweep never blocks Redis for long. */
const SWEEP_CHUNK = 5000
/** Optimistic retries of a ban/unban whose record another node changed in between. */
const MAX_BAN_ATTEMPTS = 16
/** Events and bans read per round trip. */
const PAGE = 1000
const COLON = 58

// ---------------------------------------------------------------------------------------
// Lua. ARGV[1] is always the key prefix, ARGV[2] the store's clock (ms).

const LUA_PRELUDE = `
local p = ARGV[1]
local now = tonumber(ARGV[2])
local function n2s(n)
  if n == math.floor(n) and n > -9007199254740992 and n < 9007199254740992 then
    return string.format('%d', n)
  end
  for _, f in ipairs({'%.15g', '%.16g'}) do
    local s = string.format(f, n)
    if tonumber(s) == n then return s end
  end
  return string.format('%.17g', n)
end
local function seq() return redis.call('INCR', p .. 'i:seq') end
`

const LUA_COUNTER_HIT = `${LUA_PRELUDE}
local key, w, amt, start = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local max, margin = tonumber(ARGV[7]), tonumber(ARGV[8])
local lru, exp = p .. 'i:c:lru', p .. 'i:c:exp'
local dk = p .. 'c:' .. key
local function drop(k)
  redis.call('DEL', p .. 'c:' .. k)
  redis.call('ZREM', lru, k)
  redis.call('ZREM', exp, k)
end
local s, prev, curr = start, 0, 0
if redis.call('ZSCORE', lru, key) then
  local v = redis.call('HMGET', dk, 'w', 's', 'p', 'c')
  if v[1] and tonumber(v[1]) == w then
    local os = tonumber(v[2])
    prev, curr = tonumber(v[3]), tonumber(v[4])
    if start > os then
      if start - os == w then prev = curr else prev = 0 end
      curr = 0
    else
      s = os
    end
  end
elseif redis.call('ZCARD', lru) >= max then
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', exp, '-inf', now, 'LIMIT', 0, 1000)) do drop(k) end
  while redis.call('ZCARD', lru) >= max do drop(redis.call('ZRANGE', lru, 0, 0)[1]) end
end
curr = curr + amt
local e = s + 2 * w
redis.call('HSET', dk, 'w', n2s(w), 's', n2s(s), 'p', n2s(prev), 'c', n2s(curr))
redis.call('ZADD', lru, seq(), key)
redis.call('ZADD', exp, n2s(e), key)
redis.call('PEXPIRE', dk, n2s(math.max(e - now, 1) + margin))
local elapsed = now - s
if elapsed < 0 then elapsed = 0 end
return curr + math.floor(prev * (w - elapsed) / w)
`

const LUA_KEYS_COMMON = `${LUA_PRELUDE}
local key = ARGV[3]
local lru, exp = p .. 'i:k:lru', p .. 'i:k:exp'
local dk = p .. 'k:' .. key
local function drop(k)
  redis.call('DEL', p .. 'k:' .. k)
  redis.call('ZREM', lru, k)
  redis.call('ZREM', exp, k)
end
local function makeRoom(max)
  if redis.call('ZSCORE', lru, key) or redis.call('ZCARD', lru) < max then return end
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', exp, '-inf', now, 'LIMIT', 0, 1000)) do drop(k) end
  while redis.call('ZCARD', lru) >= max do drop(redis.call('ZRANGE', lru, 0, 0)[1]) end
end
local function put(value, e, margin)
  redis.call('HSET', dk, 'v', value)
  if e then
    redis.call('HSET', dk, 'e', e)
    redis.call('ZADD', exp, e, key)
    redis.call('PEXPIRE', dk, n2s(math.max(tonumber(e) - now, 1) + margin))
  else
    redis.call('HDEL', dk, 'e')
    redis.call('ZREM', exp, key)
    redis.call('PERSIST', dk)
  end
  redis.call('ZADD', lru, seq(), key)
end
`

/** ARGV: p, now, key, value, expiresAt ('' = none), maxKeys, margin */
const LUA_KEY_SET = `${LUA_KEYS_COMMON}
makeRoom(tonumber(ARGV[6]))
local e = ARGV[5]
if e == '' then e = false end
put(ARGV[4], e, tonumber(ARGV[7]))
return 1
`

/** ARGV: p, now, key. Returns the value or nil; a hit becomes the most recently used. */
const LUA_KEY_GET = `${LUA_KEYS_COMMON}
local v = redis.call('HMGET', dk, 'v', 'e')
if not v[1] or (v[2] and tonumber(v[2]) <= now) then
  drop(key)
  return false
end
redis.call('ZADD', lru, seq(), key)
return v[1]
`

/** ARGV: p, now, key. Returns 1 if a live key was deleted. */
const LUA_KEY_DEL = `${LUA_KEYS_COMMON}
local v = redis.call('HMGET', dk, 'v', 'e')
drop(key)
if not v[1] or (v[2] and tonumber(v[2]) <= now) then return 0 end
return 1
`

/** ARGV: p, now, key, delta, ttlMs ('' = keep), maxKeys, margin. Returns {1, value} or {0}. */
const LUA_KEY_INCRBY = `${LUA_KEYS_COMMON}
local delta, ttl = tonumber(ARGV[4]), ARGV[5]
local v = redis.call('HMGET', dk, 'v', 'e')
local live = v[1] and (not v[2] or tonumber(v[2]) > now)
local cur, e = 0, false
if live then
  cur = tonumber(v[1])
  if cur == nil or cur ~= cur or cur == math.huge or cur == -math.huge or string.find(v[1], '^%s*$') then
    return {0}
  end
  e = v[2]
end
local nxt = cur + delta
if nxt < 0 then nxt = 0 end
if ttl ~= '' then e = n2s(now + tonumber(ttl)) end
makeRoom(tonumber(ARGV[6]))
local value = n2s(nxt)
put(value, e, tonumber(ARGV[7]))
return {1, value}
`

const LUA_SETS_COMMON = `${LUA_PRELUDE}
local slru, snext, stotal = p .. 'i:s:lru', p .. 'i:s:next', p .. 'i:s:total'
local function dropSet(k)
  local n = redis.call('ZCARD', p .. 's:' .. k)
  redis.call('DEL', p .. 's:' .. k, p .. 'so:' .. k)
  redis.call('ZREM', slru, k)
  redis.call('ZREM', snext, k)
  if n > 0 then redis.call('DECRBY', stotal, n) end
end
local function prune(k)
  local sk, ok = p .. 's:' .. k, p .. 'so:' .. k
  local old = redis.call('ZRANGEBYSCORE', sk, '-inf', now)
  for _, m in ipairs(old) do
    redis.call('ZREM', sk, m)
    redis.call('ZREM', ok, m)
  end
  if #old > 0 then redis.call('DECRBY', stotal, #old) end
  local first = redis.call('ZRANGE', sk, 0, 0, 'WITHSCORES')
  if #first == 0 then dropSet(k) else redis.call('ZADD', snext, first[2], k) end
  return #old
end
local function sweepSets(limit)
  local removed = 0
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', snext, '-inf', now, 'LIMIT', 0, limit)) do
    removed = removed + prune(k)
  end
  return removed
end
local function touch(k, create, maxSets)
  if redis.call('ZSCORE', slru, k) then
    local nx = redis.call('ZSCORE', snext, k)
    if nx and tonumber(nx) <= now then prune(k) end
    if redis.call('ZSCORE', slru, k) then
      redis.call('ZADD', slru, seq(), k)
      return true
    end
  end
  if not create then return false end
  if redis.call('ZCARD', slru) >= maxSets then
    sweepSets(1000)
    while redis.call('ZCARD', slru) >= maxSets do dropSet(redis.call('ZRANGE', slru, 0, 0)[1]) end
  end
  redis.call('ZADD', slru, seq(), k)
  return true
end
`

/** ARGV: p, now, key, member, expiresAt, maxSets, maxMembers, maxTotal, safetyMs ('' = no TTL). */
const LUA_SADD = `${LUA_SETS_COMMON}
local key, m, e = ARGV[3], ARGV[4], ARGV[5]
local maxSets, maxMembers, maxTotal, safety = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
touch(key, true, maxSets)
local sk, ok = p .. 's:' .. key, p .. 'so:' .. key
local fresh = redis.call('EXISTS', sk) == 0
if not redis.call('ZSCORE', sk, m) then
  if redis.call('ZCARD', sk) >= maxMembers then
    local oldest = redis.call('ZRANGE', ok, 0, 0)[1]
    redis.call('ZREM', sk, oldest)
    redis.call('ZREM', ok, oldest)
    redis.call('DECR', stotal)
  end
  redis.call('INCR', stotal)
end
redis.call('ZADD', sk, e, m)
redis.call('ZADD', ok, seq(), m)
redis.call('ZADD', snext, 'LT', e, key)
if safety == '' then
  redis.call('PERSIST', sk)
  redis.call('PERSIST', ok)
elseif fresh then
  redis.call('PEXPIRE', sk, safety)
  redis.call('PEXPIRE', ok, safety)
else
  redis.call('PEXPIRE', sk, safety, 'GT')
  redis.call('PEXPIRE', ok, safety, 'GT')
end
if tonumber(redis.call('GET', stotal) or '0') > maxTotal then
  sweepSets(1000)
  while tonumber(redis.call('GET', stotal) or '0') > maxTotal do
    local c = redis.call('ZRANGE', slru, 0, 1)
    local victim = c[1]
    if victim == key then victim = c[2] end
    if not victim then break end
    dropSet(victim)
  end
end
return redis.call('ZCARD', sk)
`

/** ARGV: p, now, key, member. Returns 1 if a live member was removed. */
const LUA_SREM = `${LUA_SETS_COMMON}
local key, m = ARGV[3], ARGV[4]
local sk = p .. 's:' .. key
local sc = redis.call('ZSCORE', sk, m)
if not sc then return 0 end
redis.call('ZREM', sk, m)
redis.call('ZREM', p .. 'so:' .. key, m)
redis.call('DECR', stotal)
if redis.call('ZCARD', sk) == 0 then dropSet(key) end
if tonumber(sc) > now then return 1 end
return 0
`

/** ARGV: p, now, key, 'card' | 'members'. */
const LUA_SREAD = `${LUA_SETS_COMMON}
local key = ARGV[3]
local exists = touch(key, false, 0)
if ARGV[4] == 'card' then
  if not exists then return 0 end
  return redis.call('ZCARD', p .. 's:' .. key)
end
if not exists then return {} end
return redis.call('ZRANGE', p .. 's:' .. key, 0, -1)
`

/** ARGV: p, now, addresses... Returns {json|nil, version|nil, ...}. */
const LUA_BAN_READ = `
local p = ARGV[1]
local out = {}
for i = 3, #ARGV do
  out[#out + 1] = redis.call('HGET', p .. 'b:data', ARGV[i])
  out[#out + 1] = redis.call('ZSCORE', p .. 'b:lru', ARGV[i])
end
return out
`

/**
 * Compare-and-set of ban records. ARGV: p, now, maxBans, safetyMs, nodeId, nChecks,
 * [address, version ('' = none)] x nChecks, then per item: op ('put' | 'del'), address, kind
 * ('' = nothing to report), expiresAt, forgetAt, data json, reported json.
 * Returns {0} when a version changed, else {1, {{seq, evictedSeq, evictedJson, ...}, ...}}.
 */
const LUA_BAN_WRITE = `${LUA_PRELUDE}
local maxBans, safety, node = tonumber(ARGV[3]), ARGV[4], ARGV[5]
local data, lru, exp, fgt = p .. 'b:data', p .. 'b:lru', p .. 'b:exp', p .. 'b:fgt'
local nChecks = tonumber(ARGV[6])
local i = 7
for _ = 1, nChecks do
  local v = redis.call('ZSCORE', lru, ARGV[i])
  if (v or '') ~= ARGV[i + 1] then return {0} end
  i = i + 2
end
local function remove(a)
  redis.call('HDEL', data, a)
  redis.call('ZREM', lru, a)
  redis.call('ZREM', exp, a)
  redis.call('ZREM', fgt, a)
end
local lines = {node}
local out = {}
while i <= #ARGV do
  local op, a, kind, e, f, json, reported = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  i = i + 7
  local item = {}
  if op == 'put' and redis.call('HEXISTS', data, a) == 0 and redis.call('HLEN', data) >= maxBans then
    -- forgotten records first, then an inactive one among the 64 least recently banned,
    -- then the least recently banned (reported as evict)
    for _, old in ipairs(redis.call('ZRANGEBYSCORE', fgt, '-inf', now, 'LIMIT', 0, 1000)) do
      if tonumber(redis.call('ZSCORE', exp, old) or '0') <= now then remove(old) end
    end
    while redis.call('HLEN', data) >= maxBans do
      local cands = redis.call('ZRANGE', lru, 0, 63)
      if #cands == 0 then break end
      local victim = cands[1]
      for _, c in ipairs(cands) do
        if tonumber(redis.call('ZSCORE', exp, c) or '0') <= now then victim = c; break end
      end
      local ve = tonumber(redis.call('ZSCORE', exp, victim) or '0')
      local vjson = redis.call('HGET', data, victim)
      remove(victim)
      if ve > now and vjson then
        local s = seq()
        item[#item + 1] = s
        item[#item + 1] = vjson
        lines[#lines + 1] = 'evict\\t' .. n2s(s) .. '\\t' .. vjson
      end
    end
  end
  local s = seq()
  if op == 'put' then
    redis.call('HSET', data, a, json)
    redis.call('ZADD', lru, s, a)
    redis.call('ZADD', exp, e, a)
    redis.call('ZADD', fgt, f, a)
  else
    remove(a)
  end
  if kind ~= '' then lines[#lines + 1] = kind .. '\\t' .. n2s(s) .. '\\t' .. reported end
  table.insert(item, 1, s)
  out[#out + 1] = item
end
for _, k in ipairs({data, lru, exp, fgt}) do redis.call('PEXPIRE', k, safety) end
if #lines > 1 then redis.call('PUBLISH', p .. 'bans', table.concat(lines, '\\n')) end
return {1, out}
`

/** ARGV: p, now, json, time, maxEvents, safetyMs. Returns the id. */
const LUA_EVENT_APPEND = `${LUA_PRELUDE}
local data, byTime, byId, eseq = p .. 'e:data', p .. 'e:t', p .. 'e:i', p .. 'e:seq'
local id = redis.call('INCR', eseq)
local m = string.format('%016d', id)
redis.call('HSET', data, m, ARGV[3])
redis.call('ZADD', byTime, ARGV[4], m)
redis.call('ZADD', byId, id, m)
local max = tonumber(ARGV[5])
while redis.call('ZCARD', byId) > max do
  local o = redis.call('ZPOPMIN', byId)[1]
  redis.call('HDEL', data, o)
  redis.call('ZREM', byTime, o)
end
for _, k in ipairs({data, byTime, byId, eseq}) do redis.call('PEXPIRE', k, ARGV[6]) end
return id
`

const LUA_EVENT_PURGE_FN = `
local function purgeEvents(cutoff, limit)
  local data, byTime, byId = p .. 'e:data', p .. 'e:t', p .. 'e:i'
  local old = redis.call('ZRANGEBYSCORE', byTime, '-inf', cutoff, 'LIMIT', 0, limit)
  for _, m in ipairs(old) do
    redis.call('HDEL', data, m)
    redis.call('ZREM', byTime, m)
    redis.call('ZREM', byId, m)
  end
  return #old
end
`

/** ARGV: p, now, cutoff ('(' exclusive score), limit. Returns how many were deleted. */
const LUA_EVENT_PURGE = `${LUA_PRELUDE}${LUA_EVENT_PURGE_FN}
return purgeEvents(ARGV[3], tonumber(ARGV[4]))
`

/** ARGV: p, now, chunk, event cutoff. Returns the number of entries removed. */
const LUA_SWEEP = `${LUA_SETS_COMMON}${LUA_EVENT_PURGE_FN}
local chunk = tonumber(ARGV[3])
local removed = 0
for _, t in ipairs({'c', 'k'}) do
  local lru, exp = p .. 'i:' .. t .. ':lru', p .. 'i:' .. t .. ':exp'
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', exp, '-inf', now, 'LIMIT', 0, chunk)) do
    redis.call('DEL', p .. t .. ':' .. k)
    redis.call('ZREM', lru, k)
    redis.call('ZREM', exp, k)
    removed = removed + 1
  end
end
removed = removed + sweepSets(chunk)
-- the member total is kept by the scripts; recount it so that it heals if a set vanished
-- through its safety-net expiry
local total = 0
for _, k in ipairs(redis.call('ZRANGE', slru, 0, -1)) do
  local n = redis.call('ZCARD', p .. 's:' .. k)
  if n == 0 then
    redis.call('DEL', p .. 'so:' .. k)
    redis.call('ZREM', slru, k)
    redis.call('ZREM', snext, k)
  end
  total = total + n
end
redis.call('SET', stotal, total)
local data, lru, exp, fgt = p .. 'b:data', p .. 'b:lru', p .. 'b:exp', p .. 'b:fgt'
for _, a in ipairs(redis.call('ZRANGEBYSCORE', fgt, '-inf', now, 'LIMIT', 0, chunk)) do
  if tonumber(redis.call('ZSCORE', exp, a) or '0') <= now then
    redis.call('HDEL', data, a)
    redis.call('ZREM', lru, a)
    redis.call('ZREM', exp, a)
    redis.call('ZREM', fgt, a)
    removed = removed + 1
  end
end
removed = removed + purgeEvents(ARGV[4], chunk)
return removed
`

interface Script {
  readonly src: string
  readonly sha: string
}

function script(src: string): Script {
  return { src, sha: createHash('sha1').update(src).digest('hex') }
}

const S = {
  hit: script(LUA_COUNTER_HIT),
  keySet: script(LUA_KEY_SET),
  keyGet: script(LUA_KEY_GET),
  keyDel: script(LUA_KEY_DEL),
  incrBy: script(LUA_KEY_INCRBY),
  sadd: script(LUA_SADD),
  srem: script(LUA_SREM),
  sread: script(LUA_SREAD),
  banRead: script(LUA_BAN_READ),
  banWrite: script(LUA_BAN_WRITE),
  eventAppend: script(LUA_EVENT_APPEND),
  eventPurge: script(LUA_EVENT_PURGE),
  sweep: script(LUA_SWEEP),
} as const

// ---------------------------------------------------------------------------------------

/** A ban as stored in Redis: the record plus when its offence count is forgotten. */
interface StoredBan extends BanRecord {
  readonly forgetAt: number
}

/** The local mirror of one address: what isBanned() reads. */
interface MirrorEntry {
  /** 0 once lifted (unban, evict): a tombstone that keeps `seq` until the next sweep */
  expiresAt: number
  record: BanRecord
  /** version in Redis: updates older than what the mirror holds are ignored */
  seq: number
  /** the end of this ban was reported (or there is nothing to report) */
  settled: boolean
}

/** Removes the password from a URL before it is printed. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(an invalid URL)'
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return errorMessage(err.errors[0])
  if (err instanceof Error) return err.message || err.name
  return String(err)
}

function toRecord(o: Record<string, unknown>): BanRecord {
  const detail = o['detail'] as Record<string, unknown> | undefined
  return Object.freeze({
    address: o['address'] as string,
    code: o['code'] as string,
    source: o['source'] as string,
    reason: o['reason'] as string | undefined,
    detail: detail === undefined ? undefined : Object.freeze({ ...detail }),
    createdAt: o['createdAt'] as number,
    updatedAt: o['updatedAt'] as number,
    expiresAt: o['expiresAt'] as number,
    offences: o['offences'] as number,
  })
}

function parseBan(json: string): StoredBan {
  const o = JSON.parse(json) as Record<string, unknown>
  return Object.freeze({ ...toRecord(o), forgetAt: o['forgetAt'] as number })
}

function entryOf(b: StoredBan): BanEntry {
  const { forgetAt, ...rest } = b
  return { record: Object.freeze(rest), forgetAt, settled: false }
}

function banJson(record: BanRecord, forgetAt?: number): string {
  return JSON.stringify(forgetAt === undefined ? record : { ...record, forgetAt })
}

/** The count in the window ending now (the same formula as internal/counters.ts). */
function estimate(w: number, start: number, prev: number, curr: number, now: number): number {
  const bucket = now - (now % w)
  if (bucket <= start) {
    const elapsed = now > start ? now - start : 0
    return curr + Math.floor((prev * (w - elapsed)) / w)
  }
  if (bucket - start === w) return Math.floor((curr * (w - (now - bucket))) / w)
  return 0
}

function scoreArg(n: number, exclusive: boolean): string {
  if (n === Number.POSITIVE_INFINITY) return '+inf'
  if (n === Number.NEGATIVE_INFINITY) return '-inf'
  return exclusive ? `(${n}` : String(n)
}

/**
 * Connects to Redis (two connections: commands, and the ban channel), loads the active bans
 * into the local mirror, and returns the store. A server that cannot be reached gives
 * SgwError(STORE_UNAVAILABLE) "cannot connect to redis at URL: …" (password redacted).
 */
export async function createRedisStore(opts: RedisStoreOptions): Promise<Store> {
  const store = new RedisStore(opts)
  await store.open()
  return store
}

class RedisStore implements Store {
  readonly adapter = 'redis' as const
  readonly limits: Readonly<StoreLimits>
  readonly prefix: string
  readonly #url: string
  readonly #now: Clock
  readonly #maxKeyLength: number
  readonly #connectTimeoutMs: number
  readonly #sweepIntervalMs: number
  readonly #planner: BanTable
  readonly #onListenerError: (listener: object, error: unknown) => void
  readonly #onConnectionError: (error: unknown) => void
  readonly #nodeId = randomBytes(8).toString('hex')
  readonly #mirror = new Map<string, MirrorEntry>()
  #listeners: readonly BanListener[] = []
  /** ban writes of this node run one after the other (see #serial) */
  #banChain: Promise<unknown> = Promise.resolve()
  #client: Client | null = null
  #sub: Client | null = null
  #timer: NodeJS.Timeout | null = null
  #opened = false
  #closed = false
  #tick = 0
  #sweeping = false
  #outage = false

  constructor(opts: RedisStoreOptions) {
    const limits = resolveLimits(opts.limits, 'memory')
    this.limits = limits
    this.#now = opts.now ?? Date.now
    this.#maxKeyLength = limits.maxKeyLength
    this.#sweepIntervalMs = checkSweepInterval(opts.sweepIntervalMs)
    if (typeof opts.url !== 'string' || !/^rediss?:\/\//.test(opts.url)) {
      throw new SgwError(ErrorCodes.STORE_OPTIONS, 'the redis state store needs a redis:// or rediss:// URL')
    }
    this.#url = opts.url
    const prefix = opts.keyPrefix ?? 'sipwarden:'
    if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 64) {
      throw new SgwError(ErrorCodes.STORE_OPTIONS, 'keyPrefix must be a string of 1 to 64 characters')
    }
    this.prefix = prefix
    const ct = opts.connectTimeoutMs ?? 5000
    if (!Number.isSafeInteger(ct) || ct < 1) {
      throw new SgwError(ErrorCodes.STORE_OPTIONS, 'connectTimeoutMs must be a positive integer')
    }
    this.#connectTimeoutMs = ct
    this.#planner = new BanTable(limits, () => {}, null)
    this.#onListenerError = makeListenerErrorHandler(opts.onListenerError)
    this.#onConnectionError = opts.onConnectionError ?? defaultConnectionErrorReport
  }

  async open(): Promise<void> {
    try {
      const client = createClient({
        url: this.#url,
        // RESP2: plain strings and integers, which the scripts and the parsing below expect
        RESP: 2,
        // fail fast while Redis is down instead of queueing without bound
        disableOfflineQueue: true,
        socket: {
          connectTimeout: this.#connectTimeoutMs,
          // before the store is open a failure is final; afterwards keep trying, backing off
          reconnectStrategy: (retries: number, cause: Error) =>
            this.#opened && !this.#closed ? Math.min(50 * 2 ** retries, 2000) : cause,
        },
      }) as unknown as Client
      this.#client = client
      client.on('error', (err: unknown) => this.#connectionError(err))
      client.on('ready', () => {
        this.#outage = false
      })
      await client.connect()
      const sub = client.duplicate()
      this.#sub = sub
      sub.on('error', (err: unknown) => this.#connectionError(err))
      await sub.connect()
      await sub.subscribe(`${this.prefix}bans`, (message: string) => this.#onMessage(message))
      await this.#reload(false)
      // after a reconnect node-redis subscribes again; what was published meanwhile is lost,
      // so the mirror is reloaded
      sub.on('ready', () => {
        if (this.#closed) return
        this.#reload(true).catch((err: unknown) => this.#connectionError(err))
      })
      this.#opened = true
    } catch (err) {
      this.#client?.destroy()
      this.#sub?.destroy()
      this.#closed = true
      throw new SgwError(
        ErrorCodes.STORE_UNAVAILABLE,
        `cannot connect to redis at ${redactRedisUrl(this.#url)}: ${errorMessage(err)}`,
      )
    }
    this.#timer = startSweepTimer(this, this.#sweepIntervalMs)
  }

  #connectionError(err: unknown): void {
    if (!this.#opened || this.#closed || this.#outage) return
    this.#outage = true
    try {
      this.#onConnectionError(err)
    } catch {
      // the reporter failed; nothing sensible is left to do
    }
  }

  // ---- plumbing ----

  #check(): Client {
    if (this.#closed || this.#client === null) throw closedError(this.adapter)
    return this.#client
  }

  async #cmd(args: string[]): Promise<Reply> {
    const client = this.#check()
    try {
      return await client.sendCommand<Reply>(args)
    } catch (err) {
      throw this.#wrap(err)
    }
  }

  async #run(s: Script, args: string[]): Promise<Reply> {
    const client = this.#check()
    const argv = [this.prefix, String(this.#now()), ...args]
    try {
      return await client.sendCommand<Reply>(['EVALSHA', s.sha, '0', ...argv])
    } catch (err) {
      if (!errorMessage(err).startsWith('NOSCRIPT')) throw this.#wrap(err)
    }
    try {
      return await client.sendCommand<Reply>(['EVAL', s.src, '0', ...argv])
    } catch (err) {
      throw this.#wrap(err)
    }
  }

  #wrap(err: unknown): SgwError {
    if (err instanceof SgwError) return err
    if (this.#closed) return closedError(this.adapter)
    return new SgwError(ErrorCodes.STORE_UNAVAILABLE, `redis state store: ${errorMessage(err)}`)
  }

  #key(key: string): string {
    return boundKey(key, this.#maxKeyLength)
  }

  // ---- windowed counters ----

  async hit(key: string, windowMs: number, amount = 1): Promise<number> {
    this.#check()
    checkWindow(windowMs)
    checkAmount(amount)
    const now = this.#now()
    const start = now - (now % windowMs)
    const r = await this.#run(S.hit, [
      this.#key(key),
      String(windowMs),
      String(amount),
      String(start),
      String(this.limits.maxCounters),
      String(SAFETY_MARGIN_MS),
    ])
    return Number(r)
  }

  async count(key: string, windowMs: number): Promise<number> {
    this.#check()
    checkWindow(windowMs)
    const r = (await this.#cmd(['HMGET', `${this.prefix}c:${this.#key(key)}`, 'w', 's', 'p', 'c'])) as (
      string | null
    )[]
    if (r[0] === null || Number(r[0]) !== windowMs) return 0
    return estimate(windowMs, Number(r[1]), Number(r[2]), Number(r[3]), this.#now())
  }

  async resetCounter(key: string): Promise<void> {
    const k = this.#key(key)
    const p = this.prefix
    await Promise.all([
      this.#cmd(['DEL', `${p}c:${k}`]),
      this.#cmd(['ZREM', `${p}i:c:lru`, k]),
      this.#cmd(['ZREM', `${p}i:c:exp`, k]),
    ])
  }

  // ---- keys with TTL ----

  async get(key: string): Promise<string | undefined> {
    this.#check()
    const r = await this.#run(S.keyGet, [this.#key(key)])
    return typeof r === 'string' ? r : undefined
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#check()
    checkTtl(ttlMs, 'set')
    checkValue(value, this.limits.maxValueLength)
    const expiresAt = ttlMs === undefined ? '' : String(this.#now() + ttlMs)
    await this.#run(S.keySet, [
      this.#key(key),
      value,
      expiresAt,
      String(this.limits.maxKeys),
      String(SAFETY_MARGIN_MS),
    ])
  }

  async del(key: string): Promise<boolean> {
    this.#check()
    return (await this.#run(S.keyDel, [this.#key(key)])) === 1
  }

  async incrBy(key: string, delta: number, ttlMs?: number): Promise<number> {
    this.#check()
    checkDelta(delta)
    checkTtl(ttlMs, 'incrBy')
    const k = this.#key(key)
    const r = (await this.#run(S.incrBy, [
      k,
      String(delta),
      ttlMs === undefined ? '' : String(ttlMs),
      String(this.limits.maxKeys),
      String(SAFETY_MARGIN_MS),
    ])) as Reply[]
    if (r[0] !== 1)
      throw argError(`incrBy: the value at key ${JSON.stringify(k.slice(0, 64))} is not a number`)
    return Number(r[1])
  }

  // ---- sets with per-member TTL ----

  async sadd(key: string, member: string, ttlMs?: number): Promise<number> {
    this.#check()
    checkTtl(ttlMs, 'sadd')
    const l = this.limits
    const now = this.#now()
    const r = await this.#run(S.sadd, [
      this.#key(key),
      this.#key(member),
      ttlMs === undefined ? String(NO_EXPIRY) : String(now + ttlMs),
      String(l.maxSets),
      String(Math.min(l.maxSetMembers, l.maxTotalSetMembers)),
      String(l.maxTotalSetMembers),
      ttlMs === undefined ? '' : String(Math.ceil(ttlMs) + SAFETY_MARGIN_MS),
    ])
    return Number(r)
  }

  async srem(key: string, member: string): Promise<boolean> {
    this.#check()
    return (await this.#run(S.srem, [this.#key(key), this.#key(member)])) === 1
  }

  async sismember(key: string, member: string): Promise<boolean> {
    this.#check()
    const r = await this.#cmd(['ZSCORE', `${this.prefix}s:${this.#key(key)}`, this.#key(member)])
    return r !== null && Number(r) > this.#now()
  }

  async scard(key: string): Promise<number> {
    this.#check()
    return Number(await this.#run(S.sread, [this.#key(key), 'card']))
  }

  async smembers(key: string): Promise<string[]> {
    this.#check()
    return (await this.#run(S.sread, [this.#key(key), 'members'])) as string[]
  }

  // ---- bans ----

  async ban(input: BanInput): Promise<BanRecord> {
    this.#check()
    const [rec] = await this.#banMany([input])
    return rec!
  }

  async banMany(inputs: readonly BanInput[]): Promise<BanRecord[]> {
    this.#check()
    if (!Array.isArray(inputs)) throw argError('banMany: expected an array of bans')
    if (inputs.length === 0) return []
    return this.#banMany(inputs)
  }

  /**
   * Runs the ban writes of this node one at a time: a flood makes the gateway ban the same
   * source many times at once, and concurrent compare-and-sets of one record would mostly
   * fail and retry. Between nodes, a conflict is retried after a short random pause.
   */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#banChain.then(fn, fn)
    this.#banChain = p.catch(() => {})
    return p
  }

  /** Reads the records (and their versions) of the given canonical addresses. */
  async #readBans(addresses: readonly string[]): Promise<Map<string, { ban?: StoredBan; version: string }>> {
    const r = (await this.#run(S.banRead, [...addresses])) as (string | null)[]
    const out = new Map<string, { ban?: StoredBan; version: string }>()
    addresses.forEach((a, i) => {
      const json = r[2 * i]
      const version = r[2 * i + 1] ?? ''
      out.set(a, json === null || json === undefined ? { version } : { ban: parseBan(json), version })
    })
    return out
  }

  async #banMany(inputs: readonly BanInput[]): Promise<BanRecord[]> {
    // all or nothing: validate every input before changing anything
    const t = this.#now()
    const addresses = inputs.map((input) => {
      const a = banAddress(input?.address)
      this.#planner.planBan(a, input, t, undefined)
      return a
    })
    return this.#serial(() => this.#banPlanned(inputs, addresses))
  }

  async #banPlanned(inputs: readonly BanInput[], addresses: readonly string[]): Promise<BanRecord[]> {
    const distinct = [...new Set(addresses)]
    for (let attempt = 0; attempt < MAX_BAN_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(Math.random() * 4 * attempt)
      const now = this.#now()
      const current = await this.#readBans(distinct)
      const entries = new Map<string, BanEntry | undefined>()
      for (const [a, c] of current) entries.set(a, c.ban === undefined ? undefined : entryOf(c.ban))
      const plans: BanPlan[] = []
      for (let i = 0; i < inputs.length; i++) {
        const a = addresses[i]!
        const plan = this.#planner.planBan(a, inputs[i]!, now, entries.get(a))
        entries.set(a, plan.entry)
        plans.push(plan)
      }
      const applied = await this.#writeBans(current, plans, now)
      if (applied) return plans.map((p) => p.entry.record)
    }
    throw new SgwError(
      ErrorCodes.STORE_UNAVAILABLE,
      'ban: the record kept changing on other nodes; giving up after several attempts',
    )
  }

  /** Compare-and-set; on success updates the mirror and tells the listeners. */
  async #writeBans(
    current: Map<string, { version: string }>,
    plans: readonly BanPlan[],
    now: number,
  ): Promise<boolean> {
    const l = this.limits
    const args = [
      String(l.maxBans),
      String(l.maxBanTtlMs + l.offenceMemoryMs + SAFETY_MARGIN_MS),
      this.#nodeId,
      String(current.size),
    ]
    for (const [a, c] of current) args.push(a, c.version)
    for (const plan of plans) {
      const { record, forgetAt } = plan.entry
      const del = forgetAt <= now && record.expiresAt <= now
      args.push(
        del ? 'del' : 'put',
        plan.address,
        plan.kind ?? '',
        String(record.expiresAt),
        String(forgetAt),
        del ? '' : banJson(record, forgetAt),
        plan.kind === null ? '' : banJson(plan.reported),
      )
    }
    const r = (await this.#run(S.banWrite, args)) as Reply[]
    if (r[0] !== 1) return false
    const items = r[1] as Reply[][]
    plans.forEach((plan, i) => {
      const item = items[i]!
      for (let j = 1; j + 1 < item.length; j += 2) {
        const evicted = parseBan(item[j + 1] as string)
        this.#apply(
          'evict',
          Number(item[j]),
          toRecord(evicted as unknown as Record<string, unknown>),
          'local',
        )
      }
      if (plan.kind !== null) this.#apply(plan.kind, Number(item[0]), plan.reported, 'local')
    })
    return true
  }

  async unban(address: string, opts?: UnbanOptions): Promise<BanRecord | undefined> {
    this.#check()
    const a = banAddress(address)
    return this.#serial(() => this.#unban(a, opts?.forget === true))
  }

  async #unban(a: string, forget: boolean): Promise<BanRecord | undefined> {
    for (let attempt = 0; attempt < MAX_BAN_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(Math.random() * 4 * attempt)
      const now = this.#now()
      const current = await this.#readBans([a])
      const c = current.get(a)!
      const plan = this.#planner.planUnban(a, forget, now, c.ban === undefined ? undefined : entryOf(c.ban))
      if (plan === undefined) return undefined
      if (await this.#writeBans(current, [plan], now))
        return plan.kind === 'unban' ? plan.reported : undefined
    }
    throw new SgwError(
      ErrorCodes.STORE_UNAVAILABLE,
      'unban: the record kept changing on other nodes; giving up after several attempts',
    )
  }

  async getBan(address: string): Promise<BanRecord | undefined> {
    this.#check()
    const a = banAddress(address)
    const json = await this.#cmd(['HGET', `${this.prefix}b:data`, a])
    if (typeof json !== 'string') return undefined
    const b = parseBan(json)
    return b.expiresAt > this.#now() ? entryOf(b).record : undefined
  }

  /** Hot path: synchronous, one Map lookup, no allocation for a plain address. */
  isBanned(address: string): boolean {
    if (this.#closed) throw closedError(this.adapter)
    const e = this.#mirror.get(address)
    if (e !== undefined) return e.expiresAt > this.#now()
    if (address.length > 7 && address.charCodeAt(0) === COLON && address.startsWith('::ffff:')) {
      const m = this.#mirror.get(address.slice(7))
      return m !== undefined && m.expiresAt > this.#now()
    }
    return false
  }

  async offences(address: string): Promise<number> {
    this.#check()
    const a = banAddress(address)
    const json = await this.#cmd(['HGET', `${this.prefix}b:data`, a])
    if (typeof json !== 'string') return 0
    const b = parseBan(json)
    return b.forgetAt > this.#now() ? b.offences : 0
  }

  async listBans(): Promise<BanRecord[]> {
    this.#check()
    const now = this.#now()
    const out: BanRecord[] = []
    for (const { ban } of await this.#loadBans(true)) if (ban.expiresAt > now) out.push(entryOf(ban).record)
    return out
  }

  /** Every ban record with its version, most (newest) or least recently banned first. */
  async #loadBans(newestFirst: boolean): Promise<{ ban: StoredBan; seq: number }[]> {
    const p = this.prefix
    const ranked = (await this.#cmd(
      newestFirst
        ? ['ZREVRANGE', `${p}b:lru`, '0', '-1', 'WITHSCORES']
        : ['ZRANGE', `${p}b:lru`, '0', '-1', 'WITHSCORES'],
    )) as string[]
    const out: { ban: StoredBan; seq: number }[] = []
    for (let i = 0; i < ranked.length; i += 2 * PAGE) {
      const page = ranked.slice(i, i + 2 * PAGE)
      const addresses = page.filter((_, j) => j % 2 === 0)
      const jsons = (await this.#cmd(['HMGET', `${p}b:data`, ...addresses])) as (string | null)[]
      jsons.forEach((json, j) => {
        if (json !== null) out.push({ ban: parseBan(json), seq: Number(page[2 * j + 1]) })
      })
    }
    return out
  }

  onBanChange(listener: BanListener): () => void {
    this.#check()
    if (typeof listener !== 'function') throw argError('onBanChange: the listener must be a function')
    this.#listeners = [...this.#listeners, listener]
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      const i = this.#listeners.indexOf(listener)
      if (i !== -1) this.#listeners = this.#listeners.filter((_, j) => j !== i)
    }
  }

  /**
   * Applies a change to the mirror and reports it, unless the mirror already holds a newer
   * version of the address (a peer's later change arrived first): listeners see changes in
   * the order Redis applied them.
   */
  #apply(kind: BanChangeKind, seq: number, record: BanRecord, origin: 'local' | 'peer', emit = true): void {
    const a = record.address
    const cur = this.#mirror.get(a)
    if (cur !== undefined && cur.seq >= seq) return
    const now = this.#now()
    const active = kind === 'ban' || kind === 'extend'
    if (active) {
      if (!(record.expiresAt > now)) return
      this.#mirror.set(a, { expiresAt: record.expiresAt, record, seq, settled: false })
    } else {
      if (cur === undefined && !emit) return
      this.#mirror.set(a, { expiresAt: 0, record, seq, settled: true })
    }
    if (this.#mirror.size > 2 * this.limits.maxBans + 1024) this.#sweepMirror(now)
    if (emit) this.#emit({ kind, ban: record, origin })
  }

  #onMessage(message: string): void {
    if (this.#closed) return
    const lines = message.split('\n')
    if (lines[0] === this.#nodeId) return
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!
      const t1 = line.indexOf('\t')
      const t2 = line.indexOf('\t', t1 + 1)
      if (t1 < 0 || t2 < 0) continue
      const kind = line.slice(0, t1) as BanChangeKind
      if (kind !== 'ban' && kind !== 'extend' && kind !== 'unban' && kind !== 'evict') continue
      try {
        const record = toRecord(JSON.parse(line.slice(t2 + 1)) as Record<string, unknown>)
        this.#apply(kind, Number(line.slice(t1 + 1, t2)), record, 'peer')
      } catch {
        // a message this version cannot read (another sipwarden version): the reload after
        // the next reconnect, or the record's expiry, brings the mirror back in line
      }
    }
  }

  /** Loads every active ban into the mirror; with `emit`, reports the differences as peer changes. */
  async #reload(emit: boolean): Promise<void> {
    const loaded = await this.#loadBans(false)
    const now = this.#now()
    const seen = new Set<string>()
    for (const { ban, seq } of loaded) {
      if (!(ban.expiresAt > now)) continue
      seen.add(ban.address)
      const cur = this.#mirror.get(ban.address)
      const kind = cur !== undefined && cur.expiresAt > now ? 'extend' : 'ban'
      this.#apply(kind, seq, entryOf(ban).record, 'peer', emit)
    }
    for (const [a, e] of this.#mirror) {
      if (seen.has(a) || !(e.expiresAt > now)) continue
      // lifted while this node was not listening
      this.#mirror.set(a, { ...e, expiresAt: 0, settled: true })
      if (emit) this.#emit({ kind: 'unban', ban: e.record, origin: 'peer' })
    }
  }

  /** Reports bans that reached their expiry; drops them and the tombstones. */
  #sweepMirror(now: number): number {
    let expired = 0
    for (const [a, e] of this.#mirror) {
      if (e.expiresAt > now) continue
      if (!e.settled) {
        e.settled = true
        expired++
        this.#emit({ kind: 'expire', ban: e.record, origin: 'local' })
      }
      this.#mirror.delete(a)
    }
    return expired
  }

  #emit(change: BanChange): void {
    const listeners = this.#listeners
    for (let i = 0; i < listeners.length; i++) {
      const l = listeners[i]!
      try {
        l(change)
      } catch (err) {
        this.#onListenerError(l, err)
      }
    }
  }

  // ---- security event log ----

  async appendEvent(event: SecurityEvent): Promise<void> {
    this.#check()
    const { id: _id, ...rest } = storedEvent(event, 0)
    const l = this.limits
    await this.#run(S.eventAppend, [
      JSON.stringify(rest),
      String(rest.time),
      String(l.maxEvents),
      String(l.eventRetentionMs + SAFETY_MARGIN_MS),
    ])
  }

  async queryEvents(query?: EventQuery): Promise<StoredEvent[]> {
    this.#check()
    const q = resolveQuery(query)
    const p = this.prefix
    const filtered =
      q.code !== undefined || q.address !== undefined || q.account !== undefined || q.action !== undefined
    const pageSize = filtered ? PAGE : q.limit
    const max = scoreArg(q.until, true)
    const min = scoreArg(q.since, false)
    const out: StoredEvent[] = []
    // newest first by time, then by id: members are zero-padded ids, so equal scores come
    // back in reverse id order
    for (let offset = 0; out.length < q.limit; offset += pageSize) {
      const ids = (await this.#cmd([
        'ZRANGE',
        `${p}e:t`,
        max,
        min,
        'BYSCORE',
        'REV',
        'LIMIT',
        String(offset),
        String(pageSize),
      ])) as string[]
      if (ids.length === 0) break
      const jsons = (await this.#cmd(['HMGET', `${p}e:data`, ...ids])) as (string | null)[]
      for (let i = 0; i < ids.length && out.length < q.limit; i++) {
        const json = jsons[i]
        if (json === null || json === undefined) continue // purged meanwhile
        const e = JSON.parse(json) as Record<string, unknown>
        if (q.code !== undefined && e['code'] !== q.code) continue
        if (q.address !== undefined && e['address'] !== q.address) continue
        if (q.account !== undefined && e['account'] !== q.account) continue
        if (q.action !== undefined && e['action'] !== q.action) continue
        if (e['detail'] !== undefined) e['detail'] = Object.freeze(e['detail'])
        out.push(Object.freeze({ id: Number(ids[i]), ...e }) as unknown as StoredEvent)
      }
      if (ids.length < pageSize) break
    }
    return out
  }

  async purgeEvents(olderThanMs: number): Promise<number> {
    this.#check()
    if (typeof olderThanMs !== 'number' || !(olderThanMs >= 0)) {
      throw argError(`purgeEvents: olderThanMs must be a non-negative number, got ${String(olderThanMs)}`)
    }
    const cutoff = scoreArg(this.#now() - olderThanMs, true)
    let total = 0
    for (;;) {
      const n = Number(await this.#run(S.eventPurge, [cutoff, String(SWEEP_CHUNK)]))
      total += n
      if (n < SWEEP_CHUNK) return total
    }
  }

  // ---- lifecycle ----

  async sweep(): Promise<SweepResult> {
    this.#check()
    const now = this.#now()
    const expiredBans = this.#sweepMirror(now)
    const cutoff = scoreArg(now - this.limits.eventRetentionMs, true)
    const removed = Number(await this.#run(S.sweep, [String(SWEEP_CHUNK), cutoff]))
    return { removed, expiredBans }
  }

  /** Timer: report ban expiries every tick; sweep Redis every TICKS_PER_FULL_SWEEP ticks. */
  sweepTick(): void {
    if (this.#closed) return
    this.#sweepMirror(this.#now())
    if (++this.#tick % TICKS_PER_FULL_SWEEP !== 0 || this.#sweeping) return
    this.#sweeping = true
    const cutoff = scoreArg(this.#now() - this.limits.eventRetentionMs, true)
    this.#run(S.sweep, [String(SWEEP_CHUNK), cutoff])
      .catch((err: unknown) => this.#connectionError(err))
      .finally(() => {
        this.#sweeping = false
      })
  }

  async stats(): Promise<StoreStats> {
    this.#check()
    const p = this.prefix
    const now = this.#now()
    const [counters, keys, sets, setMembers, bans, banRecords, events] = await Promise.all([
      this.#cmd(['ZCARD', `${p}i:c:lru`]),
      this.#cmd(['ZCARD', `${p}i:k:lru`]),
      this.#cmd(['ZCARD', `${p}i:s:lru`]),
      this.#cmd(['GET', `${p}i:s:total`]),
      this.#cmd(['ZCOUNT', `${p}b:exp`, `(${now}`, '+inf']),
      this.#cmd(['HLEN', `${p}b:data`]),
      this.#cmd(['ZCARD', `${p}e:i`]),
    ])
    return {
      counters: Number(counters),
      keys: Number(keys),
      sets: Number(sets),
      setMembers: Math.max(0, Number(setMembers ?? 0)),
      bans: Number(bans),
      banRecords: Number(banRecords),
      events: Number(events),
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    this.#listeners = []
    this.#mirror.clear()
    await Promise.all([this.#client, this.#sub].map((c) => closeClient(c)))
  }
}

/**
 * Every promise the store hands out is marked as handled before it is returned: the packet
 * path may call `hit()` without awaiting it (a synchronous adapter's habit), and during a
 * Redis outage each such call would otherwise be an unhandled rejection, which ends a Node
 * process. A caller that awaits still gets the rejection; the outage itself is reported once
 * through onConnectionError.
 */
const ASYNC_METHODS = [
  'hit',
  'count',
  'resetCounter',
  'get',
  'set',
  'del',
  'incrBy',
  'sadd',
  'srem',
  'sismember',
  'scard',
  'smembers',
  'ban',
  'banMany',
  'unban',
  'getBan',
  'offences',
  'listBans',
  'appendEvent',
  'queryEvents',
  'purgeEvents',
  'sweep',
  'stats',
  'close',
] as const satisfies readonly (keyof Store)[]

function ignoreRejection(): void {}

for (const name of ASYNC_METHODS) {
  const proto = RedisStore.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
  const method = proto[name]!
  proto[name] = function (this: RedisStore, ...args: unknown[]): Promise<unknown> {
    const p = method.apply(this, args)
    p.catch(ignoreRejection)
    return p
  }
}

/** Closes gracefully when connected (pending commands finish), else drops the connection. */
async function closeClient(c: Client | null): Promise<void> {
  if (c === null) return
  try {
    if (c.isReady) await c.close()
    else c.destroy()
  } catch {
    c.destroy()
  }
}

/** One warning per outage (the store calls it once until the connection is ready again). */
function defaultConnectionErrorReport(err: unknown): void {
  process.emitWarning(
    `redis state store: ${errorMessage(err)} (reconnecting; bans already known still apply)`,
    {
      code: 'SGW_WARN_STORE_REDIS',
    },
  )
}
