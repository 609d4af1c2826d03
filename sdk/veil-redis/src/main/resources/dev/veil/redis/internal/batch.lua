#!lua
-- Veil state batch (format 6): runs one request's StateOps in order, atomically, and returns the
-- batch's number and whether Redis lost writes the sender had seen (below), then one result per op,
-- up to and including a BlockedUntil that finds its caller blocked: that ends the batch (the reply
-- is shorter than the batch), so that a blocked caller's request takes no rate token, no quota and
-- no detector state, as in memory (StateOp.BlockedUntil). Loaded once (SCRIPT LOAD) and called with
-- EVALSHA; BatchEncoder.java writes the arguments and ReplyDecoder.java reads the reply, so the three
-- change together.
--
-- The shebang (Redis 7.0 and later) makes Redis refuse the whole batch while it is above maxmemory,
-- before any command runs. Without it Redis checked at the batch's first write that may grow
-- memory, and let the batch through once it had written anything, so a full Redis kept growing.
--
-- ARGV[1] is the store clock's "now" in ms (for Block and Throttle, which carry no time); ARGV[2]
-- the batch's deadline in ms since the epoch on the sender's real clock (0: none); ARGV[3] the
-- generation of the state the sender expects (KEYS[1] holds it); ARGV[4] and ARGV[5] the number and
-- token of the latest batch the sender saw answered (0 and empty: none), ARGV[6] this batch's token;
-- then each op is a one-letter code and its arguments. KEYS[2] holds the namespace's count of
-- batches and KEYS[3] the tokens of the latest (below); KEYS[4..] are the ops' keys in the same order.
-- Every key written gets a time to live. Times are milliseconds since the epoch from the Guard's
-- clock, so that replicas and tests agree on "now"; the batch's deadline is compared with the
-- server's clock (TIME), and a fingerprint's entries expire on it (ops.F), as times to live do.
--
-- The deadline: a sender that waits for the reply gives up after its timeout and treats the
-- request as refused; a Redis that stalled (a fork, a slow command, a paused process) still runs
-- what it had received when it wakes up. A batch that arrives after its deadline is therefore not
-- run at all, so that it does not charge tokens, quota or detector counts for a request the Guard
-- refused (or, with on_state_unavailable: local, already counted locally).
--
-- Numbers: Lua numbers are doubles, exact for integers below 2^53. Millisecond times (~1.7e12),
-- refill periods in ns (< 2^53 ns = 104 days), token counts and 1e9-based limbs of the privacy
-- units stay below that; the token-bucket refill multiplies in exact long-hand (muldivmod).

local DAY = 86400000
local HOUR = 3600000
local MAX_RETAIN = 367 * DAY
local TWO53 = 9007199254740992
local LIMB = 1000000000

-- The generation: a token written (without a time to live) when the first store of a namespace was
-- built. A Redis that lost it (restarted empty, FLUSHALL, evicted) lost Veil's quotas, blocks and
-- budgets with it: the batch is refused, so that the sender says so, instead of counting from zero.
local generation = redis.call('GET', KEYS[1])
if generation ~= ARGV[3] then
  return redis.error_reply('VEIL_LOST the state generation in Redis is ' .. (generation and 'another one' or 'gone')
    .. '; nothing was applied')
end

local ai, ki = 7, 4
local clock_now = tonumber(ARGV[1])
local deadline = tonumber(ARGV[2])
if deadline > 0 then
  local t = redis.call('TIME')
  local late = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - deadline
  if late > 0 then
    return redis.error_reply('VEIL_LATE the batch reached Redis ' .. late .. ' ms after its deadline, when the '
      .. 'Guard had given up on it; nothing was applied (Redis stalled, or its clock is ahead of the Guard host\'s)')
  end
end

