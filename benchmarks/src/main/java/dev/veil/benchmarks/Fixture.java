package dev.veil.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.ApiKeys;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.Prediction;
import dev.veil.internal.validation.TrainingStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * What the benchmarks share: a deterministic 784-feature softmax-regression model, a pool of
 * image-like inputs in [0, 1], training statistics computed from that pool, and policy bundles written
 * to a temporary directory with an API key issued into their {@code keys.json}.
 *
 * <p>Everything is derived from fixed seeds, so every run measures the same work.
 */
public final class Fixture {
    static final int SIDE = 28;
    public static final int FEATURES = SIDE * SIDE;
    static final int CLASSES = 10;
    /** Distinct inputs the benchmarks cycle through (a power of two, so the index is a mask). */
    public static final int POOL = 512;
    static final List<String> LABELS = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
            "sneaker", "bag", "ankle-boot");

    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixture() {}

    /** How the bundle's audit record treats the input features ({@code logging.default.input}). */
    enum InputLogging {
        DIGEST,
        MASK
    }

    /**
     * Softmax regression: {@code softmax(x W + b)} with {@code W} 784 x 10 drawn from N(0, 0.05^2) and
     * {@code b} from N(0, 0.1^2), seed 7. The weights are stored class-major (one contiguous row of
     * 784 per class), the layout a dot-product implementation reads fastest.
     */
    public static final class SoftmaxModel {
        private final double[][] w = new double[CLASSES][FEATURES];
        private final double[] b = new double[CLASSES];

        public SoftmaxModel() {
            SplittableRandom r = new SplittableRandom(7);
            for (int c = 0; c < CLASSES; c++) {
                for (int i = 0; i < FEATURES; i++) {
                    w[c][i] = gaussian(r) * 0.05;
                }
                b[c] = gaussian(r) * 0.1;
            }
        }

        /** The predict function the Guard wraps. */
        public Prediction predict(double[] x) {
            double[] p = new double[CLASSES];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < CLASSES; c++) {
                double[] wc = w[c];
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                int i = 0;
                for (; i + 3 < FEATURES; i += 4) {
                    s0 += x[i] * wc[i];
                    s1 += x[i + 1] * wc[i + 1];
                    s2 += x[i + 2] * wc[i + 2];
                    s3 += x[i + 3] * wc[i + 3];
                }
                for (; i < FEATURES; i++) {
                    s0 += x[i] * wc[i];
                }
                p[c] = b[c] + (s0 + s1) + (s2 + s3);
                max = Math.max(max, p[c]);
            }
            double sum = 0;
            for (int c = 0; c < CLASSES; c++) {
                p[c] = Math.exp(p[c] - max);
                sum += p[c];
            }
            for (int c = 0; c < CLASSES; c++) {
                p[c] /= sum;
            }
            return Prediction.classification(LABELS, p);
        }
    }

    /**
     * A model that reads its input once and does almost nothing else: the sum of the 784 values
     * shifts a fixed distribution over the 10 labels by at most 1e-9. It stands in for the softmax
     * model where the question is what the Guard itself costs: its time is the one pass over the
     * input (the memory reads a real model also makes) without the softmax model's 7,840
     * multiply-adds, whose speed moves by a microsecond or more from fork to fork on a shared VM
     * (benchmarks/README.md, round 20).
     */
    public static Prediction onePass(double[] x) {
        double s0 = 0;
        double s1 = 0;
        int i = 0;
        for (; i + 1 < x.length; i += 2) {
            s0 += x[i];
            s1 += x[i + 1];
        }
        if (i < x.length) {
            s0 += x[i];
        }
        double shift = 1e-9 * ((s0 + s1) / Math.max(1, x.length)); // inputs in [0, 1]: at most 1e-9
        double[] p = new double[CLASSES];
        for (int c = 0; c < CLASSES; c++) {
            p[c] = 1.0 / CLASSES;
        }
        p[3] += shift; // a clear top label whatever the input: the release keeps it
        p[5] -= shift;
        p[3] += 0.05;
        p[7] -= 0.05;
        return Prediction.classification(LABELS, p);
    }

    /** {@link #onePass} as the Guard sees it (the vector copied by the Guard, as in {@link #model}). */
    public static Model<double[]> onePassModel() {
        return Model.ofVector(ModelInfo.of("bench-one-pass", "1", Instant.now().minus(30, ChronoUnit.DAYS)),
                Fixture::onePass);
    }

    /** The model as the Guard sees it, trained (by its {@link ModelInfo}) 30 days ago. */
    public static Model<double[]> model(SoftmaxModel m) {
        return Model.ofVector(ModelInfo.of("bench-softmax", "1", Instant.now().minus(30, ChronoUnit.DAYS)), m::predict);
    }

    /** {@link #model}, with the input handed over to the Guard ({@code Features::ofOwned}: no copy). */
    public static Model<double[]> ownedModel(SoftmaxModel m) {
        return Model.of(ModelInfo.of("bench-softmax", "1", Instant.now().minus(30, ChronoUnit.DAYS)), m::predict,
                dev.veil.Features::ofOwned);
    }

    /**
     * {@link #POOL} image-like 28x28 inputs in [0, 1], seed 11: a dark background with two to four
     * soft strokes (Gaussian blobs stretched along a random direction) and faint sensor noise,
     * quantised to 8-bit levels {@code k / 255} like decoded images; about a quarter of all values
     * are exactly 0. Every image differs in every statistic the distribution check reads.
     */
    public static double[][] pool() {
        SplittableRandom r = new SplittableRandom(11);
        double[][] pool = new double[POOL][];
        for (int n = 0; n < POOL; n++) {
            double[] x = strokes(r);
            for (int i = 0; i < FEATURES; i++) {
                double v = x[i] + (r.nextDouble() - 0.5) * 0.02;
                x[i] = Math.round(Math.min(1, Math.max(0, v)) * 255) / 255.0; // 8-bit pixels, as images come
            }
            pool[n] = x;
        }
        return pool;
    }

    /**
     * One 28x28 image of two to four soft strokes (Gaussian blobs stretched along a random direction)
     * on a black background, not yet clipped or quantised; draws its randomness from {@code r}.
     */
    static double[] strokes(SplittableRandom r) {
        double[] x = new double[FEATURES];
        int strokes = 2 + r.nextInt(3);
        for (int s = 0; s < strokes; s++) {
            double cy = 6 + r.nextDouble() * 16;
            double cx = 6 + r.nextDouble() * 16;
            double angle = r.nextDouble() * Math.PI;
            double len = 2 + r.nextDouble() * 6;
            double width = 1 + r.nextDouble() * 1.5;
            double amp = 0.6 + r.nextDouble() * 0.4;
            double ca = Math.cos(angle);
            double sa = Math.sin(angle);
            for (int y = 0; y < SIDE; y++) {
                for (int xx = 0; xx < SIDE; xx++) {
                    double dy = y - cy;
                    double dx = xx - cx;
                    double along = dx * ca + dy * sa;
                    double across = -dx * sa + dy * ca;
                    x[y * SIDE + xx] += amp * Math.exp(-0.5 * (along * along / (len * len)
                            + across * across / (width * width)));
                }
            }
        }
        return x;
    }

    /**
     * Statistics of the pool for the distribution check: summary ranges from the minimum to the
     * maximum over the pool (quantiles 0 and 1, widened by 10%), so that every pool input passes.
     */
    static TrainingStats stats(double[][] pool) {
        return TrainingStats.compute(Arrays.asList(pool), 0.0, 1.0);
    }

    /**
     * The RMS z bound for the policy: twice the largest RMS z-score of any pool input (std floor
     * 0.05), so the check runs in full on every request and refuses none of them.
     */
    static double maxRmsZ(TrainingStats stats, double[][] pool) {
        double[] mean = stats.mean();
        double[] std = stats.std();
        double worst = 0;
        for (double[] x : pool) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                double z = (x[i] - mean[i]) / Math.max(std[i], 0.05);
                s += z * z;
            }
            worst = Math.max(worst, Math.sqrt(s / x.length));
        }
        return Math.ceil(2 * worst);
    }

    /**
     * The policy of the overhead benchmark (the shape of docs/policy-reference.md section 12): API
     * keys; an analyst rule with a rate limit and a daily quota no benchmark reaches; shape, range,
     * payload size and (optionally) the distribution check; the rate detector with an alert, degrade
     * and block rule at thresholds that are never reached; a model age limit; top 3 rounded to 0.05;
     * the input logged as a digest or masked.
     */
    static String policy(boolean distribution, double maxRmsZ, InputLogging input) {
        String dist = distribution
                ? """
                    distribution:
                      stats: training.stats
                      std_floor: 0.05
                      max_rms_z: %s
                      summary: true
                """.formatted(maxRmsZ)
                : "";
        return """
                veil: 1
                name: bench-image-classifier
                authentication:
                  api_keys: {file: keys.json}
                access:
                  default: {effect: deny}
                  rules:
                    - id: analysts
                      when: {roles: [analyst]}
                      effect: allow
                      rate_limit: {per_second: 100000000, burst: 100000000}
                      daily_quota: 1000000000000
                validation:
                  default:
                    shape: [28, 28]
                    range: {min: 0, max: 1}
                    max_payload_bytes: 16384
                %smonitoring:
                  detectors:
                    rate: {window_seconds: 60, low: 1000000000000, medium: 2000000000000, high: 4000000000000}
                  rules:
                    - {id: rate-alert, when: {signals: {rate: low}}, action: alert}
                    - {id: rate-degrade, when: {signals: {rate: medium}}, action: degrade}
                    - {id: rate-block, when: {signals: {rate: high}}, action: block, cooldown_seconds: 900}
                model:
                  default: {max_age_days: 365, on_stale: deny}
                output:
                  default: {form: top_k, top_k: 3, round: 0.05}
                logging:
                  default: {input: %s, output: keep, raw: mask, caller: keep}
                """.formatted(dist, input.name().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * Writes a bundle directory: the policy, {@code keys.json} holding {@code key}'s entry, and
     * {@code training/data.json} holding the statistics at {@code training.stats}.
     */
    static Path writeBundle(Path dir, String policy, ApiKeys.Issued key, TrainingStats stats) {
        try {
            Files.createDirectories(dir.resolve("training"));
            Files.writeString(dir.resolve("bench.veil.yaml"), policy);
            JSON.writeValue(dir.resolve("keys.json").toFile(), Map.of("keys", List.of(key.entry())));
            JSON.writeValue(dir.resolve("training/data.json").toFile(), Map.of("stats", stats.toData()));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the benchmark bundle to " + dir, e);
        }
    }

    /** An API key for the caller {@code bench} with role {@code analyst}. */
    static ApiKeys.Issued issueKey() {
        return ApiKeys.issue("bench", List.of("analyst"), "", Map.of(), null);
    }

    /** Deletes a directory tree, best effort (temporary files of a finished trial). */
    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> all = new ArrayList<>(s.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
    }

    /** A standard normal draw (Box-Muller, one of the pair). */
    private static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
