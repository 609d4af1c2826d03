package dev.veil.internal.monitor;

import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.internal.state.PackedEntries;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Perturbation walks (Chen, Carlini and Wagner, "Stateful detection of black-box adversarial
 * attacks", 2020): the mean distance from a query to its nearest neighbours among the caller's
 * recent queries. Gradient estimation, hill climbing and boundary search send many queries around
 * a slowly moving point, so their nearest earlier queries are far closer than those of a caller who
 * sends independent inputs.
 *
 * <p><b>Score:</b> the mean Euclidean distance to the nearest earlier queries, divided by
 * sqrt(number of features), i.e. a root-mean-square difference per feature (0.1 means the
 * neighbours differ by about 0.1 per feature), so that thresholds read the same for any input
 * size; {@code -1} while the caller has fewer than {@code min_history} distinct earlier queries
 * (cold start: level none). The level rises as the score falls: {@code high} is the smallest
 * distance. The number of neighbours is {@code k}, but at most half of the caller's distinct
 * earlier queries (and at least {@code min_history}): with a short history the k nearest of a
 * handful of independent inputs are not much farther than the nearest one, and the mean over the
 * nearer half is what separates a cloud of probes from a few inputs that happen to look alike. An
 * attacker's neighbours are all close, whatever their number, so this costs no detection speed.
 *
 * <p><b>Sketch.</b> Distances are computed on a {@code dimensions}-float sketch of each query, a
 * very sparse random projection that preserves L2 distances (see {@link SparseSketch}: relative
 * error of a distance about sqrt(1/dimensions), 9% at 64, averaged further by the mean over
 * neighbours), not on the raw features, so that state and time per query do not grow with the
 * input size.
 *
 * <p><b>Retries.</b> Each history entry carries a hash of the exact vector. Earlier queries that
 * are exact copies of this one are skipped, and copies among the earlier queries count once, so a
 * client that retries a request is compared with its distinct inputs only, and any number of
 * retries of one input leaves the detector at its cold start. A copy has the same hash and the
 * same sketch (distance 0 to this query, or the same distance as the earlier entry with its hash).
 * The hash is {@link CopyHash}, keyed by the seed, so that an attacker who does not know the seed
 * cannot give probes the hash of one input; the sketch check holds even for one who does.
 *
 * <p><b>Configuration</b> ({@code monitoring.detectors.<name>}, where the name is {@code knn} or
 * any name with {@code type: knn}):
 *
 * <table>
 *   <caption>knn keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code k}</td><td>20</td><td>neighbours averaged once the history is long enough,
 *       min_history..history</td></tr>
 *   <tr><td>{@code history}</td><td>100</td><td>recent queries kept per caller, 1..1000</td></tr>
 *   <tr><td>{@code min_history}</td><td>5</td><td>distinct earlier queries needed before a level is
 *       given, and the fewest neighbours averaged, 1..k</td></tr>
 *   <tr><td>{@code dimensions}</td><td>64</td><td>sketch size, 8..512</td></tr>
 *   <tr><td>{@code seed}</td><td>7919</td><td>sketch seed (integer)</td></tr>
 *   <tr><td>{@code ttl_seconds}</td><td>86400</td><td>how long a caller's history is kept after its
 *       last query, 1..604800</td></tr>
 *   <tr><td>{@code low}, {@code medium}, {@code high}</td><td>0.14, 0.125, 0.115</td><td>RMS
 *       distances per feature strictly below which the level is reached (as for every lower-is-worse
 *       detector; until round 2 of issue 3 a score equal to the threshold reached it too); 0 = level
 *       not used; low >= medium >= high</td></tr>
 *   <tr><td>{@code pool}, {@code width}</td><td>1, 0</td><td>for images: distances between the means
 *       of pool x pool tiles of an image width features wide ({@link LowPass}), so that probes with
 *       large per-pixel noise around one point stay close; the score is then per tile, and the
 *       thresholds must be calibrated for it</td></tr>
 * </table>
 *
 * <p><b>Calibration</b> of the defaults on 784-feature synthetic digit images in [0, 1]
 * (DetectorEfficacyTest: 2,000 benign callers x 50 queries, a fifth of them sending one class only,
 * with retries, and 5 batch jobs of 500): the lowest score any benign caller reached was 0.133, so
 * {@code high} = 0.115 leaves a margin of about 15%; NES with per-pixel probes of sigma 0.1 scores
 * about 0.08 to 0.10 (the largest probes of the tests), smooth NES about 0.05, a PCA-basis search
 * with sigma 0.2 about 0.05 (sigma 0.5 about 0.11: the edge of what is seen), NES with sigma 0.02
 * about 0.02, hill climbing about 0.03. Every one of them reaches {@code high} on the sixth query of
 * an account. The thresholds hold for inputs of this kind; for other data, calibrate them on its
 * benign traffic ({@code veil calibrate}).
 *
 * <p><b>State:</b> per caller one list of at most {@code history} entries of 8 + 4 x dimensions
 * bytes (264 bytes at 64), read and extended by one {@link StateOp.ListAppend} per query.
 *
 * <p><b>Cost</b> at 784 features, 64 dimensions and a full history of 100: the sketch, 100
 * distances ({@link SketchKernel}: on the Vector API when the JVM has it, the same bits either way)
 * and the store's list read and append; benchmarks/README.md gives DetectorBenchmark's figures with
 * and without the Vector API.
 */
