package dev.veil.internal.monitor;

import dev.veil.Level;

/**
 * The three thresholds of an answer detector's score, read strictly from its configuration. A
 * threshold of 0 means the level is not used; at least one is used. For a score where higher is
 * worse the level is the highest threshold reached ({@code score >= threshold}) and the used
 * thresholds must not decrease from low to high; where lower is worse ({@code lowerIsWorse}) the
 * level is the highest threshold the score falls below ({@code score < threshold}) and they must
 * not increase.
 */
public record AnswerLevels(double low, double medium, double high, boolean lowerIsWorse) {
    public AnswerLevels {
        check(low, medium, high, lowerIsWorse, "low", "medium", "high");
    }

    /** The checks of the constructor, naming the detector's own keys (extraction: delta for high). */
    private static void check(double low, double medium, double high, boolean lowerIsWorse, String lowKey,
            String mediumKey, String highKey) {
        String keys = lowKey + ", " + mediumKey + ", " + highKey;
        if (low == 0 && medium == 0 && high == 0) {
            throw new IllegalArgumentException("set at least one of the " + keys + " thresholds");
        }
        double prev = Double.NaN;
        for (double t : new double[] {low, medium, high}) {
            if (t == 0) {
                continue;
            }
            if (!Double.isNaN(prev) && (lowerIsWorse ? t > prev : t < prev)) {
                String was = ", was " + plain(low) + ", " + plain(medium) + ", " + plain(high) + Thresholds.DEFAULTS_HINT;
                throw new IllegalArgumentException(lowerIsWorse
                        ? "thresholds must not increase: " + lowKey + " >= " + mediumKey + " >= " + highKey + was
                        : "thresholds must not decrease: " + lowKey + " <= " + mediumKey + " <= " + highKey + was);
            }
            prev = t;
        }
    }

    /**
     * Reads {@code lowKey}, {@code mediumKey} and {@code highKey}, each 0 (unused) or in
     * [{@code min}, {@code max}].
     */
    static AnswerLevels read(DetectorConfig c, String lowKey, String mediumKey, String highKey, double[] defaults,
            double min, double max, boolean lowerIsWorse) {
        double low = AnswerLevels.number(c, lowKey, defaults[0], min, max, true);
        double medium = AnswerLevels.number(c, mediumKey, defaults[1], min, max, true);
        double high = AnswerLevels.number(c, highKey, defaults[2], min, max, true);
        check(low, medium, high, lowerIsWorse, lowKey, mediumKey, highKey);
        return new AnswerLevels(low, medium, high, lowerIsWorse);
    }

    /** The level of {@code score} (NONE for NaN). */
    public Level of(double score) {
        if (hit(high, score)) {
            return Level.HIGH;
        }
        if (hit(medium, score)) {
            return Level.MEDIUM;
        }
        if (hit(low, score)) {
            return Level.LOW;
        }
        return Level.NONE;
    }

    private boolean hit(double threshold, double score) {
        return threshold != 0 && (lowerIsWorse ? score < threshold : score >= threshold);
    }

    /** Reads the optional {@code type} key, which must name this detector's type. */
    static void type(DetectorConfig c, String type) {
        String t = c.string("type", type);
        if (!t.equals(type)) {
            throw new IllegalArgumentException("type must be '" + type + "' for this detector, was '" + t + "'");
        }
    }

    /** A number in [min, max] (or 0 when {@code zeroAllowed}). */
    static double number(DetectorConfig c, String key, double dflt, double min, double max, boolean zeroAllowed) {
        double v = c.doubleValue(key, dflt);
        if (!(v >= min && v <= max) && !(zeroAllowed && v == 0)) {
            throw new IllegalArgumentException(key + " must be " + (zeroAllowed ? "0 (level not used) or " : "")
                    + "in [" + plain(min) + ", " + plain(max) + "], was " + plain(v));
        }
        return v;
    }

    /** An integer in [min, max]. */
    static int integer(DetectorConfig c, String key, long dflt, long min, long max) {
        return integer(c, key, dflt, null, min, null, max);
    }

    /**
     * An integer in [min, max], where a bound may be another key's value: {@code minKey} or
     * {@code maxKey} (null for a fixed bound) is named beside it in the error ({@code min_queries must
     * be an integer in [1, window (20)], was 30}), so that {@link BuiltinDetectors#noteDefault} can say
     * when that key was left at its default.
     */
    static int integer(DetectorConfig c, String key, long dflt, String minKey, long min, String maxKey, long max) {
        long v = c.longValue(key, dflt);
        if (v < min || v > max) {
            throw new IllegalArgumentException(key + " must be an integer in [" + bound(minKey, min) + ", "
                    + bound(maxKey, max) + "], was " + v);
        }
        return (int) v;
    }

    private static String bound(String key, long value) {
        return key == null ? Long.toString(value) : key + " (" + value + ")";
    }

    /** The time-to-live of a caller's history, from {@code ttl_seconds} in [60, 30 days]. */
    static long ttlMillis(DetectorConfig c, long dfltSeconds) {
        return 1000L * integer(c, "ttl_seconds", dfltSeconds, 60, 30L * 86_400);
    }

    static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
