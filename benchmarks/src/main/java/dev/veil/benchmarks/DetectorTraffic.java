package dev.veil.benchmarks;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;

/**
 * Benign monitoring traffic for the detector benchmarks, and the Guard's way of running built-in
 * detectors on it.
 *
 * <p><b>Inputs.</b> Distinct 784-feature images: each is one of {@value #BASE} stroke images
 * (made as {@link Fixture#pool()} makes its 512, seed 13, on a black background: see {@link #images}), turned by one of the 8 symmetries of the
 * square and shifted by -4..4 pixels in each direction (81 shifts, background filled with 0):
 * 2.6 million distinct inputs before one recurs, so that no two queries of a run are equal or near
 * copies of each other (near copies are what attacks send, not benign callers). These images are a
 * hard case for two detectors: nearly all of them are smooth by {@code smooth}'s measure (which
 * hashes each smooth query; 1% of real images are), and their thin strokes on black share many
 * window hashes ({@code near_duplicate} then counts up to 8 earlier queries per hash).
 *
 * <p><b>Real images</b> ({@code images = fashion}): the 70,000 Fashion-MNIST images (training then
 * test set, from {@value #FASHION_DIR}, Debian's {@code dataset-fashion-mnist}), each shifted by -1..1
 * pixels in each direction (background filled with 0), plain and mirrored in turn: all 70,000 one
 * pixel up and left, then mirrored, then one pixel up, ...; 1.26 million distinct natural images
 * before one recurs.
 *
 * <p><b>Callers and time.</b> Each query comes from one of {@code callers} callers picked at
 * random, 40 ms after the one before (25 queries a second over the service).
 *
 * <p><b>One query</b> runs as {@code DefaultGuard} runs monitoring: every detector's
 * {@code plan} into one batch, one {@link StateStore#execute}, every {@code evaluate}, then
 * (after the model answered) every {@code record} into one {@link StateStore#submit}.
 */
public final class DetectorTraffic {
    /** The detector sets the benchmarks measure. */
    public static final Map<String, String[]> SETS = Map.ofEntries(
            Map.entry("all", new String[] {"rate", "near_duplicate", "knn", "knn_global", "antithetic", "smooth",
                "confidence_climb", "class_focus", "boundary", "extraction"}),
            // "all" until the smooth detector (round 22)
            Map.entry("nine", new String[] {"rate", "near_duplicate", "knn", "knn_global", "antithetic",
                "confidence_climb", "class_focus", "boundary", "extraction"}),
            Map.entry("smooth", new String[] {"smooth"}),
            // "all" until the antithetic detector (round 15): the figures of earlier rounds
            Map.entry("eight", new String[] {"rate", "near_duplicate", "knn", "knn_global", "confidence_climb",
                "class_focus", "boundary", "extraction"}),
            Map.entry("antithetic", new String[] {"antithetic"}),
            Map.entry("near_duplicate", new String[] {"near_duplicate"}),
            Map.entry("knn", new String[] {"knn"}),
            Map.entry("knn_global", new String[] {"knn_global"}),
            Map.entry("answers", new String[] {"confidence_climb", "class_focus", "boundary", "extraction"}),
            Map.entry("similarity", new String[] {"near_duplicate", "knn", "knn_global"}),
            Map.entry("rate", new String[] {"rate"}));

    static final int BASE = 4096;
    /** Where Debian's {@code dataset-fashion-mnist} puts the images. */
    static final String FASHION_DIR = "/usr/share/datasets/fashion-mnist";
    private static final double[][] POOL = images(BASE, 13);
    /** The Fashion-MNIST images, 784 bytes each, loaded on first use ({@code images = fashion}). */
    private static volatile byte[][] fashion;
    private static final Fixture.SoftmaxModel MODEL = new Fixture.SoftmaxModel();

    private final StatefulDetector[] detectors;
    private final Caller[] callers;
    /** Real images instead of the stroke images. */
    private final boolean real;
    private final SplittableRandom random;
    private long time = 1_700_000_000_000L;
    private long n;

    /** A query ready to be observed, with the model's answer for record. */
    public record Prepared(Query query, Prediction answer) {}

    public DetectorTraffic(String set, int callers, long seed) {
        this(set, "", callers, seed);
    }

    public DetectorTraffic(String set, String overrides, int callers, long seed) {
        this(set, overrides, "strokes", callers, seed);
    }

