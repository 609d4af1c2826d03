package dev.veil.internal.monitor;

import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Query rate and volume: the number of queries in a sliding window, per caller, per tenant or for
 * everybody, compared with three thresholds. Score: queries in the window, this one included.
 *
 * <p>Configuration ({@code monitoring.detectors.<name>}, where the name is {@code rate} or any name
 * with {@code type: rate}): {@code scope} ({@code caller}, {@code tenant} or {@code global};
 * default caller), {@code window_seconds} (default 60), {@code low}, {@code medium}, {@code high}
 * (counts in the window; at least one, non-decreasing; 0 = level not used).
 *
 * <p>State: one sliding-window counter per caller (tenant, or one in all) in the state store.
 */
public final class RateDetector implements StatefulDetector {
    /** What is counted together. */
    public enum Scope {
        CALLER,
        TENANT,
        GLOBAL;

        /**
         * The scope a configuration names: {@code caller}, {@code tenant} or {@code global}, in any
         * letter case, as the engine reads other enum values (docs/policy-reference.md, section 11).
         */
        static Scope of(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "caller" -> CALLER;
                case "tenant" -> TENANT;
                case "global" -> GLOBAL;
                default -> throw new IllegalArgumentException("scope must be caller, tenant or global, was '" + s
                        + "'");
            };
        }

        /**
         * {@code base} and this scope's part of a state key: {@code c:} (the caller's state key
         * follows), {@code t:} (the tenant follows) or {@code g} (the whole key); see {@link #key}.
         */
        String prefix(String base) {
            return switch (this) {
                case CALLER -> base + "c:";
                case TENANT -> base + "t:";
                case GLOBAL -> base + "g";
            };
        }

        /**
         * The key of the stream {@code caller}'s query belongs to, under a {@link #prefix} of this
         * scope: one concatenation at most, so that it costs a request nothing it did not before.
         * Callers without a tenant are the one tenant {@code ""}.
         */
        String key(String prefix, dev.veil.Caller caller) {
            return switch (this) {
                case CALLER -> prefix.concat(dev.veil.internal.state.StateKeys.of(caller));
                case TENANT -> prefix.concat(caller.tenant());
                case GLOBAL -> prefix;
            };
        }

        /**
         * What a {@code what} (count, share) over this scope's stream is when it is one for many
         * callers, for {@link StatefulDetector#sharedScore}: {@code null} for {@code caller}.
         */
        String sharedScore(String what) {
            return switch (this) {
                case CALLER -> null;
                case TENANT -> "one " + what + " over each tenant's queries (scope: tenant)";
                case GLOBAL -> "one " + what + " over everybody's queries (scope: global)";
            };
        }
    }

    /**
     * Parsed configuration.
     *
     * @param scope what is counted together
     * @param windowSeconds window length
     * @param low count at which the level becomes low (0: never)
     * @param medium count at which it becomes medium (0: never)
     * @param high count at which it becomes high (0: never)
     */
    public record Config(Scope scope, long windowSeconds, long low, long medium, long high) {
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
        }

        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "scope", "window_seconds", "low", "medium", "high");

        /** Reads the configuration map; unknown keys (first) and wrong types are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig("rate", m, KEYS);
            c.string("type", "rate");
            return new Config(Scope.of(c.string("scope", "caller")), c.longValue("window_seconds", 60),
                    c.longValue("low", 0), c.longValue("medium", 0), c.longValue("high", 0));
        }
    }

    private final String name;
    private final Config config;
    private final long windowMillis;
    /** The counter's key's prefix ({@link Scope#prefix}): {@code rate:<name>:c:}, {@code :t:} or {@code :g}. */
    private final String keyPrefix;

    public RateDetector(String name, Config config) {
        this.name = name;
        this.config = config;
        this.windowMillis = config.windowSeconds() * 1000;
        this.keyPrefix = config.scope().prefix("rate:" + name + ":");
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Object plan(Query q, List<StateOp> ops) {
        ops.add(new StateOp.CountInWindow(config.scope().key(keyPrefix, q.caller()), q.timeMillis(), windowMillis));
        return null;
    }

    @Override
    public String sharedScore() {
        return config.scope().sharedScore("count");
    }

    @Override
    public Signal evaluate(Query q, Object context, Object[] results, int from) {
        long count = (Long) results[from];
        return new Signal(name, level(count), count);
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
    public boolean readsFeaturesInRecord() {
        return false;
    }

    @Override
    public long bytesPerQuery() {
        return 0; // a counter per caller, not per query
    }
}
