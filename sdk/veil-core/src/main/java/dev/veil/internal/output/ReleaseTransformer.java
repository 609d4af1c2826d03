package dev.veil.internal.output;

import dev.veil.Prediction;
import dev.veil.ReleasedPrediction;
import dev.veil.ReleasedPrediction.ScoredLabel;
import dev.veil.internal.text.ControlChars;
import dev.veil.spi.ReleaseSpec;
import dev.veil.spi.ReleaseSpec.Noise;
import dev.veil.spi.ReleaseSpec.ReverseSigmoid;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;

/**
 * The OUTPUT stage's transform: turns a raw {@link Prediction} into the {@link ReleasedPrediction}
 * a {@link ReleaseSpec} allows.
 *
 * <h2>Classification</h2>
 * Steps, in this order (each only when the spec asks for it):
 * <ol>
 *   <li><b>normalise</b> the scores to a distribution (all-zero scores give the uniform one);</li>
 *   <li><b>reverse sigmoid</b> exactly as ART's {@code ReverseSigmoid}: {@code p_c = clip(p, 1e-9,
 *       1 - 1e-9)}, {@code r = beta * (sigmoid(gamma * logit(p_c)) - 1/2)}, {@code q = clip(p - r, 0,
 *       1)}, then {@code q / sum(q)} (if every {@code q} is 0, which only a single class with a large
 *       beta can cause, the distribution is kept as it was);</li>
 *   <li><b>noise</b>: Laplace with scale {@code sensitivity / epsilon} or Gaussian with
 *       {@code sigma = sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon}, independently per
 *       coordinate, sampled by {@link SecureNoise} (snapped to a power-of-two grid against the
 *       floating-point attack, the scale raised by what the snapping of the {@code n} coordinates
 *       adds to the sensitivity, so that the loss stays within epsilon: for Laplace a factor below
 *       {@code 1 + 2^-20} while {@code n / epsilon} is below about {@code 2^30}, and beyond, where the
 *       grid is coarsened, up to {@code 1 + n 2^-50 / epsilon}, at most about 4 (2.12 and 3.04 were
 *       measured); Laplace noise that no grid can sample, {@code n / epsilon} beyond {@code 2^51} to
 *       {@code 2^52}, throws); then clipped at 0 and renormalised. If every coordinate is clipped
 *       to 0, the release is one-hot: at the raw top label, or, with {@code allowLabelChange},
 *       at the highest noisy value;</li>
 *   <li><b>round</b> to the grid {@code step = spec.round()} (any step in [1e-12, 1], as {@link ReleaseSpec} checks): each score
 *       becomes {@code k * step} for an integer {@code k >= 0} (the double nearest that multiple of
 *       the step as written in decimal: 0.21 for 3 x 0.07), clamped to [0, 1] (the largest
 *       {@code k} is {@code floor(1 / step + 1e-9)}; a product just above 1 is released as 1).
 *       {@code value / step} is within 1e-9 of an integer for steps of at least 1e-6 (for smaller
 *       steps, within double precision of {@code value / step}). Every later step sees only the
 *       rounded values;</li>
 *   <li><b>min_confidence</b>: scores below {@code minConfidence} are dropped; the released top
 *       label is never dropped. Scores are not renormalised;</li>
 *   <li><b>top_k</b> (whenever {@code topK > 0}, for {@code FULL} as well as {@code TOP_K}): only
 *       the {@code topK} highest scores remain;</li>
 *   <li>the <b>form</b>: {@code FULL} and {@code TOP_K} release what remains, {@code LABEL_ONLY}
 *       releases no scores (steps 4 to 6 cannot change the label, so they are skipped for it).</li>
 * </ol>
 * Released scores are sorted highest first; ties (which rounding makes) list the released label
 * first, then the others by class index. The values before rounding never order them: that would
 * release the ranking that rounding hides.
 *
 * <p><b>Label.</b> Unless {@code spec.allowLabelChange()}, the released label is the raw top label
 * ({@link Prediction#topIndex()}): whenever reverse sigmoid or noise would put another class above
 * it, the two coordinates are swapped, so the raw top stays on top (ties, also after rounding,
 * list it first). Note that this makes the release depend on the raw argmax, so with
 * {@code allowLabelChange = false} only the scores, not the label, are covered by the noise's
 * privacy guarantee. With {@code allowLabelChange = true} the label is the top of the perturbed
 * scores (the first by class index on ties); the raw order is never consulted.
 *
 * <h2>Regression</h2>
 * Noise (on the value, with the spec's sensitivity; the {@link Noise} record's default sensitivity
 * of 2 or sqrt(2) is meant for probability vectors, so set it explicitly for a regression, or give
 * the noise {@link Noise.Bounds bounds}: the value is then clamped to them before the noise, recorded
 * as {@code clamp(lower,upper)}, and the default sensitivity is {@code upper - lower}) and
 * rounding to {@code k * step} (no clamping after the noise; a value that rounds to 0 is +0.0, also from below, so
 * that a released 0 does not tell the sign of the value) apply to the value; the label is {@code null} and the
 * scores are empty. {@code LABEL_ONLY} releases the value rounded to the step if one is set,
 * otherwise rounded to 2 significant digits (half up, e.g. 1234.5 -> 1200, 0.01349 -> 0.013),
 * recorded as {@code round_significant(2)}. Reverse sigmoid, min_confidence and top_k do not apply
 * to a regression and are ignored (and not recorded).
 *
 * <h2>Applied</h2>
 * {@link ReleasedPrediction#applied()} lists the steps in order, e.g.
 * {@code [reverse_sigmoid(beta=1.0,gamma=0.1), noise(laplace,epsilon=0.5), round(0.05),
 * min_confidence(0.1), top_k(3)]}, a Gaussian as {@code noise(gaussian,epsilon=0.5,delta=1.0E-6)}, and
 * {@code label_only} last. A classification's noise without {@code allowLabelChange} is followed by
 * {@value #KEEP_LABEL}: the label is the raw top label, so the release is not epsilon-DP as a whole
 * (only its scores are covered), and the list says so next to the epsilon it names. The list depends
 * only on the spec and the prediction kind, never on the scores (a step that happened to change
 * nothing is still listed), so it leaks nothing.
 *
 * <h2>Errors</h2>
 * Scores that are negative or not finite, and a regression value that is not finite, throw
 * {@link IllegalArgumentException} (the Guard reports them as a model error); so does a noise
 * scale that overflows. Nothing is released then.
 *
 * <p>Thread-safety: stateless apart from a bounded cache of {@code applied} lists; one instance
 * serves all threads. Randomness comes only from the generator passed in, which the caller must
 * not share between threads unless it is thread-safe. The path without transforms allocates a
 * few small arrays and the released objects, and takes no locks.
 */
