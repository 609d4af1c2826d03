package dev.veil.internal.monitor;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict reading of one detector's configuration map: wrong types and unknown keys are errors.
 * The detector declares every key it reads, and unknown keys are reported when the map is taken,
 * before any value is read: a misspelt key ({@code hi} for {@code high}) is named as such instead of
 * surfacing as a missing or out-of-range value.
 */
final class DetectorConfig {
    private final Set<String> known;
    private final Map<String, Object> values;

    /**
     * Takes a configuration map.
     *
     * @param detector the detector type, for messages
     * @param values the map ({@code null} is empty)
     * @param known every key the detector reads
     * @throws IllegalArgumentException naming the keys of {@code values} that are not in {@code known}
     */
    DetectorConfig(String detector, Map<String, Object> values, Set<String> known) {
        this.known = known;
        this.values = values == null ? Map.of() : values;
        rejectUnknown(detector, this.values, known);
    }

    /**
     * Throws when {@code values} has a key outside {@code known}:
     * {@code unknown key(s) [hi] for detector 'rate' (known keys: [high, low, ...])}.
     */
    static void rejectUnknown(String detector, Map<String, ?> values, Set<String> known) {
        if (values == null) {
            return;
        }
        Set<String> unknown = new TreeSet<>();
        for (Object k : values.keySet()) {
            if (!known.contains(String.valueOf(k))) {
                unknown.add(String.valueOf(k));
            }
        }
        if (!unknown.isEmpty()) {
            // thresholds (a data path) is resolved before the detector reads its map, so its own key
            // set lacks it; every built-in detector takes it.
            Set<String> listed = new TreeSet<>(known);
            listed.add(BuiltinDetectors.THRESHOLDS_KEY);
            throw new IllegalArgumentException("unknown key(s) " + unknown + " for detector '" + detector
                    + "' (known keys: " + listed + ")");
        }
    }

    /** A key the detector reads must be one it declared (else the unknown-key check would be wrong). */
    private Object get(String key) {
        if (!known.contains(key)) {
            throw new IllegalStateException("detector config key '" + key + "' is read but not declared");
        }
        return values.get(key);
    }

    long longValue(String key, long dflt) {
        Object v = get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        if (v instanceof java.math.BigInteger) { // an integer, but beyond a long (as YAML and JSON give it)
            throw outOfRange(key, Long.MIN_VALUE, Long.MAX_VALUE, v);
        }
        throw new IllegalArgumentException(key + " must be an integer, was " + describe(v));
    }

    int intValue(String key, int dflt) {
        if (get(key) instanceof java.math.BigInteger b) {
            throw outOfRange(key, Integer.MIN_VALUE, Integer.MAX_VALUE, b);
        }
        long v = longValue(key, dflt);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw outOfRange(key, Integer.MIN_VALUE, Integer.MAX_VALUE, v);
        }
        return (int) v;
    }

    private static IllegalArgumentException outOfRange(String key, long min, long max, Object v) {
        return new IllegalArgumentException(key + " must be an integer between " + min + " and " + max + ", was " + v);
    }

    double doubleValue(String key, double dflt) {
        Object v = get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n && !Double.isNaN(n.doubleValue())) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(key + " must be a number, was " + describe(v));
    }

    String string(String key, String dflt) {
        Object v = get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(key + " must be a string, was " + describe(v));
    }

    boolean bool(String key, boolean dflt) {
        Object v = get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(key + " must be true or false, was " + describe(v));
    }

    /**
     * A pair of finite numbers {@code [low, high]} with low < high, or {@code null} when the key is
     * absent.
     */
    double[] range(String key) {
        Object v = get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof java.util.List<?> l && l.size() == 2 && l.get(0) instanceof Number a
                && l.get(1) instanceof Number b && Double.isFinite(a.doubleValue()) && Double.isFinite(b.doubleValue())
                && a.doubleValue() < b.doubleValue()) {
            return new double[] {a.doubleValue(), b.doubleValue()};
        }
        throw new IllegalArgumentException(key + " must be a list of two finite numbers [low, high] with low < high, "
                + "was " + describe(v));
    }

    private static String describe(Object v) {
        return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }
}