public final class KnnDetector implements StatefulDetector {
    /**
     * Parsed configuration; see the class Javadoc.
     *
     * @param k neighbours averaged
     * @param history queries kept per caller
     * @param minHistory distinct earlier queries needed for a level
     * @param dimensions sketch size
     * @param seed sketch seed
     * @param ttlSeconds how long a history is kept
     * @param low RMS distance per feature for level low (0: not used)
     * @param medium for level medium (0: not used)
     * @param high for level high (0: not used)
     */
    public record Config(int k, int history, int minHistory, int dimensions, long seed, long ttlSeconds, double low,
            double medium, double high, LowPass lowPass) {
        /**
         * Defaults, calibrated on 784-feature images in [0, 1] (DetectorEfficacyTest): see the class
         * Javadoc of that test for the benign distribution of the score and the attacks' scores.
         */
        public static final Config DEFAULT = new Config(20, 100, 5, 64, 7919, 86_400, 0.14, 0.125, 0.115);

        public Config {
            if (history < 1 || history > 1000) {
                throw new IllegalArgumentException("history must be in [1, 1000], was " + history);
            }
            if (k < 1 || k > history) {
                throw new IllegalArgumentException("k must be in [1, history (" + history + ")], was " + k);
            }
            if (minHistory < 1 || minHistory > k) {
                throw new IllegalArgumentException("min_history must be in [1, k (" + k + ")], was " + minHistory);
            }
            if (dimensions < 8 || dimensions > 512) {
                throw new IllegalArgumentException("dimensions must be in [8, 512], was " + dimensions);
            }
            if (ttlSeconds < 1 || ttlSeconds > 604_800) {
                throw new IllegalArgumentException("ttl_seconds must be in [1, 604800], was " + ttlSeconds);
            }
            Thresholds.checkFalling(low, medium, high, "RMS distance per feature");
            lowPass = lowPass == null ? LowPass.NONE : lowPass;
        }

        /** A configuration on the features as they are. */
        public Config(int k, int history, int minHistory, int dimensions, long seed, long ttlSeconds, double low,
                double medium, double high) {
            this(k, history, minHistory, dimensions, seed, ttlSeconds, low, medium, high, LowPass.NONE);
        }

        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "k", "history", "min_history", "dimensions", "seed",
                "ttl_seconds", "low", "medium", "high", "pool", "width");

