package dev.veil.rego.internal.builtins;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * What a builtin may know about the evaluation it runs in. One context per evaluation (a single
 * thread), so {@link #cache()} needs no locking.
 */
public interface BuiltinContext {
    /**
     * The evaluation's clock, in nanoseconds since the Unix epoch, fixed for the whole evaluation
     * (OPA's {@code time.now_ns()} returns the same value throughout one query).
     */
    long nowNanos();

    /** True when builtin errors halt evaluation instead of making the call undefined. */
    boolean strict();

    /** The random source for {@code rand.intn} and {@code uuid.rfc4122}. */
    Random random();

    /**
     * A per-evaluation cache for builtins that want to compute something once per evaluation
     * (e.g. {@code rand.intn} returns the same value for the same arguments within a query). Keys
     * should be prefixed with the builtin's name.
     */
    Map<String, Object> cache();

    /** A plain context: a fixed clock, the given strictness and random source, a fresh cache. */
    static BuiltinContext of(long nowNanos, boolean strict, Random random) {
        Map<String, Object> cache = new HashMap<>();
        return new BuiltinContext() {
            @Override
            public long nowNanos() {
                return nowNanos;
            }

            @Override
            public boolean strict() {
                return strict;
            }

            @Override
            public Random random() {
                return random;
            }

            @Override
            public Map<String, Object> cache() {
                return cache;
            }
        };
    }
}
