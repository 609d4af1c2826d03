package dev.veil.spi;

import java.util.Locale;
import java.util.Objects;

/**
 * How much of a prediction to release. Transforms apply in this order: reverse sigmoid, noise,
 * rounding, confidence cut-off, top-k; then {@code form} decides what is shown. Every transform
 * keeps the raw top label as the released top label unless {@code allowLabelChange} is true.
 *
 * <p>Noise on a {@link Form#LABEL_ONLY} release needs {@code allowLabelChange}: a label that must
 * stay the raw top label gets nothing from noise, which would still be charged to the privacy
 * budget and recorded as applied. A regression's label-only release (its value rounded to 2
 * significant digits) is noised either way; the flag is required there too, so that one rule
 * covers both kinds of model (or use {@code form: full} with {@code round}).
 *
 * @param form what is shown: all scores, the top {@code topK}, or the label alone
 * @param topK for {@link Form#TOP_K}: how many scores ({@code >= 1})
 * @param round grid step for released scores, e.g. 0.05 ({@code 0} = no rounding); any step in
 *     [1e-12, 1] (a finer one moves a score by less than 5e-13, which hides nothing: a model's
 *     float32 scores carry about 7 significant digits; and near the smallest doubles the rounding
 *     arithmetic breaks, {@code 1 / step} overflowing)
 * @param minConfidence scores below this are not released ({@code 0} = all)
 * @param reverseSigmoid Lee et al.'s deceptive perturbation, or {@code null}
 * @param noise calibrated noise spending privacy budget, or {@code null}
 * @param allowLabelChange whether noise may change the released top label
 */
