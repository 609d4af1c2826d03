package dev.veil.internal.monitor;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Strict reading of one detector's configuration map: wrong types and unknown keys are errors. */
final class DetectorConfig {
    private final String detector;
    private final Map<String, Object> values;
    private final Set<String> read = new HashSet<>();

    DetectorConfig(String detector, Map<String, Object> values) {
        this.detector = detector;
        this.values = values == null ? Map.of() : values;
    }

    long longValue(String key, long dflt) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw new IllegalArgumentException(key + " must be an integer, was " + describe(v));
    }

    int intValue(String key, int dflt) {
        long v = longValue(key, dflt);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(key + " must be an integer between " + Integer.MIN_VALUE + " and "
                    + Integer.MAX_VALUE + ", was " + v);
        }
        return (int) v;
    }

    double doubleValue(String key, double dflt) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n && !Double.isNaN(n.doubleValue())) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(key + " must be a number, was " + describe(v));
    }

    String string(String key, String dflt) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(key + " must be a string, was " + describe(v));
    }

    boolean bool(String key, boolean dflt) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(key + " must be true or false, was " + describe(v));
    }

    void rejectUnknown() {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(read);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown key(s) " + unknown + " for detector '" + detector
                    + "' (known keys: " + new TreeSet<>(read) + ")");
        }
    }

    private static String describe(Object v) {
        return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }
}
