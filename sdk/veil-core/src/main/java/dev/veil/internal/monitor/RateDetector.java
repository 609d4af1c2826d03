package dev.veil.internal.monitor;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.spi.Detector;
import dev.veil.spi.Query;
import java.time.Duration;
import java.util.Map;

/**
 * Query rate and volume per caller: the number of the caller's queries in a sliding window,
 * compared with three thresholds. Score: queries in the window.
 *
 * <p>Configuration ({@code monitoring.detectors.rate}): {@code window_seconds} (default 60),
 * {@code low}, {@code medium}, {@code high} (counts in the window; at least one, non-decreasing),
 * {@code max_callers} (default 100,000; the least recently seen caller's window is evicted first).
 *
 * <p>State: per caller, {@value #SLOTS} sub-window counters (about 250 bytes). The window slides
 * in steps of {@code window / }{@value #SLOTS}. Thread-safe: a caller's counters are updated under
 * that caller's own lock, so callers never contend with each other.
 */
public final class RateDetector implements Detector {
    static final int SLOTS = 12;
    private static final long BYTES_PER_CALLER = 2L * SLOTS * 8 + 64 + 80;

    /**
     * Parsed configuration.
     *
     * @param windowSeconds window length
     * @param low count at which the level becomes low (0: never)
     * @param medium count at which it becomes medium (0: never)
     * @param high count at which it becomes high (0: never)
     * @param maxCallers callers remembered at most
     */
    public record Config(long windowSeconds, long low, long medium, long high, long maxCallers) {
        public Config {
            if (windowSeconds < 1 || windowSeconds > 86_400) {
                throw new IllegalArgumentException("window_seconds must be in [1, 86400], was " + windowSeconds);
            }
            if (low < 0 || medium < 0 || high < 0) {
                throw new IllegalArgumentException("thresholds must be >= 0 (0 = level not used)");
            }
            if (low == 0 && medium == 0 && high == 0) {
                throw new IllegalArgumentException("set at least one of low, medium, high");
            }
            long prev = 0;
            for (long t : new long[] {low, medium, high}) {
                if (t != 0 && t < prev) {
                    throw new IllegalArgumentException("thresholds must not decrease: low <= medium <= high, was "
                            + low + ", " + medium + ", " + high);
                }
                prev = t == 0 ? prev : t;
            }
            if (maxCallers < 1) {
                throw new IllegalArgumentException("max_callers must be >= 1, was " + maxCallers);
            }
        }

        /** Reads {@code monitoring.detectors.rate}; unknown keys and wrong types are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig("rate", m);
            Config cfg = new Config(c.longValue("window_seconds", 60), c.longValue("low", 0), c.longValue("medium", 0),
                    c.longValue("high", 0), c.longValue("max_callers", 100_000));
            c.rejectUnknown();
            return cfg;
        }
    }

    private static final class Window {
        final long[] slotStart = new long[SLOTS];
        final long[] counts = new long[SLOTS];
    }

    private final Config config;
    private final long slotMillis;
    private final Cache<String, Window> windows;

    public RateDetector(Config config) {
        this.config = config;
        this.slotMillis = Math.max(1, config.windowSeconds() * 1000 / SLOTS);
        this.windows = Caffeine.newBuilder()
                .maximumSize(config.maxCallers())
                .expireAfterAccess(Duration.ofSeconds(config.windowSeconds() * 2))
                // Maintenance on the calling thread, as the other caches do: with the default
                // executor every few reads hand a task to ForkJoinPool.commonPool and wake one of
                // its threads, a system call on the request path and a third busy thread.
                .executor(Runnable::run)
                .build();
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return "rate";
    }

    @Override
    public Signal observe(Query q) {
        Window w = windows.get(q.caller().id(), k -> new Window());
        long slot = Math.floorDiv(q.timeMillis(), slotMillis);
        long count;
        synchronized (w) {
            int i = (int) Math.floorMod(slot, SLOTS);
            if (w.slotStart[i] != slot) {
                w.slotStart[i] = slot;
                w.counts[i] = 0;
            }
            w.counts[i]++;
            count = 0;
            for (int j = 0; j < SLOTS; j++) {
                if (slot - w.slotStart[j] < SLOTS) {
                    count += w.counts[j];
                }
            }
        }
        return new Signal("rate", level(count), count);
    }

    private Level level(long count) {
        if (config.high() > 0 && count >= config.high()) {
            return Level.HIGH;
        }
        if (config.medium() > 0 && count >= config.medium()) {
            return Level.MEDIUM;
        }
        if (config.low() > 0 && count >= config.low()) {
            return Level.LOW;
        }
        return Level.NONE;
    }

    @Override
    public long stateBytes() {
        return windows.estimatedSize() * BYTES_PER_CALLER;
    }
}