        /** Reads the configuration map; unknown keys (first) and wrong types are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig("knn", m, KEYS);
            c.string("type", "knn");
            Config d = DEFAULT;
            int k = c.intValue("k", d.k());
            Config cfg = new Config(k, c.intValue("history", d.history()),
                    c.intValue("min_history", Math.min(k, d.minHistory())), c.intValue("dimensions", d.dimensions()),
                    c.longValue("seed", d.seed()), c.longValue("ttl_seconds", d.ttlSeconds()),
                    c.doubleValue("low", d.low()), c.doubleValue("medium", d.medium()),
                    c.doubleValue("high", d.high()), LowPass.from(c));
            return cfg;
        }
    }

    private record Context(long vectorHash, float[] sketch, int features) {}

    private final String name;
    private final Config config;
    private final SparseSketch sketch;
    private final CopyHash copyHash;
    private final String prefix;
    private final long ttlMillis;

    public KnnDetector(String name, Config config) {
        this.name = name;
        this.config = config;
        this.sketch = new SparseSketch(config.dimensions(), config.seed());
        this.copyHash = new CopyHash(config.seed());
        this.prefix = "knn:" + name + ":";
        this.ttlMillis = config.ttlSeconds() * 1000;
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

    @Override
    public Object plan(Query q, List<StateOp> ops) {
        double[] x = q.features().vector();
        long vh = copyHash.of(x);
        double[] view = config.lowPass().apply(x);
        float[] s = sketch.project(view);
        ops.add(new StateOp.ListAppend(prefix + dev.veil.internal.state.StateKeys.of(q.caller()), sketch.encode(vh, s), config.history(), ttlMillis));
        return new Context(vh, s, view.length);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Signal evaluate(Query q, Object context, Object[] results, int from) {
        Context c = (Context) context;
        List<byte[]> previous = (List<byte[]>) results[from];
        double stat = meanNearest(c.vectorHash(), c.sketch(), previous, config.k(), config.minHistory(), sketch);
        if (stat < 0) {
            return new Signal(name, Level.NONE, -1);
        }
        double score = stat / Math.sqrt(Math.max(1, c.features()));
        return new Signal(name, Thresholds.levelBelow(score, config.low(), config.medium(), config.high()), score);
    }

    /**
     * The mean sketch distance to the nearest distinct earlier entries other than exact copies of
     * this vector: the {@code k} nearest, but at most half of them and at least {@code minHistory};
     * -1 when there are fewer than {@code minHistory} such entries. Entries of another length (another
     * sketch size) are skipped.
     */
    static double meanNearest(long vectorHash, float[] s, List<byte[]> previous, int k, int minHistory,
            SparseSketch sketch) {
        int n = previous.size();
        if (n < minHistory) {
            return -1;
        }
        int bytes = sketch.entryBytes();
        // open-addressing map of the vector hashes seen (0 marks an empty slot) to the distance of
        // their first entry: an entry is a copy of an earlier one only when both agree, and a copy of
        // this query only when its distance is 0 (the copy hash resists collisions only while the
        // seed is secret: an attacker who knows it could give different inputs one hash)
        int cap = Integer.highestOneBit(Math.max(16, 2 * n + 2)) << 1;
        long[] seen = new long[cap];
        double[] seenDistance = new double[cap];
        double[] dist = new double[n];
        int distinct = 0;
        long self = vectorHash == 0 ? 1 : vectorHash;
        if (previous instanceof PackedEntries p && p.stride() == bytes) {
            // the in-memory store's contiguous history: no array per entry, no copy per entry
            byte[] data = p.array();
            int base = p.offset();
            for (int i = n - 1; i >= 0; i--) { // newest first
                int off = base + i * bytes;
                long h = SparseSketch.entryHash(data, off);
                h = h == 0 ? 1 : h;
                double d = sketch.distance(s, data, off);
                if (h == self && d == 0 || !addNew(seen, seenDistance, h, d)) {
                    continue;
                }
                dist[distinct++] = d;
            }
            previous = List.of(); // done
            n = 0;
        }
        for (int i = n - 1; i >= 0; i--) { // newest first
            byte[] e = previous.get(i);
            if (e.length != bytes) {
                continue;
            }
            long h = SparseSketch.entryHash(e);
            h = h == 0 ? 1 : h;
            double d = sketch.distance(s, e);
            if (h == self && d == 0 || !addNew(seen, seenDistance, h, d)) {
                continue;
            }
            dist[distinct++] = d;
        }
        if (distinct < minHistory) {
            return -1;
        }
        int neighbours = Math.min(k, Math.max(minHistory, (distinct + 1) / 2));
        return meanOfSmallest(dist, distinct, neighbours);
    }

    /**
     * The mean of the {@code m} smallest of {@code v[0..n)}, summed in ascending order (so the
     * result depends only on the values, not on their order). Reorders {@code v}: the {@code m}
     * smallest are kept sorted at its front, by insertion, so that a value not among the smallest so
     * far costs one comparison (about m ln(n / m) insertions on values in random order, instead of a
     * sort of all n).
     */
    static double meanOfSmallest(double[] v, int n, int m) {
        int kept = Math.min(m, n);
        java.util.Arrays.sort(v, 0, kept);
        for (int i = kept; i < n; i++) {
            double x = v[i];
            if (x < v[kept - 1]) {
                int j = kept - 1;
                while (j > 0 && v[j - 1] > x) {
                    v[j] = v[j - 1];
                    j--;
                }
                v[j] = x;
            }
        }
        double sum = 0;
        for (int j = 0; j < m; j++) {
            sum += v[j];
        }
        return sum / m;
    }

    /**
     * Adds hash {@code h} with distance {@code d}; false when an entry with that hash and the same
     * distance was added before (a copy of it).
     */
    private static boolean addNew(long[] set, double[] distances, long h, double d) {
        int mask = set.length - 1;
        int i = (int) QueryHashing.mix(h) & mask;
        while (set[i] != 0) {
            if (set[i] == h) {
                return distances[i] != d;
            }
            i = (i + 1) & mask;
        }
        set[i] = h;
        distances[i] = d;
        return true;
    }

    /** One history entry: the vector hash and the sketch. */
    @Override
    public boolean higherIsWorse() {
        return false; // a small mean distance to recent queries is the walk; -1 marks a cold start
    }

    @Override
    public boolean readsFeaturesInRecord() {
        return false;
    }

    @Override
    public long bytesPerQuery() {
        return sketch.entryBytes() + 16; // the store's per-entry overhead
    }
}