-- The batch's number and the sender's mark: the namespace's count of batches numbers each batch, and
-- a hash keeps the token of each of the latest RING numbers (field: number modulo RING), both
-- without a time to live (GET, SET, HMGET and HSET, which every store's ACL user may run). The sender
-- names the latest batch it saw answered (its mark: number and token). While Redis keeps what it
-- acknowledged, the count is at least the mark's number and, unless RING batches have run since, the
-- mark's field still holds its token. A count below the mark, or another token in its field (the
-- number was given again, to another batch, after the mark's batch was lost), means Redis lost
-- writes it had acknowledged: it restarted from an older RDB snapshot, or a replica that had not
-- received them was promoted. The reply says so (RedisStateStore logs it); the batch runs either way,
-- on the state Redis has. A mark older than RING batches is not checked but against the count.
-- (A Redis that lost everything lost KEYS[1] too: refused above.)
local RING = 1024
local count = tonumber(redis.call('GET', KEYS[2])) or 0
local mark = tonumber(ARGV[4])
local lost = 0
if mark > 0 and (count < mark or (count - mark < RING
    and redis.call('HMGET', KEYS[3], string.format('%d', mark % RING))[1] ~= ARGV[5])) then
  lost = 1
end
local number = count + 1
redis.call('SET', KEYS[2], string.format('%d', number))
redis.call('HSET', KEYS[3], string.format('%d', number % RING), ARGV[6])

local function arg()
  local v = ARGV[ai]
  ai = ai + 1
  return v
end
local function num()
  local v = tonumber(ARGV[ai])
  ai = ai + 1
  return v
end
local function key()
  local k = KEYS[ki]
  ki = ki + 1
  return k
end

-- floor((a * b + c) / d) and the remainder, exactly, for integers a >= 0, 0 <= b < d, 0 <= c < d < 2^53.
local function muldivmod(a, b, c, d)
  local p = a * b
  if p < TWO53 - d then
    local v = p + c
    local q = math.floor(v / d)
    local r = v - q * d
    if r < 0 then q = q - 1; r = r + d elseif r >= d then q = q + 1; r = r - d end
    return q, r
  end
  -- Double and add over the bits of a, keeping value = q * d + r with 0 <= r < d (every
  -- intermediate below 2^53).
  local bits, n, x = {}, 0, a
  while x > 0 do
    local bit = x % 2
    n = n + 1
    bits[n] = bit
    x = (x - bit) / 2
  end
  local q, r = 0, 0
  for i = n, 1, -1 do
    q = q * 2
    if r >= d - r then r = r - (d - r); q = q + 1 else r = r + r end
    if bits[i] == 1 then
      if r >= d - b then r = r - (d - b); q = q + 1 else r = r + b end
    end
  end
  if r >= d - c then r = r - (d - c); q = q + 1 else r = r + c end
  return q, r
end

-- Token buckets with greedy refill, as Bucket4j computes them (BucketState64BitsInteger): cap
-- tokens refilled every per_ns nanoseconds, size s, rounding error e (< per_ns), last refill l (ms).
local function refill(b, cap, per, now)
  if now <= b.l then return end
  local dms = now - b.l
  b.l = now
  if b.s >= cap then return end
  if dms * 1000000 >= per then b.s = cap; b.e = 0; return end
  local q, r = muldivmod(cap, dms * 1000000, b.e, per)
  local size = b.s + q
  if size >= cap then b.s = cap; b.e = 0 else b.s = size; b.e = r end
end

local function try_consume(b, cap, per, now)
  refill(b, cap, per, now)
  if b.s >= 1 then b.s = b.s - 1; return true end
  return false
end

-- Bucket4j replaceConfiguration(AS_IS) between two greedy bandwidths, after a refill at now.
local function reconfigure(b, old_per, new_cap, new_per)
  if b.s >= new_cap then b.s = new_cap; b.e = 0; return end
  local ne = math.floor(new_per / old_per) * b.e
  if ne >= new_per then ne = new_per - 1 end
  b.e = ne
end

-- Cool-downs (blocks and throttles) of one caller: hash b:<caller>.
local CD = {'bu', 'tu', 'tr', 'tc', 'tp', 'ts', 'te', 'tl'}
local function load_cd(k)
  local v = redis.call('HMGET', k, unpack(CD))
  if not v[1] and not v[2] then return nil end
  return {bu = tonumber(v[1]), tu = tonumber(v[2]), tr = v[3], tc = tonumber(v[4]), tp = tonumber(v[5]),
          t = {s = tonumber(v[6]), e = tonumber(v[7]), l = tonumber(v[8])}}
end
local function cd_over(cd, now)
  return (not cd.bu or now >= cd.bu) and (not cd.tu or now >= cd.tu)
end
local function throttle_active(cd, now)
  return cd.tu ~= nil and now < cd.tu
end
-- Numbers go to Redis as plain integers (Redis would format a Lua number with 14 digits).
local function fmt(x)
  if type(x) == 'number' then return string.format('%.0f', x) end
  return x
end

local function save_cd(k, cd, now)
  local f = {}
  if cd.bu then f[#f + 1] = 'bu'; f[#f + 1] = fmt(cd.bu) end
  if cd.tu then
    for _, p in ipairs({{'tu', cd.tu}, {'tr', cd.tr}, {'tc', cd.tc}, {'tp', cd.tp}, {'ts', cd.t.s}, {'te', cd.t.e},
                        {'tl', cd.t.l}}) do
      f[#f + 1] = p[1]; f[#f + 1] = fmt(p[2])
    end
  end
  redis.call('DEL', k)
  redis.call('HSET', k, unpack(f))
  local ends = math.max(cd.bu or 0, cd.tu or 0)
  redis.call('PEXPIRE', k, fmt(math.max(1, ends - now)))
end

local ops = {}

-- U: BlockedUntil. keys: cool-down. args: now. -> until (> now: the batch ends here) or 0
ops.U = function()
  local k = key()
  local now = num()
  local cd = load_cd(k)
  if cd == nil then return 0 end
  if cd.bu and now < cd.bu then return cd.bu end
  if cd_over(cd, now) then redis.call('DEL', k) end
  return 0
end

-- B: Block. keys: cool-down. args: until. -> 0
ops.B = function()
  local k = key()
  local untl = num()
  local now = clock_now
  if untl <= now then return 0 end
  local cd = load_cd(k)
  if cd and cd_over(cd, now) then cd = nil end
  if cd == nil then
    cd = {bu = untl}
  else
    cd.bu = math.max(cd.bu or untl, untl)
  end
  save_cd(k, cd, now)
  return 0
end

-- T: Throttle. keys: cool-down. args: per_second (Java's Double.toString), cap, period_ns, until. -> 0
ops.T = function()
  local k = key()
  local rate_s, cap, per, untl = arg(), num(), num(), num()
  local now = clock_now
  if untl <= now then return 0 end
  local cd = load_cd(k)
  if cd and cd_over(cd, now) then cd = nil end
  if cd and throttle_active(cd, now) then
    local old_rate, new_rate = tonumber(cd.tr), tonumber(rate_s)
    if new_rate < old_rate then
      refill(cd.t, cd.tc, cd.tp, now)
      reconfigure(cd.t, cd.tp, cap, per)
      cd.tr, cd.tc, cd.tp = rate_s, cap, per
    end
    cd.tu = math.max(cd.tu, untl)
  else
    cd = {bu = cd and cd.bu or nil, tu = untl, tr = rate_s, tc = cap, tp = per, t = {s = cap, e = 0, l = now}}
  end
  save_cd(k, cd, now)
  return 0
end

-- A: Acquire. keys: rate state, cool-down. args: now, limit id ('' = none), cap, period_ns,
-- refill_ms, daily quota. -> 0 allowed, 1 rate limited, 2 quota exhausted, 4 throttled (StateOp.Permit's
-- ordinals)
local RS = {'lim', 'cap', 'per', 'rm', 's', 'e', 'l', 'qd', 'qu', 'tq', 'x'}
ops.A = function()
  local rk, ck = key(), key()
  local now, lim, cap, per, rm, quota = num(), arg(), num(), num(), num(), num()
  local cd = load_cd(ck)
  if lim == '' and quota == 0 then
    if cd and throttle_active(cd, now) then
      local ok = try_consume(cd.t, cd.tc, cd.tp, now)
      save_cd(ck, cd, now)
      if not ok then return 4 end
    end
    return 0
  end
  local v = redis.call('HMGET', rk, unpack(RS))
  local st = {lim = v[1], cap = tonumber(v[2]), per = tonumber(v[3]), rm = tonumber(v[4]) or 0,
              qd = tonumber(v[8]), qu = tonumber(v[9]) or 0, tq = v[10], x = tonumber(v[11])}
  if v[1] then st.b = {s = tonumber(v[5]), e = tonumber(v[6]), l = tonumber(v[7])} end
  if st.x and now >= st.x then
    -- Forgotten after its retention (in the Guard's time), as the in-memory limiter forgets it.
    st = {rm = 0, qu = 0}
  end
  if quota > 0 then st.tq = '1' end
  if lim ~= '' and lim ~= st.lim then
    if st.b == nil then
      st.b = {s = cap, e = 0, l = now}
    else
      refill(st.b, st.cap, st.per, now)
      reconfigure(st.b, st.per, cap, per)
    end
    st.lim, st.cap, st.per, st.rm = lim, cap, per, rm
  end
  local outcome
  if quota > 0 then
    local day = math.floor(now / DAY)
    if st.qd == nil or day > st.qd then st.qd = day; st.qu = 0 end
    if st.qu >= quota then outcome = 2 end
  end
  if outcome == nil then
    if lim ~= '' and not try_consume(st.b, st.cap, st.per, now) then
      outcome = 1
    elseif cd and throttle_active(cd, now) and not try_consume(cd.t, cd.tc, cd.tp, now) then
      if lim ~= '' then
        -- Bucket4j addTokens(1): give back the rate token (a full bucket resets its rounding error).
        if st.b.s + 1 >= st.cap then st.b.s = st.cap; st.b.e = 0 else st.b.s = st.b.s + 1 end
      end
      outcome = 4
    else
      if quota > 0 then st.qu = st.qu + 1 end
      outcome = 0
    end
  end
  if cd and throttle_active(cd, now) then save_cd(ck, cd, now) end
  local keep = math.max(HOUR, st.rm)
  if st.tq then keep = math.max(keep, DAY - now % DAY) end
  keep = math.min(keep, MAX_RETAIN)
  local f = {'x', fmt(now + keep), 'rm', fmt(st.rm), 'qu', fmt(st.qu)}
  if st.tq then f[#f + 1] = 'tq'; f[#f + 1] = '1' end
  if st.qd then f[#f + 1] = 'qd'; f[#f + 1] = fmt(st.qd) end
  if st.lim then
    for _, p in ipairs({{'lim', st.lim}, {'cap', st.cap}, {'per', st.per}, {'s', st.b.s}, {'e', st.b.e},
                        {'l', st.b.l}}) do
      f[#f + 1] = p[1]; f[#f + 1] = fmt(p[2])
    end
  end
  redis.call('DEL', rk)
  redis.call('HSET', rk, unpack(f))
  redis.call('PEXPIRE', rk, fmt(keep))
  return outcome
end

-- Privacy units as two base-1e9 limbs (hi, lo), exact beyond 2^53.
local function ladd(h1, l1, h2, l2)
  local l, h = l1 + l2, h1 + h2
  if l >= LIMB then l = l - LIMB; h = h + 1 end
  return h, l
end
local function lgt(h1, l1, h2, l2)
  return h1 > h2 or (h1 == h2 and l1 > l2)
end

-- C: Charge. keys: global ledger, caller ledger. args: second (the charge's epoch second), end (the
-- epoch second at which the period holding that second ends; '' when budgets never renew), eps
-- (h, l), delta (h, l), caller budget (h, l), global budget (h, l), caller delta budget (h, l),
-- global delta budget (h, l), global (0/1), max callers, now. -> 0 granted, 1 caller exhausted,
-- 2 global exhausted, 3 too many callers
--
-- Ledger hashes: p is the period's id, the same in the global and the caller hashes of one period;
-- the global hash also holds r, the epoch second at which the period's spending stops counting
-- ('never' when it never renews), and n, the callers with spending in it. As PrivacyLedger: a
-- charge at or after r renews (a new id, above the old one); a period length that changed leaves r
-- as it was (spending counts until its period ends); no period sets r to never; r never, under a
-- period, becomes the end of the charge's period. A global hash without r was written by format 1,
-- whose p was floor(second / period) under a length it did not keep: it keeps p (format 1 caller
-- hashes of the same period still count) and is read as r never, so its spending counts until the
-- end of the current period (fail closed: an upgrade never hands out fresh budget).
local LG = {'p', 'eh', 'el', 'dh', 'dl', 'n', 'r'}
ops.C = function()
  local gk, ck = key(), key()
  local sec, pend = num(), arg()
  local eh, el, dh, dl, cbh, cbl, gbh, gbl, dbh, dbl = num(), num(), num(), num(), num(), num(), num(), num(),
      num(), num()
  local gdbh, gdbl = num(), num()
  local global, maxc, now = num() == 1, num(), num()
  local v = redis.call('HMGET', gk, unpack(LG))
  local g = nil
  if v[1] then
    g = {p = v[1], eh = tonumber(v[2]) or 0, el = tonumber(v[3]) or 0, dh = tonumber(v[4]) or 0,
         dl = tonumber(v[5]) or 0, n = tonumber(v[6]) or 0, r = v[7] or 'never'}
    if pend == '' then
      g.r = 'never'
    elseif g.r == 'never' then
      g.r = pend
    elseif sec >= tonumber(g.r) then
      g = {p = fmt(math.max(now, (tonumber(g.p) or 0) + 1)), eh = 0, el = 0, dh = 0, dl = 0, n = 0, r = pend}
    end
  end
  if g == nil then
    g = {p = fmt(now), eh = 0, el = 0, dh = 0, dl = 0, n = 0, r = pend == '' and 'never' or pend}
  end
  -- A ledger that never renews is kept for good, as in memory: an expiry would hand an idle caller
  -- a fresh budget. (Its callers are bounded by max callers.)
  local ttl = nil
  if g.r ~= 'never' then ttl = math.min(math.max(1, tonumber(g.r) * 1000 - now + DAY), TWO53) end
  local function expire(k)
    if ttl then redis.call('PEXPIRE', k, fmt(ttl)) else redis.call('PERSIST', k) end
  end
  local function save_g()
    redis.call('HSET', gk, 'p', g.p, 'eh', fmt(g.eh), 'el', fmt(g.el), 'dh', fmt(g.dh), 'dl', fmt(g.dl),
        'n', fmt(g.n), 'r', g.r)
    expire(gk)
  end
  local w = redis.call('HMGET', ck, unpack(LG))
  local a = nil
  if w[1] and w[1] == g.p then
    a = {eh = tonumber(w[2]), el = tonumber(w[3]), dh = tonumber(w[4]), dl = tonumber(w[5])}
  end
  if a == nil and g.n >= maxc then save_g(); return 3 end
  -- A refusal keeps the caller's spending of this period as long as the global ledger's: after a
  -- reload that changed the period (to none, or from none) the caller's hash still has the old
  -- expiry (or none), and an exhausted caller must not get a fresh budget when it runs out.
  local function refuse(outcome)
    save_g()
    if a then expire(ck) end
    return outcome
  end
  local sa = a or {eh = 0, el = 0, dh = 0, dl = 0}
  local neh, nel = ladd(sa.eh, sa.el, eh, el)
  local ndh, ndl = ladd(sa.dh, sa.dl, dh, dl)
  if lgt(neh, nel, cbh, cbl) or lgt(ndh, ndl, dbh, dbl) then return refuse(1) end
  local geh, gel = ladd(g.eh, g.el, eh, el)
  local gdh, gdl = ladd(g.dh, g.dl, dh, dl)
  if global and (lgt(geh, gel, gbh, gbl) or lgt(gdh, gdl, gdbh, gdbl)) then return refuse(2) end
  if a == nil then g.n = g.n + 1 end
  -- Always summed, tested only under a global budget (as PrivacyLedger): a reload that sets one
  -- mid-period finds what was spent this period without it.
  g.eh, g.el, g.dh, g.dl = geh, gel, gdh, gdl
  save_g()
  redis.call('HSET', ck, 'p', g.p, 'eh', fmt(neh), 'el', fmt(nel), 'dh', fmt(ndh), 'dl', fmt(ndl))
  expire(ck)
  return 0
end

-- W: CountInWindow. keys: window. args: now, window ms. -> count in the window, this one included.
-- Twelve slots, as the in-memory SlidingCounter: fields s0..s11 (slot numbers), c0..c11 (counts).
local WF = {}
for i = 0, 11 do WF[i + 1] = 's' .. i; WF[i + 13] = 'c' .. i end
-- The count of window k at now, this event added when add is true (as SlidingCounter.add), else
-- as it stands (SlidingCounter.read: the slot of now counts only when it is now's).
local function window(k, now, win, add)
  local slot_ms = math.max(1, math.floor(win / 12))
  local slot = math.floor(now / slot_ms)
  local i = slot % 12
  local v = redis.call('HMGET', k, unpack(WF))
  local starts, counts = {}, {}
  for j = 0, 11 do
    starts[j] = tonumber(v[j + 1]) or 0
    counts[j] = tonumber(v[j + 13]) or 0
  end
  if starts[i] ~= slot then starts[i] = slot; counts[i] = 0 end
  if add then counts[i] = counts[i] + 1 end
  local total = 0
  for j = 0, 11 do
    if slot - starts[j] < 12 then total = total + counts[j] end
  end
  if add then redis.call('HSET', k, 's' .. i, fmt(slot), 'c' .. i, fmt(counts[i])) end
  return total
end
ops.W = function()
  local k = key()
  local now, win = num(), num()
  local total = window(k, now, win, true)
  redis.call('PEXPIRE', k, fmt(2 * win))
  return total
end

-- N: CountNewInWindow. keys: window. args: member (16 hex digits), now, window ms, max members.
-- -> count in the window, this one included unless it repeats a member the window remembers.
-- The members are fields m<member> of the window's hash, valued by the time each was counted, so
-- that they live and expire with the counter as in memory; on equal times the earliest is the
-- smaller member, which the fixed-width hex orders as the in-memory store's unsigned comparison.
-- The steps are StateOp.CountNewInWindow's.
ops.N = function()
  local k = key()
  local member, now, win, max = 'm' .. arg(), num(), num(), num()
  local all = redis.call('HGETALL', k)
  local kept, gone = {}, {}
  local seen = false
  for j = 1, #all, 2 do
    local f = all[j]
    if string.byte(f, 1) == 109 then -- 'm': a member
      local t = tonumber(all[j + 1])
      if now - t >= win then
        gone[#gone + 1] = f
      else
        kept[#kept + 1] = {f, t}
        if f == member then seen = true end
      end
    end
  end
  if #gone > 0 then redis.call('HDEL', k, unpack(gone)) end
  local total = window(k, now, win, not seen)
  if not seen then
    redis.call('HSET', k, member, fmt(now))
    kept[#kept + 1] = {member, now}
    if #kept > max then
      table.sort(kept, function(a, b) if a[2] ~= b[2] then return a[2] < b[2] end return a[1] < b[1] end)
      local drop = {}
      for j = 1, #kept - max do drop[j] = kept[j][1] end
      redis.call('HDEL', k, unpack(drop))
    end
  end
  redis.call('PEXPIRE', k, fmt(2 * win))
  return total
end

-- R: ListRead. keys: list. -> entries, oldest first
ops.R = function()
  return redis.call('LRANGE', key(), 0, -1)
end

-- L: ListAppend. keys: list. args: value, max length, ttl ms. -> the entries before this one
ops.L = function()
  local k = key()
  local value, max, ttl = arg(), num(), num()
  local before = redis.call('LRANGE', k, 0, -1)
  if redis.call('RPUSH', k, value) > max then redis.call('LTRIM', k, fmt(-max), -1) end
  redis.call('PEXPIRE', k, fmt(ttl))
  return before
end

-- F: Fingerprint. keys: the index's meta string (<prefix>m). args: member, hash count, max members
-- per hash, ttl ms, max queries (cap), then one field per hash (its low 32 bits: 4 bytes, big-endian).
-- -> {best earlier member or '', hashes shared}
--
-- Layout of an index (BatchEncoder.java and the module README show it too): every op is a query,
-- numbered by the index (its number s). The meta string holds "s level split cursor most mod
-- epoch": the count of queries, the buckets' linear hashing (level, split), the sweep's place, the
-- most hashes a query had, the modulus of the numbers the entries keep, and the name of the index's
-- other keys (epoch: the server's time in microseconds, base 36, when the meta was made). Query s's
-- member and deadline (the server's clock, TIME, + ttl, in ms) are fields <s % 64> and d<s % 64> of
-- the hash <prefix>q<epoch>.<floor(s / 64)>. The entries are fields of hashes
-- <prefix>h<epoch>.<bucket>: the field is the hash's low 32 bits, its value the numbers of the
-- queries that had it, oldest first, at most max members: the first number modulo mod, then each
-- one's difference from the one before, separated by ',' (short enough for a listpack's 64-byte
-- values with 8 members).
--
-- The modulus keeps the numbers small however many queries the index has numbered (a listpack keeps
-- an integer below 4,096 in 2 bytes and one in the millions in 4 or 5): mod is the least power of
-- two at least 4 cap and at least FP_MIN_MOD, fixed when the index is made (an op whose 4 cap
-- exceeds it starts the index afresh, as a lost meta string does). A first number v is read as the
-- latest query number congruent to it, s - ((s - v) % mod), which is exact for a query of the
-- last mod: an entry was written with its numbers within cap of the query then numbered, is dead
-- cap queries after its last write at the latest, and the sweep deletes a dead entry within mod / 4
-- queries (it visits at least 4 x buckets / mod buckets a query, plus the buckets the query split:
-- without them a round took longer while the buckets grew, a review's test up to 0.8 mod), so every
-- entry the index holds names queries of its last cap + cap + mod / 4 <= 3 mod / 4. Buckets are addressed by
-- linear hashing on a keyed mix of the hash (fp_mix, below); their number doubles with the queries
-- remembered (TARGET / 2 to TARGET fields each once the index is full, for queries of the most
-- hashes), so that Redis keeps each as a listpack (hash-max-listpack-entries, 512 by default:
-- LISTPACK).
--
-- The index remembers its last cap queries (this one included): a query numbered below
-- head = s - cap + 1 is forgotten, and its entries are dead. A field's entries expire together at
-- the deadline of its newest, as a list whose time to live each write renews; no op shortens the
-- life of a key of the index (ops of one index may ask for different ttls). Dead fields are
-- deleted when a bucket is split or swept (SWEEP buckets per op, round and round, once the index
-- has forgotten a query); a forgotten group of 64 queries is deleted whole. So one index holds at
-- most the entries of its last cap queries and of those forgotten since the sweep last passed,
-- whatever it is sent. The meta string is written last and its time to live extended as every
-- other key's, so it outlives every key of its epoch; a meta string lost anyway starts a new epoch. Keys other than the meta string
-- are not in KEYS: with Redis Cluster, the namespace's hash tag keeps them in the batch's slot.
local FP_TARGET, FP_LISTPACK, FP_SWEEP, FP_MIN_MOD = 128, 512, 4, 64
-- Buckets are addressed through a keyed mix of a hash's 32 bits (MurmurHash3's 32-bit finaliser,
-- twice), keyed by the namespace's generation, a random token no caller sees: one who knows the
-- detector's seed, and so can choose hashes, still cannot aim them at one bucket (which would
-- make every sweep and split of it read many thousands of fields while Redis serves nobody else).
local FP_TWO32 = 4294967296
local FP_K1 = tonumber(string.sub(ARGV[3], 1, 8), 16) or 0
local FP_K2 = tonumber(string.sub(ARGV[3], 9, 16), 16) or 0
local function fp_mul(a, b) -- a * b mod 2^32, for 0 <= a, b < 2^32, exact in doubles
  local ah, al = math.floor(a / 65536), a % 65536
  local bh, bl = math.floor(b / 65536), b % 65536
  return (al * bl + ((ah * bl + al * bh) % 65536) * 65536) % FP_TWO32
end
local function fp_mix(h) -- MurmurHash3's fmix32 of a 32-bit value (bit ops answer signed: % 2^32)
  h = h % FP_TWO32
  h = bit.bxor(h, bit.rshift(h, 16)) % FP_TWO32
  h = fp_mul(h, 2246822507)
  h = bit.bxor(h, bit.rshift(h, 13)) % FP_TWO32
  h = fp_mul(h, 3266489909)
  return bit.bxor(h, bit.rshift(h, 16)) % FP_TWO32
end
-- numbers as Redis arguments, each formatted once per script run (slots, buckets, differences)
local numstr = setmetatable({}, {__index = function(t, k) local v = fmt(k); t[k] = v; return v end})
local dslot = {}
for i = 0, 63 do dslot[i] = 'd' .. i end
-- a command on one key with many arguments, 1,000 at a time (Lua unpacks a few thousand at most,
-- and a caller who chooses its hashes can fill one bucket with many more fields)
local function chunked(command, k, list)
  for i = 1, #list, 1000 do redis.call(command, k, unpack(list, i, math.min(i + 999, #list))) end
end
ops.F = function()
  local mk = key()
  local member, n, max, ttl, cap = arg(), num(), num(), num(), num()
  local fields = {}
  for j = 1, n do fields[j] = arg() end
  if n == 0 then return {'', 0} end
  local t = redis.call('TIME') -- times to live run on the server's clock, as a key's would
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local s, level, split, cursor, most, mod, epoch = 0, 0, 0, 0, 0, 0, nil
  local meta = redis.call('GET', mk)
  if meta then
    local a, b, c, d, e, m, f = string.match(meta, '^(%d+) (%d+) (%d+) (%d+) (%d+) (%d+) (%w+)$')
    s, level, split, cursor, most, mod = tonumber(a), tonumber(b), tonumber(c), tonumber(d), tonumber(e),
      tonumber(m)
    epoch = f
    -- a meta string of the format before the modulus (six numbers) does not match: a new index
    if epoch and 4 * cap > mod then epoch = nil end -- a bound past the modulus: a new index
  end
  if not epoch then
    -- a new index, or one whose meta string is gone (evicted, deleted) while other keys of it may
    -- live on, or whose bound outgrew its modulus: its keys get a new name (the server's time in
    -- microseconds), so that no query of the new one is ever read from the old one's keys, which
    -- expire in their time
    s, level, split, cursor, most, mod = 0, 0, 0, 0, 0, FP_MIN_MOD
    while mod < 4 * cap do mod = mod * 2 end
    local x, digits, out = tonumber(t[1]) * 1000000 + tonumber(t[2]), '0123456789abcdefghijklmnopqrstuvwxyz', ''
    repeat
      local r = x % 36
      out = string.sub(digits, r + 1, r + 1) .. out
      x = (x - r) / 36
    until x == 0
    epoch = out
  end
  local mk_prefix = string.sub(mk, 1, #mk - 1)
  local hp, qp = mk_prefix .. 'h' .. epoch .. '.', mk_prefix .. 'q' .. epoch .. '.'
  s = s + 1
  local head = s - cap + 1
  local ttl_s = fmt(ttl)
  -- never shortens a key's life: GT for a key with one, NX for a key without (GT leaves it without)
  local function extend(k)
    if redis.call('PEXPIRE', k, ttl_s, 'GT') == 0 then redis.call('PEXPIRE', k, ttl_s, 'NX') end
  end
  local qk = qp .. fmt(math.floor(s / 64))
  redis.call('HSET', qk, fmt(s % 64), member, 'd' .. fmt(s % 64), fmt(now + ttl))
  extend(qk)
  if head >= 64 and head % 64 == 0 then redis.call('DEL', qp .. fmt(head / 64 - 1)) end

  -- members and deadlines of remembered queries (false: none), read once per op and group
  local members, deadlines = {}, {}
  local function load(xs, into, tag)
    local groups, order = {}, {}
    for _, x in ipairs(xs) do
      if into[x] == nil then
        into[x] = false
        local g = math.floor(x / 64)
        if not groups[g] then groups[g] = {}; order[#order + 1] = g end
        local slots = groups[g]
        slots[#slots + 1] = x
      end
    end
    local names = tag == 'd' and dslot or numstr
    for _, g in ipairs(order) do
      local xs_g, gk = groups[g], qp .. numstr[g]
      if #xs_g > 16 then -- many of the group: one pass over it (HMGET searches the listpack for each)
        local all, by = redis.call('HGETALL', gk), {}
        for i = 1, #all, 2 do by[all[i]] = all[i + 1] end
        for _, x in ipairs(xs_g) do into[x] = by[names[x % 64]] or false end
      else
        local args = {}
        for i, x in ipairs(xs_g) do args[i] = names[x % 64] end
        local vs = redis.call('HMGET', gk, unpack(args))
        for i, x in ipairs(xs_g) do into[x] = vs[i] or false end
      end
    end
  end
  local function number(v) -- a first number as written (modulo mod): the query it names
    return s - (s - v) % mod
  end
  local function newest(v)
    local one = tonumber(v) -- one query: no ','
    if one then return number(one) end
    local acc
    for x in string.gmatch(v, '%d+') do acc = acc and acc + tonumber(x) or number(tonumber(x)) end
    return acc
  end
  local function address(f) -- a hash's 32-bit bucket address: fp_mix of its 32 bits, keyed
    local b1, b2, b3, b4 = string.byte(f, 1, 4)
    local lo = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
    return fp_mix(bit.bxor(fp_mix(bit.bxor(lo, FP_K1)), FP_K2))
  end
  local function bucket_of(lo)
    local size = 2 ^ level
    local b = lo % size
    if b < split then b = lo % (2 * size) end
    return b
  end
  local touched = {}
  -- removes fields from a bucket that held `fields` before: a bucket that had grown past a listpack
  -- (more than LISTPACK fields: a hash table, which Redis never turns back) and now fits one is
  -- written anew with the fields it keeps (`kept`, field and value alternating)
  local function remove(bk, fields, gone, kept)
    if #gone == 0 then return end
    if fields > FP_LISTPACK and #kept <= 2 * FP_LISTPACK then
      local left = redis.call('PTTL', bk)
      redis.call('DEL', bk)
      if #kept > 0 then
        chunked('HSET', bk, kept)
        redis.call('PEXPIRE', bk, fmt(math.max(left, ttl))) -- what it had left, or this op's ttl
      end
    else
      chunked('HDEL', bk, gone)
    end
  end
  -- deletes a bucket's dead fields
  local function clean(bk)
    local all = redis.call('HGETALL', bk)
    local gone, live = {}, {}
    for i = 1, #all, 2 do
      local x = newest(all[i + 1])
      if x < head or x > s then
        gone[#gone + 1] = all[i]
      else
        live[#live + 1] = all[i]
        live[#live + 1] = all[i + 1]
      end
    end
    remove(bk, #all / 2, gone, live)
  end
  -- linear hashing: split bucket `split` into itself and split + 2^level, dropping dead fields
  local function split_next()
    local size = 2 ^ level
    local src, dst = hp .. fmt(split), hp .. fmt(split + size)
    local all = redis.call('HGETALL', src)
    local gone, moved, stay = {}, {}, {}
    for i = 1, #all, 2 do
      local f, v = all[i], all[i + 1]
      local x = newest(v)
      if x < head or x > s then
        gone[#gone + 1] = f
      elseif address(f) % (2 * size) ~= split then
        gone[#gone + 1] = f
        moved[#moved + 1] = f
        moved[#moved + 1] = v
      else
        stay[#stay + 1] = f
        stay[#stay + 1] = v
      end
    end
    if #moved > 0 then
      chunked('HSET', dst, moved)
      touched[dst] = true
    end
    remove(src, #all / 2, gone, stay)
    split = split + 1
    if split == size then level = level + 1; split = 0 end
  end
  if n > most then most = n end
  -- a power of two, so that once the index is full its buckets hold alike (linear hashing leaves
  -- the buckets not yet split at twice the load of the others)
  local want = 1
  while want * FP_TARGET < math.min(s, cap) * most do want = want * 2 end
  local splits = 0
  for _ = 1, math.floor(n / 16) + 2 do
    if 2 ^ level + split >= want then break end
    split_next()
    splits = splits + 1
  end
  -- the sweep, once there is anything to sweep (the index has forgotten a query): a round of the
  -- buckets within mod / 4 queries (see the layout above), the buckets this op split added, so that
  -- a round takes no longer while the buckets grow
  if head > 1 then
    local buckets = 2 ^ level + split
    for _ = 1, math.max(FP_SWEEP, math.ceil(4 * buckets / mod) + splits) do
      if cursor >= buckets then cursor = 0 end
      clean(hp .. fmt(cursor))
      cursor = cursor + 1
    end
  end

  -- read every field once, then the queries they name, group by group
  local cur, order, wanted, lasts = {}, {}, {}, {} -- a field is in one bucket: it names its entry
  for j = 1, n do
    local f = fields[j]
    if not cur[f] then
      local bk = hp .. numstr[bucket_of(address(f))]
      local v = redis.call('HMGET', bk, f)[1]
      local e = {bk = bk, f = f, found = v ~= false and v ~= nil, seqs = {}}
      if e.found then
        local seqs, one = e.seqs, tonumber(v) -- one query: no ','
        if one then
          seqs[1] = number(one)
        else
          local acc
          for x in string.gmatch(v, '%d+') do
            acc = acc and acc + tonumber(x) or number(tonumber(x))
            seqs[#seqs + 1] = acc
          end
        end
        for i = 1, #seqs do
          local x = seqs[i]
          if x >= head and x < s then wanted[#wanted + 1] = x end
        end
        local last = seqs[#seqs]
        if last and last >= head and last < s then lasts[#lasts + 1] = last end
      end
      cur[f] = e
      order[#order + 1] = f
    end
  end
  load(lasts, deadlines, 'd')
  load(wanted, members, '')
  -- then count, hash by hash in order, as lists of members would be read, written and trimmed
  local shared, best, best_n = {}, '', 0
  for j = 1, n do
    local e = cur[fields[j]]
    local seqs = e.seqs
    local last = seqs[#seqs]
    local alive = last == s
    if last and not alive and last >= head and last < s then
      local d = deadlines[last]
      alive = d and tonumber(d) > now
    end
    local kept = {}
    if alive then
      for _, x in ipairs(seqs) do
        if x >= head and x <= s then
          kept[#kept + 1] = x
          local m = x ~= s and members[x]
          if m and m ~= member then
            local c = (shared[m] or 0) + 1
            shared[m] = c
            if c > best_n then best_n = c; best = m end
          end
        end
      end
    end
    kept[#kept + 1] = s
    if #kept > max then
      local trimmed = {}
      for i = #kept - max + 1, #kept do trimmed[#trimmed + 1] = kept[i] end
      kept = trimmed
    end
    e.seqs = kept
  end
  local groups = {} -- the groups of the earlier queries written fields keep: they live as long
  for _, f in ipairs(order) do
    local e = cur[f]
    local kept = e.seqs
    local out = {fmt(kept[1] % mod)}
    for i = 2, #kept do out[i] = numstr[kept[i] - kept[i - 1]] end
    for i = 1, #kept - 1 do groups[math.floor(kept[i] / 64)] = true end
    redis.call('HSET', e.bk, e.f, table.concat(out, ','))
    touched[e.bk] = true
  end
  groups[math.floor(s / 64)] = nil -- renewed above
  for g in pairs(groups) do extend(qp .. numstr[g]) end
  for bk in pairs(touched) do extend(bk) end
  redis.call('SET', mk, fmt(s) .. ' ' .. fmt(level) .. ' ' .. fmt(split) .. ' ' .. fmt(cursor) .. ' '
    .. fmt(most) .. ' ' .. fmt(mod) .. ' ' .. epoch, 'KEEPTTL')
  extend(mk)
  return {best, best_n}
end

local out = {number, lost}
local i = 2
while ai <= #ARGV do
  local code = arg()
  local op = ops[code]
  if op == nil then return redis.error_reply('veil batch: unknown op code ' .. tostring(code)) end
  i = i + 1
  local r = op()
  out[i] = r
  if code == 'U' and r ~= 0 then
    -- the caller is blocked: nothing after the check runs (ReplyDecoder reads the rest as null)
    return out
  end
end
return out
