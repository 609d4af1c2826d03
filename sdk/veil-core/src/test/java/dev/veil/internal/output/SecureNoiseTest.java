package dev.veil.internal.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SecureNoiseTest {
    private static final int SAMPLES = 200_000;

    @Test
    void shouldUseSmallestPowerOfTwoNotBelowScaleTimesTwoToMinusTwenty() {
        assertThat(SecureNoise.granularity(1.0)).isEqualTo(0x1.0p-20);
        assertThat(SecureNoise.granularity(1.5)).isEqualTo(0x1.0p-19);
        assertThat(SecureNoise.granularity(0.75)).isEqualTo(0x1.0p-20);
        assertThat(SecureNoise.granularity(4.0)).isEqualTo(0x1.0p-18);
        assertThat(SecureNoise.granularity(1e-310)).isEqualTo(Double.MIN_NORMAL);
    }

    @Test
    void shouldRejectScaleThatIsNotPositiveAndFinite() {
        assertThatThrownBy(() -> SecureNoise.granularity(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("noise scale must be a positive finite number, was 0.0");
        assertThatThrownBy(() -> SecureNoise.laplace(0, Double.NaN, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("noise scale must be a positive finite number, was NaN");
        assertThatThrownBy(() -> SecureNoise.gaussianSigma(1, 1e-320, 1e-5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gaussian sigma must be a positive finite number, was Infinity");
    }

    @Test
    void shouldMatchLaplaceScaleInMeanAbsoluteDeviation() {
        double scale = 1.5;
        SplittableRandom rng = new SplittableRandom(42);
        double sumAbs = 0;
        double sum = 0;
        int beyondScale = 0;
        for (int i = 0; i < SAMPLES; i++) {
            double x = SecureNoise.laplace(0, scale, rng);
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

    @Test
    void shouldMatchGaussianSigmaInStandardDeviation() {
        double sigma = SecureNoise.gaussianSigma(Math.sqrt(2), 0.5, 1e-5);
        assertThat(sigma).isCloseTo(Math.sqrt(2) * Math.sqrt(2 * Math.log(1.25e5)) / 0.5, within(1e-12));
        SplittableRandom rng = new SplittableRandom(43);
        double sumSq = 0;
        double sum = 0;
        for (int i = 0; i < SAMPLES; i++) {
            double x = SecureNoise.gaussian(0, sigma, rng);
            sumSq += x * x;
            sum += x;
        }
        assertThat(Math.sqrt(sumSq / SAMPLES)).isCloseTo(sigma, within(0.02 * sigma));
        assertThat(sum / SAMPLES).isCloseTo(0, within(0.02 * sigma));
    }

    @Test
    void shouldReleaseOnlyMultiplesOfTheGranularity() {
        SplittableRandom rng = new SplittableRandom(44);
        double scale = 0.3;
        double g = SecureNoise.granularity(scale);
        for (int i = 0; i < 10_000; i++) {
            double x = rng.nextDouble();
            double l = SecureNoise.laplace(x, scale, rng);
            double n = SecureNoise.gaussian(x, scale, rng);
            assertThat(l / g).isEqualTo(Math.rint(l / g));
            assertThat(n / g).isEqualTo(Math.rint(n / g));
        }
    }

    @Test
    void shouldReleaseIdenticalOutputsForInputsThatSnapToTheSameGridPoint() {
        // the floating-point attack reads x from the low bits of x + noise; after snapping, inputs
        // closer than half a grid step give bit-identical outputs for the same randomness
        double scale = 2.0;
        double g = SecureNoise.granularity(scale);
        double x = Math.rint(0.3 / g) * g - g / 4;
        double y = x + g / 3;
        for (long seed = 0; seed < 1000; seed++) {
            assertThat(SecureNoise.laplace(y, scale, new SplittableRandom(seed)))
                    .isEqualTo(SecureNoise.laplace(x, scale, new SplittableRandom(seed)));
            assertThat(SecureNoise.gaussian(y, scale, new SplittableRandom(seed)))
                    .isEqualTo(SecureNoise.gaussian(x, scale, new SplittableRandom(seed)));
        }
    }

    @Test
    void shouldDrawAgainOnNegativeZeroSoThatZeroIsNotCountedTwice() {
        // -1, -1: sign set, mantissa all ones, binade 0: U = 1 - 2^-53, magnitude 0 (rejected);
        // then 0, 1: sign clear, mantissa 0, 63 leading zeros: U = 2^-64, 64 ln 2 scales
        long[] draws = {-1L, -1L, 0L, 1L};
        int[] next = {0};
        double x = SecureNoise.laplace(0, 1.0, () -> draws[next[0]++]);

        assertThat(next[0]).isEqualTo(4);
        assertThat(x).isCloseTo(64 * Math.log(2), within(1e-5));
    }

    @Test
    void shouldReleaseZeroNoiseForPositiveZeroDraw() {
        long[] draws = {Long.MAX_VALUE, -1L}; // sign clear, U = 1 - 2^-53: magnitude 0
        int[] next = {0};
        assertThat(SecureNoise.laplace(0.5, 1.0, () -> draws[next[0]++])).isEqualTo(0.5);
    }

    /**
     * The tail is not cut where 53 random bits would cut it (36.7 scales): a uniform from further
     * binades (here 2^-256, from three zero draws) reaches 256 ln 2 = 177 scales.
     */
    @Test
    void shouldReachTheFarTailOfTheLaplaceLaw() {
        long[] draws = {0L, 0L, 0L, 0L, 1L};
        int[] next = {0};
        double x = SecureNoise.laplace(0, 1.0, () -> draws[next[0]++]);

        assertThat(x).isCloseTo(256 * Math.log(2), within(1e-5));
        long[] deepest = new long[20];
        deepest[19] = 1; // zero draws after the sign: the sampler stops at the cut, 2^-1000, after 16 of them
        int[] at = {0};
        assertThat(SecureNoise.laplace(0, 1.0, () -> deepest[at[0]++]))
                .isCloseTo(1000 * Math.log(2), within(1e-5));
    }

    /**
     * Far in the tail, uniforms next to each other give grid points next to each other: no grid point
     * is skipped, so none is impossible for one input and possible for its neighbour (a uniform of
     * fixed spacing 2^-53 skips tens of thousands of grid steps there).
     */
    @Test
    void shouldSkipNoGridPointFarInTheTail() {
        double scale = 1.0;
        double g = SecureNoise.granularity(scale);
        SplittableRandom rng = new SplittableRandom(7);
        for (int binade : new int[] {0, 20, 33, 40, 60, 200}) {
            long binadeDraw = -1L >>> (binade % 64); // binade % 64 leading zeros, after binade / 64 zero draws
            for (int trial = 0; trial < 200; trial++) {
                long mantissa = rng.nextLong() & ((1L << 52) - 2);
                double a = tail(mantissa, binade, binadeDraw, scale);
                double b = tail(mantissa + 1, binade, binadeDraw, scale);
                assertThat(Math.abs(a - b)).as("binade %d, mantissa %d", binade, mantissa).isLessThanOrEqualTo(g);
            }
        }
    }

    private static double tail(long mantissa, int binade, long binadeDraw, double scale) {
        long[] draws = new long[2 + binade / 64];
        draws[0] = mantissa; // sign clear
        draws[draws.length - 1] = binadeDraw;
        int[] next = {0};
        return SecureNoise.laplace(0, scale, () -> draws[next[0]++]);
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
     * The Gaussian's tail is not cut where 53-bit doubles would cut it (about 12 to 13 sigmas for the
     * JDK's {@code nextGaussian}): a uniform of 2^-256 gives a radius of sqrt(512 ln 2) = 18.8
     * sigmas, and the deepest one, 2^-1000, sqrt(2000 ln 2) = 37.2.
     */
    @Test
    void shouldReachTheFarTailOfTheGaussianLaw() {
        long[] draws = {0L, 0L, 0L, 0L, 1L, 0L}; // mantissa 0; binade 255; angle 0
        int[] next = {0};
        assertThat(SecureNoise.gaussian(0, 1.0, () -> draws[next[0]++]))
                .isCloseTo(Math.sqrt(512 * Math.log(2)), within(1e-5));
        assertThat(next[0]).isEqualTo(6);
        long[] deepest = new long[20];
        int[] at = {0};
        assertThat(SecureNoise.gaussian(0, 1.0, () -> deepest[at[0]++]))
                .isCloseTo(Math.sqrt(2000 * Math.log(2)), within(1e-5));
    }

    /** As for Laplace: neighbouring uniforms give neighbouring grid points far in the Gaussian's tail. */
    @Test
    void shouldSkipNoGaussianGridPointFarInTheTail() {
        double sigma = 1.0;
        double g = SecureNoise.granularity(sigma);
        SplittableRandom rng = new SplittableRandom(8);
        for (int binade : new int[] {0, 20, 60, 130, 300, 900}) {
            long binadeDraw = -1L >>> (binade % 64);
            for (int trial = 0; trial < 200; trial++) {
                long mantissa = rng.nextLong() & ((1L << 52) - 2);
                long angle = rng.nextLong() >>> 20; // cos(2 pi V) near 1, so the radius shows
                double a = gaussianTail(mantissa, binade, binadeDraw, angle, sigma);
                double b = gaussianTail(mantissa + 1, binade, binadeDraw, angle, sigma);
                assertThat(Math.abs(a - b)).as("binade %d, mantissa %d", binade, mantissa).isLessThanOrEqualTo(g);
                assertThat(a).isGreaterThanOrEqualTo(0.99 * Math.sqrt(2 * binade * Math.log(2))); // U < 2^-binade
            }
        }
    }

    private static double gaussianTail(long mantissa, int binade, long binadeDraw, long angle, double sigma) {
        long[] draws = new long[3 + binade / 64];
        draws[0] = mantissa;
        draws[draws.length - 2] = binadeDraw;
        draws[draws.length - 1] = angle;
        int[] next = {0};
        return SecureNoise.gaussian(0, sigma, () -> draws[next[0]++]);
    }

    @Test
    void shouldComputeLaplaceScaleAsSensitivityOverEpsilon() {
        assertThat(SecureNoise.laplaceScale(2, 0.5)).isEqualTo(4.0);
    }
}
