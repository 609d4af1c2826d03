package dev.veil.internal.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.Prediction;
import dev.veil.ReleasedPrediction;
import dev.veil.ReleasedPrediction.ScoredLabel;
import dev.veil.spi.ReleaseSpec;
import dev.veil.spi.ReleaseSpec.Form;
import dev.veil.spi.ReleaseSpec.Noise;
import dev.veil.spi.ReleaseSpec.Noise.Mechanism;
import dev.veil.spi.ReleaseSpec.ReverseSigmoid;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ReleaseTransformerTest {
    private static final List<String> ABC = List.of("a", "b", "c");
    /**
     * The four draws of one Laplace sample (sign bit and mantissa, the uniform's binade from leading
     * zeros, the place in the block and its acceptance; {@link SecureNoise}): about +44 scales
     * (mantissa 0, 63 leading zeros: U = 2^-64, -ln U = 44.36, whole blocks of at most one scale;
     * place 0, kept), about -44 scales, and 0 (mantissa all ones, binade 0: U = 1 - 2^-53; place 0).
     * {@link #bump} gives the exact value.
     */
    private static final long[] PLUS = {0, 1, 0, 0};
    private static final long[] MINUS = {Long.MIN_VALUE, 1, 0, 0};
    private static final long[] ZERO = {Long.MAX_VALUE, -1, 0, 0};

    private final ReleaseTransformer transformer = new ReleaseTransformer();

    private static ReleaseSpec spec(Form form, int topK, double round, double minConfidence, ReverseSigmoid rs,
            Noise noise, boolean allowLabelChange) {
        return new ReleaseSpec(form, topK, round, minConfidence, rs, noise, allowLabelChange);
    }

    private static Prediction classes(List<String> labels, double... scores) {
        return Prediction.classification(labels, scores);
    }

    /** A generator returning the draws of {@code samples} in turn, cycling: drives the Laplace sampler exactly. */
    private static RandomGenerator longs(long[]... samples) {
        long[] values = java.util.Arrays.stream(samples).flatMapToLong(java.util.Arrays::stream).toArray();
        int[] next = {0};
        return () -> values[next[0]++ % values.length];
    }

    /** The noise {@link #PLUS} draws for {@code noise} on a release of {@code n} values (43 to 44.4 scales). */
    private static double bump(Noise noise, int n) {
        return ReleaseTransformer.calibrate(noise, n).add(0, longs(PLUS));
    }

    private static double[] scores(ReleasedPrediction r) {
        return r.scores().stream().mapToDouble(ScoredLabel::score).toArray();
    }

    private static List<String> labels(ReleasedPrediction r) {
        return r.scores().stream().map(ScoredLabel::label).toList();
    }

    @Nested
    class Normalise {
        @Test
        void shouldReleaseNormalisedScoresHighestFirst() {
            ReleasedPrediction r = transformer.apply(classes(ABC, 1, 2, 1), ReleaseSpec.FULL, null);

            assertThat(r.label()).isEqualTo("b");
            assertThat(labels(r)).containsExactly("b", "a", "c");
            assertThat(scores(r)).containsExactly(0.5, 0.25, 0.25);
            assertThat(r.value()).isEmpty();
            assertThat(r.applied()).isEmpty();
        }

        @Test
        void shouldReleaseUniformDistributionForAllZeroScores() {
            ReleasedPrediction r = transformer.apply(classes(List.of("a", "b", "c", "d"), 0, 0, 0, 0),
                    ReleaseSpec.FULL, null);

            assertThat(r.label()).isEqualTo("a");
            assertThat(scores(r)).containsExactly(0.25, 0.25, 0.25, 0.25);
            assertThat(labels(r)).containsExactly("a", "b", "c", "d");
        }

        @Test
        void shouldNormaliseScoresWhoseSumOverflows() {
            ReleasedPrediction r = transformer.apply(classes(ABC, Double.MAX_VALUE, Double.MAX_VALUE, 0),
                    ReleaseSpec.FULL, null);

            assertThat(scores(r)).containsExactly(0.5, 0.5, 0.0);
            assertThat(r.label()).isEqualTo("a");
        }

        @Test
        void shouldKeepRawTopFirstWhenNormalisingCreatesATie() {
            // y is one ulp above x, but divided by the sum both round to the same double
            double x = 0.4453871940548014;
            double y = Math.nextUp(x);
            ReleasedPrediction r = transformer.apply(classes(List.of("x", "y", "z"), x, y, 0.32136469040247184),
                    ReleaseSpec.FULL, null);

            assertThat(scores(r)[0]).isEqualTo(scores(r)[1]);
            assertThat(r.label()).isEqualTo("y");
            assertThat(labels(r)).containsExactly("y", "x", "z");
        }

        @Test
        void shouldNotModifyTheRawScores() {
            double[] raw = {3, 1, 1};
            transformer.apply(classes(ABC, raw),
                    spec(Form.FULL, 0, 0.1, 0, new ReverseSigmoid(1, 0.1), null, false), null);

            assertThat(raw).containsExactly(3, 1, 1);
        }

        @Test
        void shouldReleaseOneClassWithScoreOne() {
            ReleasedPrediction r = transformer.apply(classes(List.of("only"), 0.3), ReleaseSpec.FULL, null);

            assertThat(r.label()).isEqualTo("only");
            assertThat(scores(r)).containsExactly(1.0);
        }
    }

    @Nested
    class ReverseSigmoidStep {
        private final ReverseSigmoid artDefaults = new ReverseSigmoid(1.0, 0.1);

        @Test
        void shouldMatchArtAtDefaults() {
            // ART: p=0.9 -> r = sigmoid(0.1 * ln 9) - 1/2 = 0.0547, q = 0.8453;
            // p=0.05 -> r = -0.0731, q = 0.1231; normalised by 1.0915: [0.7745, 0.1128, 0.1128]
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.9, 0.05, 0.05),
                    spec(Form.FULL, 0, 0, 0, artDefaults, null, false), null);

            assertThat(r.label()).isEqualTo("a");
            assertThat(scores(r)[0]).isCloseTo(0.7744597368, within(1e-9));
            assertThat(scores(r)[1]).isCloseTo(0.1127701316, within(1e-9));
            assertThat(scores(r)[2]).isCloseTo(0.1127701316, within(1e-9));
            assertThat(r.applied()).containsExactly("reverse_sigmoid(beta=1.0,gamma=0.1)");
        }

        @Test
        void shouldLowerReportedConfidenceAsTrueConfidenceRises() {
            double[] ten = new double[10];
            ten[0] = 0.99;
            for (int i = 1; i < 10; i++) {
                ten[i] = 0.0011;
            }
            List<String> labels = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
            ReleasedPrediction r = transformer.apply(classes(labels, ten),
                    spec(Form.FULL, 0, 0, 0, artDefaults, null, false), null);

            assertThat(r.label()).isEqualTo("0");
            assertThat(scores(r)[0]).isCloseTo(0.3711585549, within(1e-9));
        }

        @Test
        void shouldKeepRawTopOnTopWhenReverseSigmoidWouldSwapIt() {
            // beta 2, gamma 1 on [0.6, 0.4]: sigmoid(ln 1.5) = 0.6, r = +-0.2, so ART gives [0.4, 0.6]
            ReverseSigmoid strong = new ReverseSigmoid(2, 1);
            ReleasedPrediction kept = transformer.apply(classes(List.of("x", "y"), 0.6, 0.4),
                    spec(Form.FULL, 0, 0, 0, strong, null, false), null);
            ReleasedPrediction changed = transformer.apply(classes(List.of("x", "y"), 0.6, 0.4),
                    spec(Form.FULL, 0, 0, 0, strong, null, true), null);

            assertThat(kept.label()).isEqualTo("x");
            assertThat(labels(kept)).containsExactly("x", "y");
            assertThat(scores(kept)[0]).isCloseTo(0.6, within(1e-12));
            assertThat(changed.label()).isEqualTo("y");
            assertThat(labels(changed)).containsExactly("y", "x");
            assertThat(scores(changed)[0]).isCloseTo(0.6, within(1e-12));
        }

        @Test
        void shouldKeepDistributionWhenEveryPerturbedScoreIsClippedToZero() {
            // one class: p = 1 is clipped to 1 - 1e-9, r = 3 * (sigmoid(2.07) - 1/2) = 1.16 > 1, q = 0
            ReleasedPrediction r = transformer.apply(classes(List.of("only"), 1.0),
                    spec(Form.FULL, 0, 0, 0, new ReverseSigmoid(3, 0.1), null, false), null);

            assertThat(scores(r)).containsExactly(1.0);
        }
    }

    @Nested
    class NoiseStep {
        private final Noise laplace = new Noise(Mechanism.LAPLACE, 100, 0, 0); // scale 2 / 100 = 0.02

        @Test
        void shouldAddLaplaceNoiseClipAndRenormalise() {
            // a gets 0 noise, b gets about +44 * 0.02 = 0.88, c about -0.88
            RandomGenerator rng = longs(ZERO, PLUS, MINUS);
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.7, 0.2, 0.1),
                    spec(Form.FULL, 0, 0, 0, null, laplace, true), rng);

            double bump = bump(laplace, 3);
            assertThat(bump).isBetween(43 * 0.02, 44.4 * 0.02);
            double sum = 0.7 + 0.2 + bump;
            assertThat(r.label()).isEqualTo("b");
            assertThat(labels(r)).containsExactly("b", "a", "c");
            assertThat(scores(r)[0]).isCloseTo((0.2 + bump) / sum, within(1e-6));
            assertThat(scores(r)[1]).isCloseTo(0.7 / sum, within(1e-6));
            assertThat(scores(r)[2]).isZero();
            assertThat(r.applied()).containsExactly("noise(laplace,epsilon=100.0)");
        }

        @Test
        void shouldSwapNoisedCoordinatesSoThatRawTopStaysOnTop() {
            RandomGenerator rng = longs(ZERO, PLUS, MINUS);
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.7, 0.2, 0.1),
                    spec(Form.FULL, 0, 0, 0, null, laplace, false), rng);

            double bump = bump(laplace, 3);
            double sum = 0.7 + 0.2 + bump;
            assertThat(r.label()).isEqualTo("a");
            assertThat(labels(r)).containsExactly("a", "b", "c");
            assertThat(scores(r)[0]).isCloseTo((0.2 + bump) / sum, within(1e-6));
            assertThat(scores(r)[1]).isCloseTo(0.7 / sum, within(1e-6));
        }

        @Test
        void shouldReleaseUnNoisedTopAsOneWhenNoiseClipsEverything() {
            RandomGenerator rng = longs(MINUS); // every coordinate gets about -0.88
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.2, 0.5, 0.3),
                    spec(Form.FULL, 0, 0, 0, null, laplace, true), rng);

            assertThat(r.label()).isEqualTo("b");
            assertThat(scores(r)).containsExactly(1.0, 0.0, 0.0);
            assertThat(labels(r)).containsExactly("b", "a", "c");
        }

        @Test
        void shouldTakeTheFallbackLabelFromTheNoisyValuesWhenLabelChangeIsAllowed() {
            // a: 0 + 0, b: 0.6 - 0.88, c: 0.4 - 0.88: all clipped, and the highest noisy value is a's,
            // although b is the top of the distribution the noise was added to
            ReleasedPrediction r = transformer.apply(classes(ABC, 0, 0.6, 0.4),
                    spec(Form.FULL, 0, 0, 0, null, laplace, true), longs(ZERO, MINUS, MINUS));

            assertThat(r.label()).isEqualTo("a");
            assertThat(scores(r)).containsExactly(1.0, 0.0, 0.0);
        }

        @Test
        void shouldUseTheNoisyTopAfterReverseSigmoidAsFallbackWhenLabelChangeIsAllowed() {
            // reverse sigmoid (beta 2, gamma 1) makes y the top; then the same noise on both clips
            // everything, and y stays the highest noisy value
            ReleasedPrediction r = transformer.apply(classes(List.of("x", "y"), 0.6, 0.4),
                    spec(Form.FULL, 0, 0, 0, new ReverseSigmoid(2, 1), laplace, true), longs(MINUS));

            assertThat(r.label()).isEqualTo("y");
            assertThat(scores(r)).containsExactly(1.0, 0.0);
        }

        @Test
        void shouldKeepNoisedScoresNearTheTruthForLargeEpsilon() {
            Noise faint = new Noise(Mechanism.GAUSSIAN, 1.0, 0.5, 1e-6);
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.6, 0.3, 0.1),
                    spec(Form.FULL, 0, 0, 0, null, faint, true), new SplittableRandom(7));

            assertThat(scores(r)).containsExactly(new double[] {0.6, 0.3, 0.1}, within(1e-4));
            assertThat(r.applied()).containsExactly("noise(gaussian,epsilon=1.0,delta=0.5)");
        }

        /** The review's probe through the transform: -1e-12 and +1e-12 snap to one grid point, so release the same bits. */
        @Test
        void shouldReleaseTheSameBitsForRegressionValuesThatSnapToZeroFromEitherSide() {
            ReleaseSpec gaussian = spec(Form.FULL, 0, 0, 0, null, new Noise(Mechanism.GAUSSIAN, 0.5, 1e-6, 1.0), false);
            long[] zeroSteps = {0x000FFFFFFFFFFFFFL, -1L, 1L << 63}; // U = 1 - 2^-53, V = 1/2: -0 grid steps
            double minus = transformer.apply(Prediction.regression(-1e-12), gaussian, longs(zeroSteps)).value()
                    .getAsDouble();
            double plus = transformer.apply(Prediction.regression(1e-12), gaussian, longs(zeroSteps)).value()
                    .getAsDouble();
            assertThat(Double.doubleToRawLongBits(minus)).as("released %s and %s", minus, plus)
                    .isEqualTo(Double.doubleToRawLongBits(plus));
        }

        /**
         * A Gaussian for 1,000 classes at a tiny epsilon is calibrated about 30 times above its
         * textbook sigma (the snapped sensitivity; SecureNoise): a sigma of about 1.6E307 passes the
         * spec's check of the textbook 5.3E305, and a sample at the tail's cut (37 sigmas) is past
         * the largest double. The release fails (nothing released) rather than renormalising an
         * infinity into NaN scores.
         */
        @Test
        void shouldFailRatherThanReleaseScoresFromANoiseSampleBeyondTheLargestDouble() {
            Noise gaussian = new Noise(Mechanism.GAUSSIAN, 1e-5, 1e-6, 1e300);
            double[] raw = new double[1000];
            java.util.Arrays.fill(raw, 1);
            List<String> labels = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "c" + i).toList();
            long[] deepest = new long[18]; // mantissa all ones, 16 zero draws (the binade cut), V = 0: +37.2 sigmas
            deepest[0] = 0x000FFFFFFFFFFFFFL;
            assertThatThrownBy(() -> transformer.apply(classes(labels, raw), spec(Form.FULL, 0, 0, 0, null, gaussian, true),
                    longs(deepest))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("gaussian noise of sigma ")
                    .hasMessageEndingWith(" drew a sample beyond the largest double; lower the noise's sensitivity or"
                            + " raise its epsilon");
        }

        @Test
        void shouldRejectMissingRandomGeneratorWhenSpecHasNoise() {
            assertThatThrownBy(() -> transformer.apply(classes(ABC, 1, 1, 1),
                    spec(Form.FULL, 0, 0, 0, null, laplace, true), null))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessage("rng is required when the release spec has noise");
        }

        /**
         * Below a Laplace epsilon of 2^-51 a single value can be sampled at few sensitivities (none
         * below 2^-52: n / epsilon must stay below 2^51 to 2^52): the spec is refused when it is built
         * (the policy's load, or a Rego decision), before any charge. From 2^-50 one value always
         * works; between, it depends on the sensitivity and the Guard refuses per release (GuardTest).
         */
        @Test
        void shouldRefuseALaplaceEpsilonBelowWhichNoGridCanSampleEvenOneValue() {
            assertThatThrownBy(() -> new Noise(Mechanism.LAPLACE, 1e-16, 0, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("noise.epsilon for laplace must be at least 2^-51 (4.440892098500626E-16), was 1.0E-16:"
                            + " below it the noise cannot be sampled exactly even for a single value at most"
                            + " sensitivities (values / epsilon must stay below about 2^51); raise epsilon");
            assertThat(new Noise(Mechanism.LAPLACE, 0x1.0p-51, 0, 0).epsilon()).isEqualTo(0x1.0p-51);
            for (int e = -1000; e <= 950; e += 7) { // up to the largest scale a spec admits
                for (double f : new double[] {1, 1.3, 1.999}) {
                    double d = Math.scalb(f, e);
                    Noise smallest = new Noise(Mechanism.LAPLACE, 0x1.0p-50, 0, d);
                    assertThat(ReleaseTransformer.calibrate(smallest, 1).scale()).as("sensitivity %s", d).isPositive();
                }
            }
        }

        @Test
        void shouldRejectNoiseScaleThatOverflowsBeforeAnythingIsReleased() {
            // refused when the spec is built (the policy's load), before any charge or sample
            assertThatThrownBy(() -> new Noise(Mechanism.LAPLACE, Double.MIN_VALUE, 0, 1e300))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("the laplace scale sensitivity / epsilon = 1.0E300 / 4.9E-324 is Infinity");
            assertThatThrownBy(() -> new Noise(Mechanism.GAUSSIAN, 1e-300, 1e-6, 1e10))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("gaussian sigma").hasMessageContaining("is Infinity");
            assertThatThrownBy(() -> new Noise(Mechanism.GAUSSIAN, 1, 0.5, 1e307))
                    .as("finite, but a sample of 37 sigmas would not be").isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is 1.3537287260556712E307; it must be a positive finite number below"
                            + " 2.8E306 (a sample can reach 37 sigmas)");
            // the review's scale: a Laplace sample reaches about 694 scales, 1e306 x 694 is past the largest double
            assertThatThrownBy(() -> new Noise(Mechanism.LAPLACE, 1, 0, 1e306))
                    .as("finite, but a sample of 694 scales would not be").isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the laplace scale sensitivity / epsilon = 1.0E306 / 1.0 is 1.0E306; it must be a"
                            + " positive finite number below 4.0E304 (a sample can reach about 694 scales, and the"
                            + " grid's calibration can raise the scale a few times): raise epsilon or lower"
                            + " sensitivity");
            assertThat(new Noise(Mechanism.LAPLACE, 1, 0, 3.9e304).sensitivity()).isEqualTo(3.9e304);
        }
    }

    @Nested
    class MinConfidence {
        private final Prediction four = classes(List.of("a", "b", "c", "d"), 8, 4, 2, 1); // 15ths

        @Test
        void shouldDropScoresBelowTheCutOff() {
            ReleasedPrediction r = transformer.apply(four, spec(Form.FULL, 0, 0, 0.1, null, null, false), null);

            assertThat(labels(r)).containsExactly("a", "b", "c");
            assertThat(scores(r)).containsExactly(8 / 15.0, 4 / 15.0, 2 / 15.0);
            assertThat(r.applied()).containsExactly("min_confidence(0.1)");
        }

        @Test
        void shouldKeepScoresEqualToTheCutOff() {
            ReleasedPrediction r = transformer.apply(classes(List.of("a", "b", "c", "d"), 8, 4, 2, 2),
                    spec(Form.FULL, 0, 0, 0.125, null, null, false), null);

            assertThat(scores(r)).containsExactly(0.5, 0.25, 0.125, 0.125);
        }

        @Test
        void shouldNeverDropTheTopLabel() {
            ReleasedPrediction r = transformer.apply(four, spec(Form.FULL, 0, 0, 0.9, null, null, false), null);

            assertThat(r.label()).isEqualTo("a");
            assertThat(labels(r)).containsExactly("a");
            assertThat(scores(r)).containsExactly(8 / 15.0);
        }
    }

    @Nested
    class TopK {
        @Test
        void shouldReleaseTheKHighestScores() {
            ReleasedPrediction r = transformer.apply(classes(List.of("a", "b", "c", "d"), 1, 4, 2, 3),
                    spec(Form.TOP_K, 2, 0, 0, null, null, false), null);

            assertThat(labels(r)).containsExactly("b", "d");
            assertThat(scores(r)).containsExactly(0.4, 0.3);
            assertThat(r.label()).isEqualTo("b");
            assertThat(r.applied()).containsExactly("top_k(2)");
        }

        @Test
        void shouldReleaseAllClassesWhenKExceedsThem() {
            ReleasedPrediction r = transformer.apply(classes(ABC, 1, 2, 3),
                    spec(Form.TOP_K, 5, 0, 0, null, null, false), null);

            assertThat(labels(r)).containsExactly("c", "b", "a");
        }

        @Test
        void shouldApplyTopKToFullFormWhenSet() {
            ReleasedPrediction r = transformer.apply(classes(ABC, 1, 2, 3),
                    spec(Form.FULL, 1, 0, 0, null, null, false), null);

            assertThat(labels(r)).containsExactly("c");
            assertThat(r.applied()).containsExactly("top_k(1)");
        }

        @Test
        void shouldOrderManyClassesLikeAFullSort() {
            int n = 300;
            double[] s = new double[n];
            String[] names = new String[n];
            SplittableRandom random = new SplittableRandom(3);
            for (int i = 0; i < n; i++) {
                s[i] = random.nextInt(50); // many ties
                names[i] = "c" + i;
            }
            ReleasedPrediction r = transformer.apply(classes(List.of(names), s), ReleaseSpec.FULL, null);
            ReleasedPrediction top40 = transformer.apply(classes(List.of(names), s),
                    spec(Form.TOP_K, 40, 0, 0, null, null, false), null);

            List<String> expected = java.util.stream.IntStream.range(0, n).boxed()
                    .sorted((a, b) -> s[a] != s[b] ? Double.compare(s[b], s[a]) : Integer.compare(a, b))
                    .map(i -> "c" + i).toList();
            assertThat(labels(r)).containsExactlyElementsOf(expected);
            assertThat(labels(top40)).containsExactlyElementsOf(expected.subList(0, 40));
            ReleasedPrediction top5 = transformer.apply(classes(List.of(names), s),
                    spec(Form.TOP_K, 5, 0, 0, null, null, false), null);
            assertThat(labels(top5)).containsExactlyElementsOf(expected.subList(0, 5));
        }
    }

    @Nested
    class Rounding {
        @Test
        void shouldRoundToAFiveHundredthsGrid() {
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.62, 0.27, 0.11),
                    spec(Form.FULL, 0, 0.05, 0, null, null, false), null);

            assertThat(scores(r)).containsExactly(new double[] {0.6, 0.25, 0.1}, within(1e-12));
            assertThat(r.applied()).containsExactly("round(0.05)");
        }

        @Test
        void shouldRoundToAStepThatIsNotAPowerOfTen() {
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.62, 0.27, 0.11),
                    spec(Form.FULL, 0, 0.07, 0, null, null, false), null);

            // 0.62 / 0.07 = 8.86 -> 9; 0.27 / 0.07 = 3.86 -> 4; 0.11 / 0.07 = 1.57 -> 2
            assertThat(scores(r)).containsExactly(new double[] {0.63, 0.28, 0.14}, within(1e-12));
        }

        @Test
        void shouldReleaseTheDecimalMultiplesOfAStepThatIsNotOneOverN() {
            // 10 x 0.07 and 3 x 0.07 are 0.7000000000000001 and 0.21000000000000002 in doubles
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.7, 0.2, 0.1),
                    spec(Form.FULL, 0, 0.07, 0, null, null, false), null);
            assertThat(scores(r)).containsExactly(0.7, 0.21, 0.07);
            assertThat(r.scores()).extracting(x -> String.valueOf(x.score())).containsExactly("0.7", "0.21", "0.07");

            ReleasedPrediction v = transformer.apply(Prediction.regression(1.05),
                    spec(Form.FULL, 0, 0.15, 0, null, null, false), null);
            assertThat(v.value()).hasValue(1.05); // 7 x 0.15 is 1.0499999999999998 in doubles
        }

        @Test
        void shouldClampToTheLargestGridPointNotAboveOne() {
            ReleasedPrediction r = transformer.apply(classes(List.of("only"), 1.0),
                    spec(Form.FULL, 0, 0.6, 0, null, null, false), null);

            assertThat(scores(r)).containsExactly(0.6);
        }

        /**
         * A subnormal step made {@code 1 / step} infinite, and every class was released with score 1.0
         * (1e-310); a step below 1e-12 is refused where specs are made, YAML and Rego alike.
         */
        @Test
        void shouldRefuseAStepTooFineToMatter() {
            for (double step : new double[] {1e-310, Double.MIN_VALUE, 9.99e-13}) {
                assertThatThrownBy(() -> spec(Form.FULL, 0, step, 0, null, null, false))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("round must be 0 (no rounding) or at least 1.0E-12, was " + step + ": a finer step"
                                + " moves a score by less than 5e-13, which hides nothing (a model's float32 scores"
                                + " carry about 7 significant digits), and near the smallest doubles 1 / step"
                                + " overflows");
            }
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.6, 0.3, 0.1),
                    spec(Form.FULL, 0, 1e-12, 0, null, null, false), null);
            assertThat(scores(r)).containsExactly(new double[] {0.6, 0.3, 0.1}, within(1e-12));
        }

        /**
         * The documented bound (policy reference, section 9): a score moves by at most half a step, or,
         * above the largest multiple of a step that does not divide 1, by up to 1 minus that multiple
         * (0.95 is released as 0.6 at a step of 0.6).
         */
        @Test
        void shouldMoveAScoreByAtMostHalfAStepOrToTheLargestMultipleBelowOne() {
            assertThat(ReleaseTransformer.largestScore(0.6)).isEqualTo(0.6);
            assertThat(ReleaseTransformer.largestScore(0.3)).isEqualTo(0.9);
            assertThat(ReleaseTransformer.largestScore(0.05)).isEqualTo(1.0);
            assertThat(scores(transformer.apply(classes(List.of("a", "b"), 0.95, 0.05),
                    spec(Form.FULL, 0, 0.6, 0, null, null, false), null))).containsExactly(0.6, 0.0);
            for (double step : new double[] {0.6, 0.51, 0.33333334, 0.3, 0.7, 0.05, 1.0}) {
                double bound = Math.max(step / 2, 1 - ReleaseTransformer.largestScore(step)) + 1e-12;
                for (double v = 0; v <= 1; v += 0.01) {
                    double released = scores(transformer.apply(classes(List.of("a", "b"), v, 1 - v),
                            spec(Form.FULL, 0, step, 0, null, null, false), null))[0];
                    assertThat(Math.abs(released - Math.max(v, 1 - v))).as("step %s, score %s", step, v)
                            .isLessThanOrEqualTo(bound);
                }
            }
        }

        @Test
        void shouldReleaseOneForAStepThatDividesOne() {
            ReleasedPrediction r = transformer.apply(classes(List.of("only"), 1.0),
                    spec(Form.FULL, 0, 0.1, 0, null, null, false), null);

            assertThat(scores(r)).containsExactly(1.0);
        }

        @Test
        void shouldListRawTopFirstWhenRoundingTiesIt() {
            ReleasedPrediction r = transformer.apply(classes(List.of("a", "b"), 0.48, 0.52),
                    spec(Form.FULL, 0, 0.1, 0, null, null, false), null);

            assertThat(r.label()).isEqualTo("b");
            assertThat(labels(r)).containsExactly("b", "a");
            assertThat(scores(r)).containsExactly(0.5, 0.5);
        }

        @Test
        void shouldOrderScoresThatRoundingTiesByClassIndexNotByTheirRawValues() {
            // the three low classes all round to 0: their raw order must not show in the release
            ReleaseSpec round = spec(Form.FULL, 0, 0.1, 0, null, null, false);
            List<String> abcd = List.of("a", "b", "c", "d");
            for (double[] raw : new double[][] {{0.97, 0.012, 0.010, 0.008}, {0.97, 0.008, 0.010, 0.012},
                    {0.97, 0.010, 0.012, 0.008}}) {
                ReleasedPrediction r = transformer.apply(classes(abcd, raw), round, null);

                assertThat(labels(r)).containsExactly("a", "b", "c", "d");
                assertThat(scores(r)).containsExactly(1.0, 0.0, 0.0, 0.0);
            }
        }

        @Test
        void shouldChooseTheTopKAmongTiesByClassIndex() {
            // b, c and d all round to 0.25; which two of them follow the top must not depend on 0.26 > 0.24
            ReleaseSpec top3 = spec(Form.TOP_K, 3, 0.05, 0, null, null, false);
            List<String> abcd = List.of("a", "b", "c", "d");
            ReleasedPrediction r1 = transformer.apply(classes(abcd, 0.26, 0.24, 0.25, 0.25), top3, null);
            ReleasedPrediction r2 = transformer.apply(classes(abcd, 0.26, 0.25, 0.25, 0.24), top3, null);

            assertThat(labels(r1)).containsExactly("a", "b", "c");
            assertThat(labels(r2)).isEqualTo(labels(r1));
        }

        @Test
        void shouldApplyTheCutOffToTheRoundedScores() {
            // 0.12 rounds to 0 at a step of 0.25, so it is cut by min_confidence 0.1 rather than released as 0
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.6, 0.28, 0.12),
                    spec(Form.FULL, 0, 0.25, 0.1, null, null, false), null);

            assertThat(labels(r)).containsExactly("a", "b");
            assertThat(scores(r)).containsExactly(0.5, 0.25);
        }

        @Test
        void shouldApplyStepsInSpecOrder() {
            ReleasedPrediction r = transformer.apply(classes(List.of("a", "b", "c", "d"), 0.5, 0.3, 0.15, 0.05),
                    spec(Form.TOP_K, 2, 0.25, 0.1, new ReverseSigmoid(1, 0.1), null, false), null);

            assertThat(r.applied()).containsExactly("reverse_sigmoid(beta=1.0,gamma=0.1)", "round(0.25)",
                    "min_confidence(0.1)", "top_k(2)");
            assertThat(r.label()).isEqualTo("a");
            assertThat(scores(r)).hasSize(2);
        }
    }

    @Nested
    class LabelOnly {
        @Test
        void shouldReleaseTheLabelWithoutScores() {
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.2, 0.5, 0.3), ReleaseSpec.LABEL_ONLY, null);

            assertThat(r.label()).isEqualTo("b");
            assertThat(r.scores()).isEmpty();
            assertThat(r.value()).isEmpty();
            assertThat(r.applied()).containsExactly("label_only");
        }

        @Test
        void shouldSkipScoreOnlyStepsButKeepPerturbationsForLabelOnly() {
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.2, 0.5, 0.3),
                    spec(Form.LABEL_ONLY, 2, 0.1, 0.2, new ReverseSigmoid(1, 0.1), null, false), null);

            assertThat(r.label()).isEqualTo("b");
            assertThat(r.scores()).isEmpty();
            assertThat(r.applied()).containsExactly("reverse_sigmoid(beta=1.0,gamma=0.1)", "label_only");
        }

        @Test
        void shouldRefuseNoiseOnALabelOnlyReleaseThatKeepsTheRawLabel() {
            assertThatThrownBy(() -> spec(Form.LABEL_ONLY, 0, 0, 0, null, new Noise(Mechanism.LAPLACE, 1, 0, 0), false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("noise on a label_only release needs allow_label_change: true");
        }

        @Test
        void shouldReleaseNoisyTopAsLabelWhenLabelChangeIsAllowed() {
            // a: 0 noise, b: about +0.88, c: about -0.88
            ReleasedPrediction r = transformer.apply(classes(ABC, 0.7, 0.2, 0.1),
                    spec(Form.LABEL_ONLY, 0, 0, 0, null, new Noise(Mechanism.LAPLACE, 100, 0, 0), true),
                    longs(ZERO, PLUS, MINUS));

            assertThat(r.label()).isEqualTo("b");
        }
    }

    @Nested
    class Regression {
        @Test
        void shouldReleaseTheValueUntouchedWithoutTransforms() {
            ReleasedPrediction r = transformer.apply(Prediction.regression(3.14159), ReleaseSpec.FULL, null);

            assertThat(r.label()).isNull();
            assertThat(r.scores()).isEmpty();
            assertThat(r.value()).hasValue(3.14159);
            assertThat(r.applied()).isEmpty();
        }

        @Test
        void shouldRoundTheValueToTheStep() {
            ReleasedPrediction r = transformer.apply(Prediction.regression(-3.14159),
                    spec(Form.FULL, 0, 0.05, 0, null, null, false), null);

            assertThat(r.value().getAsDouble()).isCloseTo(-3.15, within(1e-12));
            assertThat(r.applied()).containsExactly("round(0.05)");
        }

        @Test
        void shouldRoundToTwoSignificantDigitsForLabelOnlyWithoutStep() {
            assertThat(transformer.apply(Prediction.regression(1234.5), ReleaseSpec.LABEL_ONLY, null).value())
                    .hasValue(1200.0);
            assertThat(transformer.apply(Prediction.regression(0.01349), ReleaseSpec.LABEL_ONLY, null).value())
                    .hasValue(0.013);
            assertThat(transformer.apply(Prediction.regression(-0.0755), ReleaseSpec.LABEL_ONLY, null).value())
                    .hasValue(-0.076);
            assertThat(transformer.apply(Prediction.regression(0.0), ReleaseSpec.LABEL_ONLY, null).value())
                    .hasValue(0.0);
            assertThat(transformer.apply(Prediction.regression(1234.5), ReleaseSpec.LABEL_ONLY, null).applied())
                    .containsExactly("round_significant(2)", "label_only");
        }

        @Test
        void shouldRoundToTheStepForLabelOnlyWhenOneIsSet() {
            ReleasedPrediction r = transformer.apply(Prediction.regression(1234.5),
                    spec(Form.LABEL_ONLY, 0, 0.5, 0, null, null, false), null);

            assertThat(r.value()).hasValue(1234.5);
            assertThat(r.applied()).containsExactly("round(0.5)", "label_only");
        }

        @Test
        void shouldAddNoiseWithTheSpecSensitivityAndIgnoreClassificationSteps() {
            // sensitivity 1, epsilon 1: scale 1; PLUS adds about +44
            Noise noise = new Noise(Mechanism.LAPLACE, 1, 0, 1);
            ReleasedPrediction r = transformer.apply(Prediction.regression(10),
                    spec(Form.TOP_K, 3, 0.01, 0.5, new ReverseSigmoid(1, 1), noise, false), longs(PLUS));

            assertThat(r.value().getAsDouble()).isCloseTo(10 + bump(noise, 1), within(0.006));
            assertThat(r.applied()).containsExactly("noise(laplace,epsilon=1.0)", "round(0.01)");
            assertThat(r.label()).isNull();
        }

        @Test
        void boundedNoiseClampsTheValueFirstAndSaysSo() {
            // bounds [0, 1000]: sensitivity 1000, epsilon 1: scale 1000; PLUS adds about +44 scales
            Noise noise = new Noise(Mechanism.LAPLACE, 1, 0, 0, new Noise.Bounds(0, 1000));
            ReleaseSpec spec = spec(Form.FULL, 0, 0, 0, null, noise, false);

            ReleasedPrediction far = transformer.apply(Prediction.regression(1e12), spec, longs(PLUS));
            ReleasedPrediction inside = transformer.apply(Prediction.regression(250), spec, longs(PLUS));

            assertThat(noise.sensitivity()).isEqualTo(1000);
            assertThat(far.value().getAsDouble()).isCloseTo(1000 + bump(noise, 1), within(1e-6));
            assertThat(inside.value().getAsDouble()).isCloseTo(250 + bump(noise, 1), within(1e-6));
            assertThat(far.applied()).containsExactly("clamp(0.0,1000.0)", "noise(laplace,epsilon=1.0)");
        }

        @Test
        void boundedNoiseIsRefusedForAClassificationAsIsARoundAboveOne() {
            Noise noise = new Noise(Mechanism.LAPLACE, 1, 0, 0, new Noise.Bounds(0, 1000));
            Prediction scores = Prediction.classification(List.of("a", "b"), new double[] {0.3, 0.7});

            assertThatThrownBy(() -> transformer.apply(scores, spec(Form.FULL, 0, 0, 0, null, noise, true),
                    longs(PLUS)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("noise bounds [0.0, 1000.0] are for a regression's value: a classification's "
                            + "scores are bounded already");
            assertThatThrownBy(() -> ReleaseTransformer.requireApplicable(scores,
                    spec(Form.FULL, 0, 5, 0, null, null, false)))
                    .hasMessageStartingWith("a round of 5.0 is for a regression's value");
            ReleaseTransformer.requireApplicable(Prediction.regression(3), spec(Form.FULL, 0, 5, 0, null, noise, false));
        }

        @Test
        void aRegressionWithBoundedNoiseIsNotWarnedAboutEvenWhenTheWidthIsTwo() {
            List<String> warnings;
            try (dev.veil.LogCapture log = dev.veil.LogCapture.warnings("dev.veil.Guard")) {
                new ReleaseTransformer().apply(Prediction.regression(1), spec(Form.FULL, 0, 0, 0, null,
                        new Noise(Mechanism.LAPLACE, 1, 0, 0, new Noise.Bounds(0, 2)), false), longs(PLUS));
                warnings = log.messages();
            }
            assertThat(warnings).isEmpty();
        }

        @Test
        void boundsMustBeFiniteAndOrdered() {
            assertThatThrownBy(() -> new Noise.Bounds(5, 5)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("noise.bounds must be two finite numbers [lower, upper] with lower < upper and upper - "
                            + "lower finite, was [5.0, 5.0]");
            assertThatThrownBy(() -> new Noise.Bounds(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Noise.Bounds(0, Double.POSITIVE_INFINITY))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new Noise.Bounds(-Double.MAX_VALUE, Double.MAX_VALUE))
                    .isInstanceOf(IllegalArgumentException.class);
            // an explicit sensitivity is kept; the scale check applies to the width as to any sensitivity
            assertThat(new Noise(Mechanism.LAPLACE, 1, 0, 7, new Noise.Bounds(0, 1000)).sensitivity()).isEqualTo(7);
            assertThatThrownBy(() -> new Noise(Mechanism.LAPLACE, 1e-300, 0, 0, new Noise.Bounds(0, 1e10)))
                    .hasMessageStartingWith("the laplace scale sensitivity / epsilon = 1.0E10 / 1.0E-300");
        }

        @Test
        void aRegressionNoisedWithTheProbabilityVectorsDefaultSensitivityIsLoggedOnce() {
            List<String> warnings;
            try (dev.veil.LogCapture log = dev.veil.LogCapture.warnings("dev.veil.Guard")) {
                ReleaseTransformer fresh = new ReleaseTransformer();
                ReleaseSpec defaulted = spec(Form.FULL, 0, 0, 0, null, new Noise(Mechanism.LAPLACE, 1, 0, 0), false);
                fresh.apply(Prediction.regression(250_000), defaulted, longs(PLUS));
                fresh.apply(Prediction.regression(250_000), defaulted, longs(PLUS));
                fresh.apply(Prediction.regression(250_000), spec(Form.FULL, 0, 0, 0, null,
                        new Noise(Mechanism.LAPLACE, 1, 0, 1000), false), longs(PLUS));
                warnings = log.messages();
            }
            assertThat(warnings).singleElement().asString().startsWith("a regression is released with laplace noise "
                    + "of sensitivity 2.0, the default for a vector of probabilities");
        }

        @Test
        void shouldRejectNonFiniteRegressionValue() {
            assertThatThrownBy(() -> transformer.apply(Prediction.regression(Double.NaN), ReleaseSpec.FULL, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("regression value must be finite, was NaN");
            assertThatThrownBy(() -> transformer.apply(Prediction.regression(Double.NEGATIVE_INFINITY),
                    ReleaseSpec.FULL, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("regression value must be finite, was -Infinity");
        }

        @Test
        void shouldRejectValueTooLargeForTheStep() {
            assertThatThrownBy(() -> transformer.apply(Prediction.regression(Double.MAX_VALUE),
                    spec(Form.FULL, 0, 0.5, 0, null, null, false), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the regression value is too large to round to a step of 0.5");
        }
    }

    @Nested
    class BadScores {
        @Test
        void shouldRejectNegativeScore() {
            assertThatThrownBy(() -> transformer.apply(classes(ABC, 0.5, -0.1, 0.6), ReleaseSpec.FULL, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("prediction scores must be finite and >= 0, was -0.1 at index 1");
        }

        @Test
        void shouldRejectNaNScore() {
            assertThatThrownBy(() -> transformer.apply(classes(ABC, 0.5, 0.1, Double.NaN), ReleaseSpec.LABEL_ONLY,
                    null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("prediction scores must be finite and >= 0, was NaN at index 2");
        }

        @Test
        void shouldRejectInfiniteScore() {
            assertThatThrownBy(() -> transformer.apply(classes(ABC, Double.POSITIVE_INFINITY, 0.1, 0.2),
                    ReleaseSpec.FULL, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("prediction scores must be finite and >= 0, was Infinity at index 0");
        }

        @Test
        void shouldRejectNullArguments() {
            assertThatThrownBy(() -> transformer.apply(null, ReleaseSpec.FULL, null))
                    .isInstanceOf(NullPointerException.class).hasMessage("raw");
            assertThatThrownBy(() -> transformer.apply(classes(ABC, 1, 1, 1), null, null))
                    .isInstanceOf(NullPointerException.class).hasMessage("spec");
        }
    }

    @Nested
    class Applied {
        @Test
        void shouldReturnTheSameAppliedListForTheSameSpec() {
            ReleaseSpec s = spec(Form.TOP_K, 2, 0.05, 0, null, null, false);
            List<String> first = transformer.apply(classes(ABC, 1, 2, 3), s, null).applied();
            List<String> second = transformer.apply(classes(ABC, 3, 2, 1), s, null).applied();

            assertThat(second).isEqualTo(first).containsExactly("round(0.05)", "top_k(2)");
        }

        @Test
        void shouldDescribeEveryStepOfAFullSpecInOrder() {
            ReleaseSpec s = spec(Form.TOP_K, 3, 0.05, 0.1, new ReverseSigmoid(1, 0.1),
                    new Noise(Mechanism.LAPLACE, 0.5, 0, 0), false);

            assertThat(ReleaseTransformer.describe(s, true)).containsExactly("reverse_sigmoid(beta=1.0,gamma=0.1)",
                    "noise(laplace,epsilon=0.5)", "keep_label", "round(0.05)", "min_confidence(0.1)", "top_k(3)");
        }

        /**
         * With noise and allow_label_change: false the label is the raw top label, so the release is not
         * epsilon-DP as a whole: the list says keep_label right after the noise (it said only the noise,
         * as if the epsilon covered everything). A label that may change, a regression (no label) and a
         * release without noise get no such entry.
         */
        @Test
        void shouldSayTheLabelIsTheRawTopWhenNoiseKeepsIt() {
            Noise laplace = new Noise(Mechanism.LAPLACE, 0.5, 0, 0);
            Noise gaussian = new Noise(Mechanism.GAUSSIAN, 0.5, 1e-6, 0);
            assertThat(transformer.apply(classes(ABC, 0.5, 0.3, 0.2), spec(Form.FULL, 0, 0, 0, null, laplace, false),
                    new SplittableRandom(1)).applied()).containsExactly("noise(laplace,epsilon=0.5)", "keep_label");
            assertThat(ReleaseTransformer.describe(spec(Form.TOP_K, 2, 0.1, 0, null, gaussian, false), true))
                    .containsExactly("noise(gaussian,epsilon=0.5,delta=1.0E-6)", "keep_label", "round(0.1)",
                            "top_k(2)");
            assertThat(ReleaseTransformer.describe(spec(Form.FULL, 0, 0, 0, null, laplace, true), true))
                    .containsExactly("noise(laplace,epsilon=0.5)");
            assertThat(ReleaseTransformer.describe(spec(Form.LABEL_ONLY, 0, 0, 0, null, laplace, true), true))
                    .containsExactly("noise(laplace,epsilon=0.5)", "label_only");
            assertThat(ReleaseTransformer.describe(spec(Form.FULL, 0, 0, 0, null, laplace, false), false))
                    .containsExactly("noise(laplace,epsilon=0.5)");
            assertThat(ReleaseTransformer.describe(spec(Form.FULL, 0, 0.1, 0, new ReverseSigmoid(1, 1), null, false),
                    true)).containsExactly("reverse_sigmoid(beta=1.0,gamma=1.0)", "round(0.1)");
        }
    }
}
