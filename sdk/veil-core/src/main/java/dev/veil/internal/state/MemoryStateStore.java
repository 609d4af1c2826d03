package dev.veil.internal.state;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.veil.internal.access.CallerLimiter;
import dev.veil.internal.output.PrivacyLedger;
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
 * <p>Monitoring state (windows, lists, the fingerprint index) lives in weighted caches that share
 * the cap and evict the least recently used entries first (an idle caller's history goes before an
 * active one's); each entry also expires after its time to live. Rate buckets and blocks live in a
 * {@link CallerLimiter}, spent privacy budget in a {@link PrivacyLedger}: both refuse new callers
 * rather than forget state that protects (see their Javadoc).
 *
 * <p>Thread-safe; each operation takes at most the lock of the one entry it touches.
 */
public final class MemoryStateStore implements StateStore {
    /** Share of the cap for lists (detector histories), counters and the fingerprint index. */
    private static final double LIST_SHARE = 0.6;
    private static final double COUNTER_SHARE = 0.1;
    private static final double INDEX_SHARE = 0.3;
    private static final int COUNTER_SLOTS = 12;

    private final long maxBytes;
    private final CallerLimiter limiter;
    private final Clock clock;
    private final int maxCallers;
    private final Cache<String, BoundedList> lists;
    private final Cache<String, SlidingCounter> counters;
    private final Cache<String, FingerprintIndex> index;
    private final long maxIndexBytes;
    private static final ThreadLocal<FingerprintIndex.Scratch> SCRATCH =
            ThreadLocal.withInitial(FingerprintIndex.Scratch::new);
    private volatile PrivacyLedger ledger;
    private volatile GuardSettings.PrivacyBudget ledgerBudget;

    /**
     * A store.
     *
     * @param maxBytes memory cap for monitoring state, {@code >= 1 MiB}
     * @param clock the Guard's clock (rate buckets, quota days, budget periods)
     * @param maxCallers bound on callers with rate, block or budget state
     */
    public MemoryStateStore(long maxBytes, Clock clock, int maxCallers) {
        if (maxBytes < (1 << 20)) {
            throw new IllegalArgumentException("state memory cap must be >= 1 MiB, was " + maxBytes + " bytes");
        }
        this.maxBytes = maxBytes;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxCallers = maxCallers;
        this.limiter = new CallerLimiter(clock, maxCallers, CallerLimiter.DEFAULT_IDLE, maxCallers);
        this.lists = Caffeine.newBuilder()
                .maximumWeight((long) (maxBytes * LIST_SHARE))
                .weigher((String k, BoundedList v) -> v.weight(k))
                .expireAfter(new TtlExpiry<BoundedList>())
                .executor(Runnable::run)
                .build();
        this.counters = Caffeine.newBuilder()
                .maximumWeight((long) (maxBytes * COUNTER_SHARE))
                .weigher((String k, SlidingCounter v) -> 2 * k.length() + SlidingCounter.BYTES)
                .expireAfter(new TtlExpiry<SlidingCounter>())
                .executor(Runnable::run)
                .build();
        // one index may take half the index share: a single busy (global) index never crowds out every other
        this.maxIndexBytes = (long) (maxBytes * INDEX_SHARE / 2);
        this.index = Caffeine.newBuilder()
                .maximumWeight((long) (maxBytes * INDEX_SHARE))
                .weigher((String k, FingerprintIndex v) -> (int) Math.min(Integer.MAX_VALUE, indexWeight(k, v)))
                .expireAfter(new TtlExpiry<FingerprintIndex>())
                .executor(Runnable::run)
                .build();
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Object[] execute(StateOp... ops) {
        Object[] out = new Object[ops.length];
        for (int i = 0; i < ops.length; i++) {
            out[i] = apply(ops[i]);
        }
        return out;
    }

    @Override
    public void submit(StateOp... ops) {
        for (StateOp op : ops) {
            if (op instanceof StateOp.ListAppend a) {
                // Nobody reads the previous entries of a submitted append: skip copying them.
                lists.asMap().compute(a.key(), (k, l) -> {
                    BoundedList list = l == null ? new BoundedList() : l;
                    list.append(a.value(), a.maxLength(), a.ttlMillis());
                    return list;
                });
            } else {
                apply(op);
            }
        }
    }

    private Object apply(StateOp op) {
        if (op instanceof StateOp.BlockedUntil b) {
            return limiter.blockedUntil(b.caller()).map(Instant::toEpochMilli).orElse(0L);
        } else if (op instanceof StateOp.Block b) {
            limiter.block(b.caller(), Instant.ofEpochMilli(b.untilMillis()));
            return null;
        } else if (op instanceof StateOp.Throttle t) {
            limiter.throttle(t.caller(), t.perSecond(), Instant.ofEpochMilli(t.untilMillis()));
            return null;
        } else if (op instanceof StateOp.Acquire a) {
            return switch (limiter.tryAcquire(a.caller(), a.limit(), a.dailyQuota())) {
                case ALLOWED -> StateOp.Permit.ALLOWED;
                case RATE_LIMITED -> StateOp.Permit.RATE_LIMITED;
                case QUOTA_EXHAUSTED -> StateOp.Permit.QUOTA_EXHAUSTED;
            };
        } else if (op instanceof StateOp.Charge c) {
            return charge(c);
        } else if (op instanceof StateOp.CountInWindow c) {
            SlidingCounter counter = counters.get(c.key(), k -> new SlidingCounter(c.windowMillis()));
            return counter.add(c.nowMillis(), c.windowMillis());
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
                    ledger = new PrivacyLedger(c.budget(), clock, maxCallers);
                } else if (!c.budget().equals(ledgerBudget)) {
                    ledger.withBudget(c.budget());
                }
                ledgerBudget = c.budget();
                l = ledger;
            }
        }
        return switch (l.charge(c.caller(), c.epsilon(), c.delta()).status()) {
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
            FingerprintIndex idx = i == null ? new FingerprintIndex(maxIndexBytes) : i;
            match[0] = idx.add(f.hashes(), f.member(), f.maxMembersPerHash(), ttlNanos, System.nanoTime(), scratch);
            return idx;
        });
        return match[0];
    }

    /** Bytes of an index with its key (a string: header, array header and one byte a Latin-1 character). */
    private static long indexWeight(String key, FingerprintIndex v) {
        return v.bytes() + 24 + ((16L + 2L * key.length() + 7) & ~7L);
    }

    @Override
    public long bytesUsed() {
        long b = 0;
        for (var e : lists.asMap().entrySet()) {
            b += e.getValue().weight(e.getKey());
        }
        for (var e : index.asMap().entrySet()) {
            b += indexWeight(e.getKey(), e.getValue());
        }
        b += counters.estimatedSize() * SlidingCounter.BYTES;
        return b;
    }

    /** The memory cap. */
    public long maxBytes() {
        return maxBytes;
    }

    @Override
    public void close() {
        lists.invalidateAll();
        counters.invalidateAll();
        index.invalidateAll();
    }

    /** Entries expire after the time to live their last write asked for. */
    private static final class TtlExpiry<V extends Expiring> implements Expiry<String, V> {
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
            return currentDuration;
        }
    }

    interface Expiring {
        long ttlNanos();
    }

    /** A bounded list of byte arrays, oldest first. Guarded by the cache's compute lock or its own monitor. */
    static final class BoundedList implements Expiring {
        private final ArrayDeque<byte[]> items = new ArrayDeque<>();
        private long bytes;
        private long ttlNanos = Duration.ofHours(1).toNanos();

        synchronized List<byte[]> appendReturningPrevious(byte[] value, int maxLength, long ttlMillis) {
            List<byte[]> before = new ArrayList<>(items);
            append(value, maxLength, ttlMillis);
            return before;
        }

        synchronized void append(byte[] value, int maxLength, long ttlMillis) {
            items.addLast(value);
            bytes += value.length;
            while (items.size() > maxLength) {
                bytes -= items.removeFirst().length;
            }
            ttlNanos = Duration.ofMillis(ttlMillis).toNanos();
        }

        synchronized List<byte[]> snapshot() {
            return new ArrayList<>(items);
        }

        synchronized int weight(String key) {
            return (int) Math.min(Integer.MAX_VALUE, 2L * key.length() + bytes + 16L * items.size() + 64);
        }

        @Override
        public synchronized long ttlNanos() {
            return ttlNanos;
        }
    }

    /** A sliding-window counter in {@value #COUNTER_SLOTS} slots. */
    static final class SlidingCounter implements Expiring {
        static final int BYTES = 2 * COUNTER_SLOTS * 8 + 64;
        private final long[] slotStart = new long[COUNTER_SLOTS];
        private final long[] counts = new long[COUNTER_SLOTS];
        private final long ttlNanos;

        SlidingCounter(long windowMillis) {
            this.ttlNanos = Duration.ofMillis(windowMillis).toNanos() * 2;
        }

        synchronized long add(long nowMillis, long windowMillis) {
            long slotMillis = Math.max(1, windowMillis / COUNTER_SLOTS);
            long slot = Math.floorDiv(nowMillis, slotMillis);
            int i = (int) Math.floorMod(slot, COUNTER_SLOTS);
            if (slotStart[i] != slot) {
                slotStart[i] = slot;
                counts[i] = 0;
            }
            counts[i]++;
            long total = 0;
            for (int j = 0; j < COUNTER_SLOTS; j++) {
                if (slot - slotStart[j] < COUNTER_SLOTS) {
                    total += counts[j];
                }
            }
            return total;
        }

        @Override
        public long ttlNanos() {
            return ttlNanos;
        }
    }
}