public record ReleaseSpec(
        Form form, int topK, double round, double minConfidence, ReverseSigmoid reverseSigmoid, Noise noise,
        boolean allowLabelChange) {

    /** What is shown. */
    public enum Form {
        FULL,
        TOP_K,
        LABEL_ONLY
    }

    /**
     * Reverse-sigmoid perturbation (Lee et al. 2019; ART's {@code ReverseSigmoid}).
     *
     * @param beta strength, {@code > 0}
     * @param gamma slope, {@code > 0}
     */
    public record ReverseSigmoid(double beta, double gamma) {
        public ReverseSigmoid {
            if (!(beta > 0) || Double.isInfinite(beta)) {
                throw new IllegalArgumentException("reverse_sigmoid.beta must be > 0, was " + beta);
            }
            if (!(gamma > 0) || Double.isInfinite(gamma)) {
                throw new IllegalArgumentException("reverse_sigmoid.gamma must be > 0, was " + gamma);
            }
        }
    }

    /**
     * Noise calibrated to a privacy parameter; each release spends {@code epsilon} (and
     * {@code delta}) from the caller's and the global budget.
     *
     * @param mechanism Laplace (pure epsilon) or Gaussian (epsilon, delta; epsilon at most 1)
     * @param epsilon per-release epsilon, {@code > 0}; for Laplace at least {@code 2^-51} (about 4.4E-16),
     *     below which no grid can sample the noise exactly
     * @param delta per-release delta for Gaussian, in (0, 1); must be 0 for Laplace
     * @param sensitivity L1 (Laplace) or L2 (Gaussian) sensitivity of the released vector;
     *     0 means the default for a probability vector: 2 for L1, sqrt(2) for L2. The noise scale
     *     these give (Laplace {@code sensitivity / epsilon}, Gaussian
     *     {@code sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon}) must be positive and finite,
     *     below 4.0E304 for Laplace and 2.8E306 for Gaussian, or the constructor throws: such noise
     *     could draw samples past the largest double. With {@code bounds}, 0 means
     *     {@code upper - lower}, the most a value clamped to them can move
     * @param bounds for a regression's value: the range it is clamped to before the noise is added,
     *     so that the noise's guarantee holds whatever the model answers (one training record can move
     *     a clamped value by at most {@code upper - lower}); {@code null}: not clamped, and the
     *     guarantee holds only while the model's value moves by at most {@code sensitivity}. A
     *     classification answered under noise with bounds is a failure of the output stage, before
     *     any charge (its scores are bounded already, and the default sensitivity would not be
     *     theirs): the Guard refuses it, or under {@code on_error: degrade} releases the raw top label
     */
    public record Noise(Mechanism mechanism, double epsilon, double delta, double sensitivity, Bounds bounds) {
        /** Noise mechanisms. */
        public enum Mechanism {
            LAPLACE,
            GAUSSIAN
        }

        /**
         * The range a regression's value is clamped to before noise.
         *
         * @param lower the smallest value released before noise, finite
         * @param upper the largest, finite, above {@code lower}, with {@code upper - lower} finite
         */
        public record Bounds(double lower, double upper) {
            public Bounds {
                if (!Double.isFinite(lower) || !Double.isFinite(upper) || !(lower < upper)
                        || !Double.isFinite(upper - lower)) {
                    throw new IllegalArgumentException("noise.bounds must be two finite numbers [lower, upper] with "
                            + "lower < upper and upper - lower finite, was [" + lower + ", " + upper + "]");
                }
            }

            /** {@code v} clamped to [lower, upper]. */
            public double clamp(double v) {
                return Math.max(lower, Math.min(upper, v));
            }
        }

        /** Noise without bounds. */
        public Noise(Mechanism mechanism, double epsilon, double delta, double sensitivity) {
            this(mechanism, epsilon, delta, sensitivity, null);
        }

        public Noise {
            Objects.requireNonNull(mechanism, "noise.mechanism");
            if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
                throw new IllegalArgumentException("noise.epsilon must be a positive finite number, was " + epsilon);
            }
            if (mechanism == Mechanism.LAPLACE && delta != 0) {
                throw new IllegalArgumentException("noise.delta must be 0 for laplace, was " + delta);
            }
            if (mechanism == Mechanism.GAUSSIAN) {
                if (!(delta > 0 && delta < 1)) {
                    throw new IllegalArgumentException("noise.delta must be in (0, 1) for gaussian, was " + delta);
                }
                if (epsilon > 1) {
                    throw new IllegalArgumentException(
                            "noise.epsilon must be <= 1 for the classic gaussian mechanism, was " + epsilon);
                }
            }
            if (!(sensitivity >= 0) || Double.isInfinite(sensitivity)) {
                throw new IllegalArgumentException("noise.sensitivity must be >= 0, was " + sensitivity);
            }
            if (sensitivity == 0) {
                sensitivity = bounds != null ? bounds.upper() - bounds.lower()
                        : mechanism == Mechanism.LAPLACE ? 2.0 : Math.sqrt(2.0);
            }
            double scale;
            String what;
            if (mechanism == Mechanism.LAPLACE) {
                scale = sensitivity / epsilon;
                what = "laplace scale sensitivity / epsilon = " + sensitivity + " / " + epsilon;
            } else {
                scale = sensitivity * Math.sqrt(2 * Math.log(1.25 / delta)) / epsilon;
                what = "gaussian sigma sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon = " + sensitivity
                        + " * sqrt(2 ln(1.25 / " + delta + ")) / " + epsilon;
            }
            boolean laplace = mechanism == Mechanism.LAPLACE;
            if (!(scale > 0 && scale < (laplace ? MAX_LAPLACE_SCALE : MAX_GAUSSIAN_SIGMA))) {
                throw new IllegalArgumentException("the " + what + " is " + scale + "; it must be a positive finite "
                        + "number below " + (laplace ? MAX_LAPLACE_SCALE + " (a sample can reach about 694 scales, and"
                                + " the grid's calibration can raise the scale a few times)"
                                : MAX_GAUSSIAN_SIGMA_TEXT + " (a sample can reach 37 sigmas)") + ": "
                        + (scale > 0 ? "raise epsilon or lower sensitivity" : "lower epsilon or raise sensitivity"));
            }
            if (laplace && epsilon < MIN_LAPLACE_EPSILON) {
                throw new IllegalArgumentException("noise.epsilon for laplace must be at least 2^-51 ("
                        + MIN_LAPLACE_EPSILON + "), was " + epsilon + ": below it the noise cannot be sampled exactly even"
                        + " for a single value at most sensitivities (values / epsilon must stay below about 2^51);"
                        + " raise epsilon");
            }
        }

        /**
         * The smallest Laplace epsilon, {@code 2^-51}: the exact sampler needs {@code n / epsilon}
         * below about {@code 2^51} to {@code 2^52} (depending on the sensitivity) for {@code n} values,
         * so below this one value can be sampled at few sensitivities, and none below {@code 2^-52}.
         * From here to {@code 2^-50}, whether one value can depends on the sensitivity; that, and
         * larger class counts, are checked per release, where the count is known (the Guard refuses
         * before charging, saying why).
         */
        private static final double MIN_LAPLACE_EPSILON = 0x1.0p-51;

        /**
         * Laplace scales must stay below this: a sample reaches at most about 694 calibrated scales
         * (its tail is cut at {@code 2^-1000}), and the calibration for the grid can raise the scale
         * above {@code sensitivity / epsilon} (where {@code n / epsilon} is near its limit: up to about
         * 4 times; 3.04 was measured), so that {@code 4.0E304 * 694 * 4} stays below
         * {@link Double#MAX_VALUE}. The
         * transform still checks every sample and fails rather than release an infinity.
         */
        private static final double MAX_LAPLACE_SCALE = 4.0E304;

        /**
         * Gaussian sigmas must stay below this, so that a sample, at most about 37 sigmas, is finite
         * (the calibration for many classes at a tiny epsilon can raise sigma further: the transform
         * checks every sample and fails rather than release an infinity).
         */
        private static final double MAX_GAUSSIAN_SIGMA = Double.MAX_VALUE / 64;
        private static final String MAX_GAUSSIAN_SIGMA_TEXT = "2.8E306";

        public String id() {
            return mechanism.name().toLowerCase(Locale.ROOT);
        }
    }

    public ReleaseSpec {
        Objects.requireNonNull(form, "form");
        if (form == Form.TOP_K && topK < 1) {
            throw new IllegalArgumentException("top_k must be >= 1 when form is top_k, was " + topK);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, was " + topK);
        }
        if (!(round >= 0 && round <= MAX_ROUND)) {
            throw new IllegalArgumentException("round must be in [0, " + MAX_ROUND + "] (0 = no rounding; a step above 1 "
                    + "is for a regression's value, a classification's scores take at most 1), was " + round);
        }
        if (round > 0 && round < MIN_ROUND) {
            throw new IllegalArgumentException("round must be 0 (no rounding) or at least " + MIN_ROUND + ", was "
                    + round + ": " + ROUND_TOO_FINE);
        }
        if (!(minConfidence >= 0 && minConfidence < 1)) {
            throw new IllegalArgumentException("min_confidence must be in [0, 1), was " + minConfidence);
        }
        if (form == Form.LABEL_ONLY && noise != null && !allowLabelChange) {
            throw new IllegalArgumentException("noise on a label_only release needs allow_label_change: true (a"
                    + " classification's label is then the noisy top label; without it, always the raw top label,"
                    + " and the noise would be charged to the privacy budget for nothing; a regression's label_only"
                    + " value, rounded to 2 significant digits, is noised either way, so set it there too)");
        }
    }

    /**
     * The finest rounding step: a finer one moves a score by less than 5e-13, which hides nothing
     * rounding is for, and a step near the smallest doubles breaks the rounding arithmetic (at
     * 1e-310, {@code 1 / step} overflows and every class was released with score 1.0).
     */
    static final double MIN_ROUND = 1e-12;

    /**
     * The largest rounding step: a regression's value may be rounded to 1,000 or to a million; a
     * classification's scores take a step of at most 1 (a release with a larger one is refused when
     * it meets a classification, since every score would round to 0 or 1).
     */
    public static final double MAX_ROUND = 1e15;

    /** Why a {@code round} in (0, {@link #MIN_ROUND}) is refused (shared with {@link DecisionDocuments}). */
    static final String ROUND_TOO_FINE = "a finer step moves a score by less than 5e-13, which hides nothing (a"
            + " model's float32 scores carry about 7 significant digits), and near the smallest doubles 1 / step"
            + " overflows";

    /** Every score, untouched. */
    public static final ReleaseSpec FULL = new ReleaseSpec(Form.FULL, 0, 0, 0, null, null, false);

    /** The label alone: the most minimised release, used whenever a request is degraded. */
    public static final ReleaseSpec LABEL_ONLY = new ReleaseSpec(Form.LABEL_ONLY, 0, 0, 0, null, null, false);
}
