package dev.veil.internal.monitor;

import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.state.PackedEntries;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Model extraction, after PRADA (Juuti, Szyller, Marchal, Asokan, "PRADA: Protecting against DNN
 * Model Stealing Attacks", EuroS&amp;P 2019): the minimum distances between a caller's queries and
 * its earlier queries of the same predicted class are close to normally distributed for natural
 * inputs, and far from it for the synthetic queries of an extraction attack (perturbations of
 * earlier queries at a fixed step, random or crafted inputs).
 *
 * <p>Per caller and per predicted class c the detector keeps a growing set G_c of input sketches
 * ({@value #SKETCH_DIMS} floats, {@link AnswerSketch}; distances are L2 distances between
 * sketches, which estimate the distances between the inputs). For each answered query of class c:
 * the first one only seeds G_c; every later one appends d = its minimum distance to G_c to the
 * caller's distance list, and joins G_c when d exceeds the class's threshold T_c, which then
 * becomes max(T_c, mean - std of the distances with which G_c's members joined, the seed counting
 * 0). Every {@code test_every} answered queries the distances of the classes with at least
 * {@value #MIN_PER_CLASS} distances are pooled, values 3 standard deviations or more from their
 * mean are dropped, and when at least {@code min_distances} remain the Shapiro-Wilk W of the rest
 * is computed ({@link ShapiroWilk}, Royston's approximation).
 *
 * <p><b>Score:</b> the caller's latest W, in (0, 1]; 1 before the first test. Low W is
 * suspicious: the level is {@code high} when W is below {@code delta} (PRADA's δ), {@code medium}
 * below {@code medium} and {@code low} below {@code low}. The signal describes the stream up to
 * the previous answer (a query's answer is recorded after the model answered), so the earliest
 * alarm comes after about {@code min_distances} answered queries plus one per class.
 *
 * <p>Unlike the reference implementation, memory is bounded: G (all classes together) keeps the
 * latest {@code max_set} members and the distance list the latest {@code max_distances} values, so
 * the test looks at a sliding window of the caller's history.
 *
 * <p>Configuration ({@code monitoring.detectors.<name>}, where the name is {@code extraction} or
 * any name with {@code type: extraction}):
 * <ul>
 *   <li>{@code delta} (number in [0.01, 1], default 0.9; 0 = level not used): W below it is level high;
 *   <li>{@code low}, {@code medium} (numbers, 0 = level not used (the default), else in [0.01, 1];
 *       low &gt;= medium &gt;= delta): W below them is level low, medium;
 *   <li>{@code test_every} (integer in [1, 1000], default 10): answered queries between tests;
 *   <li>{@code min_distances} (integer in [20, 5000], default 100): pooled distances needed for a
 *       test;
 *   <li>{@code max_distances} (integer in [min_distances, 5000], default 400): distances kept per
 *       caller;
 *   <li>{@code max_set} (integer in [10, 5000], default 200): growing-set members kept per caller;
 *   <li>{@code ttl_seconds} (integer in [60, 2592000], default 86400): a caller's history is
 *       forgotten after this long without a query.
 * </ul>
 *
 * <p>State: two lists per caller; every answered query adds a {@value #DISTANCE_BYTES}-byte
 * distance entry, and one that joins its class's growing set (most natural queries do) a
 * {@value #MEMBER_BYTES}-byte member, plus the store's overhead per entry: at most
 * {@code max_distances * 16 + max_set * 156} bytes per caller (44 KB with the defaults).
 */
public final class ExtractionDetector implements StatefulDetector {
    /** The built-in type. */
    public static final String TYPE = "extraction";
    static final int SKETCH_DIMS = 32;
    /** Growing-set member: class, distance when it joined, the class's threshold after, sketch. */
    static final int MEMBER_BYTES = 12 + 4 * SKETCH_DIMS;
    /** Distance entry: class, minimum distance (NaN for a seed), answered queries so far, latest W. */
    static final int DISTANCE_BYTES = 16;
    /** Classes with fewer distances are left out of the pooled test (as in PRADA). */
    static final int MIN_PER_CLASS = 10;
    private static final long SEED = 0x7072616461L; // "prada"

    /**
     * Parsed configuration.
     *
     * @param levels thresholds on W (lower is worse)
     * @param testEvery answered queries between tests
     * @param minDistances pooled distances needed for a test
     * @param maxDistances distances kept per caller
     * @param maxSet growing-set members kept per caller
     * @param ttlMillis how long an idle caller's history is kept
     */
    public record Config(AnswerLevels levels, int testEvery, int minDistances, int maxDistances, int maxSet,
            long ttlMillis) {
        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "low", "medium", "delta", "test_every", "min_distances",
                "max_distances", "max_set", "ttl_seconds");

        /** Reads the configuration map; unknown keys (first), wrong types and values out of range are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig(TYPE, m, KEYS);
            AnswerLevels.type(c, TYPE);
            AnswerLevels levels = AnswerLevels.read(c, "low", "medium", "delta", new double[] {0, 0, 0.9}, 0.01, 1,
                    true);
            int testEvery = AnswerLevels.integer(c, "test_every", 10, 1, 1000);
            int minDistances = AnswerLevels.integer(c, "min_distances", 100, 20, ShapiroWilk.MAX_N);
            int maxDistances = AnswerLevels.integer(c, "max_distances", Math.max(400, minDistances),
                    "min_distances", minDistances, null, ShapiroWilk.MAX_N);
            int maxSet = AnswerLevels.integer(c, "max_set", 200, 10, 5000);
            long ttl = AnswerLevels.ttlMillis(c, 86_400);
            return new Config(levels, testEvery, minDistances, maxDistances, maxSet, ttl);
        }
    }

    /** What evaluate read, for record. */
    private static final class Context {
        List<byte[]> set;
        List<byte[]> distances;
    }

    private final String name;
    private final Config config;
    private final AnswerSketch sketch = new AnswerSketch(SKETCH_DIMS, SEED);

    /** The detector named {@code name} with the configuration map {@code config} (see the class Javadoc). */
    public static ExtractionDetector create(String name, Map<String, Object> config) {
        return new ExtractionDetector(name, Config.from(config));
    }

    public ExtractionDetector(String name, Config config) {
        this.name = name;
        this.config = config;
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return name;
    }

    private String setKey(Query q) {
        return "prada:" + name + ":g:" + dev.veil.internal.state.StateKeys.of(q.caller());
    }

    private String distanceKey(Query q) {
        return "prada:" + name + ":d:" + dev.veil.internal.state.StateKeys.of(q.caller());
    }

    @Override
    public Object plan(Query q, List<StateOp> ops) {
        ops.add(new StateOp.ListRead(setKey(q)));
        ops.add(new StateOp.ListRead(distanceKey(q)));
        return new Context();
    }

    @Override
    public Signal evaluate(Query q, Object context, Object[] results, int from) {
        @SuppressWarnings("unchecked")
        List<byte[]> set = (List<byte[]>) results[from];
        @SuppressWarnings("unchecked")
        List<byte[]> distances = (List<byte[]>) results[from + 1];
        if (context instanceof Context ctx) {
            ctx.set = set;
            ctx.distances = distances;
        }
        double w = latestW(distances);
        return new Signal(name, config.levels().of(w), w);
    }

    private static double latestW(List<byte[]> distances) {
        if (distances.isEmpty()) {
            return 1;
        }
        byte[] last = distances.get(distances.size() - 1);
        if (last.length != DISTANCE_BYTES) {
            return 1;
        }
        float w = AnswerSketch.getFloat(last, 12);
        return w > 0 && w <= 1 ? w : 1;
    }

    @Override
    public void record(Query q, Object context, Prediction raw, List<StateOp> ops) {
        if (!(context instanceof Context ctx) || ctx.set == null) {
            return;
        }
        AnswerScores a = AnswerScores.of(raw);
        if (a == null) {
            return;
        }
        int cls = a.top();
        float[] s = sketch.sketch(q.features().vector());
        // the class's members: nearest one, the latest threshold, and the distances they joined with
        double minSq = Double.POSITIVE_INFINITY;
        double threshold = 0;
        int members = 0;
        double sum = 0;
        double sumSq = 0;
        // the in-memory store's set is one contiguous array: read it in place, not an entry copy at a time
        List<byte[]> set = ctx.set;
        PackedEntries pe = set instanceof PackedEntries x && x.stride() == MEMBER_BYTES ? x : null;
        byte[] packed = pe == null ? null : pe.array();
        int base = pe == null ? 0 : pe.offset();
        for (int i = 0, size = set.size(); i < size; i++) {
            byte[] e;
            int o;
            if (packed != null) {
                e = packed;
                o = base + i * MEMBER_BYTES;
            } else {
                e = set.get(i);
                o = 0;
                if (e.length != MEMBER_BYTES) {
                    continue;
                }
            }
            if (AnswerSketch.getInt(e, o) != cls) {
                continue;
            }
            members++;
            double joined = AnswerSketch.getFloat(e, o + 4);
            sum += joined;
            sumSq += joined * joined;
            threshold = AnswerSketch.getFloat(e, o + 8);
            minSq = Math.min(minSq, AnswerSketch.distanceSquared(s, e, o + 12));
        }
        if (members > 0 && minSq == 0) {
            return; // an exact repeat of a member (a retry): it tells nothing about the distribution
        }
        double d;
        if (members == 0) {
            d = Double.NaN;
            ops.add(new StateOp.ListAppend(setKey(q), member(cls, 0, 0, s), config.maxSet(), config.ttlMillis()));
        } else {
            d = Math.sqrt(minSq);
            if (d > threshold) {
                members++;
                sum += d;
                sumSq += d * d;
                double mean = sum / members;
                double std = Math.sqrt(Math.max(0, sumSq / members - mean * mean));
                double t = Math.max(threshold, mean - std);
                ops.add(new StateOp.ListAppend(setKey(q), member(cls, d, t, s), config.maxSet(), config.ttlMillis()));
            }
        }
        List<byte[]> dist = ctx.distances;
        byte[] last = dist.isEmpty() ? null : dist.get(dist.size() - 1);
        int seq = last == null || last.length != DISTANCE_BYTES ? 1 : AnswerSketch.getInt(last, 8) + 1;
        float w = last == null || last.length != DISTANCE_BYTES ? Float.NaN : AnswerSketch.getFloat(last, 12);
        if (seq % config.testEvery() == 0) {
            double tested = test(dist, cls, d);
            if (!Double.isNaN(tested)) {
                w = (float) tested;
            }
        }
        byte[] e = new byte[DISTANCE_BYTES];
        AnswerSketch.putInt(e, 0, cls);
        AnswerSketch.putFloat(e, 4, (float) d);
        AnswerSketch.putInt(e, 8, seq);
        AnswerSketch.putFloat(e, 12, w);
        ops.add(new StateOp.ListAppend(distanceKey(q), e, config.maxDistances(), config.ttlMillis()));
    }

    private static byte[] member(int cls, double joined, double threshold, float[] s) {
        byte[] e = new byte[MEMBER_BYTES];
        AnswerSketch.putInt(e, 0, cls);
        AnswerSketch.putFloat(e, 4, (float) joined);
        AnswerSketch.putFloat(e, 8, (float) threshold);
        AnswerSketch.putSketch(e, 12, s);
        return e;
    }

    /**
     * W of the pooled distances: the remembered ones (the oldest beyond {@code max_distances} having
     * been dropped, counting the new one) plus {@code newest} of class {@code newestClass}; NaN when
     * too few remain.
     */
    double test(List<byte[]> remembered, int newestClass, double newest) {
        int skip = Math.max(0, remembered.size() + 1 - config.maxDistances());
        int n = remembered.size() - skip + 1;
        int[] classes = new int[n];
        double[] values = new double[n];
        int k = 0;
        if (remembered instanceof PackedEntries p && p.stride() == DISTANCE_BYTES) {
            byte[] data = p.array();
            int base = p.offset();
            for (int i = skip; i < remembered.size(); i++) {
                classes[k] = AnswerSketch.getInt(data, base + i * DISTANCE_BYTES);
                values[k++] = AnswerSketch.getFloat(data, base + i * DISTANCE_BYTES + 4);
            }
        } else {
            for (int i = skip; i < remembered.size(); i++) {
                byte[] e = remembered.get(i);
                if (e.length == DISTANCE_BYTES) {
                    classes[k] = AnswerSketch.getInt(e, 0);
                    values[k++] = AnswerSketch.getFloat(e, 4);
                }
            }
        }
        classes[k] = newestClass;
        values[k++] = newest;
        return pooledW(classes, values, k, config.minDistances());
    }

    /**
     * PRADA's test on {@code values[0..n)} (NaN values are seeds and are skipped): pool the classes
     * with at least {@value #MIN_PER_CLASS} values, drop values 3 standard deviations or more from
     * the mean, and return W of the rest, or NaN when fewer than {@code minDistances} remain.
     */
    static double pooledW(int[] classes, double[] values, int n, int minDistances) {
        // values per class, in a primitive open-addressing map (classes are any ints)
        int cap = Integer.highestOneBit(Math.max(8, 2 * n)) << 1;
        int mask = cap - 1;
        int[] keys = new int[cap];
        int[] counts = new int[cap]; // 0: empty slot
        int[] slotOf = new int[n];
        for (int i = 0; i < n; i++) {
            if (Double.isFinite(values[i])) {
                int c = classes[i];
                int j = (int) QueryHashing.mix(c) & mask;
                while (counts[j] != 0 && keys[j] != c) {
                    j = (j + 1) & mask;
                }
                keys[j] = c;
                counts[j]++;
                slotOf[i] = j;
            }
        }
        double[] pooled = new double[n];
        int m = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isFinite(values[i]) && counts[slotOf[i]] >= MIN_PER_CLASS) {
                pooled[m++] = values[i];
                sum += values[i];
            }
        }
        if (m < minDistances) {
            return Double.NaN;
        }
        double mean = sum / m;
        double ss = 0;
        for (int i = 0; i < m; i++) {
            ss += (pooled[i] - mean) * (pooled[i] - mean);
        }
        double limit = 3 * Math.sqrt(ss / m);
        int kept = 0;
        for (int i = 0; i < m; i++) {
            if (Math.abs(pooled[i] - mean) < limit) {
                pooled[kept++] = pooled[i];
            }
        }
        if (kept < minDistances || kept < 3) {
            return Double.NaN;
        }
        return ShapiroWilk.w(pooled, kept);
    }

    @Override
    public boolean higherIsWorse() {
        return false; // the Shapiro-Wilk W: a small W (far from normal) is the alarm
    }

    @Override
    public long bytesPerQuery() {
        return DISTANCE_BYTES + MEMBER_BYTES;
    }
}
