package dev.veil.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a valid input looks like. Finiteness (no NaN, no infinity) is always required.
 *
 * @param shape the expected shape, e.g. {@code [28, 28]}; the feature vector must have the product
 *     of its dimensions as length, at most {@link Integer#MAX_VALUE}. Empty: any length.
 * @param min lowest allowed value of every feature ({@code -Infinity}: none)
 * @param max highest allowed value of every feature ({@code +Infinity}: none)
 * @param features per named feature: required or not, and its own range
 * @param allowUnknownFeatures whether named features not listed in {@code features} are accepted
 * @param crossField rules over several named features, e.g. {@code loan <= 10 * income}
 * @param maxPayloadBytes largest accepted request ({@code 0}: no limit)
 * @param distribution the distance-from-training-distribution check, or {@code null}
 */
public record InputContract(
        List<Integer> shape,
        double min,
        double max,
        Map<String, FeatureSpec> features,
        boolean allowUnknownFeatures,
        List<CrossFieldRule> crossField,
        long maxPayloadBytes,
        DistributionCheck distribution) {

    /**
     * One named feature.
     *
     * @param required whether a request must carry it (a missing or NaN value is refused)
     * @param min lowest allowed value
     * @param max highest allowed value
     */
    public record FeatureSpec(boolean required, double min, double max) {
        public FeatureSpec {
            if (Double.isNaN(min) || Double.isNaN(max) || min > max) {
                throw new IllegalArgumentException("feature range needs min <= max, was [" + min + ", " + max + "]");
            }
        }
    }

    /**
     * A rule over several named features.
     *
     * @param id rule id, reported when it fails
     * @param expr a comparison of arithmetic expressions over feature names, e.g.
     *     {@code loan_amount <= 10 * income and age >= 18}
     */
    public record CrossFieldRule(String id, String expr) {
        public CrossFieldRule {
            Objects.requireNonNull(id, "cross_field.id");
            Objects.requireNonNull(expr, "cross_field.expr");
        }
    }

    /**
     * Distance from the training distribution. Statistics come from the bundle's data.
     *
     * @param mean per-feature training mean
     * @param std per-feature training standard deviation (floored at {@code stdFloor})
     * @param stdFloor smallest standard deviation used when dividing, {@code > 0}
     * @param maxAbsZ reject when any feature's |z| exceeds this ({@code 0}: off)
     * @param maxRmsZ reject when the diagonal Mahalanobis distance divided by sqrt(d) exceeds this
     *     ({@code 0}: off)
     * @param summary allowed ranges of whole-input statistics ({@code mean}, {@code std},
     *     {@code roughness}: mean absolute difference of neighbouring features) as seen in training;
     *     catches blank, saturated and noise probes that per-feature scores miss
     * @param stats the dotted data path the statistics were read from ({@code training.stats}), as the
     *     decision document's {@code contract.distribution.stats} reports it; {@code null} for
     *     statistics built in code
     * @param names the features' names, in the order of {@code mean}, when the statistics name them
     *     ({@code veil stats --csv FILE --header}), else {@code null}: a named request must then carry
     *     the features they describe in this order, and one that does not is refused
     */
    public record DistributionCheck(
            double[] mean, double[] std, double stdFloor, double maxAbsZ, double maxRmsZ,
            Map<String, double[]> summary, String stats, List<String> names) {
        /** A check whose statistics were built in code, not read from a data path. */
        public DistributionCheck(double[] mean, double[] std, double stdFloor, double maxAbsZ, double maxRmsZ,
                Map<String, double[]> summary) {
            this(mean, std, stdFloor, maxAbsZ, maxRmsZ, summary, null, null);
        }

        /** A check whose statistics do not name their features. */
        public DistributionCheck(double[] mean, double[] std, double stdFloor, double maxAbsZ, double maxRmsZ,
                Map<String, double[]> summary, String stats) {
            this(mean, std, stdFloor, maxAbsZ, maxRmsZ, summary, stats, null);
        }

        /** The same check, reporting {@code dataPath} as where its statistics come from. */
        public DistributionCheck withStats(String dataPath) {
            return new DistributionCheck(mean, std, stdFloor, maxAbsZ, maxRmsZ, summary, dataPath, names);
        }

        /**
         * Why a positive std_floor below {@link Double#MIN_NORMAL} is refused: {@code 1 / std_floor}
         * overflows, so a value at its feature's mean would score {@code 0 * infinity = NaN}.
         */
        public static final String STD_FLOOR_TOO_SMALL = "must be at least " + Double.MIN_NORMAL
                + " (below it 1 / std_floor overflows and z-scores are infinite or NaN)";

        public DistributionCheck {
            Objects.requireNonNull(mean, "distribution.mean");
            Objects.requireNonNull(std, "distribution.std");
            if (mean.length != std.length) {
                throw new IllegalArgumentException("distribution mean and std must have the same length, was "
                        + mean.length + " and " + std.length);
            }
            if (!(stdFloor > 0)) {
                throw new IllegalArgumentException("distribution.std_floor must be > 0, was " + stdFloor);
            }
            if (stdFloor < Double.MIN_NORMAL) {
                throw new IllegalArgumentException("distribution.std_floor " + STD_FLOOR_TOO_SMALL + ", was " + stdFloor);
            }
            if (!(maxAbsZ >= 0) || !(maxRmsZ >= 0)) {
                throw new IllegalArgumentException("distribution bounds must be >= 0 (0 = off)");
            }
            summary = summary == null ? Map.of() : Map.copyOf(summary);
            if (names != null) {
                names = List.copyOf(names);
                if (names.size() != mean.length) {
                    throw new IllegalArgumentException("distribution names must name each of the " + mean.length
                            + " features once, had " + names.size() + " names");
                }
            }
            for (Map.Entry<String, double[]> e : summary.entrySet()) {
                if (!List.of("mean", "std", "roughness").contains(e.getKey())) {
                    throw new IllegalArgumentException("distribution.summary key must be one of mean, std, roughness, was '"
                            + e.getKey() + "'");
                }
                double[] r = e.getValue();
                if (r == null || r.length != 2 || !(r[0] <= r[1])) {
                    throw new IllegalArgumentException("distribution.summary." + e.getKey() + " must be [low, high]");
                }
            }
        }
    }

    public InputContract {
        shape = shape == null ? List.of() : List.copyOf(shape);
        long size = 1;
        for (Integer d : shape) {
            if (d == null || d < 1) {
                throw new IllegalArgumentException("shape dimensions must be >= 1, was " + shape);
            }
            size = size * d; // at most Integer.MAX_VALUE squared before the check below: no overflow
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(tooLarge(shape));
            }
        }
        if (Double.isNaN(min) || Double.isNaN(max) || min > max) {
            throw new IllegalArgumentException("range needs min <= max, was [" + min + ", " + max + "]");
        }
        features = features == null ? Map.of() : Map.copyOf(features);
        String names = dev.veil.internal.validation.FeatureNames.contractNamesProblem(
                new java.util.TreeSet<>(features.keySet()));
        if (names != null) {
            throw new IllegalArgumentException(names);
        }
        crossField = crossField == null ? List.of() : List.copyOf(crossField);
        if (maxPayloadBytes < 0) {
            throw new IllegalArgumentException("max_payload_bytes must be >= 0 (0 = no limit), was " + maxPayloadBytes);
        }
    }

    /** Number of features the shape implies, or -1 when any length is accepted. */
    public int dimension() {
        if (shape.isEmpty()) {
            return -1;
        }
        int p = 1;
        for (int d : shape) {
            p = Math.multiplyExact(p, d); // the constructor refused products above Integer.MAX_VALUE
        }
        return p;
    }

    private static String tooLarge(List<Integer> shape) {
        return "the shape " + shape + " holds more than " + Integer.MAX_VALUE + " values (the largest array a "
                + "Java vector can hold); check its dimensions";
    }

    /** Accepts any finite input. */
    public static final InputContract ANY = new InputContract(
            List.of(), Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, Map.of(), true, List.of(), 0, null);
}
