package dev.veil.internal.monitor;

import dev.veil.Level;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.state.PackedEntries;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Class focus: the share of a caller's recent answers that went to one class. An inversion
 * attack aims every query at its target class; honest callers of a classifier usually see the
 * classes in roughly their natural proportions.
 *
 * <p><b>Score:</b> among the caller's last {@code window} answers (up to the previous one; the
 * current query's answer is recorded after the model answered), the share of the most frequent
 * top class, in [0, 1]. The level stays {@code none} until {@code min_queries} answers are
 * remembered. Set the thresholds well above the share the most common class has in benign
 * traffic (with 10 balanced classes and a window of 50, benign shares stay below about 0.35).
 *
 * <p><b>Honest callers that focus on one class trip it</b>: a batch job that scores only images of
 * one kind, or a moderation queue that is mostly of one class, reaches a share near 1. Shipped
 * policies should therefore <b>alert</b> on this signal, not block on it alone (combine it with
 * {@code confidence_climb} or a similarity detector before blocking).
 *
 * <p>Configuration ({@code monitoring.detectors.<name>}, where the name is {@code class_focus} or
 * any name with {@code type: class_focus}):
 * <ul>
 *   <li>{@code window} (integer in [2, 1000], default 50): answers remembered per caller;
 *   <li>{@code min_queries} (integer in [1, window], default 20): answers needed before any level;
 *   <li>{@code low}, {@code medium}, {@code high} (shares, 0 = level not used, else in [0.01, 1],
 *       non-decreasing; defaults 0.6, 0.8, 0.95);
 *   <li>{@code ttl_seconds} (integer in [60, 2592000], default 3600): a caller's history is
 *       forgotten after this long without a query.
 * </ul>
 *
 * <p>An exact repeat of an input still in the window (a client's retry) is not remembered again
 * (see {@link AnswerHistoryDetector}): resending 30% of one's requests would otherwise concentrate
 * the shares.
 *
 * <p>State: one list per caller of at most {@code window} entries of {@value #ENTRY_BYTES} bytes
 * (the top class and a tag of the input), plus the store's overhead per entry.
 */
public final class ClassFocusDetector extends AnswerHistoryDetector {
    /** The built-in type. */
    public static final String TYPE = "class_focus";
    /** The top class and the input's tag ({@link AnswerHistoryDetector}: a resent input counts once). */
    static final int ENTRY_BYTES = 4 + TAG_BYTES;

    /**
     * Parsed configuration.
     *
     * @param window answers remembered per caller
     * @param minQueries answers needed before any level
     * @param levels thresholds on the share
     * @param ttlMillis how long an idle caller's history is kept
     */
    public record Config(int window, int minQueries, AnswerLevels levels, long ttlMillis) {
        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "window", "min_queries", "low", "medium", "high",
                "ttl_seconds");

        /** Reads the configuration map; unknown keys (first), wrong types and values out of range are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig(TYPE, m, KEYS);
            AnswerLevels.type(c, TYPE);
            int window = AnswerLevels.integer(c, "window", 50, 2, 1000);
            int minQueries = AnswerLevels.integer(c, "min_queries", Math.min(20, window), null, 1, "window",
                    window);
            AnswerLevels levels = AnswerLevels.read(c, "low", "medium", "high", new double[] {0.6, 0.8, 0.95}, 0.01,
                    1, false);
            long ttl = AnswerLevels.ttlMillis(c, 3600);
            return new Config(window, minQueries, levels, ttl);
        }
    }

    private final Config config;

    /** The detector named {@code name} with the configuration map {@code config} (see the class Javadoc). */
    public static ClassFocusDetector create(String name, Map<String, Object> config) {
        return new ClassFocusDetector(name, Config.from(config));
    }

    public ClassFocusDetector(String name, Config config) {
        super(name, "focus", ENTRY_BYTES, true);
        this.config = config;
    }

    public Config config() {
        return config;
    }

    @Override
    Signal evaluate(Query q, List<byte[]> entries) {
        PackedEntries packed = PackedEntries.of(entries, ENTRY_BYTES); // the store's own array: no copy
        byte[] data = packed.array();
        int base = packed.offset();
        int n = packed.size();
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            classes[i] = AnswerSketch.getInt(data, base + i * ENTRY_BYTES);
        }
        if (n == 0) {
            return Signal.none(name());
        }
        Arrays.sort(classes, 0, n);
        int best = 1;
        for (int i = 1, run = 1; i < n; i++) {
            run = classes[i] == classes[i - 1] ? run + 1 : 1;
            best = Math.max(best, run);
        }
        double share = (double) best / n;
        return new Signal(name(), n < config.minQueries() ? Level.NONE : config.levels().of(share), share);
    }

    @Override
    public void record(Query q, Object context, Prediction raw, List<StateOp> ops) {
        AnswerScores a = AnswerScores.of(raw);
        if (a == null) {
            return;
        }
        byte[] e = entry(context, a.top());
        if (e == null) {
            return; // a resent input: its answer is in the history already
        }
        ops.add(new StateOp.ListAppend(key(q), e, config.window(), config.ttlMillis()));
    }

    @Override
    public boolean readsFeaturesInRecord() {
        return false;
    }
}