public final class ReleaseTransformer {
    private static final double CLIP_MIN = 1e-9;
    private static final double CLIP_MAX = 1.0 - CLIP_MIN;
    private static final double GRID_TOLERANCE = 1e-9;
    /** Up to this many classes (or released scores), ordering is an insertion into a short list. */
    private static final int SMALL_ORDER = 16;
    private static final int APPLIED_CACHE_LIMIT = 256;
    private static final MathContext TWO_SIGNIFICANT = new MathContext(2, RoundingMode.HALF_UP);

    private final ConcurrentHashMap<ReleaseSpec, List<String>> classificationApplied = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ReleaseSpec, List<String>> regressionApplied = new ConcurrentHashMap<>();
    /**
     * The last spec looked up and its list: a policy hands out the same few spec instances, and
     * hashing a spec (a record of records) for the map cost more than the rest of the lookup. Racy
     * but safe: an {@link Applied} is immutable.
     */
    private volatile Applied lastApplied;

    private record Applied(ReleaseSpec spec, boolean classification, List<String> list) {}

    /** Creates a transformer; it holds no per-request state, so one instance may serve all threads. */
    public ReleaseTransformer() {
    }

    /**
     * Applies {@code spec} to {@code raw}.
     *
     * @param raw the model's output (scores finite and non-negative; not modified)
     * @param spec what may be released
     * @param rng randomness for noise; must be SecureRandom-backed in production. May be
     *     {@code null} only when {@code spec.noise()} is {@code null}
     * @return the release: for a classification a non-null label, and scores sorted highest first
     * @throws IllegalArgumentException if a score is negative or not finite, a regression value is
     *     not finite, or the noise scale overflows
     * @throws NullPointerException if {@code raw} or {@code spec} is null, or {@code rng} is null
     *     while the spec has noise
     */
    public ReleasedPrediction apply(Prediction raw, ReleaseSpec spec, RandomGenerator rng) {
        Objects.requireNonNull(raw, "raw");
        Objects.requireNonNull(spec, "spec");
        if (spec.noise() != null) {
            Objects.requireNonNull(rng, "rng is required when the release spec has noise");
        }
        return raw.kind() == Prediction.Kind.REGRESSION
                ? regression(raw.value(), spec, rng)
                : classification(raw, spec, rng);
    }

