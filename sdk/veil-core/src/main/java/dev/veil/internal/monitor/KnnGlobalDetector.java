package dev.veil.internal.monitor;

import dev.veil.Signal;
import dev.veil.internal.state.StateKeys;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Many near queries from anybody: the densest locality-sensitive-hashing cell a query falls into,
 * counted over all callers in a sliding window. An attack spread over many accounts, each sending
 * too few queries for the per-caller {@link KnnDetector}, still piles its probes into one small
 * region of input space; independent benign inputs spread over the whole distribution.
 *
 * <p><b>Cells.</b> The query's sketch ({@link SparseSketch}, as for {@code knn}) is projected on
 * {@code projections} random Gaussian directions in each of {@code tables} tables; the floors of
 * (projection + random offset) / width, hashed together, name the query's cell in each table
 * (p-stable LSH, Datar et al. 2004). The width is {@code cell_width} x sqrt(number of features),
 * i.e. {@code cell_width} is a root-mean-square difference per feature, like the {@code knn} score.
 * Two queries at per-feature RMS distance r share a cell of one table with probability about
 * (1 - 0.8 r / cell_width)^projections: probes of sigma 0.02 per pixel (r about 0.02) share with
 * probability about 0.5 at the defaults, two independent digits (r about 0.35) essentially never.
 * Probes as large as sigma 0.1 per pixel spread over many cells and are left to {@code knn}.
 *
 * <p><b>Score:</b> the largest count, over the tables, of <em>distinct</em> inputs in this query's
 * cell within the window (this one included): each cell counts an exact vector once a window
 * ({@link StateOp.CountNewInWindow}, the vector named by its {@link CopyHash}: with a seed the
 * attacker does not know, probes cannot be made to pass as copies). Retries of an input, by one
 * caller or many, and a popular input sent by many callers, never raise a cell's count; an attack's
 * probes are distinct inputs and count as before. A cell remembers up to twice the highest level
 * used ({@code members}, at most {@value #MAX_MEMBERS}) inputs: one that it had to forget, because
 * more than {@code members} distinct inputs came within the window, counts again when it comes back;
 * with a highest level of at most {@value #MAX_MEMBERS} / 2 the cell's count is then past that
 * level (above it, copies can count again below the level in a cell that busy). Two edges of the
 * store's operation, both of at most one count per input: a cell's count forgets by twelfths of the
 * window, so a copy in the window's last twelfth may count zero times, or, of an input the cell
 * forgot, once, while the cell's count has already fallen.
 *
 * <p><b>Configuration</b> ({@code monitoring.detectors.<name>}, where the name is
 * {@code knn_global} or any name with {@code type: knn_global}):
 *
 * <table>
 *   <caption>knn_global keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code window_seconds}</td><td>60</td><td>counting window, 1..86400</td></tr>
 *   <tr><td>{@code tables}</td><td>3</td><td>independent cell tables, 1..16</td></tr>
 *   <tr><td>{@code projections}</td><td>10</td><td>directions per table, 1..32</td></tr>
 *   <tr><td>{@code cell_width}</td><td>0.2</td><td>cell width as an RMS difference per feature,
 *       (0, 1000]</td></tr>
 *   <tr><td>{@code dimensions}</td><td>64</td><td>sketch size, 8..512</td></tr>
 *   <tr><td>{@code seed}</td><td>104729</td><td>sketch and projection seed (integer)</td></tr>
 *   <tr><td>{@code low}, {@code medium}, {@code high}</td><td>8, 10, 12</td><td>distinct inputs in
 *       the densest cell at which the level is reached; 0 = level not used; non-decreasing</td></tr>
 *   <tr><td>{@code pool}, {@code width}</td><td>1, 0</td><td>for images: cells of the means of pool x
 *       pool tiles ({@link LowPass}), as for {@code knn}; {@code cell_width} is then per tile</td></tr>
 * </table>
 *
 * <p><b>Calibration:</b> the counts benign traffic reaches grow with the global query rate and the
 * window. With the defaults and the benign traffic of DetectorEfficacyTest (about 25 queries a
 * second over the service, 784-feature synthetic digits) no cell ever held more than 5 queries in a
 * minute ({@code high} is 12); attacks with probes of sigma 0.02 per pixel reached {@code high}
 * after 11 to 17 queries, smooth NES after 21 and a PCA-basis search after 31 to 43, whatever the
 * number of accounts. Calibrate {@code high} on the service's own traffic ({@code veil calibrate}).
 *
 * <p><b>State:</b> one sliding-window counter per occupied cell and table, with the inputs it
 * counted in the window (up to {@code members}; room for them grows as they come);
 * nothing per caller. Shared by all callers, so a replica fleet with a
 * shared state store counts the whole fleet's traffic.
 *
 * <p><b>Cost</b> at 784 features: sketch about 1 us, projections about 1 us
 * (tables x projections x dimensions multiply-adds), plus {@code tables} counter updates in the store.
 */
public final class KnnGlobalDetector implements StatefulDetector {
    /**
     * Parsed configuration; see the class Javadoc.
     *
     * @param windowSeconds counting window
     * @param tables cell tables
     * @param projections directions per table
     * @param cellWidth cell width, RMS difference per feature
     * @param dimensions sketch size
     * @param seed sketch and projection seed
     * @param low count for level low (0: not used)
     * @param medium count for level medium (0: not used)
     * @param high count for level high (0: not used)
     */
    public record Config(long windowSeconds, int tables, int projections, double cellWidth, int dimensions, long seed,
            long low, long medium, long high, LowPass lowPass) {
        /** Defaults, calibrated as the class Javadoc says. */
        public static final Config DEFAULT = new Config(60, 3, 10, 0.2, 64, 104_729, 8, 10, 12);

        public Config {
            if (windowSeconds < 1 || windowSeconds > 86_400) {
                throw new IllegalArgumentException("window_seconds must be in [1, 86400], was " + windowSeconds);
            }
            if (tables < 1 || tables > 16) {
                throw new IllegalArgumentException("tables must be in [1, 16], was " + tables);
            }
            if (projections < 1 || projections > 32) {
                throw new IllegalArgumentException("projections must be in [1, 32], was " + projections);
            }
            if (!(cellWidth > 0 && cellWidth <= 1000)) {
                throw new IllegalArgumentException("cell_width must be in (0, 1000], was " + cellWidth);
            }
            if (dimensions < 8 || dimensions > 512) {
                throw new IllegalArgumentException("dimensions must be in [8, 512], was " + dimensions);
            }
            Thresholds.checkRising(low, medium, high, 1, Double.POSITIVE_INFINITY, "distinct inputs in a cell", "");
            lowPass = lowPass == null ? LowPass.NONE : lowPass;
        }

        /** A configuration on the features as they are. */
        public Config(long windowSeconds, int tables, int projections, double cellWidth, int dimensions, long seed,
                long low, long medium, long high) {
            this(windowSeconds, tables, projections, cellWidth, dimensions, seed, low, medium, high, LowPass.NONE);
        }

        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "window_seconds", "tables", "projections", "cell_width",
                "dimensions", "seed", "low", "medium", "high", "pool", "width");

        /** Reads the configuration map; unknown keys (first) and wrong types are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig("knn_global", m, KEYS);
            c.string("type", "knn_global");
            Config d = DEFAULT;
            Config cfg = new Config(c.longValue("window_seconds", d.windowSeconds()), c.intValue("tables", d.tables()),
                    c.intValue("projections", d.projections()), c.doubleValue("cell_width", d.cellWidth()),
                    c.intValue("dimensions", d.dimensions()), c.longValue("seed", d.seed()),
                    c.longValue("low", d.low()), c.longValue("medium", d.medium()), c.longValue("high", d.high()),
                    LowPass.from(c));
            return cfg;
        }
    }

    /** Most inputs a cell remembers, whatever the levels. */
    static final int MAX_MEMBERS = StateOp.CountNewInWindow.MAX_MEMBERS;

    private final String name;
    private final Config config;
    private final SparseSketch sketch;
    private final CopyHash copyHash;
    /** directions[t][p * dimensions + j] */
    private final float[][] directions;
    /** offsets[t][p], uniform in [0, 1) (in units of the cell width) */
    private final double[][] offsets;
    private final String cellPrefix;
    private final long windowMillis;
    /** Inputs each cell remembers: twice the highest level used, in [2, {@link #MAX_MEMBERS}]. */
    private final int members;

    public KnnGlobalDetector(String name, Config config) {
        this.name = name;
        this.config = config;
        this.sketch = new SparseSketch(config.dimensions(), config.seed());
        this.copyHash = new CopyHash(config.seed());
        SplittableRandom r = new SplittableRandom(QueryHashing.mix(config.seed() ^ 0x1B873593L));
        int m = config.dimensions();
        this.directions = new float[config.tables()][config.projections() * m];
        this.offsets = new double[config.tables()][config.projections()];
        for (int t = 0; t < config.tables(); t++) {
            for (int i = 0; i < directions[t].length; i++) {
                directions[t][i] = (float) gaussian(r);
            }
            for (int p = 0; p < config.projections(); p++) {
                offsets[t][p] = r.nextDouble();
            }
        }
        this.cellPrefix = StateKeys.PER_INPUT + name + ":"; // its own share of the memory cap
        this.windowMillis = config.windowSeconds() * 1000;
        long top = Math.max(config.low(), Math.max(config.medium(), config.high())); // >= 1: one level is set
        this.members = (int) Math.min(MAX_MEMBERS, 2 * Math.min(top, MAX_MEMBERS));
    }

    private static double gaussian(SplittableRandom r) {
        while (true) {
            double u = 2 * r.nextDouble() - 1;
            double v = 2 * r.nextDouble() - 1;
            double s = u * u + v * v;
            if (s > 0 && s < 1) {
                return u * Math.sqrt(-2 * Math.log(s) / s);
            }
        }
    }

    public Config config() {
        return config;
    }

    @Override
    public boolean onPublishedSeed() {
        return config.seed() == Config.DEFAULT.seed();
    }

    @Override
    public String featuresProblem(long features) {
        return config.lowPass().misfit(features);
    }

    @Override
    public String name() {
        return name;
    }

    /** The query's cell code in each table. */
    long[] cells(double[] features) {
        double[] x = config.lowPass().apply(features);
        float[] s = sketch.project(x);
        double inverseWidth = 1 / (config.cellWidth() * Math.sqrt(Math.max(1, x.length)));
        int m = config.dimensions();
        long[] cells = new long[config.tables()];
        for (int t = 0; t < cells.length; t++) {
            float[] dir = directions[t];
            long h = QueryHashing.mix(config.seed() + t);
            for (int p = 0; p < config.projections(); p++) {
                double dot = 0;
                int base = p * m;
                for (int j = 0; j < m; j++) {
                    dot += dir[base + j] * s[j];
                }
                long cell = (long) Math.floor(dot * inverseWidth + offsets[t][p]);
                h = (h ^ QueryHashing.mix(cell)) * QueryHashing.GOLDEN;
            }
            cells[t] = QueryHashing.mix(h);
        }
        return cells;
    }

    @Override
    public Object plan(Query q, List<StateOp> ops) {
        double[] x = q.features().vector();
        long[] cells = cells(x);
        long now = q.timeMillis();
        long copy = copyHash.of(x);
        for (int t = 0; t < cells.length; t++) {
            ops.add(new StateOp.CountNewInWindow(cellPrefix + t + ':' + QueryHashing.unsignedBase36(cells[t]), copy,
                    now, windowMillis, members));
        }
        return null;
    }

    @Override
    public Signal evaluate(Query q, Object context, Object[] results, int from) {
        long densest = 0;
        for (int t = 0; t < config.tables(); t++) {
            densest = Math.max(densest, (Long) results[from + t]);
        }
        long score = Math.max(1, densest); // at least this query's own input
        return new Signal(name, Thresholds.levelAtLeast(score, config.low(), config.medium(), config.high()), score);
    }

    @Override
    public boolean readsFeaturesInRecord() {
        return false;
    }

    /** Nothing per remembered query: a counter per occupied cell (tables of them) with the inputs it counted. */
    @Override
    public long bytesPerQuery() {
        // in the worst case every query opens a new counter in each table: 2 x key + 256 bytes (the
        // cache's node, the counter and the key), 224 for its slot arrays (once it counts in a second
        // twelfth of its window) and 40 of headers for its remembered inputs; and each input takes at
        // most two pairs of room (member and time, 16 bytes a pair: room for two at first, doubled
        // when full, so never more than twice the inputs)
        return config.tables() * (2L * (cellPrefix.length() + 16) + 256 + 224 + 40 + 2 * 16);
    }

    /** Inputs each cell remembers (see the class Javadoc). */
    int members() {
        return members;
    }
}
