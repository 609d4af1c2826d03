package dev.veil.internal.state;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.veil.internal.access.CallerLimiter;
import dev.veil.internal.output.PrivacyLedger;
import dev.veil.internal.text.ControlChars;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The embedded state store: everything in this process, bounded by a memory cap.
 *
 * <p>Monitoring state (windows, detectors' lists, fingerprint indexes) lives in weighted caches, each with
 * its share of the cap (lists 50%, counters of callers and tenants 10%, counters per input 10%,
 * fingerprint indexes 30%), that evict entries used rarely and not recently first (Caffeine's
 * Window TinyLFU, not strictly least recently used: an idle caller's history goes before an active
 * one's); each entry also expires after its time to live. Counters
 * per input ({@link StateKeys#PER_INPUT}: {@code knn_global}'s, one per occupied cell, each with
 * the distinct inputs it counted) have their share to themselves: anyone can open as many as they send distinct
 * inputs, and they must not evict the {@code rate} detector's windows of other callers and tenants.
 * A fingerprint index is one entry per index (per caller, or global) in primitive arrays
 * ({@link FingerprintIndex}); one index may take at most half of the fingerprint share, one
 * caller's ({@link StateOp.Fingerprint#perCaller}) 1/64 of it (at least 256 KiB), so that one
 * caller's distinct queries cannot crowd out the other callers' indexes; an index beyond its bound
 * forgets its oldest queries first.
 * Every entry is weighed by the heap it holds (objects, array headers, key, cache node), which
 * StateAccountingTest checks against the heap. Monitoring state is the only state forgotten under
 * memory pressure.
 *
 * <p>State that protects is never forgotten to make room; each kind is bounded by
 * {@code maxCallers} and fails closed when full (see their Javadoc):
 * <ul>
 *   <li>rate buckets and daily quota counts ({@link CallerLimiter}) are kept until their retention
 *       ends (refilled bucket, UTC midnight, idle time); while {@code maxCallers} callers have such
 *       state, a new caller's {@link StateOp.Acquire} is refused with
 *       {@link StateOp.Permit#TOO_MANY_CALLERS} and known callers are served as before;</li>
 *   <li>blocks and throttles (also in the {@link CallerLimiter}): when {@code maxCallers} callers
 *       have active cool-downs and another must be recorded, every caller is blocked until the
 *       table has room for it again, at the latest until that cool-down ends ({@link #blockedOnlyByOverflow}; the Guard reports it as {@code blocked} with
 *       the rule {@code max_callers}, and the limiter logs when it begins and ends);</li>
 *   <li>spent privacy budget ({@link PrivacyLedger}): a new caller's charge is refused with
 *       {@link StateOp.Budget#TOO_MANY_CALLERS} until the next period;</li>
 *   <li>the marks that say a caller's privacy budget is spent for the period (the lists of
 *       {@link StateKeys#BUDGET_SPENT}, which the Guard writes when the ledger refuses a caller's
 *       charge and reads for every request, so that a spent budget holds for releases without
 *       noise too): kept apart from the detectors' lists until their time to live ends (the end of
 *       the period), outside the memory cap like the ledger. A marked caller has spent in the
 *       ledger this period, so their number stays within {@code maxCallers}; when
 *       {@code maxCallers} callers have live marks anyway (marks of another period length or budget
 *       left by a reload) and another must be recorded, its mark is answered for <em>every</em>
 *       caller until it ends, so every caller's budget is treated as spent (logged as a warning;
 *       raise {@code maxCallers}).</li>
 * </ul>
 * The Redis store has none of these bounds (its keys expire by time to live), so the two stores
 * answer alike until a bound is reached (MemoryRedisConformanceTest).
 *
 * <p>Thread-safe; each operation takes at most the lock of the one entry it touches (and a new
 * caller's first permit the limiter's short admission lock).
 */
public final class MemoryStateStore implements StateStore {
    /**
     * Share of the cap for lists (detector histories), counters of callers and tenants (the
     * {@code rate} detector's windows), counters per input ({@link StateKeys#PER_INPUT}:
     * {@code knn_global}'s cells) and the fingerprint index.
     */
    private static final double LIST_SHARE = 0.5;
    private static final double COUNTER_SHARE = 0.1;
    private static final double INPUT_COUNTER_SHARE = 0.1;
    private static final double INDEX_SHARE = 0.3;
    static final int COUNTER_SLOTS = 12;

    private final long maxBytes;
    private final CallerLimiter limiter;
    private final Clock clock;
    private final int maxCallers;
    private final Cache<String, BoundedList> lists;
    private final Cache<String, SlidingCounter> counters;
    /** Counters keyed by input ({@link StateKeys#PER_INPUT}): a flood of distinct inputs evicts only these. */
    private final Cache<String, SlidingCounter> inputCounters;
    private final Cache<String, FingerprintIndex> index;
    private final long maxIndexBytes;
    /** The most one caller's index ({@link StateOp.Fingerprint#perCaller}) may hold. */
    private final long maxCallerIndexBytes;
    /** The least a caller's index may hold, whatever the cap (about 370 queries of 50 hashes). */
    static final long MIN_CALLER_INDEX_BYTES = 256 << 10;
    /** The time the times to live run on (the caches' and the fingerprint index's entries'). */
    private final Ticker ticker;
    private static final ThreadLocal<FingerprintIndex.Scratch> SCRATCH =
            ThreadLocal.withInitial(FingerprintIndex.Scratch::new);
    private volatile PrivacyLedger ledger;
    private volatile GuardSettings.PrivacyBudget ledgerBudget;
    /** The spent-budget marks: protecting, never evicted (see the class comment). */
    private final SpentMarks spent;
    /** Detector histories, windows and fingerprint indexes forgotten to make room, before their time to live. */
    private final java.util.concurrent.atomic.LongAdder evictedForRoom = new java.util.concurrent.atomic.LongAdder();
    /** Whether {@link #evictedForRoom} is logged (a live Guard's store; a replay reports it itself). */
    private final boolean logEvictions;
    /** When the next eviction may be logged ({@link System#nanoTime}), at most once a minute. */
    private final java.util.concurrent.atomic.AtomicLong nextEvictionLog = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean evictionLogged;
    private static final System.Logger GUARD_LOG = System.getLogger("dev.veil.Guard");

    /**
     * A store.
     *
     * @param maxBytes memory cap for monitoring state, {@code >= 1 MiB}
     * @param clock the Guard's clock, for what carries no time of its own: whether a
     *     {@link StateOp.Block} or {@link StateOp.Throttle} has ended and a throttle's refills, the
     *     idle callers' eviction, the rate limiter's own reads. Operations that carry the request's
     *     time ({@code nowMillis}: blocks checked, permits, charges, windows) are answered at that time.
     *     Times to live run on the system's monotonic time.
     * @param maxCallers bound on callers with rate or quota state, on callers with cool-downs and
     *     on callers spending privacy budget per period (each fails closed when full: see above)
     */
    public MemoryStateStore(long maxBytes, Clock clock, int maxCallers) {
        this(maxBytes, clock, maxCallers, Ticker.systemTicker());
    }

    /**
     * A store whose monitoring state's times to live run on {@code clock} too, not on the
     * system's monotonic time: for a replay, whose clock is the trace's time, so that a caller
     * who pauses longer than a detector's {@code ttl_seconds} in the trace loses its history as it
     * would in a live Guard, however fast the replay runs. A live Guard's store keeps the monotonic
     * time, which a wall clock set back or forward does not move.
     *
     * <p>A full table of callers is not logged: a replay reports it itself (a refusal, or the line
     * where it stops), in its own terms; the Guard's warning would tell a command-line user to raise
     * {@code Guard.Builder.maxCallers}.
     */
    public static MemoryStateStore onClockTime(long maxBytes, Clock clock, int maxCallers) {
        long origin = clock.millis(); // nanoseconds since the first time seen: no overflow before 292 years
        return new MemoryStateStore(maxBytes, clock, maxCallers, () -> (clock.millis() - origin) * 1_000_000L, false);
    }

    private MemoryStateStore(long maxBytes, Clock clock, int maxCallers, Ticker ticker) {
        this(maxBytes, clock, maxCallers, ticker, true);
    }

    private MemoryStateStore(long maxBytes, Clock clock, int maxCallers, Ticker ticker, boolean logFullTables) {
        if (maxBytes < (1 << 20)) {
            throw new IllegalArgumentException("state memory cap must be >= 1 MiB, was " + maxBytes + " bytes");
        }
        this.maxBytes = maxBytes;
        this.ticker = ticker;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxCallers = maxCallers;
        this.limiter = new CallerLimiter(clock, maxCallers, CallerLimiter.DEFAULT_IDLE, maxCallers, logFullTables);
        this.spent = new SpentMarks(maxCallers, ticker);
        this.logEvictions = logFullTables;
        this.lists = Caffeine.newBuilder()
                .maximumWeight((long) (maxBytes * LIST_SHARE))
                .weigher((String k, BoundedList v) -> v.weight(k))
                .expireAfter(new TtlExpiry<BoundedList>(false))
                .evictionListener((String k, BoundedList v, RemovalCause cause) -> evicted(cause))
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
        this.counters = counterCache((long) (maxBytes * COUNTER_SHARE), ticker);
        this.inputCounters = counterCache((long) (maxBytes * INPUT_COUNTER_SHARE), ticker);
        // one index may take half the index share: a single busy (global) index never crowds out every other;
        // one caller's, 1/64 of it (at least 256 KiB): one caller's flood of distinct queries never crowds
        // out the other callers' indexes (a review: 0 of 20 kept theirs after 3,065 queries at 16 MiB)
        this.maxIndexBytes = (long) (maxBytes * INDEX_SHARE / 2);
        this.maxCallerIndexBytes = Math.min(maxIndexBytes, Math.max(MIN_CALLER_INDEX_BYTES,
                (long) (maxBytes * INDEX_SHARE / 64)));
        this.index = Caffeine.newBuilder()
                .maximumWeight((long) (maxBytes * INDEX_SHARE))
                .weigher((String k, FingerprintIndex v) -> (int) Math.min(Integer.MAX_VALUE, indexWeight(k, v)))
                .expireAfter(new TtlExpiry<FingerprintIndex>(true))
                .evictionListener((String k, FingerprintIndex v, RemovalCause cause) -> evicted(cause))
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    /**
     * Counts a detector history, window (a counter) or fingerprint index forgotten to make room ({@link RemovalCause#SIZE},
     * not its time to live) and, in a live Guard's store, says so at most once a minute: the attack
     * detectors then lose what they remembered of the callers used least (an attacker quieter than
     * the crowd), and nothing else would tell.
     */
    private void evicted(RemovalCause cause) {
        if (cause != RemovalCause.SIZE) {
            return;
        }
        evictedForRoom.increment();
        if (!logEvictions) {
            return;
        }
        long now = System.nanoTime();
        long next = nextEvictionLog.get();
        if ((!evictionLogged || now - next >= 0) && nextEvictionLog.compareAndSet(next, now + 60_000_000_000L)) {
            evictionLogged = true;
            GUARD_LOG.log(System.Logger.Level.WARNING, "the in-memory state store is at its cap for detector "
                    + "histories, windows or fingerprint indexes (stateMemory " + (maxBytes >> 20) + " MiB): "
                    + evictedForRoom.sum() + " so far were forgotten to make room before their time to live, those "
                    + "used least first, so the attack detectors forget a caller quieter than the rest (an attack "
                    + "sent slowly among many active callers goes unseen); raise Guard.Builder.stateMemory for the "
                    + "callers active within a day (a caller's histories grow by about 2 KB for each query the detectors "
                    + "remember, and histories have half of the cap) or use a shared store such as Redis; logged at most "
                    + "once a minute");
        }
    }

    /**
     * Detector histories, windows and fingerprint indexes forgotten so far to make room under the memory cap,
     * before their time to live (0 while the cap was never reached).
     */
    public long evictedForRoom() {
        return evictedForRoom.sum();
    }

    private Cache<String, SlidingCounter> counterCache(long maxWeight, Ticker ticker) {
        return Caffeine.newBuilder()
                .maximumWeight(maxWeight)
                .weigher((String k, SlidingCounter v) -> (int) (keyBytes(k) + NODE_BYTES + v.bytes()))
                .expireAfter(new LastUseTtlExpiry<SlidingCounter>())
                .evictionListener((String k, SlidingCounter v, RemovalCause cause) -> evicted(cause))
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    /** The cache a counter's key belongs to: per input, or per caller, tenant or everybody. */
    private Cache<String, SlidingCounter> countersFor(String key) {
        return key.startsWith(StateKeys.PER_INPUT) ? inputCounters : counters;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Object[] execute(StateOp... ops) {
        SCRATCH.get().lastHashes = null; // the low halves of hashes are shared within one batch only
        Object[] out = new Object[ops.length];
        for (int i = 0; i < ops.length; i++) {
            out[i] = apply(ops[i]);
            if (endsBatch(ops[i], out[i])) {
                break; // a blocked caller's request takes nothing (StateOp.BlockedUntil): the rest stay null
            }
        }
        return out;
    }

    /** Whether {@code op} is a {@link StateOp.BlockedUntil} that found its caller blocked at its time. */
    private static boolean endsBatch(StateOp op, Object result) {
        return op instanceof StateOp.BlockedUntil b && (Long) result > b.nowMillis();
    }

    @Override
    public void submit(StateOp... ops) {
        SCRATCH.get().lastHashes = null;
        for (StateOp op : ops) {
            if (op instanceof StateOp.ListAppend a && !SpentMarks.holds(a.key())) {
                // Nobody reads the previous entries of a submitted append: skip copying them.
                lists.asMap().compute(a.key(), (k, l) -> {
                    BoundedList list = l == null ? new BoundedList() : l;
                    list.append(a.value(), a.maxLength(), a.ttlMillis());
                    return list;
                });
            } else if (endsBatch(op, apply(op))) {
                return;
            }
        }
    }

    private Object apply(StateOp op) {
        if (op instanceof StateOp.BlockedUntil b) {
            return limiter.blockedUntil(b.caller(), b.nowMillis()).map(Instant::toEpochMilli).orElse(0L);
        } else if (op instanceof StateOp.Block b) {
            limiter.block(b.caller(), Instant.ofEpochMilli(b.untilMillis()));
            return null;
        } else if (op instanceof StateOp.Throttle t) {
            limiter.throttle(t);
            return null;
        } else if (op instanceof StateOp.Acquire a) {
            return switch (limiter.tryAcquire(a.caller(), a.limit(), a.dailyQuota(), a.nowMillis())) {
                case ALLOWED -> StateOp.Permit.ALLOWED;
                case RATE_LIMITED -> StateOp.Permit.RATE_LIMITED;
                case QUOTA_EXHAUSTED -> StateOp.Permit.QUOTA_EXHAUSTED;
                case TOO_MANY_CALLERS -> StateOp.Permit.TOO_MANY_CALLERS;
                case THROTTLED -> StateOp.Permit.THROTTLED;
            };
        } else if (op instanceof StateOp.Charge c) {
            return charge(c);
        } else if (op instanceof StateOp.CountInWindow c) {
            // A count that does not give the counter its slot arrays keeps its weight, and the read
            // renews its expiry (LastUseTtlExpiry): it is counted under the counter's own lock, without
            // the cache's write path (a quarter of the cost). Only the count that takes a one-slot
            // counter to a second slot goes through compute, which weighs it again. A counter
            // evicted or expired meanwhile loses this count, as if it had been evicted just after
            // it: the next request starts a new one either way.
            Cache<String, SlidingCounter> cache = countersFor(c.key());
            SlidingCounter present = cache.getIfPresent(c.key());
            if (present != null) {
                long n = present.addKeepingWeight(c.nowMillis(), c.windowMillis());
                if (n >= 0) {
                    return n;
                }
            }
            // compute, not get: the weight grows when a counter takes its second slot
            long[] total = new long[1];
            cache.asMap().compute(c.key(), (k, v) -> {
                SlidingCounter counter = v == null ? new SlidingCounter(c.windowMillis()) : v;
                total[0] = counter.add(c.nowMillis(), c.windowMillis());
                return counter;
            });
            return total[0];
        } else if (op instanceof StateOp.CountNewInWindow c) {
            // as CountInWindow: under the counter's own lock while its weight stays, else through compute
            Cache<String, SlidingCounter> cache = countersFor(c.key());
            SlidingCounter present = cache.getIfPresent(c.key());
            if (present != null) {
                long n = present.addNewKeepingWeight(c.member(), c.nowMillis(), c.windowMillis(), c.maxMembers());
                if (n >= 0) {
                    return n;
                }
            }
            long[] total = new long[1];
            cache.asMap().compute(c.key(), (k, v) -> {
                SlidingCounter counter = v == null ? new SlidingCounter(c.windowMillis()) : v;
                total[0] = counter.addNew(c.member(), c.nowMillis(), c.windowMillis(), c.maxMembers());
                return counter;
            });
            return total[0];
        } else if (op instanceof StateOp.ListRead r && SpentMarks.holds(r.key())) {
            return spent.read(r.key());
        } else if (op instanceof StateOp.ListAppend a && SpentMarks.holds(a.key())) {
            return spent.append(a.key(), a.value(), a.maxLength(), a.ttlMillis());
        } else if (op instanceof StateOp.ListRead r) {
            BoundedList l = lists.getIfPresent(r.key());
            return l == null ? List.of() : l.snapshot();
        } else if (op instanceof StateOp.ListAppend a) {
            List<byte[]>[] before = new List[1];
            lists.asMap().compute(a.key(), (k, l) -> {
                BoundedList list = l == null ? new BoundedList() : l;
                before[0] = list.appendReturningPrevious(a.value(), a.maxLength(), a.ttlMillis());
                return list;
            });
            return before[0];
        } else if (op instanceof StateOp.Fingerprint f) {
            return fingerprint(f);
        }
        throw new IllegalArgumentException("unsupported state operation " + op.getClass().getSimpleName());
    }

    private StateOp.Budget charge(StateOp.Charge c) {
        PrivacyLedger l = ledger;
        if (l == null || !c.budget().equals(ledgerBudget)) {
            synchronized (this) {
                if (ledger == null) {
                    ledger = new PrivacyLedger(c.budget(), clock, maxCallers, c.nowMillis());
                } else if (!c.budget().equals(ledgerBudget)) {
                    ledger.withBudget(c.budget());
                }
                ledgerBudget = c.budget();
                l = ledger;
            }
        }
        return switch (l.charge(c.caller(), c.epsilon(), c.delta(), c.nowMillis()).status()) {
            case OK -> StateOp.Budget.GRANTED;
            case CALLER_EXHAUSTED -> StateOp.Budget.CALLER_EXHAUSTED;
            case GLOBAL_EXHAUSTED -> StateOp.Budget.GLOBAL_EXHAUSTED;
            case TOO_MANY_CALLERS -> StateOp.Budget.TOO_MANY_CALLERS;
        };
    }

    private StateOp.FingerprintMatch fingerprint(StateOp.Fingerprint f) {
        StateOp.FingerprintMatch[] match = new StateOp.FingerprintMatch[1];
        long ttlNanos = Duration.ofMillis(f.ttlMillis()).toNanos();
        FingerprintIndex.Scratch scratch = SCRATCH.get();
        index.asMap().compute(f.index(), (k, i) -> {
            FingerprintIndex idx = i == null ? new FingerprintIndex(f.perCaller() ? maxCallerIndexBytes : maxIndexBytes)
                    : i;
            match[0] = idx.add(f.hashes(), f.member(), f.maxMembersPerHash(), ttlNanos, ticker.read(), scratch);
            return idx;
        });
        return match[0];
    }

    /** Bytes of an index with its key. */
    private static long indexWeight(String key, FingerprintIndex v) {
        return v.bytes() + keyBytes(key);
    }

    /**
     * Heap bytes of a key: the string and its array (compact strings: one byte a character when all
     * are Latin-1, else two), with their headers, aligned to 8.
     */
    static long keyBytes(String key) {
        int n = key.length();
        boolean latin1 = true;
        for (int i = 0; i < n && latin1; i++) {
            latin1 = key.charAt(i) <= 0xFF;
        }
        return 24 + ((16L + (latin1 ? n : 2L * n) + 7) & ~7L);
    }

    /** Heap bytes of one cache entry's bookkeeping: the cache's node and the hash map's node and slot. */
    static final int NODE_BYTES = 64 + 32 + 8;

    @Override
    public long bytesUsed() {
        long b = 0;
        for (var e : lists.asMap().entrySet()) {
            b += e.getValue().weight(e.getKey());
        }
        for (var e : index.asMap().entrySet()) {
            b += indexWeight(e.getKey(), e.getValue());
        }
        for (Cache<String, SlidingCounter> c : List.of(counters, inputCounters)) {
            for (var e : c.asMap().entrySet()) {
                b += keyBytes(e.getKey()) + NODE_BYTES + e.getValue().bytes();
            }
        }
        return b;
    }

    /**
     * Whether the caller is blocked now only because the table of callers with blocks or throttles
     * is full and every caller is blocked ({@link CallerLimiter#overflowing()}), not by a block of
     * its own: the Guard then says so, instead of reporting a monitoring block.
     */
    public boolean blockedOnlyByOverflow(String caller) {
        return limiter.blockedOnlyByOverflow(caller);
    }

    /** The memory cap. */
    public long maxBytes() {
        return maxBytes;
    }

    @Override
    public void close() {
        lists.invalidateAll();
        counters.invalidateAll();
        inputCounters.invalidateAll();
        index.invalidateAll();
    }

    /**
     * Entries expire after the time to live their last write asked for, or with {@code longest},
     * after the longest any write asked for, counted from it: a fingerprint index whose operations
     * ask for different times to live (two Guards of one namespace, a reload) keeps each hash's
     * entries until their own end, as Redis keeps the index's keys (batch.lua, ops.F, never shortens
     * them).
     */
    private static final class TtlExpiry<V extends Expiring> implements Expiry<String, V> {
        private final boolean longest;

        TtlExpiry(boolean longest) {
            this.longest = longest;
        }

        @Override
        public long expireAfterCreate(String key, V value, long currentTime) {
            return value.ttlNanos();
        }

        @Override
        public long expireAfterUpdate(String key, V value, long currentTime, long currentDuration) {
            return longest ? Math.max(currentDuration, value.ttlNanos()) : value.ttlNanos();
        }

        @Override
        public long expireAfterRead(String key, V value, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }

    /**
     * Entries expire their time to live after they were last used: a counter is only ever read to be
     * counted (its fast path counts under its own lock after {@code getIfPresent}, a read), so a
     * read renews it as an update does, as batch.lua's PEXPIRE does on every count in Redis. The
     * cache may skip a renewal by less than its tolerance, so the time to live carries that too
     * ({@link SlidingCounter#TTL_TOLERANCE}).
     */
    private static final class LastUseTtlExpiry<V extends Expiring> implements Expiry<String, V> {
        @Override
        public long expireAfterCreate(String key, V value, long currentTime) {
            return value.ttlNanos();
        }

        @Override
        public long expireAfterUpdate(String key, V value, long currentTime, long currentDuration) {
            return value.ttlNanos();
        }

        @Override
        public long expireAfterRead(String key, V value, long currentTime, long currentDuration) {
            return value.ttlNanos();
        }
    }

    interface Expiring {
        long ttlNanos();
    }

    /**
     * The lists of {@link StateKeys#BUDGET_SPENT}: protecting state, never evicted to make room (see
     * the class comment). One list per key, each kept until the time to live of its last append
     * ends (on the store's ticker, as the detectors' lists), at most {@code maxCallers} of them
     * with time to live left. A new list beyond that is not kept: its entry is answered for every
     * key of the table until its time to live ends ({@link #overflow}), so that no mark is lost.
     * Reads take no lock; appends (one per refused charge) take the table's.
     */
    static final class SpentMarks {
        private static final System.Logger LOG = System.getLogger("dev.veil.Guard");
        private final int maxKeys;
        private final Ticker ticker;
        private final java.util.concurrent.ConcurrentHashMap<String, Marks> marks =
                new java.util.concurrent.ConcurrentHashMap<>();
        /** Entries answered for every key (each distinct entry once) and when they end, in ticker nanos. */
        private volatile Map<java.nio.ByteBuffer, Long> overflow = Map.of();

        /** One key's list and when it ends (ticker nanos); the end is written under the table's lock. */
        private static final class Marks {
            final BoundedList list = new BoundedList();
            volatile long endsAt;

            boolean over(long now) {
                return now - endsAt >= 0;
            }
        }

        SpentMarks(int maxKeys, Ticker ticker) {
            this.maxKeys = maxKeys;
            this.ticker = ticker;
        }

        /** Whether {@code key} is a spent-budget list's. */
        static boolean holds(String key) {
            return key.startsWith(StateKeys.BUDGET_SPENT);
        }

        List<byte[]> read(String key) {
            long now = ticker.read();
            Marks m = marks.get(key);
            List<byte[]> own = m == null || m.over(now) ? List.of() : m.list.snapshot();
            Map<java.nio.ByteBuffer, Long> all = overflow;
            if (all.isEmpty()) {
                return own;
            }
            List<byte[]> out = new ArrayList<>(own);
            all.forEach((entry, endsAt) -> {
                if (now - endsAt < 0) {
                    out.add(entry.array().clone());
                }
            });
            return out;
        }

        synchronized List<byte[]> append(String key, byte[] value, int maxLength, long ttlMillis) {
            long now = ticker.read();
            long endsAt = now + Duration.ofMillis(ttlMillis).toNanos();
            Marks m = marks.get(key);
            if (m != null && m.over(now)) {
                marks.remove(key);
                m = null;
            }
            if (m == null) {
                if (marks.size() >= maxKeys) {
                    marks.values().removeIf(x -> x.over(now));
                }
                if (marks.size() >= maxKeys) {
                    overflow(value, now, endsAt);
                    return List.of();
                }
                m = new Marks();
                m.endsAt = endsAt;
                marks.put(key, m);
            }
            List<byte[]> before = m.list.appendReturningPrevious(value, maxLength, ttlMillis);
            m.endsAt = endsAt;
            return before;
        }

        /** Keeps {@code value} for every key until {@code endsAt} (the later end of an equal entry). */
        private void overflow(byte[] value, long now, long endsAt) {
            Map<java.nio.ByteBuffer, Long> next = new HashMap<>();
            overflow.forEach((entry, end) -> {
                if (now - end < 0) {
                    next.put(entry, end);
                }
            });
            next.merge(java.nio.ByteBuffer.wrap(value.clone()), endsAt, (a, b) -> a - b > 0 ? a : b);
            overflow = Map.copyOf(next);
            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("the in-memory state store keeps spent privacy budgets for "
                    + maxKeys + " callers (Guard.Builder.maxCallers) and all of them are in use: the budget of "
                    + "every caller is treated as spent until this period ends; raise Guard.Builder.maxCallers"));
        }
    }

    /**
     * A bounded list of byte arrays, oldest first. While every entry has one length (the usual case:
     * each detector writes fixed-size entries) the entries live back to back in one array, and reads
     * return them as a {@link PackedEntries} over that array itself, without a copy; an entry of
     * another length turns the list into a deque of arrays.
     *
     * <p><b>Why a read needs no copy.</b> The live entries are the stretch {@code [start, start +
     * count)} of the array (in entries), and the list never writes inside a stretch it has handed
     * out: an append writes just after the newest entry, dropping the oldest only moves
     * {@code start} on (its bytes stay, unread), and when the array has no room after the newest
     * entry the live ones are copied to a new array (the old one is never written again). So the
     * array holds up to {@code max(1, maxLength / 16)} entries more than the bound (and, while the
     * list grows, up to twice its entries: it doubles), and a full list copies its entries once every
     * {@code max(1, maxLength / 16) + 1} appends: about 16 entries per append at most, where a copy
     * per read cost the whole list.
     *
     * <p>Guarded by the cache's compute lock or its own monitor.
     */
    static final class BoundedList implements Expiring {
        /** Packed mode: entries of length {@code stride}; null in deque mode or while empty. */
        private byte[] packed;
        private int stride = -1;
        private int start; // the oldest live entry, in entries from the start of the array
        private int count;
        /** Deque mode (entries of different lengths); null in packed mode. */
        private ArrayDeque<byte[]> items;
        private long bytes;
        private long ttlNanos = Duration.ofHours(1).toNanos();

        synchronized List<byte[]> appendReturningPrevious(byte[] value, int maxLength, long ttlMillis) {
            List<byte[]> before = snapshot();
            append(value, maxLength, ttlMillis);
            return before;
        }

        synchronized void append(byte[] value, int maxLength, long ttlMillis) {
            ttlNanos = Duration.ofMillis(ttlMillis).toNanos();
            if (items == null && (stride < 0 || value.length == stride) && value.length > 0) {
                appendPacked(value, maxLength);
                return;
            }
            if (items == null) {
                items = new ArrayDeque<>(snapshot());
                packed = null;
                stride = -1;
                start = 0;
                count = 0;
            }
            items.addLast(value);
            bytes += value.length;
            while (items.size() > maxLength) {
                bytes -= items.removeFirst().length;
            }
        }

        /** Entries an array of a full list holds beyond {@code maxLength}: room for that many appends without a copy. */
        static int slack(int maxLength) {
            return Math.max(1, maxLength >> 4);
        }

        private void appendPacked(byte[] value, int maxLength) {
            stride = value.length;
            if (count > maxLength) { // the bound shrank: the oldest leave
                start += count - maxLength;
                count = maxLength;
            }
            if (count == maxLength) { // full: the oldest leaves to make room
                start++;
                count--;
            }
            int slots = packed == null ? 0 : packed.length / stride;
            if (start + count == slots) { // no room after the newest: a new array, never this one in place
                int limit = maxLength + slack(maxLength);
                int newSlots = Math.max(count + 1, Math.min(limit, Math.max(4, 2 * count)));
                byte[] next = new byte[newSlots * stride];
                copyOut(next);
                packed = next;
                start = 0;
            }
            System.arraycopy(value, 0, packed, (start + count) * stride, stride);
            count++;
            bytes = (long) count * stride;
        }

        /** Copies the packed entries, oldest first, to the start of {@code to}. */
        private void copyOut(byte[] to) {
            if (count > 0) {
                System.arraycopy(packed, start * stride, to, 0, count * stride);
            }
        }

        synchronized List<byte[]> snapshot() {
            if (items != null) {
                return new ArrayList<>(items);
            }
            if (count == 0) {
                return List.of();
            }
            return new PackedEntries(packed, start * stride, stride, count); // no copy: see the class comment
        }

        synchronized int weight(String key) {
            long held = items != null ? bytes + 16L * items.size() + 40 : packed == null ? 0 : 16L + packed.length;
            return (int) Math.min(Integer.MAX_VALUE, 2L * key.length() + held + 64);
        }

        @Override
        public synchronized long ttlNanos() {
            return ttlNanos;
        }
    }

    /**
     * A sliding-window counter in {@value #COUNTER_SLOTS} slots. Most counters (one per occupied
     * cell of {@code knn_global}, one per distinct input) only ever see events in one slot: they keep
     * that slot inline and allocate the {@value #COUNTER_SLOTS} slots when a second slot is used,
     * with the same counts as if they had had them from the start.
     */
    static final class SlidingCounter implements Expiring {
        /** Heap bytes of a counter with one slot: header, three references, three longs. */
        static final int INLINE_BYTES = 48;
        /** Heap bytes of a {@link Members} without its array: header, a reference, an int. */
        static final int MEMBERS_BYTES = 24;
        /** Heap bytes of the two slot arrays, with their headers. */
        static final int SLOTS_BYTES = 2 * (16 + 8 * COUNTER_SLOTS);
        private long[] slotStart;
        private long[] counts;
        private long slot0;
        private long count0;
        /**
         * The members {@link StateOp.CountNewInWindow} remembers; null until the first such count (in
         * an object of its own, so that the counters that never see one stay at {@link #INLINE_BYTES}).
         */
        private Members members;
        private final long ttlNanos;

        /**
         * Pairs of member and the time it was counted, the first {@code count} of them in use. It
         * grows as members come (2 pairs, then doubling, up to {@code maxMembers + 1}: room for one
         * more before the earliest is forgotten), so that a counter that only ever sees a few
         * members (most of {@code knn_global}'s cells) holds room for a few.
         */
        private static final class Members {
            long[] recent;
            int count;
        }

        SlidingCounter(long windowMillis) {
            // two windows after its last count, as in Redis, and TTL_TOLERANCE: the cache skips a
            // renewal that moves the expiry by less than its tolerance (Caffeine 3.3: 1 s), so a
            // counter could otherwise go up to 1 s before its last count has left the window
            this.ttlNanos = Duration.ofMillis(windowMillis).toNanos() * 2 + TTL_TOLERANCE.toNanos();
        }

        /** What a counter is kept beyond two windows after its last count (see the constructor). */
        static final Duration TTL_TOLERANCE = Duration.ofSeconds(2);

        /** The slot (a twelfth of the window, at least 1 ms) that {@code nowMillis} falls in. */
        private static long slot(long nowMillis, long windowMillis) {
            return Math.floorDiv(nowMillis, Math.max(1, windowMillis / COUNTER_SLOTS));
        }

        synchronized long add(long nowMillis, long windowMillis) {
            return count(nowMillis, windowMillis, true);
        }

        /**
         * The count in the window at {@code nowMillis}, this event added when {@code add} (else what
         * adding would give, less one, and nothing changes): the one rule for both, as batch.lua's
         * {@code window}. A one-slot counter takes its slot arrays only when it adds in a second slot.
         */
        private long count(long nowMillis, long windowMillis, boolean add) {
            long slot = slot(nowMillis, windowMillis);
            if (slotStart == null) {
                if (count0 == 0 || slot == slot0) {
                    if (!add) {
                        return count0;
                    }
                    slot0 = slot;
                    return ++count0;
                }
                if (!add) { // as if moved into the slot arrays: kept unless too old or in this slot's place
                    return slot - slot0 < COUNTER_SLOTS
                            && Math.floorMod(slot0, COUNTER_SLOTS) != Math.floorMod(slot, COUNTER_SLOTS) ? count0 : 0;
                }
                slotStart = new long[COUNTER_SLOTS];
                counts = new long[COUNTER_SLOTS];
                int i0 = (int) Math.floorMod(slot0, COUNTER_SLOTS);
                slotStart[i0] = slot0;
                counts[i0] = count0;
            }
            int i = (int) Math.floorMod(slot, COUNTER_SLOTS);
            if (add) {
                if (slotStart[i] != slot) {
                    slotStart[i] = slot;
                    counts[i] = 0;
                }
                counts[i]++;
            }
            long total = 0;
            for (int j = 0; j < COUNTER_SLOTS; j++) {
                // this slot's place counts only if it holds this slot (adding would have cleared it)
                if (j == i ? slotStart[j] == slot : slot - slotStart[j] < COUNTER_SLOTS) {
                    total += counts[j];
                }
            }
            return total;
        }

        /**
         * {@link #add}, unless it would give this counter its slot arrays (a one-slot counter's
         * count in another slot), which changes its weight: then -1 and nothing counted.
         */
        synchronized long addKeepingWeight(long nowMillis, long windowMillis) {
            if (slotStart == null && count0 != 0 && slot(nowMillis, windowMillis) != slot0) {
                return -1;
            }
            return add(nowMillis, windowMillis);
        }

        /** {@link StateOp.CountNewInWindow}: counts unless {@code member} is a recent one (see there). */
        synchronized long addNew(long member, long nowMillis, long windowMillis, int maxMembers) {
            if (members == null) {
                members = new Members();
                members.recent = new long[2 * Math.min(2, maxMembers + 1)];
            }
            long[] recent = members.recent;
            int recentCount = members.count;
            int kept = 0; // forget the members counted a window or more ago
            for (int p = 0; p < recentCount; p++) {
                if (nowMillis - recent[2 * p + 1] < windowMillis) {
                    recent[2 * kept] = recent[2 * p];
                    recent[2 * kept + 1] = recent[2 * p + 1];
                    kept++;
                }
            }
            recentCount = kept;
            for (int p = 0; p < recentCount; p++) {
                if (recent[2 * p] == member) {
                    members.count = recentCount;
                    return count(nowMillis, windowMillis, false);
                }
            }
            if (recent.length < 2 * (recentCount + 1)) { // full: double, up to maxMembers + 1 pairs
                int pairs = Math.max(recentCount + 1, Math.min(maxMembers + 1, recent.length));
                recent = java.util.Arrays.copyOf(recent, 2 * pairs);
            }
            recent[2 * recentCount] = member;
            recent[2 * recentCount + 1] = nowMillis;
            recentCount++;
            while (recentCount > maxMembers) { // forget the earliest, on equal times the smaller member
                int e = 0;
                for (int p = 1; p < recentCount; p++) {
                    long dt = Long.compare(recent[2 * p + 1], recent[2 * e + 1]);
                    if (dt < 0 || dt == 0 && Long.compareUnsigned(recent[2 * p], recent[2 * e]) < 0) {
                        e = p;
                    }
                }
                recentCount--;
                recent[2 * e] = recent[2 * recentCount];
                recent[2 * e + 1] = recent[2 * recentCount + 1];
            }
            if (recent.length > 2 * (maxMembers + 1)) { // maxMembers lowered: hold no more than it says
                recent = java.util.Arrays.copyOf(recent, 2 * (maxMembers + 1));
            }
            members.recent = recent;
            members.count = recentCount;
            return add(nowMillis, windowMillis);
        }

        /**
         * {@link #addNew}, unless it could change this counter's weight (slot arrays for a one-slot
         * counter; no members held yet, no room for one more, or room for more than
         * {@code maxMembers} allows): then -1 and nothing counted or remembered.
         */
        synchronized long addNewKeepingWeight(long member, long nowMillis, long windowMillis, int maxMembers) {
            if (members == null || members.recent.length < 2 * (members.count + 1)
                    || members.recent.length > 2 * (maxMembers + 1)
                    || slotStart == null && count0 != 0 && slot(nowMillis, windowMillis) != slot0) {
                return -1;
            }
            return addNew(member, nowMillis, windowMillis, maxMembers);
        }

        /** Heap bytes of this counter. */
        synchronized int bytes() {
            return (slotStart == null ? INLINE_BYTES : INLINE_BYTES + SLOTS_BYTES)
                    + (members == null ? 0 : MEMBERS_BYTES + 16 + 8 * members.recent.length);
        }

        @Override
        public long ttlNanos() {
            return ttlNanos;
        }
    }
}