    /**
     * Refuses a release that is for a regression's value when {@code raw} is a classification: a
     * {@code round} above 1 (every score would round to 0 or 1) or noise with {@code bounds} (its
     * scores are bounded already, and the sensitivity the bounds give is not theirs). For the Guard to
     * refuse such a release before charging for it; {@link #apply} checks it too.
     *
     * @throws IllegalArgumentException naming what is wrong and how to fix the policy
     */
    public static void requireApplicable(Prediction raw, ReleaseSpec spec) {
        if (raw.kind() == Prediction.Kind.REGRESSION) {
            return;
        }
        if (spec.round() > 1) {
            throw new IllegalArgumentException("a round of " + spec.round() + " is for a regression's value: a "
                    + "classification's scores take a step of at most 1 (0.05, 0.01); give this release a smaller round");
        }
        if (spec.noise() != null && spec.noise().bounds() != null) {
            Noise.Bounds b = spec.noise().bounds();
            throw new IllegalArgumentException("noise bounds [" + b.lower() + ", " + b.upper() + "] are for a "
                    + "regression's value: a classification's scores are bounded already (the default sensitivity, 2 "
                    + "or sqrt(2), is theirs); leave bounds out of the releases a classification can be answered with");
        }
    }

    private ReleasedPrediction classification(Prediction raw, ReleaseSpec spec, RandomGenerator rng) {
        requireApplicable(raw, spec);
        List<String> labels = raw.labels();
        double[] scores = raw.scores();
        int n = scores.length;
        // one pass over the model's array (read once): copy, validate, sum, and find the raw top
        // (the first maximum, as Prediction.topIndex)
        double[] q = new double[n];
        double sum = 0;
        int top = 0;
        double best = -1;
        for (int i = 0; i < n; i++) {
            double s = scores[i];
            if (!(s >= 0) || s == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException(
                        "prediction scores must be finite and >= 0, was " + s + " at index " + i);
            }
            q[i] = s + 0.0; // -0.0 (which passes s >= 0) as +0.0: no step below may release a negative zero
            sum += s;
            if (s > best) {
                best = s;
                top = i;
            }
        }
        if (sum == 0) {
            Arrays.fill(q, 1.0 / n);
        } else if (sum < Double.POSITIVE_INFINITY) {
            for (int i = 0; i < n; i++) {
                q[i] /= sum;
            }
        } else {
            normalise(q, q);
        }
        boolean keepLabel = !spec.allowLabelChange();
        double[] scratch = null;

        ReverseSigmoid rs = spec.reverseSigmoid();
        if (rs != null) {
            scratch = new double[n];
            reverseSigmoid(q, rs.beta(), rs.gamma(), scratch);
            if (keepLabel) {
                keepOnTop(q, top);
            }
        }
        Noise noise = spec.noise();
        if (noise != null) {
            if (scratch == null) {
                scratch = new double[n];
            }
            addNoise(q, noise, rng, scratch, keepLabel ? top : -1);
            if (keepLabel) {
                keepOnTop(q, top);
            }
        }

        // The released label: the raw top, which the steps above kept on top, or the top of the
        // perturbed scores (the first on ties, never the raw order).
        int lead = keepLabel ? top : argmax(q);
        List<String> applied = applied(spec, true);
        if (spec.form() == ReleaseSpec.Form.LABEL_ONLY) {
            return new ReleasedPrediction(labels.get(lead), List.of(), OptionalDouble.empty(), applied);
        }
        // Rounding first, so that what follows sees only the released values: ordering the ties it
        // makes by the values before rounding would give back the ranking it hides.
        double step = spec.round();
        if (step > 0) {
            double maxSteps = maxSteps(step);
            Grid grid = grid(step);
            for (int i = 0; i < n; i++) {
                q[i] = roundToGrid(q[i], grid, maxSteps);
            }
        }
        int limit = spec.topK() > 0 ? Math.min(spec.topK(), n) : n;
        int[] order = order(q, lead, limit);
        int count = limit;
        double minConfidence = spec.minConfidence();
        if (minConfidence > 0) {
            int kept = 1;
            while (kept < count && q[order[kept]] >= minConfidence) {
                kept++;
            }
            count = kept;
        }
        ScoredLabel[] out = new ScoredLabel[count];
        for (int i = 0; i < count; i++) {
            int c = order[i];
            out[i] = new ScoredLabel(labels.get(c), q[c]);
        }
        return new ReleasedPrediction(labels.get(lead), List.of(out), OptionalDouble.empty(), applied);
    }