    /**
     * Traffic for the detector set {@code set}, each detector with its default configuration but for
     * {@code overrides}: {@code detector.key=value} pairs separated by {@code ;} (for example
     * {@code near_duplicate.index=global;near_duplicate.max_members_per_hash=1}; an integer value is
     * passed as one, anything else as a string), or an empty string for none; {@code images} is
     * {@code strokes} (the synthetic images) or {@code fashion} (real images; see the class comment).
     */
    public DetectorTraffic(String set, String overrides, String images, int callers, long seed) {
        if (!images.equals("strokes") && !images.equals("fashion")) {
            throw new IllegalArgumentException("images must be strokes or fashion, was '" + images + "'");
        }
        this.real = images.equals("fashion");
        if (real) {
            loadFashion();
        }
        if (set.equals(SHIPPED)) {
            if (!overrides.isBlank()) {
                throw new IllegalArgumentException("set " + SHIPPED + " runs the bundle's own settings: no overrides");
            }
            this.detectors = shipped();
        } else {
            this.detectors = ofSet(set, overrides);
        }
        this.callers = new Caller[callers];
        for (int i = 0; i < callers; i++) {
            this.callers[i] = new Caller("caller-" + i, AuthMethod.API_KEY, Set.of(), "tenant-" + (i % 7), Map.of());
        }
        this.random = new SplittableRandom(seed);
    }

    /**
     * The set that runs the detectors of the shipped image-classifier bundle with its settings and
     * thresholds ({@code policies/bundles/image-classifier}, from the working directory, or the
     * directory the system property {@code veil.bundle} names): twelve detectors, among them two
     * {@code near_duplicate} (one per index), two {@code antithetic} ({@code gap: 3, history: 12}) and
     * two {@code smooth}, and no {@code extraction}.
     */
    public static final String SHIPPED = "shipped";

