package dev.veil.internal.monitor;

import dev.veil.Level;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.state.PackedEntries;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Boundary probing: the share of a caller's recent answers that the model gave with a low margin
 * between its two best classes. Label-only extraction and decision-boundary attacks (bisection
 * between inputs of two classes, HopSkipJump-style walks) spend most of their queries where the
 * model hesitates; independent inputs rarely land there.
 *
 * <p><b>Score:</b> among the caller's last {@code window} answers (up to the previous one; the
 * current query's answer is recorded after the model answered), the share whose margin, the
 * difference between the two largest normalised scores (each score divided by their sum), is below
 * {@code margin}; in [0, 1]. The level stays {@code none} until {@code min_queries} answers are
 * remembered. A one-class model has margin 1.
 *
 * <p>Configuration ({@code monitoring.detectors.<name>}, where the name is {@code boundary} or any
 * name with {@code type: boundary}):
 * <ul>
 *   <li>{@code window} (integer in [2, 1000], default 20): answers remembered per caller;
 *   <li>{@code min_queries} (integer in [1, window], default 10): answers needed before any level;
 *   <li>{@code margin} (number in (0, 1], default 0.1): margins below it count as low;
 *   <li>{@code low}, {@code medium}, {@code high} (shares, 0 = level not used, else in [0.01, 1],
 *       non-decreasing; defaults 0.3, 0.45, 0.6);
 *   <li>{@code ttl_seconds} (integer in [60, 2592000], default 3600): a caller's history is
 *       forgotten after this long without a query.
 * </ul>
 *
 * <p>An exact repeat of an input still in the window (a client's retry) is not remembered again
 * (see {@link AnswerHistoryDetector}).
 *
 * <p>State: one list per caller of at most {@code window} entries of {@value #ENTRY_BYTES} bytes
 * (the margin and a tag of the input), plus the store's overhead per entry.
 */
public final class BoundaryDetector extends AnswerHistoryDetector {
    /** The built-in type. */
    public static final String TYPE = "boundary";
    /** The margin and the input's tag ({@link AnswerHistoryDetector}: a resent input counts once). */
    static final int ENTRY_BYTES = 4 + TAG_BYTES;

    /**
     * Parsed configuration.
     *
     * @param window answers remembered per caller
     * @param minQueries answers needed before any level
     * @param margin margins below it count as low
     * @param levels thresholds on the share of low-margin answers
     * @param ttlMillis how long an idle caller's history is kept
     */
    public record Config(int window, int minQueries, double margin, AnswerLevels levels, long ttlMillis) {
        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "window", "min_queries", "margin", "low", "medium", "high",
                "ttl_seconds");

        /** Reads the configuration map; unknown keys (first), wrong types and values out of range are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig(TYPE, m, KEYS);
            AnswerLevels.type(c, TYPE);
            int window = AnswerLevels.integer(c, "window", 20, 2, 1000);
            int minQueries = AnswerLevels.integer(c, "min_queries", Math.min(10, window), null, 1, "window",
                    window);
            double margin = c.doubleValue("margin", 0.1);
            if (!(margin > 0 && margin <= 1)) {
                throw new IllegalArgumentException("margin must be in (0, 1], was " + margin);
            }
            AnswerLevels levels = AnswerLevels.read(c, "low", "medium", "high", new double[] {0.3, 0.45, 0.6}, 0.01,
                    1, false);
            long ttl = AnswerLevels.ttlMillis(c, 3600);
            return new Config(window, minQueries, margin, levels, ttl);
        }
    }

    private final Config config;

    /** The detector named {@code name} with the configuration map {@code config} (see the class Javadoc). */
    public static BoundaryDetector create(String name, Map<String, Object> config) {
        return new BoundaryDetector(name, Config.from(config));
    }

    public BoundaryDetector(String name, Config config) {
        super(name, "boundary", ENTRY_BYTES, true);
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
        int low = 0;
        for (int i = 0; i < n; i++) {
            if (AnswerSketch.getFloat(data, base + i * ENTRY_BYTES) < config.margin()) {
                low++;
            }
        }
        if (n == 0) {
            return Signal.none(name());
        }
        double share = (double) low / n;
        return new Signal(name(), n < config.minQueries() ? Level.NONE : config.levels().of(share), share);
    }

    @Override
    public void record(Query q, Object context, Prediction raw, List<StateOp> ops) {
        AnswerScores a = AnswerScores.of(raw);
        if (a == null) {
            return;
        }
        byte[] e = entry(context, Float.floatToRawIntBits((float) a.margin()));
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
