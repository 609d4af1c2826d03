package dev.veil.internal.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SecureNoiseTest {
    private static final int SAMPLES = 200_000;

    /** A generator returning {@code draws} in turn, then failing: drives a sampler exactly. */
    private static RandomGenerator draws(long... draws) {
        int[] next = {0};
        return () -> draws[next[0]++];
    }

    /** A generator returning {@code draws} in turn and counting them. */
    private static final class Scripted implements RandomGenerator {
        private final long[] draws;
        int used;

        Scripted(long... draws) {
            this.draws = draws;
        }

        @Override
        public long nextLong() {
            return draws[used++];
        }
    }

    /**
     * The privacy loss of the discrete Laplace mechanism on the snapped inputs of two neighbours:
     * {@code lambda * |snap(p) - snap(q)|_1 / g}.
     */
    private static double laplaceLoss(SecureNoise.Laplace noise, double[] p, double[] q) {
        double g = noise.granularity();
        double steps = 0;
        for (int i = 0; i < p.length; i++) {
            steps += Math.abs(SecureNoise.snap(p[i], g) - SecureNoise.snap(q[i], g)) / g;
        }
        return noise.lambda() * steps;
    }

    @Nested
    class LaplaceCalibration {
        /**
         * The review's construction: two probability vectors over 300,000 classes whose coordinates
         * sit just above half a grid step on disjoint classes. They are neighbours (L1 distance 2),
         * but their snapped vectors were about 4 apart in L1 at the old grid of 2^-20 scales, so
         * the discrete Laplace on them lost about twice the epsilon charged (0.19 at 0.1). The grid
         * is now chosen from the class count and the scale from the snapped sensitivity: the loss
         * stays within the epsilon charged, for every class count.
         */
        @Test
        void shouldKeepThePrivacyLossOfSnappedNeighboursWithinTheChargedEpsilon() {
            for (double eps : new double[] {0.1, 1, 0.01}) {
                for (int n : new int[] {2, 10, 1000, 100_000, 300_000}) {
                    SecureNoise.Laplace noise = SecureNoise.laplace(2.0, eps, n);
                    double g = noise.granularity();
                    double hi = g * (0.5 + 1e-6);
                    int m = (int) Math.min(n / 2 - 1, Math.floor(1.0 / hi) - 1);
                    double[] p = new double[n];
                    double[] q = new double[n];
                    for (int i = 0; i < m; i++) {
                        p[i] = hi;
                        q[m + i] = hi;
                    }
                    p[n - 2] = 1 - m * hi;
                    q[n - 1] = 1 - m * hi;
                    assertThat(laplaceLoss(noise, p, q)).as("n %d, epsilon %s", n, eps).isLessThanOrEqualTo(eps);
                    // the bound for any neighbours: lambda (D + n g) / g
                    assertThat(noise.lambda() * (2.0 + n * g) / g).isLessThanOrEqualTo(eps);
                }
            }
        }

        /**
         * For any sensitivity, epsilon and value count: the loss bound lambda (D + n g) / g is within
         * epsilon, g is a power of two, and, away from the corners (n / epsilon above 2^30), the scale
         * is less than 2^-20 above D / epsilon.
         */
        @Test
        void shouldBoundTheLossByEpsilonForEveryCalibration() {
            qt().withExamples(2000).forAll(doubles().between(1e-6, 1e3), doubles().between(1e-4, 100),
                    integers().between(1, 1_000_000)).checkAssert((d, eps, n) -> {
                        SecureNoise.Laplace noise = SecureNoise.laplace(d, eps, n);
                        double g = noise.granularity();
                        assertThat(Math.scalb(1.0, Math.getExponent(g))).isEqualTo(g);
                        assertThat(noise.lambda() * (d + n * g) / g).isLessThanOrEqualTo(eps);
                        if (n / eps < 0x1.0p30) {
                            assertThat(noise.scale()).isLessThan(d / eps * (1 + 0x1.0p-20));
                        }
                        SecureNoise.Gaussian gaussian = SecureNoise.gaussian(d, Math.min(eps, 1), 1e-6, n);
                        assertThat(gaussian.scale()).isGreaterThanOrEqualTo(
                                SecureNoise.gaussianSigma(d + Math.sqrt(n) * gaussian.granularity(), Math.min(eps, 1),
                                        1e-6));
                    });
        }

        /**
         * The review's corner: below a sensitivity of about 4e-294 the grid stops at the smallest
         * normal double, and {@code g * epsilon} was a subnormal that lost its low bits, so lambda
         * came out above epsilon g / (D + n g) and the loss above epsilon. The bound is computed
         * exactly here (decimal), for one value and for several.
         */
        @Test
        void shouldBoundTheLossByEpsilonForATinySensitivity() {
            for (double d : new double[] {1e-305, 3e-300, 4e-294, Double.MIN_NORMAL, 1e-307}) {
                for (double eps : new double[] {1e-12, 1e-3, 0.37, 7}) {
                    for (int n : new int[] {1, 3, 1000}) {
                        SecureNoise.Laplace l = SecureNoise.laplace(d, eps, n);
                        BigDecimal g = new BigDecimal(l.granularity());
                        BigDecimal loss = new BigDecimal(l.lambda())
                                .multiply(new BigDecimal(d).add(g.multiply(BigDecimal.valueOf(n))))
                                .divide(g, MathContext.DECIMAL128);
                        assertThat(loss).as("D %s, epsilon %s, n %d", d, eps, n)
                                .isLessThanOrEqualTo(new BigDecimal(eps));
                    }
                }
            }
        }

        @Test
        void shouldChooseTheGridFromTheSensitivityAndTheValueCount() {
            assertThat(SecureNoise.laplace(2.0, 0.5, 1).granularity()).isEqualTo(0x1.0p-20);
            assertThat(SecureNoise.laplace(2.0, 0.5, 10).granularity()).isEqualTo(0x1.0p-24); // 2^-21 x 0.2
            assertThat(SecureNoise.laplace(2.0, 0.5, 300_000).granularity()).isEqualTo(0x1.0p-39);
            assertThat(SecureNoise.laplace(1e-300, 0.5, 1000).granularity()).isEqualTo(Double.MIN_NORMAL);
        }

        /** The snapping is paid for in noise: less than 2^-20 more than the textbook sensitivity / epsilon. */
        @Test
        void shouldRaiseTheScaleByAtMostOnePartInTwoToTheTwenty() {
            for (int n : new int[] {1, 3, 10, 1000, 300_000}) {
                for (double eps : new double[] {0.01, 0.5, 100}) {
                    double scale = SecureNoise.laplace(2.0, eps, n).scale();
                    assertThat(scale).as("n %d, epsilon %s", n, eps).isGreaterThan(2.0 / eps)
                            .isLessThan(2.0 / eps * (1 + 0x1.0p-20));
                }
            }
        }

        /**
         * Where n / epsilon is so large that a scale would span more than 2^52 grid steps, the grid
         * coarsens (the scale grows more, but the loss stays within epsilon); beyond 2^51 none works.
         */
        @Test
        void shouldCoarsenTheGridForHugeValueCountsAtTinyEpsilonsAndRefuseBeyond() {
            SecureNoise.Laplace coarse = SecureNoise.laplace(2.0, 1e-6, 100_000);
            assertThat(coarse.scale() / coarse.granularity()).isLessThanOrEqualTo(0x1.0p52);
            assertThat(coarse.lambda() * (2.0 + 100_000 * coarse.granularity()) / coarse.granularity())
                    .isLessThanOrEqualTo(1e-6);
            assertThatThrownBy(() -> SecureNoise.laplace(2.0, 1e-12, 10_000))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("laplace noise for 10000 values at epsilon 1.0E-12 cannot be sampled exactly: a scale"
                            + " would span more than 2^52 grid steps (the grid must be fine enough for 10000 values);"
                            + " release fewer values at once or raise epsilon");
        }

        @Test
        void shouldRejectParametersThatAreNotPositiveAndFinite() {
            assertThatThrownBy(() -> SecureNoise.laplace(Double.NaN, 1, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("laplace scale (sensitivity / epsilon) must be a positive finite number, was NaN");
            assertThatThrownBy(() -> SecureNoise.laplace(1, 1, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("noise needs at least one value, was 0");
            assertThatThrownBy(() -> SecureNoise.gaussianSigma(1, 1e-320, 1e-5))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("gaussian sigma must be a positive finite number, was Infinity");
        }
    }

    @Nested
    class LaplaceSampling {
        @Test
        void shouldMatchLaplaceScaleInMeanAbsoluteDeviation() {
            SecureNoise.Laplace noise = SecureNoise.laplace(1.5, 1, 1);
            double scale = noise.scale();
            SplittableRandom rng = new SplittableRandom(42);
            double sumAbs = 0;
            double sum = 0;
            int beyondScale = 0;
            for (int i = 0; i < SAMPLES; i++) {
                double x = noise.add(0, rng);
                sumAbs += Math.abs(x);
                sum += x;
                if (Math.abs(x) > scale) {
                    beyondScale++;
                }
            }
            // Laplace(b): E|X| = b, E X = 0, P(|X| > b) = 1/e
            assertThat(sumAbs / SAMPLES).isCloseTo(scale, within(0.02 * scale));
            assertThat(sum / SAMPLES).isCloseTo(0, within(0.02 * scale));
            assertThat(beyondScale / (double) SAMPLES).isCloseTo(Math.exp(-1), within(0.01));
        }

        /**
         * The law on the grid is exactly the discrete Laplace {@code P(k)} proportional to
         * {@code exp(-lambda |k|)}, for blocks of several grid points (m = 4, 16), of one (m = 1) and
         * for a decay above 1: every k within reach compared with its probability.
         */
        @Test
        void shouldDrawEachGridPointWithItsDiscreteLaplaceProbability() {
            int draws = 1_000_000;
            for (double lambda : new double[] {0.19, 0.06, 0.7, 1.6}) {
                SecureNoise.Laplace noise = new SecureNoise.Laplace(1.0, lambda);
                SplittableRandom rng = new SplittableRandom(11);
                int range = (int) Math.ceil(12 / lambda);
                long[] counts = new long[2 * range + 1];
                for (int i = 0; i < draws; i++) {
                    long k = (long) noise.add(0, rng);
                    if (Math.abs(k) <= range) {
                        counts[(int) k + range]++;
                    }
                }
                double r = Math.exp(-lambda);
                for (int k = -range; k <= range; k++) {
                    double p = (1 - r) / (1 + r) * Math.pow(r, Math.abs(k));
                    double sd = Math.sqrt(draws * p * (1 - p));
                    assertThat((double) counts[k + range]).as("lambda %s (block %d), k %d", lambda, noise.block(), k)
                            .isCloseTo(draws * p, within(5 * sd + 1));
                }
            }
        }

        /**
         * A grid far finer than the scale (2^-30 of it): the place within a block is spread evenly
         * (nothing makes some grid points unreachable), and the law's scale is right.
         */
        @Test
        void shouldSpreadSamplesOverEveryGridPointOfAFineGrid() {
            double lambda = 0x1.0p-30;
            SecureNoise.Laplace noise = new SecureNoise.Laplace(1.0, lambda);
            assertThat(noise.block()).isEqualTo(1L << 30);
            SplittableRandom rng = new SplittableRandom(12);
            int draws = 400_000;
            long[] low = new long[64];
            double sumAbs = 0;
            for (int i = 0; i < draws; i++) {
                double k = noise.add(0, rng);
                sumAbs += Math.abs(k);
                low[(int) (Math.abs((long) k) & 63)]++;
            }
            assertThat(sumAbs / draws * lambda).isCloseTo(1, within(0.01));
            for (long c : low) {
                assertThat((double) c).isCloseTo(draws / 64.0, within(5 * Math.sqrt(draws / 64.0)));
            }
        }

        @Test
        void shouldReleaseOnlyMultiplesOfTheGranularity() {
            SplittableRandom rng = new SplittableRandom(44);
            SecureNoise.Laplace laplace = SecureNoise.laplace(2, 0.3, 5);
            SecureNoise.Gaussian gaussian = SecureNoise.gaussian(Math.sqrt(2), 0.3, 1e-6, 5);
            for (int i = 0; i < 10_000; i++) {
                double x = rng.nextDouble();
                double l = laplace.add(x, rng);
                double n = gaussian.add(x, rng);
                assertThat(l / laplace.granularity()).isEqualTo(Math.rint(l / laplace.granularity()));
                assertThat(n / gaussian.granularity()).isEqualTo(Math.rint(n / gaussian.granularity()));
            }
        }

        @Test
        void shouldReleaseIdenticalOutputsForInputsThatSnapToTheSameGridPoint() {
            // the floating-point attack reads x from the low bits of x + noise; after snapping, inputs
            // closer than half a grid step give bit-identical outputs for the same randomness
            SecureNoise.Laplace laplace = SecureNoise.laplace(2, 1, 3);
            SecureNoise.Gaussian gaussian = SecureNoise.gaussian(2, 1, 1e-6, 3);
            for (SecureNoise.Calibrated noise : new SecureNoise.Calibrated[] {laplace, gaussian}) {
                double g = noise.granularity();
                double x = Math.rint(0.3 / g) * g - g / 4;
                double y = x + g / 3;
                for (long seed = 0; seed < 1000; seed++) {
                    assertThat(noise.add(y, new SplittableRandom(seed))).isEqualTo(noise.add(x, new SplittableRandom(seed)));
                }
            }
        }

        /**
         * Sign set, mantissa all ones, binade 0: U = 1 - 2^-53, block 0; place 0, kept: -0, rejected.
         * Then sign clear, mantissa 0, 63 leading zeros: U = 2^-64, 64 ln 2 = 44.4 blocks of one
         * scale (lambda 1/4, blocks of 4): 44 blocks, place 0.
         */
        @Test
        void shouldDrawAgainOnNegativeZeroSoThatZeroIsNotCountedTwice() {
            Scripted rng = new Scripted(-1L, -1L, 0L, 0L, 0L, 1L, 0L, 0L);
            assertThat(new SecureNoise.Laplace(1.0, 0.25).add(0, rng)).isEqualTo(44 * 4);
            assertThat(rng.used).isEqualTo(8);
        }

        /**
         * The deepest draw (U at the cut, 2^-1000: 693 scales, 694 with the place in the block) of a
         * scale of 2^1019 is past the largest double: it fails, as the review asked, rather than
         * releasing an infinity that the transform's renormalising turns into NaN scores.
         */
        @Test
        void shouldFailRatherThanReleaseASampleBeyondTheLargestDouble() {
            long[] deepest = new long[19];
            deepest[0] = 0x000FFFFFFFFFFFFFL; // sign clear, mantissa all ones; 16 zero draws: the binade cut
            deepest[17] = -1L; // the last place in the block, kept by the draw of 0
            SecureNoise.Laplace huge = new SecureNoise.Laplace(0x1.0p1015, 0x1.0p-4);
            assertThatThrownBy(() -> huge.add(0.5, draws(deepest))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("laplace noise of scale 5.617791046444737E306 drew a sample beyond the largest double;"
                            + " lower the noise's sensitivity or raise its epsilon");
        }

        @Test
        void shouldReleaseZeroNoiseForPositiveZeroDraw() {
            // sign clear, U = 1 - 2^-53: block 0; place 0 kept
            assertThat(new SecureNoise.Laplace(0x1.0p-10, 0.25).add(0.5, draws(Long.MAX_VALUE, -1L, 0L, 0L)))
                    .isEqualTo(0.5);
        }

        /** A place in the block is kept with probability exp(-lambda j): 3 of 4 at lambda 1/4 is kept below e^-0.75. */
        @Test
        void shouldKeepAPlaceInTheBlockWithProbabilityExpMinusLambdaTimesIt() {
            double keep = Math.exp(-0.75);
            long below = (long) Math.floor(keep * 0x1.0p53) - 1 << 11; // a uniform just below e^-0.75: kept
            long above = (long) Math.ceil(keep * 0x1.0p53) + 1 << 11; // just above: drawn again
            Scripted rng = new Scripted(Long.MAX_VALUE, -1L, 3L, above, 3L, below);
            assertThat(new SecureNoise.Laplace(1.0, 0.25).add(0, rng)).isEqualTo(3);
            assertThat(rng.used).isEqualTo(6);
        }

        /**
         * The tail is not cut where 53 random bits would cut it (36.7 scales): a uniform from further
         * binades (here 2^-256, from three zero draws) reaches 256 ln 2 = 177 blocks, and the deepest,
         * 2^-1000, 693.
         */
        @Test
        void shouldReachTheFarTailOfTheLaplaceLaw() {
            SecureNoise.Laplace noise = new SecureNoise.Laplace(1.0, 0.25);
            assertThat(noise.add(0, draws(0L, 0L, 0L, 0L, 1L, 0L, 0L))).isEqualTo(177 * 4);
            assertThat(noise.add(0, draws(new long[20]))).isEqualTo(693 * 4); // 16 zero draws: the cut
        }

        /**
         * Far in the tail, uniforms next to each other give blocks next to each other: no block is
         * skipped, so none is impossible for one input and possible for its neighbour (a uniform of
         * fixed spacing 2^-53 skips tens of thousands of grid steps there); within a block every
         * place can be drawn.
         */
        @Test
        void shouldSkipNoBlockFarInTheTail() {
            SecureNoise.Laplace noise = new SecureNoise.Laplace(1.0, 0x1.0p-20);
            long m = noise.block();
            SplittableRandom rng = new SplittableRandom(7);
            for (int binade : new int[] {0, 20, 33, 40, 60, 200}) {
                long binadeDraw = -1L >>> (binade % 64); // binade % 64 leading zeros, after binade / 64 zero draws
                for (int trial = 0; trial < 200; trial++) {
                    long mantissa = rng.nextLong() & ((1L << 52) - 2);
                    double a = tail(noise, mantissa, binade, binadeDraw);
                    double b = tail(noise, mantissa + 1, binade, binadeDraw);
                    assertThat(Math.abs(a - b)).as("binade %d, mantissa %d", binade, mantissa).isLessThanOrEqualTo(m);
                }
            }
        }

        private double tail(SecureNoise.Laplace noise, long mantissa, int binade, long binadeDraw) {
            long[] d = new long[4 + binade / 64];
            d[0] = mantissa; // sign clear
            d[d.length - 3] = binadeDraw;
            return noise.add(0, draws(d)); // place 0, kept
        }

        /** A sum beyond 2^53 grid steps is rounded once, from the exact grid point: it depends on j + k alone. */
        @Test
        void shouldRoundTheExactGridPointOnceBeyondTwoToTheFiftyThreeSteps() {
            // (2^55 + 6) steps of 2^-40: 2^15 + 0.75 units in the last place, so 2^15 + 2^-37; adding
            // 3 steps to (double) (2^55 + 3) steps (which is 2^55) would give 2^15 (3 * g + (double) k * g
            // == 2^15 in double arithmetic), which depends on the split
            double g = 0x1.0p-40;
            long k = (1L << 55) + 3;
            assertThat(SecureNoise.onGrid(3 * g, k, g)).isEqualTo(SecureNoise.onGrid(0, k + 3, g))
                    .isEqualTo(SecureNoise.onGrid(5 * g, k + 1 - 3, g)).isEqualTo(0x1.0p15 + 0x1.0p-37);
            assertThat(SecureNoise.onGrid(0.5, 3, 0.25)).isEqualTo(1.25);
        }
    }

    @Nested
    class Gaussian {
        @Test
        void shouldUseSmallestPowerOfTwoNotBelowTheTextbookSigmaTimesTwoToMinusTwenty() {
            assertThat(SecureNoise.granularity(1.0)).isEqualTo(0x1.0p-20);
            assertThat(SecureNoise.granularity(1.5)).isEqualTo(0x1.0p-19);
            assertThat(SecureNoise.granularity(0.75)).isEqualTo(0x1.0p-20);
            assertThat(SecureNoise.granularity(4.0)).isEqualTo(0x1.0p-18);
            assertThat(SecureNoise.granularity(1e-310)).isEqualTo(Double.MIN_NORMAL);
            assertThatThrownBy(() -> SecureNoise.granularity(0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("noise scale must be a positive finite number, was 0.0");
        }

        /**
         * Snapping grows the L2 sensitivity by up to sqrt(n) g: sigma is the classic one for that
         * sensitivity, so the (epsilon, delta) charged covers the snapped input.
         */
        /**
         * The review's -0.0: an input that snaps to -0.0 plus noise of -0.0 grid steps (U = 1 - 2^-53,
         * V = 1/2: Z about -1.5e-8) summed to -0.0, which no input that snaps to +0.0 can give: the
         * sign of zero told neighbours apart (about 2e-7 per release, far above delta). Every
         * snapped value and every release is +0.0 at zero now.
         */
        @Test
        void shouldNotReleaseTheSignOfASnappedZero() {
            SecureNoise.Gaussian noise = SecureNoise.gaussian(1.0, 0.5, 1e-6, 1);
            long[] zeroSteps = {0x000FFFFFFFFFFFFFL, -1L, 1L << 63};
            double minus = noise.add(-1e-12, draws(zeroSteps));
            double plus = noise.add(1e-12, draws(zeroSteps));
            assertThat(Double.doubleToRawLongBits(minus)).as("released %s and %s", minus, plus)
                    .isEqualTo(Double.doubleToRawLongBits(plus)).isEqualTo(Double.doubleToRawLongBits(0.0));
            assertThat(Double.doubleToRawLongBits(SecureNoise.snap(-1e-12, noise.granularity())))
                    .isEqualTo(Double.doubleToRawLongBits(0.0));
            assertThat(Double.doubleToRawLongBits(SecureNoise.snap(-0.0, noise.granularity())))
                    .isEqualTo(Double.doubleToRawLongBits(0.0));
        }

        @Test
        void shouldCalibrateSigmaToTheSnappedSensitivity() {
            for (int n : new int[] {1, 10, 300_000}) {
                SecureNoise.Gaussian noise = SecureNoise.gaussian(Math.sqrt(2), 0.1, 1e-6, n);
                double g = noise.granularity();
                double sigma0 = SecureNoise.gaussianSigma(Math.sqrt(2), 0.1, 1e-6);
                assertThat(g).isEqualTo(SecureNoise.granularity(sigma0));
                assertThat(noise.scale()).isGreaterThanOrEqualTo(
                        SecureNoise.gaussianSigma(Math.sqrt(2) + Math.sqrt(n) * g, 0.1, 1e-6));
                assertThat(noise.scale() / sigma0).isLessThanOrEqualTo(
                        1 + Math.sqrt(n) * 0x1.0p-19 * Math.sqrt(2 * Math.log(1.25e6)) / 0.1 + 1e-12);
            }
            assertThat(SecureNoise.gaussian(Math.sqrt(2), 1, 1e-6, 10).scale()
                    / SecureNoise.gaussianSigma(Math.sqrt(2), 1, 1e-6)).isLessThan(1.00004);
        }

        @Test
        void shouldMatchGaussianSigmaInStandardDeviation() {
            double sigma = SecureNoise.gaussianSigma(Math.sqrt(2), 0.5, 1e-5);
            assertThat(sigma).isCloseTo(Math.sqrt(2) * Math.sqrt(2 * Math.log(1.25e5)) / 0.5, within(1e-12));
            SecureNoise.Gaussian noise = SecureNoise.gaussian(Math.sqrt(2), 0.5, 1e-5, 3);
            SplittableRandom rng = new SplittableRandom(43);
            double sumSq = 0;
            double sum = 0;
            for (int i = 0; i < SAMPLES; i++) {
                double x = noise.add(0, rng);
                sumSq += x * x;
                sum += x;
            }
            assertThat(Math.sqrt(sumSq / SAMPLES)).isCloseTo(sigma, within(0.02 * sigma));
            assertThat(sum / SAMPLES).isCloseTo(0, within(0.02 * sigma));
        }

        /**
         * The normal's two-sided tail {@code P(|Z| > k)} for k = 1..4 (0.3173, 0.0455, 0.0027, 6.3e-5):
         * the Box-Muller draw has the standard normal's law, not only its variance.
         */
        @Test
        void shouldDrawTheStandardNormalsTails() {
            double[] expected = {0.31731050786, 0.04550026390, 0.00269979606, 0.00006334248};
            int draws = 2_000_000;
            int[] beyond = new int[expected.length];
            SplittableRandom rng = new SplittableRandom(45);
            for (int i = 0; i < draws; i++) {
                double z = Math.abs(SecureNoise.standardNormal(rng));
                for (int k = 0; k < expected.length; k++) {
                    if (z > k + 1) {
                        beyond[k]++;
                    }
                }
            }
            for (int k = 0; k < expected.length; k++) {
                double p = expected[k];
                double sd = Math.sqrt(p * (1 - p) / draws);
                assertThat(beyond[k] / (double) draws).as("P(|Z| > %d)", k + 1).isCloseTo(p, within(5 * sd));
            }
        }

        /**
         * The Gaussian's tail is not cut where 53-bit doubles would cut it (about 12 to 13 sigmas for
         * the JDK's {@code nextGaussian}): a uniform of 2^-256 gives a radius of sqrt(512 ln 2) = 18.8
         * sigmas, and the deepest one, 2^-1000, sqrt(2000 ln 2) = 37.2.
         */
        @Test
        void shouldReachTheFarTailOfTheGaussianLaw() {
            SecureNoise.Gaussian noise = new SecureNoise.Gaussian(SecureNoise.granularity(1.0), 1.0);
            Scripted rng = new Scripted(0L, 0L, 0L, 0L, 1L, 0L); // mantissa 0; binade 255; angle 0
            assertThat(noise.add(0, rng)).isCloseTo(Math.sqrt(512 * Math.log(2)), within(1e-5));
            assertThat(rng.used).isEqualTo(6);
            assertThat(noise.add(0, draws(new long[20]))).isCloseTo(Math.sqrt(2000 * Math.log(2)), within(1e-5));
        }

        /** As for Laplace: neighbouring uniforms give neighbouring grid points far in the Gaussian's tail. */
        @Test
        void shouldSkipNoGaussianGridPointFarInTheTail() {
            double g = SecureNoise.granularity(1.0);
            SecureNoise.Gaussian noise = new SecureNoise.Gaussian(g, 1.0);
            SplittableRandom rng = new SplittableRandom(8);
            for (int binade : new int[] {0, 20, 60, 130, 300, 900}) {
                long binadeDraw = -1L >>> (binade % 64);
                for (int trial = 0; trial < 200; trial++) {
                    long mantissa = rng.nextLong() & ((1L << 52) - 2);
                    long angle = rng.nextLong() >>> 20; // cos(2 pi V) near 1, so the radius shows
                    double a = gaussianTail(noise, mantissa, binade, binadeDraw, angle);
                    double b = gaussianTail(noise, mantissa + 1, binade, binadeDraw, angle);
                    assertThat(Math.abs(a - b)).as("binade %d, mantissa %d", binade, mantissa).isLessThanOrEqualTo(g);
                    assertThat(a).isGreaterThanOrEqualTo(0.99 * Math.sqrt(2 * binade * Math.log(2))); // U < 2^-binade
                }
            }
        }

        private double gaussianTail(SecureNoise.Gaussian noise, long mantissa, int binade, long binadeDraw,
                long angle) {
            long[] d = new long[3 + binade / 64];
            d[0] = mantissa;
            d[d.length - 2] = binadeDraw;
            d[d.length - 1] = angle;
            return noise.add(0, draws(d));
        }
    }

    @Test
    void shouldComputeLaplaceScaleAsSensitivityOverEpsilon() {
        assertThat(SecureNoise.laplaceScale(2, 0.5)).isEqualTo(4.0);
    }
}