    private static StatefulDetector[] shipped() {
        java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("veil.bundle", "policies/bundles/image-classifier"));
        if (!java.nio.file.Files.isDirectory(dir)) {
            throw new IllegalArgumentException("set " + SHIPPED + ": no bundle at " + dir.toAbsolutePath() + "; run from "
                    + "the repository's root, or give -Dveil.bundle=DIR (with -jvmArgsAppend)");
        }
        dev.veil.PolicyBundle b = dev.veil.PolicyBundle.load(dir);
        Map<String, Map<String, Object>> configs = b.policy().settings().detectors();
        StatefulDetector[] out = new StatefulDetector[configs.size()];
        int i = 0;
        for (Map.Entry<String, Map<String, Object>> e : configs.entrySet()) {
            out[i++] = BuiltinDetectors.create(e.getKey(), e.getValue(), b.contents());
        }
        return out;
    }

    private static StatefulDetector[] ofSet(String set, String overrides) {
        String[] names = SETS.get(set);
        if (names == null) {
            throw new IllegalArgumentException("unknown detector set '" + set + "', known: " + SETS.keySet() + " and "
                    + SHIPPED);
        }
        Map<String, Map<String, Object>> configs = new java.util.HashMap<>();
        for (String name : names) {
            // rate has no default thresholds: per caller, a minute, levels at 100, 200 and 400 queries
            configs.put(name, new java.util.HashMap<>(name.equals("rate")
                    ? Map.of("low", 100, "medium", 200, "high", 400) : Map.of()));
        }
        for (String pair : overrides.split(";")) {
            if (pair.isBlank()) {
                continue;
            }
            int dot = pair.indexOf('.');
            int eq = pair.indexOf('=');
            if (dot < 1 || eq < dot + 2) {
                throw new IllegalArgumentException("override '" + pair + "' is not detector.key=value");
            }
            Map<String, Object> config = configs.get(pair.substring(0, dot));
            if (config == null) {
                throw new IllegalArgumentException("override '" + pair + "' names no detector of set '" + set
                        + "': " + configs.keySet());
            }
            String value = pair.substring(eq + 1);
            config.put(pair.substring(dot + 1, eq), value.matches("-?\\d{1,9}") ? Integer.valueOf(value) : value);
        }
        StatefulDetector[] detectors = new StatefulDetector[names.length];
        for (int i = 0; i < names.length; i++) {
            detectors[i] = BuiltinDetectors.create(names[i], configs.get(names[i]));
        }
        return detectors;
    }

    public StatefulDetector[] detectors() {
        return detectors;
    }

    /** The next query (not timed in the benchmarks: building it is the caller's work, not monitoring's). */
    public Prepared next() {
        if (real) {
            return nextReal();
        }
        long k = n++;
        int shift = (int) ((k / BASE) % 81);
        return prepared(placed(POOL[(int) (k % BASE)], (int) ((k / (BASE * 81L)) % 8), shift % 9 - 4,
                shift / 9 - 4));
    }

    private Prepared nextReal() {
        long k = n++;
        byte[] pixels = fashion[(int) (k % fashion.length)];
        double[] base = new double[pixels.length];
        for (int i = 0; i < base.length; i++) {
            base[i] = (pixels[i] & 0xff) / 255.0;
        }
        long variant = k / fashion.length;
        int shift = (int) ((variant / 2) % 9);
        return prepared(placed(base, (int) (variant % 2), shift % 3 - 1, shift / 3 - 1));
    }

    /** The query of the next caller (picked at random), 40 ms after the one before, with the model's answer. */
    private Prepared prepared(double[] x) {
        time += 40;
        Caller c = callers[random.nextInt(callers.length)];
        return new Prepared(new Query(c, time, Features.of(x)), MODEL.predict(x));
    }

    /**
     * A 28x28 image turned by one of the 8 symmetries of the square (bit 0: mirrored, bit 1: upside
     * down, bit 2: transposed) and shifted by {@code dx}, {@code dy} pixels, the background filled with 0.
     */
    private static double[] placed(double[] base, int symmetry, int dx, int dy) {
        double[] x = new double[Fixture.FEATURES];
        int side = 28;
        for (int y = 0; y < side; y++) {
            int sy = y - dy;
            if (sy < 0 || sy >= side) {
                continue;
            }
            for (int c = 0; c < side; c++) {
                int sx = c - dx;
                if (sx >= 0 && sx < side) {
                    int u = (symmetry & 1) == 0 ? sx : side - 1 - sx;
                    int v = (symmetry & 2) == 0 ? sy : side - 1 - sy;
                    x[y * side + c] = (symmetry & 4) == 0 ? base[v * side + u] : base[u * side + v];
                }
            }
        }
        return x;
    }

    /** Reads the 70,000 Fashion-MNIST images once; fails with what to install when they are missing. */
    private static synchronized void loadFashion() {
        if (fashion != null) {
            return;
        }
        byte[][] train = idxImages(Path.of(FASHION_DIR, "train-images-idx3-ubyte.gz"));
        byte[][] test = idxImages(Path.of(FASHION_DIR, "t10k-images-idx3-ubyte.gz"));
        byte[][] all = java.util.Arrays.copyOf(train, train.length + test.length);
        System.arraycopy(test, 0, all, train.length, test.length);
        fashion = all;
    }

    /** The 28x28 images of a gzip-compressed IDX image file, one byte per pixel. */
    private static byte[][] idxImages(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("images=fashion needs Fashion-MNIST at " + FASHION_DIR
                    + " (apt-get install dataset-fashion-mnist); " + file + " is missing");
        }
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(file), 1 << 16))) {
            int magic = in.readInt();
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (magic != 0x803 || rows != 28 || cols != 28 || count < 1) {
                throw new IOException(file + " is not an IDX file of 28x28 images (magic 0x"
                        + Integer.toHexString(magic) + ", " + count + " images of " + rows + "x" + cols + ")");
            }
            byte[][] out = new byte[count][Fixture.FEATURES];
            for (byte[] image : out) {
                in.readFully(image);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
    }

    /**
     * {@code count} stroke images as {@link Fixture#pool()} makes them, from {@code seed}, but with a
     * black background (exactly 0, as MNIST's and the efficacy tests' synthetic digits): the faint
     * noise of Fixture's pool is added only where there is ink. With noise on the background, most
     * of an image's windows would be background windows with a stray pixel, shared with thousands
     * of other images, which near_duplicate's defaults were not calibrated for.
     */
    static double[][] images(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] pool = new double[count][];
        for (int n = 0; n < count; n++) {
            double[] x = Fixture.strokes(r);
            for (int i = 0; i < x.length; i++) { // noise on the ink only: the background stays black
                double v = x[i] < 0.05 ? x[i] : x[i] + (r.nextDouble() - 0.5) * 0.02;
                x[i] = Math.round(Math.min(1, Math.max(0, v)) * 255) / 255.0;
            }
            pool[n] = x;
        }
        return pool;
    }

    /** Runs the detectors on one query as the Guard does; returns the signals. */
    public Signal[] observe(StateStore store, Prepared p) {
        return observe(detectors, store, p.query(), p.answer());
    }

    /**
     * Runs {@code detectors} on {@code q} as the Guard does (plan, one execute, evaluate, record with
     * {@code answer}, one submit); returns the signals.
     */
    static Signal[] observe(StatefulDetector[] detectors, StateStore store, Query q, Prediction answer) {
        List<StateOp> ops = new ArrayList<>(16);
        Object[] contexts = new Object[detectors.length];
        int[] from = new int[detectors.length];
        for (int i = 0; i < detectors.length; i++) {
            from[i] = ops.size();
            contexts[i] = detectors[i].plan(q, ops);
        }
        Object[] results = store.execute(ops.toArray(new StateOp[0]));
        Signal[] signals = new Signal[detectors.length];
        for (int i = 0; i < detectors.length; i++) {
            signals[i] = detectors[i].evaluate(q, contexts[i], results, from[i]);
        }
        List<StateOp> later = new ArrayList<>(8);
        for (int i = 0; i < detectors.length; i++) {
            detectors[i].record(q, contexts[i], answer, later);
        }
        if (!later.isEmpty()) {
            store.submit(later.toArray(new StateOp[0]));
        }
        return signals;
    }
}
