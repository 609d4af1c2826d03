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
 * Antithetic pairs: the signature of NES gradient estimation (Ilyas et al. 2018, and every
 * attack built on it), which sends its probes in pairs {@code x + sigma u}, {@code x - sigma u}
 * around the point {@code x} it is moving, several pairs per step. Whatever {@code sigma} and
 * whatever the directions {@code u} (per-pixel noise, smooth noise, or directions in a basis
 * learned from natural images, whose probes look like natural inputs), the two probes of a pair
 * have the same midpoint, {@code x}, and so do all the pairs of one step. Two probes of sigma 1
 * in a natural-image basis are as far apart as two independent images of one class, so distance
 * detectors ({@code knn}) cannot tell them from a caller who sends one class of images; their
 * shared midpoints can.
 *
 * <p><b>Score.</b> Each query forms a pair with the caller's previous query (and, with {@code gap}
 * g, with each of its g previous queries). Over the features in
 * which the two differ by more than {@code 2 tolerance} (those the pair says something about),
 * the agreement with an earlier pair of queries (consecutive, or at most g apart) is the fraction whose midpoints lie
 * within {@code tolerance} of each other, except where both pairs switch between the same two
 * values and one of them is a fill this pair holds in many features (at least an eighth of its
 * changed features, and 4): an explanation client's patches hidden behind one grey, or binary
 * features flipped back and forth, give every pair the same midpoint without being probes around
 * a point. Probes x +- sigma with random signs repeat their values from pair to pair too, but
 * around per-feature values, not a fill, and count. The score is the {@code matches}-th
 * largest agreement over the earlier pairs among the last {@code history} queries (those holding
 * the partner left out; with g above 1, the highest over the g pairs of this query), in [0, 1]: a
 * midpoint shared by at least {@code matches} earlier pairs scores high. It is 0 while fewer than
 * {@code matches} earlier pairs are there, when the two queries differ in fewer than
 * {@code min_changed} features, or when they are exact copies. Earlier pairs of an input and its
 * retry, and those that contain an exact copy of either query, are skipped: a pair of an input
 * and its retry says nothing, and a client retrying two requests in turn (A, B, A, B: every pair
 * has the midpoint of A and B) is not an attack. Probes clipped to the input's range (a pixel of
 * 0 cannot go below it) lose their symmetry in the clipped features, which is why the score is a
 * share, not a distance, and why, with {@code range} set to the range valid inputs are clipped
 * to, features at either end of it in either query of a pair are left out of the comparison: on
 * Fashion-MNIST images NES pairs then agree in 60 to 90% of the changed features, the pairs of
 * honest callers sending independent images in at most about 22% (policies/README.md,
 * "Antithetic pairs").
 *
 * <p><b>Honest callers it flags.</b> A client that sends each input at symmetric settings on
 * purpose (a gain or contrast sweep 1, 1.1, 0.9, 1.2, 0.8 around it) sends antithetic pairs too.
 * Give such clients a role of their own and leave the detector's block out for it.
 *
 * <p><b>Other queries between the probes.</b> With the default {@code gap} of 1, pairs are
 * consecutive queries: one ordinary input after each pair leaves only one earlier pair in the last
 * 6 queries, and one between the two probes of each pair (or a refusal that shifts the attacker's
 * schedule) leaves none. {@code gap: 3} with {@code history: 12} sees pairs whose probes are up to
 * two other queries apart and keeps enough of them (the image-classifier bundle's setting: the
 * inversion demo's attacker with a decoy after each pair, spread over 5 accounts of one tenant,
 * got 110 answers instead of 2,072), at about 4 times the cost (each query pairs with g earlier
 * ones, each compared with about g history other pairs), and with thresholds calibrated for it:
 * more pairs compared means higher scores for honest callers too.
 *
 * <p><b>What it does not see.</b> An attacker who sends the two probes of each pair from
 * accounts of different tenants (or among a busy tenant's other callers), puts more than
 * {@code gap - 1} other queries between them, gives up antithetic sampling (at the price of a
 * noisier gradient estimate: about twice the queries), or adds fresh noise to each probe (a fifth
 * of sigma is enough: the two probes of a pair then share their midpoint only within that noise)
 * is not seen by this detector; {@code knn}, {@code knn_global} and {@code near_duplicate} still
 * look at such a stream.
 *
 * <p><b>Configuration</b> ({@code monitoring.detectors.<name>}, where the name is
 * {@code antithetic} or any name with {@code type: antithetic}):
 *
 * <table>
 *   <caption>antithetic keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code history}</td><td>6</td><td>recent queries kept per caller, 4..64</td></tr>
 *   <tr><td>{@code matches}</td><td>2</td><td>earlier pairs that must share the midpoint,
 *       1..history / 2 - 1</td></tr>
 *   <tr><td>{@code gap}</td><td>1</td><td>how far apart the two queries of a pair may be: 1 for
 *       consecutive queries, g to also pair queries with up to g - 1 others between them;
 *       1..min(8, history - 2)</td></tr>
 *   <tr><td>{@code tolerance}</td><td>0.01</td><td>midpoints within this distance per feature
 *       agree (in the features' own units: 0.01 for pixels in [0, 1]), in [0.000001, 1000]; with
 *       {@code range}, at least its width / 8,191 (values are kept as 16-bit multiples of
 *       tolerance / 8 from its middle) and at most a quarter of its width</td></tr>
 *   <tr><td>{@code min_changed}</td><td>8</td><td>features a pair must change (by more than 2
 *       tolerance) before it is scored, 1..features</td></tr>
 *   <tr><td>{@code range}</td><td>none</td><td>{@code [low, high]}, the range inputs are clipped to
 *       (validation's: {@code [0, 1]} for pixels); features that round to either end (within
 *       tolerance / 16) are not compared</td></tr>
 *   <tr><td>{@code scope}</td><td>caller</td><td>whose consecutive queries form pairs: each
 *       caller's ({@code caller}), each tenant's ({@code tenant}: an attack spread over accounts
 *       of one tenant, round-robin, still sends its pairs one after the other in the tenant's
 *       stream, as long as the tenant's other callers are quiet), or everybody's
 *       ({@code global})</td></tr>
 *   <tr><td>{@code features}</td><td>256</td><td>features compared, a fixed sample of the input's
 *       (all of them when it has no more), 8..4096</td></tr>
 *   <tr><td>{@code seed}</td><td>6271</td><td>the sample's seed (integer)</td></tr>
 *   <tr><td>{@code ttl_seconds}</td><td>3600</td><td>how long a caller's history is kept after its
 *       last query, 60..2592000</td></tr>
 *   <tr><td>{@code low}, {@code medium}, {@code high}</td><td>0.25, 0.28, 0.3</td><td>agreements at
 *       or above which the level is reached; 0 = level not used, else in [0.01, 1], non-decreasing</td></tr>
 *   <tr><td>{@code pool}, {@code width}</td><td>1, 0</td><td>for images: work on the means of pool x
 *       pool tiles ({@link LowPass}) before the sample is drawn</td></tr>
 * </table>
 *
 * <p><b>State:</b> per caller one list of at most {@code history} entries of 8 + 2 n bytes (a
 * header: a tag of the input's size and the configuration, whose change ends the caller's run of
 * pairs, and a hash of the units, a quick test for copies), n
 * being {@code features} (520 bytes at 256) or the input's size when it is smaller: the detector
 * compares a fixed sample of {@code features} of the input's features (chosen by {@code seed}),
 * enough to estimate a share of agreeing features within a few percent, each kept as a 16-bit
 * multiple of {@code tolerance / 8} from the middle of {@code range} (from 0 without one); values
 * beyond the 16-bit range (4,095 tolerances from there) are kept as out of range and not
 * compared.
 *
 * <p><b>Cost:</b> one pass over the n sampled features to decode each kept entry, then, for each
 * of the g pairs of this query, one over the n features for each earlier pair (at most g
 * {@code history} of them; {@link PairKernel}, vectorised with {@code jdk.incubator.vector}); a
 * second pass, over the pair's changed features, only for the few earlier pairs that decide the
 * score and hold features switched between the same two values. Working arrays per thread:
 * about 4 (history + 5) n bytes (the kept entries decoded to ints).
 */
public final class AntitheticDetector implements StatefulDetector {
    /** The detector's type name. */
    public static final String TYPE = "antithetic";

    /** Steps of {@code tolerance} per 16-bit unit. */
    private static final int UNITS_PER_TOLERANCE = 8;
    /** The largest {@code gap}: each query is paired with at most this many earlier ones. */
    static final int MAX_GAP = 8;
    /** A feature beyond the 16-bit range. */
    private static final short OUT_OF_RANGE = Short.MIN_VALUE;

    /**
     * Parsed configuration; see the class Javadoc.
     *
     * @param history queries kept per caller
     * @param matches earlier pairs that must share the midpoint
     * @param tolerance largest difference of agreeing midpoints, per feature
     * @param minChanged features a pair must change before it is scored
     * @param features features compared (a sample of the input's)
     * @param seed the sample's seed
     * @param ttlSeconds how long a history is kept
     * @param low agreement for level low (0: not used)
     * @param medium for level medium (0: not used)
     * @param high for level high (0: not used)
     * @param lowPass the view of the features compared
     * @param range {@code [low, high]} inputs are clipped to, or null
     * @param scope whose consecutive queries form pairs: each caller's, each tenant's, or everybody's
     * @param gap how far apart in the stream the two queries of a pair may be (1: consecutive)
     */
    public record Config(int history, int matches, double tolerance, int minChanged, int features, long seed,
            long ttlSeconds, double low, double medium, double high, LowPass lowPass, double[] range,
            RateDetector.Scope scope, int gap) {
        /** Defaults: see the class Javadoc. */
        public static final Config DEFAULT = new Config(6, 2, 0.01, 8, 256, 6271, 3600, 0.25, 0.28,
                0.3, LowPass.NONE, null, RateDetector.Scope.CALLER, 1);

        public Config {
            if (history < 4 || history > 64) {
                throw new IllegalArgumentException("history must be in [4, 64], was " + history);
            }
            if (gap < 1 || gap > Math.min(MAX_GAP, history - 2)) {
                throw new IllegalArgumentException("gap must be in [1, " + Math.min(MAX_GAP, history - 2)
                        + "] (at most " + MAX_GAP + " and history (" + history + ") - 2), was " + gap);
            }
            if (matches < 1 || matches > history / 2 - 1) {
                throw new IllegalArgumentException("matches must be in [1, history / 2 - 1 (" + (history / 2 - 1)
                        + ")], was " + matches);
            }
            if (!(tolerance >= 1e-6 && tolerance <= 1000)) {
                throw new IllegalArgumentException("tolerance must be in [0.000001, 1000], was " + tolerance);
            }
            if (features < 8 || features > 4096) {
                throw new IllegalArgumentException("features must be in [8, 4096], was " + features);
            }
            if (minChanged < 1 || minChanged > features) {
                throw new IllegalArgumentException("min_changed must be in [1, features (" + features + ")], was "
                        + minChanged);
            }
            if (ttlSeconds < 60 || ttlSeconds > 2_592_000) {
                throw new IllegalArgumentException("ttl_seconds must be in [60, 2592000], was " + ttlSeconds);
            }
            Thresholds.checkRising(low, medium, high, 0.01, 1, "share of changed features", "1");
            lowPass = lowPass == null ? LowPass.NONE : lowPass;
            if (range != null && !(range.length == 2 && Double.isFinite(range[0]) && Double.isFinite(range[1])
                    && range[0] < range[1])) {
                throw new IllegalArgumentException("range must be [low, high] with finite low < high, was "
                        + java.util.Arrays.toString(range));
            }
            if (range != null && (range[1] - range[0]) / 2 * UNITS_PER_TOLERANCE / tolerance > Short.MAX_VALUE - 1) {
                // values are kept as 16-bit multiples of tolerance / 8 from the range's middle
                double least = (range[1] - range[0]) / 2 * UNITS_PER_TOLERANCE / (Short.MAX_VALUE - 1);
                throw new IllegalArgumentException("range " + fmt(range[0]) + ".." + fmt(range[1]) + " needs a "
                        + "tolerance of at least " + new java.math.BigDecimal(least).round(new java.math.MathContext(4,
                        java.math.RoundingMode.UP)).stripTrailingZeros().toPlainString()
                        + " (values are kept as 16-bit multiples of tolerance / 8 from the range's middle), was "
                        + tolerance);
            }
            if (range != null && range[1] - range[0] < 4 * tolerance) {
                throw new IllegalArgumentException("range " + fmt(range[0]) + ".." + fmt(range[1]) + " is narrower "
                        + "than 4 tolerances (" + tolerance + "): no feature inside it could change by more than 2 "
                        + "tolerances, so no pair would ever be scored; lower the tolerance");
            }
            range = range == null ? null : range.clone();
            scope = scope == null ? RateDetector.Scope.CALLER : scope;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && history == c.history && matches == c.matches
                    && Double.compare(tolerance, c.tolerance) == 0 && minChanged == c.minChanged
                    && features == c.features && seed == c.seed && ttlSeconds == c.ttlSeconds
                    && Double.compare(low, c.low) == 0 && Double.compare(medium, c.medium) == 0
                    && Double.compare(high, c.high) == 0 && lowPass.equals(c.lowPass)
                    && java.util.Arrays.equals(range, c.range) && scope == c.scope && gap == c.gap;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(history, matches, tolerance, minChanged, features, seed, ttlSeconds, low,
                    medium, high, lowPass, java.util.Arrays.hashCode(range), scope, gap);
        }

        @Override
        public double[] range() {
            return range == null ? null : range.clone();
        }

        private static String fmt(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
        }

        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "history", "matches", "tolerance", "min_changed",
                "features", "seed", "ttl_seconds", "low", "medium", "high", "pool", "width", "range", "scope", "gap");

        /** Reads the configuration map; unknown keys (first) and wrong types are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig(TYPE, m, KEYS);
            c.string("type", TYPE);
            Config d = DEFAULT;
            return new Config(c.intValue("history", d.history()), c.intValue("matches", d.matches()),
                    c.doubleValue("tolerance", d.tolerance()), c.intValue("min_changed", d.minChanged()),
                    c.intValue("features", d.features()), c.longValue("seed", d.seed()),
                    c.longValue("ttl_seconds", d.ttlSeconds()), c.doubleValue("low", d.low()),
                    c.doubleValue("medium", d.medium()), c.doubleValue("high", d.high()), LowPass.from(c),
                    c.range("range"), RateDetector.Scope.of(c.string("scope", "caller")), c.intValue("gap", d.gap()));
        }

    }

    /**
     * One query: its entry's header (the run tag in the high 32 bits, the units' hash in the low
     * 32) and its units.
     */
    private record Context(long header, short[] units) {}

    /** The sample of an input size: which features are compared. */
    private record Sample(int size, int[] indices) {}

    private final String name;
    private final Config config;
    private final String prefix;
    private final long ttlMillis;
    private final double unitsPerFeatureUnit;
    /** Where 0 units is: the middle of {@code range}, or 0 without one. */
    private final double origin;
    /** What entries of one run share besides their length: the configuration that made them. */
    private final int configTag;
    /** Units at or below which, and at or above which, a feature is at the end of the range. */
    private final int lowUnits;
    private final int highUnits;
    private volatile Sample sample = new Sample(-1, new int[0]);

    public AntitheticDetector(String name, Config config) {
        this.name = name;
        this.config = config;
        this.prefix = config.scope().prefix(TYPE + ":" + name + ":");
        this.ttlMillis = config.ttlSeconds() * 1000;
        this.unitsPerFeatureUnit = UNITS_PER_TOLERANCE / config.tolerance();
        this.configTag = java.util.Objects.hash(config.tolerance(), config.features(), config.seed(),
                config.lowPass(), java.util.Arrays.hashCode(config.range()));
        double[] range = config.range();
        this.origin = range == null ? 0 : (range[0] + range[1]) / 2;
        // OUT_OF_RANGE is the lowest 16-bit value, so it is always at or below lowUnits; the range's
        // ends are within the 16-bit range (Config checks it)
        this.lowUnits = range == null ? OUT_OF_RANGE : (int) Math.rint((range[0] - origin) * unitsPerFeatureUnit);
        this.highUnits = range == null ? Short.MAX_VALUE + 1 : (int) Math.rint((range[1] - origin) * unitsPerFeatureUnit);
    }

    /**
     * Whether a feature's units say nothing about a midpoint: out of the 16-bit range
     * ({@link #OUT_OF_RANGE}, at or below {@link #lowUnits} whatever the range), or clipped.
     */
    private boolean blind(int u) {
        return u <= lowUnits || u >= highUnits;
    }

    /** Creates the detector from its configuration map. */
    static AntitheticDetector create(String name, Map<String, Object> m) {
        return new AntitheticDetector(name, Config.from(m));
    }

    public Config config() {
        return config;
    }

    @Override
    public boolean onPublishedSeed() {
        return config.seed() == Config.DEFAULT.seed();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String featuresProblem(long features) {
        String misfit = config.lowPass().misfit(features);
        if (misfit != null) {
            return misfit;
        }
        long tile = (long) config.lowPass().block() * config.lowPass().block();
        long viewed = features / tile;
        if (viewed < config.minChanged()) {
            return "min_changed is " + config.minChanged() + " but the input has " + viewed + " features"
                    + (config.lowPass().active() ? " after pooling" : "") + ": no pair could ever be scored";
        }
        return null;
    }

    @Override
    public Object plan(Query q, List<StateOp> ops) {
        double[] x = q.features().vector();
        short[] units = quantise(config.lowPass().apply(x));
        long header = header(x.length, unitsHash(units));
        ops.add(new StateOp.ListAppend(config.scope().key(prefix, q.caller()), encode(header, units), config.history(),
                ttlMillis));
        return new Context(header, units);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Signal evaluate(Query q, Object context, Object[] results, int from) {
        Context c = (Context) context;
        double score = score(c.header(), c.units(), (List<byte[]>) results[from]);
        return new Signal(name, Thresholds.levelAtLeast(score, config.low(), config.medium(), config.high()), score);
    }

    /**
     * The sampled features as 16-bit multiples of tolerance / 8 ({@link #OUT_OF_RANGE} beyond them
     * and for NaN, which validation keeps out of a Guard).
     */
    short[] quantise(double[] view) {
        int[] idx = indices(view.length);
        short[] u = new short[idx.length];
        for (int i = 0; i < idx.length; i++) {
            double v = Math.rint((view[idx[i]] - origin) * unitsPerFeatureUnit);
            u[i] = v >= -Short.MAX_VALUE && v <= Short.MAX_VALUE ? (short) v : OUT_OF_RANGE;
        }
        return u;
    }

    /**
     * The features compared for inputs of {@code size} features: all of them when there are at most
     * {@code features}, else a sample of {@code features} drawn without replacement by {@code seed}
     * (the same for every query of that size), in ascending order.
     */
    int[] indices(int size) {
        Sample s = sample;
        if (s.size() == size) {
            return s.indices();
        }
        int[] idx;
        if (size <= config.features()) {
            idx = new int[size];
            for (int i = 0; i < size; i++) {
                idx[i] = i;
            }
        } else {
            int[] all = new int[size];
            for (int i = 0; i < size; i++) {
                all[i] = i;
            }
            java.util.SplittableRandom r = new java.util.SplittableRandom(config.seed());
            for (int i = 0; i < config.features(); i++) { // a partial Fisher-Yates shuffle
                int j = i + r.nextInt(size - i);
                int t = all[i];
                all[i] = all[j];
                all[j] = t;
            }
            idx = java.util.Arrays.copyOf(all, config.features());
            java.util.Arrays.sort(idx);
        }
        sample = new Sample(size, idx);
        return idx;
    }

    /**
     * An entry's header: in the high 32 bits a tag of the input's size and the configuration
     * (entries of another input size or configuration end a run, even when they have the same
     * length: two inputs larger than {@code features} both keep {@code features} values), in the
     * low 32 a hash of the units (entries with another header are not copies; with the same header,
     * their units are compared).
     */
    long header(int inputSize, long unitsHash) {
        long tag = QueryHashing.mix(configTag * 31L + inputSize);
        return (tag << 32) | (unitsHash & 0xFFFF_FFFFL);
    }

    /**
     * A hash of the units: what this detector sees of an input, so two inputs with the same units
     * are copies to it (they differ only where it does not look, and could form no pair).
     */
    static long unitsHash(short[] units) {
        long h = units.length;
        for (short u : units) {
            h = h * QueryHashing.GOLDEN + u;
        }
        return QueryHashing.mix(h);
    }

    /** One history entry: the header, then the features' units, big-endian. */
    static byte[] encode(long header, short[] units) {
        byte[] e = new byte[8 + 2 * units.length];
        for (int i = 0; i < 8; i++) {
            e[i] = (byte) (header >>> (56 - 8 * i));
        }
        for (int i = 0; i < units.length; i++) {
            e[8 + 2 * i] = (byte) (units[i] >> 8);
            e[9 + 2 * i] = (byte) units[i];
        }
        return e;
    }

    private static long hashAt(byte[] a, int off) {
        long h = 0;
        for (int i = 0; i < 8; i++) {
            h = (h << 8) | (a[off + i] & 0xFF);
        }
        return h;
    }

    private static final java.lang.invoke.VarHandle SHORTS = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            short[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private static short unitAt(byte[] a, int off, int i) {
        return (short) SHORTS.get(a, off + 8 + 2 * i);
    }

    /**
     * The highest score of the pairs of this query with each of the {@code gap} newest entries of
     * {@code previous}: for each, the {@code matches}-th largest agreement with the other pairs of
     * entries of {@code previous} at most {@code gap} apart (those holding the partner left out); 0
     * when no pair can be scored (see the class Javadoc). Only the newest run of entries of this
     * input size and configuration counts: an entry of another kind ends it.
     */
    double score(long header, short[] current, List<byte[]> previous) {
        int n = current.length;
        int stride = 8 + 2 * n;
        int tag = (int) (header >>> 32);
        // only the newest run of entries made from inputs of this size with this configuration forms
        // pairs: an entry of another kind is a gap in the caller's stream as this detector sees it
        byte[] data;
        int base;
        int size = previous.size();
        int first = size;
        if (previous instanceof PackedEntries p && p.stride() == stride) {
            data = p.array();
            while (first > 0 && (int) (hashAt(data, p.offset() + (first - 1) * stride) >>> 32) == tag) {
                first--;
            }
            base = p.offset() + first * stride;
        } else {
            while (first > 0) {
                byte[] e = previous.get(first - 1);
                if (e.length != stride || (int) (hashAt(e, 0) >>> 32) != tag) {
                    break;
                }
                first--;
            }
            PackedEntries run = PackedEntries.of(previous.subList(first, size), stride);
            data = run.array();
            base = run.offset();
        }
        int m = size - first;
        if (m < 2) {
            return 0;
        }
        Scratch w = SCRATCH.get().fit(m, n, config.gap());
        // the run's units, decoded once (FAR where blind), and which entries are copies of which (the
        // first of each set of copies stands for it) or of this query: the same header (a fast hash,
        // which an attacker can make collide on purpose) and the same units
        int[] u = w.units;
        for (int e = 0; e < m; e++) {
            int oe = base + e * stride;
            for (int f = 0; f < n; f++) {
                int v = unitAt(data, oe, f);
                u[e * n + f] = blind(v) ? FAR : v;
            }
            long h = hashAt(data, oe);
            w.headers[e] = h;
            w.same[e] = e;
            for (int d = 0; d < e; d++) {
                if (w.headers[d] == h && sameEntry(data, base + d * stride, oe, n)) {
                    w.same[e] = w.same[d];
                    break;
                }
            }
            w.copyOfCurrent[e] = h == header && sameUnits(current, data, oe);
        }
        // the earlier pairs: entries (i, j) at most gap apart, neither a copy of the other nor of this query
        int pairs = 0;
        for (int j = 1; j < m; j++) {
            for (int i = j - 1; i >= Math.max(0, j - config.gap()); i--) {
                if (w.same[i] != w.same[j] && !w.copyOfCurrent[i] && !w.copyOfCurrent[j]) {
                    w.pairI[pairs] = i;
                    w.pairJ[pairs++] = j;
                }
            }
        }
        double score = 0;
        for (int p = m - 1; p >= Math.max(0, m - config.gap()); p--) {
            if (!w.copyOfCurrent[p]) { // else a retry: the pair says nothing
                score = Math.max(score, pairScore(current, n, p, pairs, w));
            }
        }
        return score;
    }

    /**
     * A blind feature's units in {@link Scratch#units}: the sum of a pair holding it lies at least
     * {@code FAR - 2^16} from any midpoint sum, and a midpoint sum of {@code -2 FAR} (a feature the
     * pair did not change) at least {@code FAR} from any pair's sum, far beyond {@code 2 tolerance}.
     */
    private static final int FAR = 1 << 24;

    /** Per-thread working arrays of {@link #score}, grown as needed. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        int[] units = new int[0];
        long[] headers = new long[0];
        int[] same = new int[0];
        boolean[] copyOfCurrent = new boolean[0];
        int[] pairI = new int[0];
        int[] pairJ = new int[0];
        int[] agree = new int[0];
        int[] plain = new int[0];
        int[] order = new int[0];
        int[] sums = new int[0];
        int[] values = new int[0];
        int[] changed = new int[0];
        int[] mine = new int[0];
        int[] theirs = new int[0];

        Scratch fit(int m, int n, int gap) {
            if (headers.length < m) {
                headers = new long[m];
                same = new int[m];
                copyOfCurrent = new boolean[m];
            }
            if (units.length < m * n) {
                units = new int[m * n];
            }
            int pairs = m * gap;
            if (pairI.length < pairs) {
                pairI = new int[pairs];
                pairJ = new int[pairs];
                agree = new int[pairs];
                plain = new int[pairs];
                order = new int[pairs];
            }
            if (changed.length < n) {
                sums = new int[n];
                values = new int[n];
                changed = new int[n];
                mine = new int[n];
                theirs = new int[n];
            }
            return this;
        }
    }

    /**
     * The {@code matches}-th largest agreement of the pair (this query, entry {@code p} of the run)
     * with the earlier pairs in {@code w} that do not hold entry {@code p} or a copy of it; 0 when it
     * cannot be scored.
     */
    private double pairScore(short[] current, int n, int p, int pairs, Scratch w) {
        int[] u = w.units;
        int tol2 = 2 * UNITS_PER_TOLERANCE; // the sums of a pair are twice their midpoint
        // the features this pair changed (neither query clipped nor out of range there), its values
        // there, and its midpoint sums (-2 FAR elsewhere, which no pair's sum comes near)
        int[] sums = w.sums;
        int[] values = w.values;
        int[] changed = w.changed;
        int[] mine = w.mine;
        int[] theirs = w.theirs;
        int changedCount = 0;
        int op = p * n;
        for (int f = 0; f < n; f++) {
            int a = current[f];
            int b = u[op + f];
            if (!blind(a) && b != FAR && Math.abs(a - b) > tol2) {
                changed[changedCount] = f;
                mine[changedCount] = a;
                theirs[changedCount++] = b;
                sums[f] = a + b;
                values[f] = a;
            } else {
                sums[f] = -2 * FAR;
            }
        }
        if (changedCount < config.minChanged()) {
            return 0;
        }
        // for each counting pair, in one pass over all features (PairKernel): the changed features
        // whose midpoints agree, those of them switched between the same two values in both pairs
        // (which count unless one value is a fill, below) and the others (which count)
        int partnerSet = w.same[p];
        int candidates = 0;
        for (int q = 0; q < pairs; q++) {
            int i = w.pairI[q];
            int j = w.pairJ[q];
            if (w.same[i] == partnerSet || w.same[j] == partnerSet) {
                continue; // holds the partner or a copy of it
            }
            int oi = i * n;
            int oj = j * n;
            long counts = PairKernel.INSTANCE.count(sums, values, u, oi, oj, n, tol2);
            int plain = (int) counts;
            int switched = (int) (counts >>> 32);
            // insertion into the candidates by the most they can count, highest first
            int most = plain + switched;
            int at = candidates++;
            while (at > 0 && w.agree[at - 1] < most) {
                w.agree[at] = w.agree[at - 1];
                w.plain[at] = w.plain[at - 1];
                w.order[at] = w.order[at - 1];
                at--;
            }
            w.agree[at] = most;
            w.plain[at] = switched == 0 ? plain : -1;
            w.order[at] = q;
        }
        int k = config.matches();
        if (candidates < k) {
            return 0;
        }
        // the k-th largest count once the fills are out (which only lowers a count): take the pairs by
        // the most they can count, highest first, until k are known whose k-th is at least the next most
        int[] best = new int[k]; // descending
        int known = 0;
        Fills fills = null; // made when first needed
        for (int r = 0; r < candidates && (known < k || best[k - 1] < w.agree[r]); r++) {
            int a = w.plain[r]; // exact when no agreeing feature was switched between the same values
            if (a < 0) {
                fills = fills == null ? new Fills(mine, theirs, changedCount) : fills;
                a = counted(u, w.pairI[w.order[r]] * n, w.pairJ[w.order[r]] * n, changed, mine, theirs, changedCount,
                        fills);
            }
            int at = known < k ? known++ : k;
            while (at > 0 && best[at - 1] < a) {
                if (at < k) {
                    best[at] = best[at - 1];
                }
                at--;
            }
            if (at < k) {
                best[at] = a;
            }
        }
        return (double) best[k - 1] / changedCount;
    }

    /**
     * The changed features (the pair's {@code changed}, {@code mine}, {@code theirs}) whose midpoints
     * agree with those of the earlier pair at {@code oi}, {@code oj} in {@code u}, except where both
     * pairs switch between the same two values and one of them is a fill of the pair.
     */
    private static int counted(int[] u, int oi, int oj, int[] changed, int[] mine, int[] theirs, int changedCount,
            Fills fills) {
        int tol2 = 2 * UNITS_PER_TOLERANCE;
        int a = 0;
        for (int t = 0; t < changedCount; t++) {
            int f = changed[t];
            int c = u[oj + f];
            int d = u[oi + f];
            if (Math.abs(mine[t] + theirs[t] - (c + d)) >= tol2) {
                continue; // also where c or d is blind (FAR)
            }
            if ((Math.abs(mine[t] - c) <= tol2 || Math.abs(mine[t] - d) <= tol2)
                    && (fills.isFill(mine[t]) || fills.isFill(theirs[t]))) {
                // Switched between the same two values in both pairs, one of them a fill shared by many
                // features (an explanation client's grey, the 0 and 1 of binary features): agrees without
                // any probe around a point, and does not count. Probes x +- sigma with per-feature x (sign
                // directions) repeat their values too, but hold no fill.
                continue;
            }
            a++;
        }
        return a;
    }

    private static boolean sameEntry(byte[] data, int a, int b, int n) {
        return java.util.Arrays.equals(data, a + 8, a + 8 + 2 * n, data, b + 8, b + 8 + 2 * n);
    }

    private static boolean sameUnits(short[] units, byte[] data, int off) {
        for (int i = 0; i < units.length; i++) {
            if (units[i] != unitAt(data, off, i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The fills of one pair: values that at least an eighth of its {@code count} changed features
     * (and at least 4) hold on one side or the other. Each value asked about is counted once, by a
     * pass over both sides, and remembered; after 4 values that are not fills, any other is taken
     * for none (a fill is frequent, so it is met among the first: a masked feature holds it on one
     * side; probes x +- sigma with per-feature x repeat many values, none of them a fill, and would
     * otherwise cost a pass each).
     */
    static final class Fills {
        private final int[] mine;
        private final int[] theirs;
        private final int count;
        private final int least;
        private final int[] known = new int[16];
        private final boolean[] fill = new boolean[16];
        private int size;
        private int misses;

        Fills(int[] mine, int[] theirs, int count) {
            this.mine = mine;
            this.theirs = theirs;
            this.count = count;
            this.least = Math.max(4, count / 8);
        }

        boolean isFill(int u) {
            for (int i = 0; i < size; i++) {
                if (known[i] == u) {
                    return fill[i];
                }
            }
            if (misses >= 4) {
                return false;
            }
            int n = 0;
            for (int t = 0; t < count; t++) {
                n += (mine[t] == u ? 1 : 0) + (theirs[t] == u ? 1 : 0);
            }
            boolean f = n >= least;
            if (size < known.length) {
                known[size] = u;
                fill[size++] = f;
            }
            misses += f ? 0 : 1;
            return f;
        }
    }

    @Override
    public boolean readsFeaturesInRecord() {
        return false;
    }

    @Override
    public long bytesPerQuery() {
        return 8 + 2L * config.features() + 16; // the entry (at most) and the store's overhead per entry
    }
}
