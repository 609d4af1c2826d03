package dev.veil.internal.monitor;

import dev.veil.Level;

/** Checks and applies three-level thresholds (0 = level not used). */
final class Thresholds {
    /** Said with an order error: the values quoted may be defaults the bundle did not write. */
    static final String DEFAULTS_HINT = " (a level left out keeps its default, listed in docs/veil-policy.schema.json; "
            + "set it to 0 to leave it unused)";

    private Thresholds() {}

    /**
     * Checks thresholds for a score that rises with suspicion: each 0 (not used) or in [min, max]
     * ({@code max} may be infinite), at least one used, and low <= medium <= high among those used.
     */
    static void checkRising(double low, double medium, double high, double min, double max, String unit,
            String maxName) {
        checkEach(low, medium, high, min, max, unit, maxName);
        double prev = Double.NEGATIVE_INFINITY;
        for (double t : new double[] {low, medium, high}) {
            if (t != 0 && t < prev) {
                throw new IllegalArgumentException("thresholds must not decrease: low <= medium <= high ("
                        + unit + "), was " + fmt(low) + ", " + fmt(medium) + ", " + fmt(high) + DEFAULTS_HINT);
            }
            prev = t == 0 ? prev : t;
        }
    }

    /**
     * Checks thresholds for a score that falls with suspicion (a distance): each 0 (not used) or
     * positive and finite, at least one used, and low >= medium >= high among those used.
     */
    static void checkFalling(double low, double medium, double high, String unit) {
        checkEach(low, medium, high, 0, Double.POSITIVE_INFINITY, unit, "");
        double prev = Double.POSITIVE_INFINITY;
        for (double t : new double[] {low, medium, high}) {
            if (t != 0 && t > prev) {
                throw new IllegalArgumentException("thresholds are distances and must not increase: low >= medium "
                        + ">= high (" + unit + "), was " + fmt(low) + ", " + fmt(medium) + ", " + fmt(high)
                        + DEFAULTS_HINT);
            }
            prev = t == 0 ? prev : t;
        }
    }

    private static void checkEach(double low, double medium, double high, double min, double max, String unit,
            String maxName) {
        String[] names = {"low", "medium", "high"};
        double[] values = {low, medium, high};
        String range = max == Double.POSITIVE_INFINITY
                ? (min > 0 ? ">= " + fmt(min) : "> 0")
                : "in [" + fmt(min) + ", " + maxName + "]";
        for (int i = 0; i < 3; i++) {
            double v = values[i];
            boolean ok = v == 0 || (Double.isFinite(v) && v >= min && v <= max && (min > 0 || v > 0));
            if (!ok || Double.isNaN(v)) {
                throw new IllegalArgumentException(names[i] + " must be 0 (not used) or " + range + " (" + unit
                        + "), was " + fmt(v));
            }
        }
        if (low == 0 && medium == 0 && high == 0) {
            throw new IllegalArgumentException("set at least one of low, medium, high");
        }
    }

    /** The highest level whose threshold the score reaches (score >= threshold). */
    static Level levelAtLeast(double score, double low, double medium, double high) {
        if (high > 0 && score >= high) {
            return Level.HIGH;
        }
        if (medium > 0 && score >= medium) {
            return Level.MEDIUM;
        }
        if (low > 0 && score >= low) {
            return Level.LOW;
        }
        return Level.NONE;
    }

    /**
     * The highest level whose threshold the distance is strictly below (distance < threshold), as
     * for every lower-is-worse detector that {@code veil calibrate} knows.
     */
    static Level levelBelow(double distance, double low, double medium, double high) {
        if (high > 0 && distance < high) {
            return Level.HIGH;
        }
        if (medium > 0 && distance < medium) {
            return Level.MEDIUM;
        }
        if (low > 0 && distance < low) {
            return Level.LOW;
        }
        return Level.NONE;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }
}
