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
 * Confidence climb: one class's confidence rising, step after step, over small input changes, the
 * signature of an inversion attack (hill climbing, NES gradient estimation) that walks an input
 * toward the point where the model is most sure of a class. Independent inputs, even of one class,
 * are far apart, so they never form a chain of small steps; an exact retry is a step of length 0
 * that repeats the same confidence, which is neither a rise nor a fall.
 *
 * <p>For each answer the detector remembers, per caller, a {@value #SKETCH_DIMS}-float sketch of
 * the input ({@link AnswerSketch}) and the {@value #TRACKED} best classes with their confidences
 * (the log-odds of the normalised scores, which keep their resolution near 1).
 *
 * <p><b>Score:</b> a Mann-Kendall trend statistic. Starting from the latest remembered answer and
 * going back through the last {@code window} answers, the <i>chain</i> collects every answer whose
 * input is within a small step of the answer collected before it (answers in between that are
 * further away are skipped, so interleaving unrelated queries does not break the chain). A step is
 * small when its root mean square change per feature, estimated from the sketches, is at most
 * {@code max_step}. For each of the latest answer's {@value #TRACKED} best classes, take its
 * confidences along the chain (oldest first; answers where it was not among the best
 * {@value #TRACKED} are left out); with m values, S = sum over pairs i &lt; j of sign(v_j - v_i)
 * and Z = S / sqrt(m (m - 1) (2m + 5) / 18). The score is the largest Z (at least 0) among the
 * classes with at least {@code min_points} values, 0 when none has. Z is about standard normal for
 * a chain without trend; a steady climb of m values gives sqrt(9 m (m - 1) / (2 (2m + 5))): 3.2 for
 * 8, 5.2 for 15, 8.0 for 32. The signal describes the stream up to the previous answer (the current
 * query's answer is recorded after the model answered).
 *
 * <p>Honest callers that send a slowly changing input (video frames of one scene, an image being
 * edited) form chains too, and a trend in them trips this detector.
 *
 * <p>Configuration ({@code monitoring.detectors.<name>}, where the name is {@code confidence_climb}
 * or any name with {@code type: confidence_climb}):
 * <ul>
 *   <li>{@code window} (integer in [4, 256], default 48): answers remembered per caller, the longest
 *       chain;
 *   <li>{@code max_step} (number in (0, 10], default 0.075): largest root mean square change per
 *       feature of a small step (for features in [0, 1]: 0.075 is an L2 change of 2.1 at 784
 *       features, while independent images of the synthetic test distribution differ by 0.06 to
 *       0.4 per feature, 0.19 on average; calibrate on benign traffic for other data);
 *   <li>{@code min_points} (integer in [4, window], default 8): values a class needs along the chain
 *       before it is scored;
 *   <li>{@code low}, {@code medium}, {@code high} (Z values, 0 = level not used, else in [0.5, 20],
 *       non-decreasing; defaults 2.5, 3, 3.5);
 *   <li>{@code ttl_seconds} (integer in [60, 2592000], default 3600): a caller's history is
 *       forgotten after this long without a query.
 * </ul>
 *
 * <p>State: one list per caller of at most {@code window} entries of {@value #ENTRY_BYTES} bytes
 * (plus the store's overhead per entry).
 */
public final class ConfidenceClimbDetector extends AnswerHistoryDetector {
    /** The built-in type. */
    public static final String TYPE = "confidence_climb";
    /** Classes remembered per answer. */
    static final int TRACKED = 4;
    static final int SKETCH_DIMS = 16;
    private static final int SKETCH_AT = 8 * TRACKED;
    static final int ENTRY_BYTES = SKETCH_AT + 4 * SKETCH_DIMS;
    private static final long SEED = 0x636C696D62L; // "climb"

    /**
     * Parsed configuration.
     *
     * @param window answers remembered per caller
     * @param maxStep largest RMS change per feature of a small step
     * @param minPoints values a class needs along the chain
     * @param levels thresholds on Z
     * @param ttlMillis how long an idle caller's history is kept
     */
    public record Config(int window, double maxStep, int minPoints, AnswerLevels levels, long ttlMillis) {
        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "window", "max_step", "min_points", "low", "medium", "high",
                "ttl_seconds");

        /** Reads the configuration map; unknown keys (first), wrong types and values out of range are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig(TYPE, m, KEYS);
            AnswerLevels.type(c, TYPE);
            int window = AnswerLevels.integer(c, "window", 48, 4, 256);
            double maxStep = c.doubleValue("max_step", 0.075);
            if (!(maxStep > 0 && maxStep <= 10)) {
                throw new IllegalArgumentException("max_step must be in (0, 10], was " + maxStep);
            }
            int minPoints = AnswerLevels.integer(c, "min_points", Math.min(8, window), null, 4, "window", window);
            AnswerLevels levels = AnswerLevels.read(c, "low", "medium", "high", new double[] {2.5, 3, 3.5}, 0.5, 20,
                    false);
            long ttl = AnswerLevels.ttlMillis(c, 3600);
            return new Config(window, maxStep, minPoints, levels, ttl);
        }
    }

    private final Config config;
    private final AnswerSketch sketch = new AnswerSketch(SKETCH_DIMS, SEED);

    /** The detector named {@code name} with the configuration map {@code config} (see the class Javadoc). */
    public static ConfidenceClimbDetector create(String name, Map<String, Object> config) {
        return new ConfidenceClimbDetector(name, Config.from(config));
    }

    public ConfidenceClimbDetector(String name, Config config) {
        super(name, "climb", ENTRY_BYTES, false);
        this.config = config;
    }

    public Config config() {
        return config;
    }

    @Override
    Signal evaluate(Query q, List<byte[]> entries) {
        double maxSq = config.maxStep() * config.maxStep() * Math.max(1, q.features().size());
        double z = trend(entries, maxSq, config.minPoints());
        return new Signal(name(), config.levels().of(z), z);
    }

    /** The score of a remembered history (see the class Javadoc). */
    static double trend(List<byte[]> entries, double maxDistanceSquared, int minPoints) {
        PackedEntries packed = PackedEntries.of(entries, ENTRY_BYTES); // the store's own array: no copy
        byte[] data = packed.array();
        int base = packed.offset();
        int n = packed.size();
        if (n < minPoints) {
            return 0;
        }
        int[] chain = new int[n];
        int m = 0;
        int anchor = -1;
        for (int i = n - 1; i >= 0; i--) {
            int at = base + i * ENTRY_BYTES;
            if (anchor < 0 || AnswerSketch.within(data, at + SKETCH_AT, data, anchor + SKETCH_AT, SKETCH_DIMS,
                    maxDistanceSquared)) {
                chain[m++] = i;
                anchor = at;
            }
        }
        if (m < minPoints) {
            return 0;
        }
        // the chain's classes and confidences, oldest first
        int[] classes = new int[m * TRACKED];
        float[] values = new float[m * TRACKED];
        for (int j = 0; j < m; j++) {
            int at = base + chain[m - 1 - j] * ENTRY_BYTES;
            for (int s = 0; s < TRACKED; s++) {
                classes[j * TRACKED + s] = AnswerSketch.getInt(data, at + 8 * s);
                values[j * TRACKED + s] = AnswerSketch.getFloat(data, at + 8 * s + 4);
            }
        }
        double best = 0;
        float[] v = new float[m];
        for (int slot = 0; slot < TRACKED; slot++) {
            int cls = classes[(m - 1) * TRACKED + slot];
            if (cls < 0) {
                continue;
            }
            int k = 0;
            for (int j = 0; j < m; j++) {
                for (int s = 0; s < TRACKED; s++) {
                    if (classes[j * TRACKED + s] == cls) {
                        v[k++] = values[j * TRACKED + s];
                        break;
                    }
                }
            }
            if (k >= minPoints) {
                best = Math.max(best, mannKendallZ(v, k));
            }
        }
        return best;
    }

    /** Mann-Kendall Z of {@code v[0..m)} (no correction for ties; ties count 0). */
    static double mannKendallZ(float[] v, int m) {
        long s = 0;
        for (int i = 0; i < m - 1; i++) {
            float a = v[i];
            int up = 0;
            int down = 0;
            for (int j = i + 1; j < m; j++) {
                up += v[j] > a ? 1 : 0;
                down += v[j] < a ? 1 : 0;
            }
            s += up - down;
        }
        double var = m * (m - 1.0) * (2.0 * m + 5) / 18;
        return s / Math.sqrt(var);
    }

    @Override
    public void record(Query q, Object context, Prediction raw, List<StateOp> ops) {
        int[] classes = new int[TRACKED];
        float[] logOdds = new float[TRACKED];
        int n = AnswerScores.top(raw, TRACKED, classes, logOdds);
        if (n < 0) {
            return;
        }
        byte[] e = new byte[ENTRY_BYTES];
        for (int i = 0; i < TRACKED; i++) {
            AnswerSketch.putInt(e, 8 * i, i < n ? classes[i] : -1);
            AnswerSketch.putFloat(e, 8 * i + 4, i < n ? logOdds[i] : 0);
        }
        AnswerSketch.putSketch(e, SKETCH_AT, sketch.sketch(q.features().vector()));
        ops.add(new StateOp.ListAppend(key(q), e, config.window(), config.ttlMillis()));
    }
}
