package dev.veil.internal.monitor;

import dev.veil.Signal;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Images too smooth to be natural: the share of a caller's recent queries that lack the fine detail
 * of real images. An inversion attacker that draws its probes from a low-dimensional basis learned
 * from public images (NES, Ilyas et al., ICML 2018, in the coefficients of a few dozen principal
 * components) sends images that look natural to every distance check, and, without antithetic
 * pairs, get past {@code antithetic}; but a few dozen components cannot carry the edges and texture
 * of a real image, so nearly half of its probes are smoother than all but 1% of real ones, while an
 * honest caller of any one class sends at most a few per cent of such images.
 *
 * <p><b>Per query:</b> the features are read as an image {@code width} values wide (rows after
 * rows), and its roughness is the RMS difference between the image and its 3x3 box blur (edges
 * replicated) divided by the RMS deviation of its values from their mean. The query is smooth when
 * its roughness is below {@code floor} (a constant image, which has no deviation, is smooth). The
 * default floor, 0.238, is the 1st percentile of the 10,000 Fashion-MNIST test images.
 *
 * <p><b>Score:</b> the share of the caller's queries (with {@code scope}, the tenant's or everybody's:
 * below; the same for what follows) in the last {@code window_seconds} that were
 * smooth, this one included, given on smooth queries once the caller has sent {@code min_queries}
 * in the window (otherwise 0, level {@code none}: a query with detail raises nothing). Rises with
 * suspicion. Decoys dilute it: natural images sent between the probes lower the share.
 *
 * <p><b>A smooth query repeated counts once.</b> An exact copy of a smooth query the caller sent in
 * the window (a client's retry) does not count again among the smooth queries, so a client that
 * resends one of the few smooth real images is not taken for a prober. A query is a copy when the
 * first 64 bits of the SHA-256 of its values (each as its IEEE bits, {@code -0.0} as {@code 0.0})
 * equal an earlier one's: no key, so an attacker who knows everything about the bundle still cannot
 * make a probe pass as a copy of another query short of a 2^32-step birthday search per probe. The
 * smooth counter remembers the last {@value #RECENT_QUERIES} smooth queries it counted
 * ({@link StateOp.CountNewInWindow}); a copy of an older one counts again. All queries count among
 * all queries, copies too: copies of an image with detail dilute the share as other natural images
 * between the probes do (decoys, above), which an attacker with public images has anyway. Only
 * smooth queries are hashed (about 1% of real images), so the hash costs nothing on most traffic.
 *
 * <p><b>Spread over accounts.</b> With {@code scope: tenant} the shares are those of each tenant's
 * queries, all its callers together (callers without a tenant are one; with {@code global},
 * everybody's): an attacker who spreads the
 * probes over a tenant's accounts sends each of them too few, or too slowly, for its own window,
 * and the tenant's stream still holds them all. An honest tenant's share stays near the 1% of its
 * images that are smooth, however many callers it has; a query with detail raises nothing here
 * either, so in a tenant whose share an attacker has raised, only the tenant's smooth queries are
 * signalled.
 *
 * <p><b>Configuration</b> ({@code monitoring.detectors.<name>}, where the name is {@code smooth} or
 * any name with {@code type: smooth}): {@code scope} ({@code caller}, the default, {@code tenant}
 * or {@code global}: whose queries are counted together), {@code width} (integer in [3, 4096],
 * default 28: the image's width; the number of features must be a multiple of it, with at least 3
 * rows), {@code floor}
 * (roughness in (0, 10], default 0.238), {@code window_seconds} (in [1, 86400], default 600),
 * {@code min_queries} (in [1, 100000], default 20), {@code low}, {@code medium}, {@code high}
 * (shares, 0 = level not used, else in [0.01, 1], non-decreasing; defaults 0.2, 0.25, 0.3).
 * The defaults fit 28x28 grey-scale images like Fashion-MNIST; for other images, set {@code floor} to
 * a low percentile of the roughness of your own images (blurred or upscaled inputs are smooth too).
 *
 * <p><b>State:</b> two sliding-window counters per caller (tenant, or one in all: its queries,
 * its smooth queries), the second with the hashes and times of its last {@value #RECENT_QUERIES}
 * smooth queries, not per query. <b>Cost:</b> one pass of nine reads per feature; for a smooth
 * query, one SHA-256 over the values (8 bytes a feature).
 */
public final class SmoothDetector implements StatefulDetector {
    /** The built-in type. */
    public static final String TYPE = "smooth";

    /** Queries each counter remembers to recognise copies of (see the class Javadoc). */
    static final int RECENT_QUERIES = 32;

    /**
     * Parsed configuration.
     *
     * @param width the image's width in features
     * @param floor roughness below which a query is smooth
     * @param windowSeconds the window the shares are counted in
     * @param minQueries queries in the window needed for a level
     * @param low share for level low (0: not used)
     * @param medium share for level medium (0: not used)
     * @param high share for level high (0: not used)
     * @param scope whose queries are counted together: each caller's, each tenant's, or everybody's
     */
    public record Config(int width, double floor, long windowSeconds, long minQueries, double low, double medium,
            double high, RateDetector.Scope scope) {
        /** Defaults for 28x28 grey-scale images (Fashion-MNIST: see the class Javadoc). */
        public static final Config DEFAULT = new Config(28, 0.238, 600, 20, 0.2, 0.25, 0.3,
                RateDetector.Scope.CALLER);

        public Config {
            java.util.Objects.requireNonNull(scope, "scope");
            if (width < 3 || width > 4096) {
                throw new IllegalArgumentException("width must be in [3, 4096], was " + width);
            }
            if (!(floor > 0 && floor <= 10)) {
                throw new IllegalArgumentException("floor must be in (0, 10], was " + floor);
            }
            if (windowSeconds < 1 || windowSeconds > 86_400) {
                throw new IllegalArgumentException("window_seconds must be in [1, 86400], was " + windowSeconds);
            }
            if (minQueries < 1 || minQueries > 100_000) {
                throw new IllegalArgumentException("min_queries must be in [1, 100000], was " + minQueries);
            }
            Thresholds.checkRising(low, medium, high, 0.01, 1, "shares of smooth queries", "1");
        }

        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "scope", "width", "floor", "window_seconds", "min_queries",
                "low", "medium", "high");

        /** Reads the configuration map; unknown keys (first) and wrong types are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig(TYPE, m, KEYS);
            c.string("type", TYPE);
            Config d = DEFAULT;
            return new Config(c.intValue("width", d.width()), c.doubleValue("floor", d.floor()),
                    c.longValue("window_seconds", d.windowSeconds()), c.longValue("min_queries", d.minQueries()),
                    c.doubleValue("low", d.low()), c.doubleValue("medium", d.medium()),
                    c.doubleValue("high", d.high()), RateDetector.Scope.of(c.string("scope", "caller")));
        }
    }

    private final String name;
    private final Config config;
    private final long windowMillis;
    private final String allPrefix;
    private final String smoothPrefix;

    public SmoothDetector(String name, Config config) {
        this.name = name;
        this.config = config;
        this.windowMillis = config.windowSeconds() * 1000;
        // each scope's keys are its own (Scope.prefix), so that a reload that changes the scope does
        // not mix a tenant's counts with a caller's of that id
        this.allPrefix = config.scope().prefix("smooth:" + name + ":a:");
        this.smoothPrefix = config.scope().prefix("smooth:" + name + ":s:");
    }

    /** Creates the detector from its configuration map. */
    static SmoothDetector create(String name, Map<String, Object> config) {
        return new SmoothDetector(name, Config.from(config));
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String featuresProblem(long features) {
        if (features % config.width() != 0 || features / config.width() < 3) {
            return "width is " + config.width() + " but " + features + " features do not form an image of rows "
                    + config.width() + " wide with at least 3 rows";
        }
        return null;
    }

    @Override
    public Object plan(Query q, List<StateOp> ops) {
        double[] x = q.features().vector();
        String problem = featuresProblem(x.length);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        boolean smooth = roughness(x, config.width()) < config.floor();
        ops.add(new StateOp.CountInWindow(config.scope().key(allPrefix, q.caller()), q.timeMillis(), windowMillis));
        if (smooth) {
            ops.add(new StateOp.CountNewInWindow(config.scope().key(smoothPrefix, q.caller()), copyHash(x),
                    q.timeMillis(), windowMillis, RECENT_QUERIES));
        }
        return smooth;
    }

    @Override
    public Signal evaluate(Query q, Object context, Object[] results, int from) {
        long all = (Long) results[from];
        if (!(Boolean) context || all < config.minQueries()) {
            return new Signal(name, dev.veil.Level.NONE, 0);
        }
        double share = Math.min(1, (Long) results[from + 1] / (double) all);
        return new Signal(name, Thresholds.levelAtLeast(share, config.low(), config.medium(), config.high()), share);
    }

    /** The buffer the values are written to for {@link #copyHash}, per thread. */
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[8 * 512]);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * The first 64 bits of the SHA-256 of the values' IEEE bits, little-endian ({@code -0.0} as
     * {@code 0.0}, the same input to a model): equal for copies, for distinct inputs only by a
     * birthday search (see the class Javadoc).
     */
    static long copyHash(double[] x) {
        MessageDigest sha = QueryHashing.sha256();
        byte[] b = BUFFER.get();
        int p = 0;
        for (double v : x) {
            if (p == b.length) {
                sha.update(b, 0, p);
                p = 0;
            }
            LONGS.set(b, p, Double.doubleToRawLongBits(v + 0.0)); // + 0.0 turns -0.0 into 0.0
            p += 8;
        }
        sha.update(b, 0, p);
        return (long) LONGS.get(sha.digest(), 0);
    }

    /**
     * The RMS difference between the image ({@code width} values a row) and its 3x3 box blur, edges
     * replicated, over the RMS deviation of its values from their mean; 0 for a constant image. The
     * same for any scale of the values: values so large that their squares overflow are scaled down
     * first (else the ratio would be NaN, and a smooth image of huge values not smooth).
     */
    public static double roughness(double[] x, int width) {
        double r = unscaledRoughness(x, width);
        if (Double.isFinite(r)) {
            return r;
        }
        double max = 0;
        for (double v : x) {
            max = Math.max(max, Math.abs(v));
        }
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] / max;
        }
        return unscaledRoughness(y, width);
    }

    private static double unscaledRoughness(double[] x, int width) {
        int rows = x.length / width;
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double spread = 0;
        double detail = 0;
        for (int r = 0; r < rows; r++) {
            int up = Math.max(0, r - 1) * width;
            int row = r * width;
            int down = Math.min(rows - 1, r + 1) * width;
            for (int c = 0; c < width; c++) {
                int left = Math.max(0, c - 1);
                int right = Math.min(width - 1, c + 1);
                double blur = (x[up + left] + x[up + c] + x[up + right] + x[row + left] + x[row + c] + x[row + right]
                        + x[down + left] + x[down + c] + x[down + right]) / 9;
                double v = x[row + c];
                detail += (v - blur) * (v - blur);
                spread += (v - mean) * (v - mean);
            }
        }
        return spread == 0 ? 0 : Math.sqrt(detail / spread);
    }

    @Override
    public boolean readsFeaturesInRecord() {
        return false;
    }

    @Override
    public long bytesPerQuery() {
        return 0; // two counters per caller (or tenant): the smooth one with a bounded list of hashes
    }

    @Override
    public String sharedScore() {
        return config.scope().sharedScore("share");
    }
}
