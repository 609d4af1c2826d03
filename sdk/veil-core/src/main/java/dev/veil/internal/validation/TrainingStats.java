package dev.veil.internal.validation;

import dev.veil.spi.InputContract.DistributionCheck;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Training-distribution statistics for the distribution check ({@link DistributionCheck}):
 * per-feature mean and population standard deviation, and the ranges of three whole-input summary
 * statistics seen in training.
 *
 * <p>Summary statistics of one input {@code x} of {@code d} values: {@code mean} (mean of the
 * values), {@code std} (their population standard deviation) and {@code roughness} (mean of
 * {@code |x_i - x_(i-1)|} over the {@code d - 1} neighbouring pairs; 0 when {@code d == 1}). The
 * same definitions are checked per request by {@link CompiledContract}; see there for why they
 * catch blank, saturated and noise probes.
 *
 * <p>The document stored in a bundle's {@code data.json} ({@link #toData()}, read back by
 * {@link #fromData}):
 *
 * <pre>
 * {"names": [n_0, ..., n_(d-1)],
 *  "mean": [m_0, ..., m_(d-1)], "std": [s_0, ..., s_(d-1)],
 *  "summary": {"mean": [lo, hi], "std": [lo, hi], "roughness": [lo, hi]},
 *  "samples": N}
 * </pre>
 *
 * <p>{@code names} is optional: the statistics of named features ({@code veil stats --csv --header})
 * name them, in name order ({@link String#compareTo}), the order in which
 * {@link dev.veil.Features#named(java.util.Map)} puts a request's features. The vector is read by
 * position, so statistics of named features in another order would compare each feature with
 * another's mean and spread; {@link #fromData} therefore refuses names out of name order or other
 * than the contract's features. Statistics without names are read in their own order, unchecked.
 *
 * <p>Immutable and thread-safe; accessors return copies.
 */
public final class TrainingStats {
    private static final List<String> SUMMARY_KEYS = List.of("mean", "std", "roughness");
    private static final Set<String> TOP_KEYS = Set.of("names", "mean", "std", "summary", "samples");

    private final List<String> names; // empty: unnamed; else one per feature, in name order
    private final double[] mean;
    private final double[] std;
    private final double[][] ranges; // per SUMMARY_KEYS: [low, high]
    private final long samples;

    /**
     * A statistics document {@link #fromData} cannot use, naming the offending field so that a
     * loader can point at it in the data file. The message starts with the document's
     * {@code where}, as every {@link #fromData} error does.
     */
    public static final class FieldException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String field;

        FieldException(String where, String field, String message) {
            super(where + ": " + message);
            this.field = field;
        }

        /**
         * The offending field as a path inside the document: {@code std[0]}, {@code summary.mean},
         * {@code names}; {@code ""} for the document as a whole.
         */
        public String field() {
            return field;
        }
    }

    private TrainingStats(List<String> names, double[] mean, double[] std, double[][] ranges, long samples) {
        this.names = names;
        this.mean = mean;
        this.std = std;
        this.ranges = ranges;
        this.samples = samples;
    }

    /**
     * Computes the statistics in one pass over the samples: per-feature mean and population
     * standard deviation with Welford's update, and for each summary statistic the range between
     * its {@code quantileLow} and {@code quantileHigh} quantiles over the samples (linear
     * interpolation between order statistics), widened by 10% of that range on each side (a margin
     * for honest inputs just beyond what the samples held); the lower bounds of {@code std} and
     * {@code roughness}, which cannot be negative, at least 0.
     *
     * @param samples training inputs, all of the same length {@code >= 1}, all values finite;
     *     iterated once
     * @param quantileLow lower quantile, in {@code [0, 1)}, e.g. {@code 0.001}
     * @param quantileHigh upper quantile, in {@code (quantileLow, 1]}, e.g. {@code 0.999}
     * @return the statistics
     * @throws IllegalArgumentException for bad quantiles, no samples, a null or empty sample, a
     *     sample of another length than the first, or a value that is not finite (naming the sample
     *     and feature index)
     */
    public static TrainingStats compute(Iterable<double[]> samples, double quantileLow, double quantileHigh) {
        if (!(quantileLow >= 0 && quantileLow < 1)) {
            throw new IllegalArgumentException("quantileLow must be in [0, 1), was " + quantileLow);
        }
        if (!(quantileHigh > quantileLow && quantileHigh <= 1)) {
            throw new IllegalArgumentException("quantileHigh must be in (quantileLow, 1] = (" + quantileLow
                    + ", 1], was " + quantileHigh);
        }
        if (samples == null) {
            throw new IllegalArgumentException("samples must not be null");
        }
        double[] mean = null;
        double[] m2 = null;
        double[][] summaries = new double[SUMMARY_KEYS.size()][64];
        int n = 0;
        for (double[] x : samples) {
            if (x == null || x.length == 0) {
                throw new IllegalArgumentException("sample " + n + " must have at least one value, was "
                        + (x == null ? "null" : "empty"));
            }
            if (mean == null) {
                mean = new double[x.length];
                m2 = new double[x.length];
            } else if (x.length != mean.length) {
                throw new IllegalArgumentException("sample " + n + " has " + x.length
                        + " values, but the first sample had " + mean.length + "; all samples must have one length");
            }
            for (int i = 0; i < x.length; i++) {
                if (!Double.isFinite(x[i])) {
                    throw new IllegalArgumentException("sample " + n + " value " + i + " must be finite, was " + x[i]);
                }
            }
            if (n == Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("samples must number fewer than " + n);
            }
            n++;
            for (int i = 0; i < x.length; i++) {
                double delta = x[i] - mean[i];
                mean[i] += delta / n;
                m2[i] += delta * (x[i] - mean[i]);
            }
            double[] s = summaries(x);
            if (n > summaries[0].length) {
                for (int k = 0; k < summaries.length; k++) {
                    summaries[k] = Arrays.copyOf(summaries[k], Math.max(n, summaries[k].length * 2));
                }
            }
            for (int k = 0; k < s.length; k++) {
                summaries[k][n - 1] = s[k];
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("samples must not be empty");
        }
        double[] std = new double[mean.length];
        for (int i = 0; i < std.length; i++) {
            std[i] = Math.sqrt(Math.max(0, m2[i] / n));
        }
        double[][] ranges = new double[SUMMARY_KEYS.size()][];
        for (int k = 0; k < ranges.length; k++) {
            double[] sorted = Arrays.copyOf(summaries[k], n);
            Arrays.sort(sorted);
            double lo = quantile(sorted, quantileLow);
            double hi = quantile(sorted, quantileHigh);
            double widen = 0.1 * (hi - lo);
            // std and roughness are never negative: a bound below 0 would read as a check it is not
            ranges[k] = new double[] {k == 0 ? lo - widen : Math.max(0, lo - widen), hi + widen};
        }
        return new TrainingStats(List.of(), mean, std, ranges, n);
    }

    /**
     * These statistics naming their features, for {@link #toData()} to write. The samples must have
     * been in name order already: names only label the values, they do not reorder them.
     *
     * @param names one distinct, non-blank name per feature, in name order ({@link String#compareTo})
     * @return new statistics with the names
     * @throws IllegalArgumentException when the names are not one per feature, repeat, are blank or
     *     are out of name order
     */
    public TrainingStats withNames(List<String> names) {
        String problem = namesProblem(names, mean.length);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new TrainingStats(List.copyOf(names), mean, std, ranges, samples);
    }

    /** What is wrong with {@code names} as the names of {@code dim} features, or null. */
    private static String namesProblem(List<?> names, int dim) {
        if (names.size() != dim) {
            return "names must name each of the " + dim + " features once, had " + names.size() + " names";
        }
        Set<Object> seen = new java.util.HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            Object o = names.get(i);
            if (!(o instanceof String n) || n.isBlank()) {
                return "names[" + i + "] must be a non-blank string, was "
                        + (o instanceof String ? "'" + o + "'" : typeOf(o));
            }
            if (!seen.add(n)) {
                return "names[" + i + "] repeats '" + n + "'; each feature is named once";
            }
        }
        List<String> sorted = new ArrayList<>();
        names.forEach(o -> sorted.add((String) o));
        sorted.sort(null);
        if (!sorted.equals(names)) {
            return "names must be in name order " + sorted + ", the order in which named features reach the "
                    + "distribution check, was " + names + "; recompute the statistics with veil stats --csv FILE "
                    + "--header, which writes them in that order";
        }
        return null;
    }

    /**
     * The summary statistics of one input, as the distribution check defines them.
     *
     * @return {@code {mean, std, roughness}}
     */
    static double[] summaries(double[] x) {
        int d = x.length;
        double sum = 0;
        for (double v : x) {
            sum += v;
        }
        double m = sum / d;
        // corrected two-pass variance: the second term cancels the rounding error of m
        double s1 = 0;
        double ss = 0;
        double rough = 0;
        for (int i = 0; i < d; i++) {
            double dev = x[i] - m;
            s1 += dev;
            ss += dev * dev;
            if (i > 0) {
                rough += Math.abs(x[i] - x[i - 1]);
            }
        }
        double var = Math.max(0, (ss - s1 * s1 / d) / d);
        return new double[] {m, Math.sqrt(var), d > 1 ? rough / (d - 1) : 0};
    }

    /** The q-quantile of sorted values, interpolating linearly between order statistics. */
    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        if (i >= sorted.length - 1) {
            return sorted[sorted.length - 1];
        }
        double frac = pos - i;
        return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
    }

    /** Per-feature training mean (a copy). */
    public double[] mean() {
        return mean.clone();
    }

    /** Per-feature population standard deviation (a copy). */
    public double[] std() {
        return std.clone();
    }

    /** Allowed {@code [low, high]} of each summary statistic, keyed {@code mean}, {@code std}, {@code roughness}. */
    public Map<String, double[]> summary() {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (int k = 0; k < ranges.length; k++) {
            m.put(SUMMARY_KEYS.get(k), ranges[k].clone());
        }
        return m;
    }

    /** The features' names in name order, or an empty list when the statistics do not name them. */
    public List<String> names() {
        return names;
    }

    /** Number of samples the statistics were computed from. */
    public long samples() {
        return samples;
    }

    /**
     * The JSON-like document for a bundle's {@code data.json} (see the class comment): maps,
     * lists of {@link Double} and a {@link Long}, ready for Jackson. A fresh mutable copy.
     */
    public Map<String, Object> toData() {
        Map<String, Object> summary = new LinkedHashMap<>();
        for (int k = 0; k < ranges.length; k++) {
            summary.put(SUMMARY_KEYS.get(k), toList(ranges[k]));
        }
        Map<String, Object> data = new LinkedHashMap<>();
        if (!names.isEmpty()) {
            data.put("names", new ArrayList<>(names));
        }
        data.put("mean", toList(mean));
        data.put("std", toList(std));
        data.put("summary", summary);
        data.put("samples", samples);
        return data;
    }

    /**
     * These statistics as a distribution check.
     *
     * @param stdFloor smallest standard deviation divided by, {@code > 0}
     * @param maxAbsZ per-feature |z| limit, {@code 0}: off
     * @param maxRmsZ RMS z limit, {@code 0}: off
     * @param useSummary whether to check the summary ranges
     * @return a new check holding copies of the statistics
     * @throws IllegalArgumentException for bad bounds
     */
    public DistributionCheck toCheck(double stdFloor, double maxAbsZ, double maxRmsZ, boolean useSummary) {
        return new DistributionCheck(mean.clone(), std.clone(), stdFloor, maxAbsZ, maxRmsZ,
                useSummary ? summary() : Map.of());
    }

    private static List<Double> toList(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double v : a) {
            l.add(v);
        }
        return l;
    }

    /**
     * Parses the document {@link #toData()} writes (as Jackson or SnakeYAML read it: maps, lists
     * and numbers) into a distribution check.
     *
     * <p>{@code mean} and {@code std} are required, non-empty, of equal length, all finite, std
     * {@code >= 0}. {@code summary} is required when {@code useSummary}, and checked whenever present:
     * only the keys {@code mean}, {@code std}, {@code roughness}, each {@code [low, high]} with
     * {@code low <= high}. {@code samples}, when present, is an integer {@code >= 1}. Any other field is
     * an error, so a misspelt field cannot silently turn a check off. A document with {@code names} is
     * refused here: use the overload that takes the contract's features.
     *
     * @param data the parsed document
     * @param where where the document came from, e.g. {@code "bundle /b/data.json at veil.stats"};
     *     starts every error message
     * @param stdFloor smallest standard deviation divided by, {@code > 0}
     * @param maxAbsZ per-feature |z| limit, {@code 0}: off
     * @param maxRmsZ RMS z limit, {@code 0}: off
     * @param useSummary whether the check uses the summary ranges; then {@code summary} must hold all
     *     three of them
     * @return the check
     * @throws IllegalArgumentException naming {@code where} and the bad field
     */
    public static DistributionCheck fromData(Object data, String where, double stdFloor, double maxAbsZ,
            double maxRmsZ, boolean useSummary) {
        return fromData(data, where, Set.of(), stdFloor, maxAbsZ, maxRmsZ, useSummary);
    }

    /**
     * Parses the document {@link #toData()} writes, as {@link #fromData(Object, String, double,
     * double, double, boolean)}, checking its {@code names}, when present, against the features the
     * contract declares: they must be the same set, and in name order. Neither is repaired by
     * reordering: the summary range of {@code roughness} depends on the features' order and cannot
     * be recomputed from the document, so statistics in another order must be computed again.
     *
     * @param data the parsed document
     * @param where where the document came from, e.g. {@code "data.training.stats"}; starts every
     *     error message
     * @param features the names of the features the contract declares, empty when it declares none
     * @param stdFloor smallest standard deviation divided by, {@code > 0}
     * @param maxAbsZ per-feature |z| limit, {@code 0}: off
     * @param maxRmsZ RMS z limit, {@code 0}: off
     * @param useSummary whether the check uses the summary ranges; then {@code summary} must hold all
     *     three of them
     * @return the check
     * @throws IllegalArgumentException naming {@code where} and the bad field: missing, wrong type,
     *     wrong length, not finite, or out of range (a summary range missing while {@code useSummary});
     *     or a bad bound. A {@link FieldException} says which field as a path inside the document
     */
    public static DistributionCheck fromData(Object data, String where, Set<String> features, double stdFloor,
            double maxAbsZ, double maxRmsZ, boolean useSummary) {
        if (!(data instanceof Map<?, ?> doc)) {
            throw new FieldException(where, "", "the statistics must be an object with fields mean, std, "
                    + "summary and samples, was " + typeOf(data));
        }
        for (Object key : doc.keySet()) {
            if (!TOP_KEYS.contains(key)) {
                throw new FieldException(where, String.valueOf(key), "unknown field '" + key
                        + "'; the statistics have the fields names, mean, std, summary, samples");
            }
        }
        double[] mean = numbers(doc, "mean", where);
        double[] std = numbers(doc, "std", where);
        if (mean.length == 0) {
            throw new FieldException(where, "mean", "mean must list at least one value, was empty");
        }
        if (std.length != mean.length) {
            throw new FieldException(where, "std", "std must have one value per feature like mean ("
                    + mean.length + "), had " + std.length);
        }
        for (int i = 0; i < std.length; i++) {
            if (std[i] < 0) {
                throw new FieldException(where, "std[" + i + "]", "std[" + i + "] must be >= 0, was " + std[i]);
            }
        }
        List<String> names = null;
        if (doc.containsKey("names")) {
            checkNames(doc.get("names"), mean.length, features, where);
            names = new ArrayList<>();
            for (Object o : (List<?>) doc.get("names")) {
                names.add((String) o);
            }
        }
        Object samples = doc.get("samples");
        if (samples != null || doc.containsKey("samples")) {
            if (!(samples instanceof Number s) || !isWholeNumber(s) || s.doubleValue() < 1) {
                throw new FieldException(where, "samples", "samples must be a whole number >= 1, was "
                        + (samples instanceof Number ? samples : typeOf(samples)));
            }
        }
        Map<String, double[]> summary = new LinkedHashMap<>();
        if (doc.containsKey("summary")) {
            if (!(doc.get("summary") instanceof Map<?, ?> sm)) {
                throw new FieldException(where, "summary", "summary must be an object with fields mean, std, "
                        + "roughness, was " + typeOf(doc.get("summary")));
            }
            for (Object key : sm.keySet()) {
                if (!SUMMARY_KEYS.contains(key)) {
                    throw new FieldException(where, "summary", "unknown field 'summary." + key
                            + "'; the summary statistics are mean, std, roughness");
                }
            }
            for (String key : SUMMARY_KEYS) {
                if (useSummary && !sm.containsKey(key)) {
                    // A check reading only the ranges that happen to be there would check less than
                    // summary: true says, down to nothing for "summary": {}.
                    throw new FieldException(where, "summary", "summary." + key + " is missing; the summary check "
                            + "needs the ranges of mean, std and roughness: recompute the statistics with veil stats "
                            + "(TrainingStats.compute in Java), or turn the summary check off (summary: false)");
                }
                if (sm.containsKey(key)) {
                    double[] r = numbers(sm, key, where, "summary.");
                    if (r.length != 2 || !(r[0] <= r[1])) {
                        throw new FieldException(where, "summary." + key, "summary." + key
                                + " must be [low, high] with low <= high, was " + Arrays.toString(r));
                    }
                    summary.put(key, r);
                }
            }
        } else if (useSummary) {
            throw new FieldException(where, "", "summary is missing; recompute the statistics with "
                    + "veil stats (TrainingStats.compute in Java), or turn the summary check off (summary: false)");
        }
        try {
            return new DistributionCheck(mean, std, stdFloor, maxAbsZ, maxRmsZ, useSummary ? summary : Map.of(), null,
                    names);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static void checkNames(Object value, int dim, Set<String> features, String where) {
        if (!(value instanceof List<?> names)) {
            throw new FieldException(where, "names", "names must be a list of the features' names, was "
                    + typeOf(value));
        }
        String problem = namesProblem(names, dim);
        if (problem != null) {
            throw new FieldException(where, "names", problem);
        }
        if (features.isEmpty()) {
            throw new FieldException(where, "names", "the statistics name their features " + names
                    + " but the contract declares none, so nothing says the requests' features come in that "
                    + "order; declare them under features, or delete names to use the statistics in their own order");
        }
        Set<String> missing = new java.util.TreeSet<>(features);
        names.forEach(missing::remove);
        Set<Object> extra = new java.util.TreeSet<>(names);
        extra.removeAll(features);
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new FieldException(where, "names", "the statistics describe the features " + names
                    + " but the contract declares " + new java.util.TreeSet<>(features)
                    + (missing.isEmpty() ? "" : "; no statistics for " + missing)
                    + (extra.isEmpty() ? "" : "; not in the contract: " + extra)
                    + "; compute the statistics from columns named exactly as the features"
                    + FeatureNames.unicodeFormsOf(extra, missing));
        }
    }

    private static double[] numbers(Map<?, ?> doc, String key, String where) {
        return numbers(doc, key, where, "");
    }

    private static double[] numbers(Map<?, ?> doc, String key, String where, String prefix) {
        String field = prefix + key;
        if (!doc.containsKey(key)) {
            // the field is not there: point at the object that lacks it
            throw new FieldException(where, prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1),
                    field + " is missing");
        }
        if (!(doc.get(key) instanceof List<?> list)) {
            throw new FieldException(where, field, field + " must be a list of numbers, was "
                    + typeOf(doc.get(key)));
        }
        double[] out = new double[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object o = list.get(i);
            if (!(o instanceof Number num)) {
                throw new FieldException(where, field + "[" + i + "]", field + "[" + i + "] must be a number, was "
                        + typeOf(o));
            }
            out[i] = num.doubleValue();
            if (!Double.isFinite(out[i])) {
                throw new FieldException(where, field + "[" + i + "]", field + "[" + i + "] must be finite, was "
                        + out[i]);
            }
        }
        return out;
    }

    private static boolean isWholeNumber(Number n) {
        double d = n.doubleValue();
        return Double.isFinite(d) && d == Math.rint(d);
    }

    private static String typeOf(Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof Map) {
            return "an object";
        }
        if (o instanceof List) {
            return "a list";
        }
        if (o instanceof String) {
            return "a string";
        }
        if (o instanceof Boolean) {
            return "a boolean";
        }
        if (o instanceof Number) {
            return "a number";
        }
        return "a " + o.getClass().getSimpleName();
    }
}