    private static final System.Logger LOG = System.getLogger("dev.veil.Guard");
    /** Whether the warning below was logged (once per transformer, one per Guard: it is a policy's mistake). */
    private final java.util.concurrent.atomic.AtomicBoolean warnedSensitivity =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * A regression noised with the sensitivity a probability vector defaults to (2 for Laplace, √2
     * for Gaussian) is most likely a policy that did not set {@code noise.sensitivity}: its epsilon
     * then covers moves of the value of that size only. Logged, not refused: an explicit 2 cannot be
     * told from the default.
     */
    private void warnIfClassificationSensitivity(Noise noise) {
        double dflt = noise.mechanism() == Noise.Mechanism.LAPLACE ? 2.0 : Math.sqrt(2.0);
        if (noise.sensitivity() == dflt && warnedSensitivity.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("a regression is released with " + noise.id() + " noise of "
                    + "sensitivity " + noise.sensitivity() + ", the default for a vector of probabilities: its epsilon "
                    + "covers moves of the value of that size only; set output noise.sensitivity to how far one "
                    + "training record can move the model's value (docs/policy-reference.md, output)"));
        }
    }

    /**
     * A degraded regression release made no finer than the normal release for the same request:
     * its value rounded again as {@code normal} rounds (its step, or 2 significant digits for a
     * {@code label_only} without one), so that a degraded request never gets a more precise value
     * than a normal one, whatever {@code output.degraded}'s round. A classification release, or a
     * normal release that does not round, leaves it as it is.
     *
     * @throws IllegalArgumentException when the value is too large to round to the normal step
     */
    public ReleasedPrediction noFinerThan(ReleasedPrediction degraded, ReleaseSpec normal) {
        String step = valueRounding(normal);
        if (degraded.value().isEmpty() || step == null) {
            return degraded;
        }
        double v = roundValue(degraded.value().getAsDouble(), normal);
        List<String> applied = new ArrayList<>(degraded.applied());
        if (!applied.contains(step)) {
            applied.add(step);
        }
        return new ReleasedPrediction(null, List.of(), OptionalDouble.of(v), List.copyOf(applied));
    }

    /**
     * How {@code spec} rounds a regression's value, as {@code applied} names it: to its step, or,
     * a {@code label_only} without one, to 2 significant digits; null when it does not round.
     */
    private static String valueRounding(ReleaseSpec spec) {
        return spec.round() > 0 ? "round(" + spec.round() + ")"
                : spec.form() == ReleaseSpec.Form.LABEL_ONLY ? "round_significant(2)" : null;
    }

    /** A regression's value rounded as {@code spec} rounds it ({@link #valueRounding}). */
    private double roundValue(double v, ReleaseSpec spec) {
        double step = spec.round();
        if (step > 0) {
            double k = Math.rint(v / step);
            if (!Double.isFinite(k)) {
                throw new IllegalArgumentException(
                        "the regression value is too large to round to a step of " + step); // no value: it is raw
            }
            // + 0.0: a value that rounds to 0 from below (k = -0.0) is released as +0.0, not -0.0,
            // which would tell its sign
            return grid(step).at(k) + 0.0;
        }
        return spec.form() == ReleaseSpec.Form.LABEL_ONLY ? roundSignificant(v) : v;
    }

    private ReleasedPrediction regression(double value, ReleaseSpec spec, RandomGenerator rng) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("regression value must be finite, was " + value);
        }
        double v = value;
        Noise noise = spec.noise();
        if (noise != null) {
            if (noise.bounds() != null) {
                v = noise.bounds().clamp(v);
            } else {
                warnIfClassificationSensitivity(noise);
            }
            v = noisy(v, noise, rng);
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("noised regression value is not finite (value too large for the"
                        + " noise scale), was " + v);
            }
        }
        return new ReleasedPrediction(null, List.of(), OptionalDouble.of(roundValue(v, spec)), applied(spec, false));
    }

    // ---- steps -----------------------------------------------------------------------------------

    /**
     * Writes {@code src / sum(src)} into {@code dst} and returns true, or returns false (leaving
     * {@code dst} alone) when every value is 0. Values must be finite and non-negative; a sum that
     * overflows is handled by scaling by the maximum first. {@code src} and {@code dst} may be the same array.
     */
    static boolean normalise(double[] src, double[] dst) {
        double sum = 0;
        for (double v : src) {
            sum += v;
        }
        if (sum == 0) {
            return false;
        }
        if (Double.isInfinite(sum)) {
            double max = 0;
            for (double v : src) {
                max = Math.max(max, v);
            }
            sum = 0;
            for (double v : src) {
                sum += v / max;
            }
            for (int i = 0; i < src.length; i++) {
                dst[i] = src[i] / max / sum;
            }
            return true;
        }
        for (int i = 0; i < src.length; i++) {
            dst[i] = src[i] / sum;
        }
        return true;
    }

    /**
     * ART's reverse sigmoid on a distribution {@code p}, in place; {@code scratch} has the same
     * length. If every perturbed value is 0, {@code p} is left unchanged.
     */
    static void reverseSigmoid(double[] p, double beta, double gamma, double[] scratch) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            double pc = Math.min(Math.max(p[i], CLIP_MIN), CLIP_MAX);
            double r = beta * (sigmoid(-gamma * Math.log((1.0 - pc) / pc)) - 0.5);
            double v = p[i] - r;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            scratch[i] = v;
            sum += v;
        }
        if (sum > 0) {
            for (int i = 0; i < p.length; i++) {
                p[i] = scratch[i] / sum;
            }
        }
    }

    private static double sigmoid(double z) {
        return 1.0 / (1.0 + Math.exp(-z));
    }

    /**
     * Adds noise to each coordinate of the distribution {@code q}, clips at 0 and renormalises, in
     * place. If everything is clipped, {@code q} becomes one-hot at {@code keep}, or, when
     * {@code keep} is -1, at the highest noisy value: a choice made from the noisy values alone, so
     * the label stays inside the noise's guarantee.
     */
    static void addNoise(double[] q, Noise noise, RandomGenerator rng, double[] scratch, int keep) {
        SecureNoise.Calibrated calibrated = calibrate(noise, q.length);
        int noisyTop = 0;
        double best = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < q.length; i++) {
            double v = calibrated.add(q[i], rng);
            if (v > best) {
                best = v;
                noisyTop = i;
            }
            scratch[i] = v > 0 ? v : 0;
        }
        if (!normalise(scratch, q)) {
            Arrays.fill(q, 0);
            q[keep >= 0 ? keep : noisyTop] = 1.0;
        }
    }

    private static double noisy(double v, Noise noise, RandomGenerator rng) {
        return calibrate(noise, 1).add(v, rng);
    }

    /**
     * Why the noise of {@code spec} cannot be sampled for {@code raw} (the class count decides it:
     * Laplace needs {@code n / epsilon} below about {@code 2^51} to {@code 2^52}), or null when it
     * can or the spec has none. For the Guard to refuse such a release before charging for it.
     *
     * @param raw the model's output (only its kind and class count are read)
     * @param spec the release spec about to be applied
     */
    public static String noiseProblem(Prediction raw, ReleaseSpec spec) {
        Noise noise = spec.noise();
        if (noise == null) {
            return null;
        }
        int n = raw.kind() == Prediction.Kind.REGRESSION ? 1 : raw.scores().length;
        try {
            calibrate(noise, n);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /**
     * The noise for a release of {@code n} values, calibrated so that its privacy loss, the sampler's
     * snapping to a grid included, is at most the epsilon charged ({@link SecureNoise}).
     */
    static SecureNoise.Calibrated calibrate(Noise noise, int n) {
        return noise.mechanism() == Noise.Mechanism.LAPLACE
                ? SecureNoise.laplace(noise.sensitivity(), noise.epsilon(), n)
                : SecureNoise.gaussian(noise.sensitivity(), noise.epsilon(), noise.delta(), n);
    }

    /** Swaps {@code q[top]} with the maximum if another coordinate is strictly higher. */
    static void keepOnTop(double[] q, int top) {
        int j = argmax(q);
        if (q[j] > q[top]) {
            double t = q[j];
            q[j] = q[top];
            q[top] = t;
        }
    }

    /** Index of the maximum, the first on ties. */
    static int argmax(double[] q) {
        int best = 0;
        for (int i = 1; i < q.length; i++) {
            if (q[i] > q[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The first {@code limit} class indices in release order: score descending, then {@code top}
     * first, then index ascending.
     */
    static int[] order(double[] q, int top, int limit) {
        int n = q.length;
        if (limit <= SMALL_ORDER || n <= SMALL_ORDER) {
            int[] order = new int[limit];
            int m = 0;
            for (int i = 0; i < n; i++) {
                if (m == limit && !before(q, top, i, order[m - 1])) {
                    continue;
                }
                int pos = m < limit ? m++ : limit - 1;
                while (pos > 0 && before(q, top, i, order[pos - 1])) {
                    order[pos] = order[pos - 1];
                    pos--;
                }
                order[pos] = i;
            }
            return order;
        }
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        mergeSort(all, new int[n], 0, n, q, top);
        return limit == n ? all : Arrays.copyOf(all, limit);
    }

    private static boolean before(double[] q, int top, int a, int b) {
        if (q[a] != q[b]) {
            return q[a] > q[b];
        }
        if (a == top) {
            return true;
        }
        return b != top && a < b;
    }

    private static void mergeSort(int[] a, int[] tmp, int from, int to, double[] q, int top) {
        if (to - from <= SMALL_ORDER) {
            for (int i = from + 1; i < to; i++) {
                int x = a[i];
                int j = i;
                while (j > from && before(q, top, x, a[j - 1])) {
                    a[j] = a[j - 1];
                    j--;
                }
                a[j] = x;
            }
            return;
        }
        int mid = (from + to) >>> 1;
        mergeSort(a, tmp, from, mid, q, top);
        mergeSort(a, tmp, mid, to, q, top);
        System.arraycopy(a, from, tmp, from, to - from);
        int i = from;
        int j = mid;
        for (int k = from; k < to; k++) {
            if (j >= to || (i < mid && !before(q, top, tmp[j], tmp[i]))) {
                a[k] = tmp[i++];
            } else {
                a[k] = tmp[j++];
            }
        }
    }

    /** The largest grid index whose value is at most 1 (within 1e-9 steps). */
    static double maxSteps(double step) {
        return Math.floor(1.0 / step + GRID_TOLERANCE);
    }

    /**
     * The largest score a classification rounded to {@code step} can release: 1 when the step divides
     * 1, else the largest multiple of the step below 1 (0.6 for a step of 0.6), to which every score
     * above it is clamped. Scores above {@code largestScore(step) + step / 2} therefore move by more
     * than half a step, by up to {@code 1 - largestScore(step)}.
     *
     * @param step a rounding step in (0, 1]
     */
    public static double largestScore(double step) {
        return roundToGrid(1.0, step, maxSteps(step));
    }

    /** {@code v} in [0, 1] rounded to the nearest {@code k * step}, clamped to [0, 1]. */
    static double roundToGrid(double v, double step, double maxSteps) {
        return roundToGrid(v, Grid.of(step), maxSteps);
    }

    /** As {@link #roundToGrid(double, double, double)}, on the step's {@link Grid}. */
    private static double roundToGrid(double v, Grid grid, double maxSteps) {
        double k = Math.rint(v / grid.step());
        if (k > maxSteps) {
            k = maxSteps;
        } else if (k < 0) {
            k = 0;
        }
        double r = grid.at(k);
        return r > 1.0 ? 1.0 : r;
    }

    /** The last grid looked up: a policy rounds to a few steps, and {@link Grid#of} formats the step. Racy but safe. */
    private volatile Grid lastGrid;

    private Grid grid(double step) {
        Grid g = lastGrid;
        if (g == null || g.step() != step) {
            g = Grid.of(step);
            lastGrid = g;
        }
        return g;
    }

    /** 10^0 to 10^22: the powers of ten that doubles hold exactly. */
    private static final double[] POWERS_OF_TEN = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

    /**
     * How to compute the grid values {@code k * step} of a rounding step so that they print as the
     * decimal multiples (0.21, not the {@code 3 * 0.07 = 0.21000000000000002} of doubles):
     * <ul>
     *   <li>a step that is {@code 1/n} for a whole n (0.05, 0.01, 0.25, 1/3...): {@code k / n}, the
     *       double nearest the exact grid value. "Is {@code 1/n}" means within a few units in the
     *       last place: a step only near {@code 1/n} (such as {@code 1.0000000000011E-4}) is not,
     *       or {@code value / step} would miss {@code k} by more than the documented 1e-9;</li>
     *   <li>otherwise a step whose decimal form (as {@link Double#toString} writes it) has at most 15
     *       significant digits and 22 decimals, {@code m / 10^d} (0.07 is 7 / 10^2):
     *       {@code (k * m) / 10^d}, both operands exact while {@code |k * m| <= 2^53}, so the one
     *       division gives the double nearest {@code k x step} written in decimal;</li>
     *   <li>else (a step with 16 or 17 digits, or a product too large) {@code k * step}.</li>
     * </ul>
     * A comparison, a multiplication and a division per value: no BigDecimal per score.
     *
     * @param n the whole n with {@code step == 1/n}, or 0
     * @param digits m, the step's decimal digits, or 0 when the decimal form is not used
     * @param scale 10^d
     * @param maxK the largest {@code |k|} with {@code |k * m| <= 2^53}
     */
    private record Grid(double step, double n, double digits, double scale, double maxK) {
        static Grid of(double step) {
            double n = gridDenominator(step);
            if (n == 0) {
                BigDecimal d = BigDecimal.valueOf(step).stripTrailingZeros();
                if (d.scale() > 0 && d.scale() < POWERS_OF_TEN.length && d.precision() <= 15) {
                    long m = d.unscaledValue().longValueExact();
                    return new Grid(step, 0, m, POWERS_OF_TEN[d.scale()], (double) ((1L << 53) / m));
                }
            }
            return new Grid(step, n, 0, 0, 0);
        }

        /** The grid value {@code k} ({@code k} a whole number). */
        double at(double k) {
            if (n > 0) {
                return k / n;
            }
            if (digits > 0 && Math.abs(k) <= maxK) {
                return k * digits / scale;
            }
            return k * step;
        }
    }

    /** The whole n with {@code step == 1/n} (within a few ulps), or 0 when the step is no such fraction. */
    private static double gridDenominator(double step) {
        double inverse = 1.0 / step;
        double n = Math.rint(inverse);
        return n >= 1 && Math.abs(inverse - n) <= 4 * Math.ulp(n) ? n : 0;
    }

    /** {@code v} rounded to 2 significant digits, half up. */
    static double roundSignificant(double v) {
        return BigDecimal.valueOf(v).round(TWO_SIGNIFICANT).doubleValue();
    }

    // ---- applied ---------------------------------------------------------------------------------

    private List<String> applied(ReleaseSpec spec, boolean classification) {
        if (spec.form() != ReleaseSpec.Form.LABEL_ONLY && spec.noise() == null && spec.round() == 0
                && (!classification || spec.reverseSigmoid() == null && spec.minConfidence() == 0
                        && spec.topK() == 0)) {
            return List.of();
        }
        Applied last = lastApplied;
        if (last != null && last.spec() == spec && last.classification() == classification) {
            return last.list();
        }
        ConcurrentHashMap<ReleaseSpec, List<String>> cache = classification ? classificationApplied
                : regressionApplied;
        List<String> cached = cache.get(spec);
        if (cached != null) {
            lastApplied = new Applied(spec, classification, cached);
            return cached;
        }
        List<String> list = describe(spec, classification);
        if (cache.size() < APPLIED_CACHE_LIMIT) {
            cache.putIfAbsent(spec, list);
        }
        return list;
    }

    /**
     * The {@code applied} entry after the noise of a classification whose label is kept
     * ({@code allowLabelChange = false}): the released label is the raw top label, read from the raw
     * scores, so the release is not epsilon-differentially private as a whole; only the scores are
     * covered by the noise's guarantee.
     */
    public static final String KEEP_LABEL = "keep_label";

    /** The {@code applied} list for a spec; depends on nothing else. */
    static List<String> describe(ReleaseSpec spec, boolean classification) {
        List<String> out = new ArrayList<>(6);
        boolean labelOnly = spec.form() == ReleaseSpec.Form.LABEL_ONLY;
        ReverseSigmoid rs = spec.reverseSigmoid();
        if (classification && rs != null) {
            out.add("reverse_sigmoid(beta=" + rs.beta() + ",gamma=" + rs.gamma() + ")");
        }
        Noise noise = spec.noise();
        if (noise != null) {
            if (!classification && noise.bounds() != null) {
                out.add("clamp(" + noise.bounds().lower() + "," + noise.bounds().upper() + ")");
            }
            out.add("noise(" + noise.id() + ",epsilon=" + noise.epsilon()
                    + (noise.mechanism() == Noise.Mechanism.GAUSSIAN ? ",delta=" + noise.delta() : "") + ")");
            if (classification && !spec.allowLabelChange()) {
                out.add(KEEP_LABEL); // the label is the raw top: outside the noise's guarantee
            }
        }
        if (classification) {
            if (!labelOnly) {
                if (spec.round() > 0) {
                    out.add("round(" + spec.round() + ")");
                }
                if (spec.minConfidence() > 0) {
                    out.add("min_confidence(" + spec.minConfidence() + ")");
                }
                if (spec.topK() > 0) {
                    out.add("top_k(" + spec.topK() + ")");
                }
            }
        } else if (valueRounding(spec) != null) {
            out.add(valueRounding(spec));
        }
        if (labelOnly) {
            out.add("label_only");
        }
        return List.copyOf(out);
    }
}
