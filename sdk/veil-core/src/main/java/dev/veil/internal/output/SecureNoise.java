package dev.veil.internal.output;

import java.math.BigDecimal;
import java.util.random.RandomGenerator;

/**
 * Noise samplers for the Laplace and Gaussian mechanisms that avoid the floating-point attack on
 * textbook samplers (Mironov, "On significance of the least significant bits for differential
 * privacy", CCS 2012), calibrated so that the privacy loss of a release of {@code n} values is at
 * most the epsilon charged for it, the snapping the defence needs included.
 *
 * <p>The attack: {@code x + scale * ln(U)} computed in doubles can only produce certain doubles,
 * and which ones depends on {@code x}, so a single output may reveal {@code x} exactly. The defence
 * used here keeps every output on a fixed grid that does not depend on {@code x}:
 * <ol>
 *   <li>a grid step {@code g}, a power of two (which makes every sum below exact in doubles), chosen
 *       from the mechanism's parameters and the number {@code n} of values released together (the
 *       model's class count, never the values themselves);</li>
 *   <li>each value is snapped to the grid, {@code x_g = g * rint(x / g)} (never {@code -0.0}: its
 *       sign would tell apart inputs on one grid point), and noise that is a whole number of grid
 *       steps is added;</li>
 *   <li>the result, {@code x_g + k g} rounded once to a double, is a function of the exact grid
 *       point {@code x_g + k g} alone: its low-order bits carry nothing about {@code x}.</li>
 * </ol>
 *
 * <p><b>What snapping costs, and who pays.</b> Snapping moves each value by up to {@code g / 2}, so
 * the snapped vectors of two neighbouring inputs can differ by up to the sensitivity {@code D} plus
 * {@code n g}: in L1 for Laplace, {@code D + n g}; in L2 for Gaussian, {@code D + sqrt(n) g}. The
 * noise is calibrated to that larger sensitivity, so the release's privacy loss is at most the
 * epsilon charged (not {@code epsilon + n g / scale}, which at a grid of {@code 2^-20} scales and
 * 300,000 classes was about twice the epsilon charged):
 * <ul>
 *   <li><b>Laplace</b> ({@link #laplace(double, double, int)}): {@code g} is the largest power of two
 *       {@code <= 2^-21 D / n}, and the noise is a discrete Laplace on the grid, {@code P(k g)}
 *       proportional to {@code exp(-lambda |k|)}, with {@code lambda = epsilon / (D / g + n)}
 *       (rounded down): the privacy loss is at most {@code lambda (D + n g) / g = epsilon}, and the
 *       scale {@code g / lambda = (D + n g) / epsilon} exceeds the textbook {@code D / epsilon} by a
 *       factor below {@code 1 + 2^-20}. Two corners: when {@code n / epsilon} exceeds about
 *       {@code 2^30}, the grid is coarsened to about {@code 2^-51} scales, so that a sample fits a
 *       64-bit integer, and the scale grows by up to {@code 1 + n 2^-50 / epsilon}, at most about 4
 *       times {@code D / epsilon} (the review measured up to 3.04); beyond an {@code n / epsilon}
 *       between {@code 2^51} and {@code 2^52}, depending on {@code D / epsilon}, no grid works and
 *       the noise is refused; when {@code D / n} is below
 *       about {@code 2^-1001}, the grid stops at the smallest normal double and the scale grows by
 *       {@code n g / D}. The loss stays within epsilon in both.</li>
 *   <li><b>Gaussian</b> ({@link #gaussian(double, double, double, int)}): {@code g} is the smallest
 *       power of two {@code >= sigma0 2^-20}, {@code sigma0 = D c / epsilon} the textbook sigma
 *       ({@code c = sqrt(2 ln(1.25 / delta))}), and {@code sigma = (D + sqrt(n) g) c / epsilon}:
 *       the classic Gaussian mechanism for the snapped input, whose L2 sensitivity is at most
 *       {@code D + sqrt(n) g}. Sigma exceeds sigma0 by a factor of at most
 *       {@code 1 + sqrt(n) 2^-19 c / epsilon} (1.00003 for 10 classes at epsilon 1 and delta 1e-6,
 *       1.003 for 1,000 classes at epsilon 0.1, 1.03 to 1.06 for 300,000 classes at 0.1).</li>
 * </ul>
 *
 * <p><b>Laplace sampling, exact on a fine grid.</b> A grid of {@code 2^-20 D / n} is a tiny fraction
 * of the scale ({@code 2^-20 epsilon / n} of it), finer than a double's uniform can resolve by
 * inversion ({@code floor(-ln(U) * scale / g)} gives each grid point about {@code 2^52 g / scale}
 * uniforms, a handful at {@code n = 10^5}). So the magnitude {@code K} is drawn in two parts, as
 * {@code K = A m + B} with a block of {@code m} grid points, {@code m} the largest power of two
 * {@code <= 1 / lambda} (so a block is between a half and one scale):
 * <ol>
 *   <li>{@code A}, the block, is geometric with ratio {@code exp(-lambda m)}, by inversion:
 *       {@code floor(-ln(U) / (lambda m))}, {@code U} a uniform in {@code (0, 1)} with a double's full
 *       relative precision at every magnitude ({@link #uniform}). A block is an interval of width
 *       {@code lambda m >= 1/2} in {@code -ln U}, so it holds about {@code 2^51} uniforms or more at
 *       every depth of the tail, and each block's probability is right to within about
 *       {@code (1 + a) 2^-51} relative at {@code a} blocks from the value;</li>
 *   <li>{@code B}, the place in the block, is drawn uniformly from {@code 0..m-1} (64 random bits
 *       masked: exact, {@code m} being a power of two) and kept with probability
 *       {@code exp(-lambda B)} (at least {@code e^-1}), against a 53-bit uniform: a truncated
 *       geometric, each value's probability right to within about {@code 2^-51} relative;</li>
 *   <li>{@code K = A m + B} then has {@code P(K)} proportional to {@code exp(-lambda K)}; a sign is
 *       drawn, and a negative zero is rejected and drawn again so that 0 is not counted twice.</li>
 * </ol>
 * No grid point is unreachable and none has a probability off by more than about
 * {@code (2 + a) 2^-51} relative, however fine the grid. The tail is cut only beyond
 * {@code 1000 ln 2 ~ 693} scales (probability {@code 2^-1000}; that is 693 to 1,386 blocks, a block
 * being half a scale to one), so a sample is at most about 694 scales. About five 64-bit draws per
 * value.
 *
 * <p><b>Gaussian sampling.</b> {@code g * rint(sigma * Z / g)} with a standard normal {@code Z}
 * drawn by Box-Muller, {@code sqrt(-2 ln U) cos(2 pi V)}, from the full-precision uniform {@code U}
 * ({@link #uniform}) and a 53-bit {@code V} ({@link #standardNormal}). Because {@code x_g / g} is an
 * integer, the result equals {@code snap(x_g + sigma * Z)}: post-processing of the Gaussian
 * mechanism on the snapped input. Its grid is {@code 2^-20} to {@code 2^-19} of sigma0 (a little
 * less of sigma), so a grid step at {@code r} sigmas is a change of about {@code r 2^-20} in
 * {@code -ln U}, which holds about {@code 2^32 r} uniforms: every grid point out to the cut at
 * {@code sqrt(2000 ln 2) ~ 37.2} sigmas can be drawn (probability beyond: {@code 2^-1000}). (The
 * JDK's {@code nextGaussian} builds its normal from 53-bit doubles, whose spacing leaves grid points
 * far in its tail unreachable, and cuts the tail near 12 to 13 sigmas.)
 *
 * <p>The uniform has the full relative precision of a double at every magnitude: its binade
 * {@code [2^-(k+1), 2^-k)} is drawn with probability {@code 2^-(k+1)} (the leading zeros of random
 * bits) and its 52-bit mantissa uniformly. (A uniform with a fixed spacing of {@code 2^-53} instead
 * leaves most grid points beyond about 23 scales unreachable, which makes the release
 * {@code (epsilon, delta)} with {@code delta} about {@code 5e-10} per value.) Randomness quality is
 * the caller's: pass a {@link java.security.SecureRandom} (or a generator backed by one); a seeded
 * generator is only for tests.
 *
 * <p>Stateless and thread-safe when the generator is (each thread should pass its own).
 */
final class SecureNoise {
    /** The Gaussian grid relative to the textbook sigma: {@code 2^-20}. */
    static final double RELATIVE_GRANULARITY = 0x1.0p-20;
    /** The Laplace grid's share of the sensitivity, per value released: {@code g <= 2^-21 D / n}. */
    static final double LAPLACE_GRID_SHARE = 0x1.0p-21;
    /** The most grid steps a Laplace scale may span ({@code 1 / lambda}), so that a sample fits a long. */
    static final double MAX_STEPS_PER_SCALE = 0x1.0p52;
    /** Bits 0..51 of a draw: the uniform's mantissa (bit 63 is the sign). */
    private static final long MANTISSA_MASK = (1L << 52) - 1;
    /** Binades of the uniform beyond which its tail is cut (at {@code 2^-1000}, still a normal double). */
    private static final int MAX_BINADE = 999;
    /** Below this, {@code k * g} is exact and {@code x_g + k g} needs one double addition. */
    private static final long EXACT_STEPS = 1L << 53;

    private SecureNoise() {
    }

    /** Noise calibrated for a release of a number of values: its grid, its scale, and a sampler. */
    interface Calibrated {
        /** The grid step {@code g}, a power of two: every output is {@code x_g + k g} rounded once. */
        double granularity();

        /** The noise's scale as calibrated: Laplace {@code b = g / lambda}, Gaussian {@code sigma}. */
        double scale();

        /**
         * {@code x} snapped to the grid plus noise.
         *
         * @param x the true value, finite
         * @param rng the randomness (SecureRandom quality in production)
         */
        double add(double x, RandomGenerator rng);
    }

    /**
     * Laplace noise for the release of {@code n} values of L1 sensitivity {@code sensitivity}, with a
     * privacy loss of at most {@code epsilon}, snapping included (class Javadoc).
     *
     * @throws IllegalArgumentException if the parameters are not positive and finite, or
     *     {@code n / epsilon} is too large for any grid (above {@code 2^51} to {@code 2^52}, depending
     *     on {@code D / epsilon})
     */
    static Laplace laplace(double sensitivity, double epsilon, int n) {
        double textbook = laplaceScale(sensitivity, epsilon);
        checkScale("epsilon", epsilon);
        if (n < 1) {
            throw new IllegalArgumentException("noise needs at least one value, was " + n);
        }
        double g = Math.max(powerOfTwoAtMost(LAPLACE_GRID_SHARE * sensitivity / n),
                powerOfTwoAtLeast(textbook * 0x1.0p-51));
        // lambda = epsilon / (D / g + n), rounded down past the three roundings of its computation (D / g
        // is exact: g is a power of two and the quotient a normal double). Not g epsilon / (D + n g):
        // for D below about 4e-294, g is the smallest normal double and g epsilon a subnormal that
        // loses its low bits, so lambda could come out above the bound and the loss above epsilon.
        double lambda = epsilon / (sensitivity / g + n) * (1 - 0x1.0p-50);
        if (!(1 / lambda <= MAX_STEPS_PER_SCALE)) {
            throw new IllegalArgumentException("laplace noise for " + n + " values at epsilon " + epsilon
                    + " cannot be sampled exactly: a scale would span more than 2^52 grid steps (the grid must be"
                    + " fine enough for " + n + " values); release fewer values at once or raise epsilon");
        }
        return new Laplace(g, lambda);
    }

    /**
     * Gaussian noise for the release of {@code n} values of L2 sensitivity {@code sensitivity}, the
     * classic mechanism at {@code (epsilon, delta)} for the snapped input (class Javadoc).
     *
     * @throws IllegalArgumentException if the parameters are out of range or sigma is not finite
     */
    static Gaussian gaussian(double sensitivity, double epsilon, double delta, int n) {
        double sigma0 = gaussianSigma(sensitivity, epsilon, delta);
        if (n < 1) {
            throw new IllegalArgumentException("noise needs at least one value, was " + n);
        }
        double g = granularity(sigma0);
        double sigma = gaussianSigma(sensitivity + Math.sqrt(n) * g, epsilon, delta) * (1 + 0x1.0p-50);
        return new Gaussian(g, checkScale("gaussian sigma", sigma));
    }

    /** Calibrated Laplace noise: a discrete Laplace with decay {@code lambda} per step of a grid {@code g}. */
    static final class Laplace implements Calibrated {
        private final double g;
        private final double lambda;
        /** Grid points per block: the largest power of two {@code <= 1 / lambda}, at least 1. */
        private final long m;
        /** The block's decay, {@code lambda m} (exact: {@code m} is a power of two). */
        private final double blockLambda;

        Laplace(double g, double lambda) {
            this.g = g;
            this.lambda = lambda;
            this.m = 1 / lambda >= 2 ? Long.highestOneBit((long) (1 / lambda)) : 1;
            this.blockLambda = lambda * m;
        }

        @Override
        public double granularity() {
            return g;
        }

        @Override
        public double scale() {
            return g / lambda;
        }

        /** The decay per grid step: {@code P(k g)} is proportional to {@code exp(-lambda |k|)}. */
        double lambda() {
            return lambda;
        }

        /** Grid points per block ({@code m} in the class Javadoc). */
        long block() {
            return m;
        }

        @Override
        public double add(double x, RandomGenerator rng) {
            double xg = snap(x, g);
            while (true) {
                long bits = rng.nextLong();
                boolean negative = bits < 0;
                double u = uniform(bits & MANTISSA_MASK, rng);
                long k = (long) Math.floor(-Math.log(u) / blockLambda) * m + (m == 1 ? 0 : offset(rng));
                if (negative && k == 0) {
                    continue; // reject -0: +0 alone carries 0, so P(k) stays proportional to exp(-lambda |k|)
                }
                return finite(onGrid(xg, negative ? -k : k, g), "laplace noise of scale", scale());
            }
        }

        /** A place in the block: {@code 0..m-1} with probability proportional to {@code exp(-lambda j)}. */
        private long offset(RandomGenerator rng) {
            while (true) {
                long j = rng.nextLong() & (m - 1);
                if ((rng.nextLong() >>> 11) * 0x1.0p-53 < Math.exp(-lambda * j)) {
                    return j;
                }
            }
        }
    }

    /** Calibrated Gaussian noise: {@code snap(x) + g rint(sigma Z / g)}. */
    static final class Gaussian implements Calibrated {
        private final double g;
        private final double sigma;

        Gaussian(double g, double sigma) {
            this.g = g;
            this.sigma = sigma;
        }

        @Override
        public double granularity() {
            return g;
        }

        @Override
        public double scale() {
            return sigma;
        }

        @Override
        public double add(double x, RandomGenerator rng) {
            // snap(x, g) is never -0.0, so neither is the sum (x + -0.0 is x; a sum that cancels is +0.0)
            return finite(snap(x, g) + Math.rint(sigma * standardNormal(rng) / g) * g,
                    "gaussian noise of sigma", sigma);
        }
    }

    /**
     * The grid step for Gaussian noise of textbook sigma {@code scale}: the smallest power of two
     * {@code >= scale * 2^-20}.
     *
     * @param scale a positive finite scale
     * @throws IllegalArgumentException if {@code scale} is not positive and finite
     */
    static double granularity(double scale) {
        checkScale("noise scale", scale);
        return powerOfTwoAtLeast(scale * RELATIVE_GRANULARITY);
    }

    /** The smallest power of two {@code >= x} (a normal double: at least {@link Double#MIN_NORMAL}). */
    private static double powerOfTwoAtLeast(double x) {
        if (x < Double.MIN_NORMAL) {
            return Double.MIN_NORMAL;
        }
        int e = Math.getExponent(x);
        double p = Math.scalb(1.0, e);
        return p == x ? p : Math.scalb(1.0, e + 1);
    }

    /** The largest power of two {@code <= x} (a normal double: at least {@link Double#MIN_NORMAL}). */
    private static double powerOfTwoAtMost(double x) {
        return x < Double.MIN_NORMAL ? Double.MIN_NORMAL : Math.scalb(1.0, Math.getExponent(x));
    }

    /**
     * {@code x_g + k g} rounded once to a double: a function of the grid point {@code x_g / g + k}
     * alone (class Javadoc). One addition while {@code k g} is exact, else exact decimal arithmetic.
     */
    static double onGrid(double xg, long k, double g) {
        if (k > -EXACT_STEPS && k < EXACT_STEPS) {
            return xg + k * g;
        }
        return new BigDecimal(xg).add(new BigDecimal(k).multiply(new BigDecimal(g))).doubleValue();
    }

    /**
     * A uniform in {@code (0, 1)} with a double's full relative precision at every magnitude: the
     * binade {@code [2^-(k+1), 2^-k)} with probability {@code 2^-(k+1)}, from the leading zeros of
     * further draws (cut at {@value #MAX_BINADE}), and {@code mantissa} (52 random bits) within it.
     */
    static double uniform(long mantissa, RandomGenerator rng) {
        int k = 0;
        long b;
        while ((b = rng.nextLong()) == 0) {
            k += 64;
            if (k > MAX_BINADE) {
                return Math.scalb(1.0 + mantissa * 0x1.0p-52, -(MAX_BINADE + 1));
            }
        }
        k = Math.min(MAX_BINADE, k + Long.numberOfLeadingZeros(b));
        return Math.scalb(1.0 + mantissa * 0x1.0p-52, -(k + 1));
    }

    /**
     * A standard normal by Box-Muller, {@code sqrt(-2 ln U) cos(2 pi V)}: {@code U} from
     * {@link #uniform} (the first draw's low 52 bits are its mantissa, further draws its binade),
     * {@code V} from the next draw's high 53 bits. One normal per call (the sine half is not kept,
     * so no state is carried between calls).
     */
    static double standardNormal(RandomGenerator rng) {
        double u = uniform(rng.nextLong() & MANTISSA_MASK, rng);
        double v = (rng.nextLong() >>> 11) * 0x1.0p-53;
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** The Laplace scale {@code sensitivity / epsilon}. */
    static double laplaceScale(double sensitivity, double epsilon) {
        return checkScale("laplace scale (sensitivity / epsilon)", sensitivity / epsilon);
    }

    /** The classic Gaussian mechanism's {@code sigma = sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon}. */
    static double gaussianSigma(double sensitivity, double epsilon, double delta) {
        return checkScale("gaussian sigma", sensitivity * Math.sqrt(2 * Math.log(1.25 / delta)) / epsilon);
    }

    /**
     * {@code g * rint(x / g)}; exact for a power-of-two {@code g}. Never {@code -0.0}: a negative
     * {@code x} within half a step of 0 snaps to {@code +0.0}, as a positive one does (the
     * {@code + 0.0} turns {@code -0.0} into {@code +0.0} and changes nothing else). Otherwise the sign
     * of zero would tell apart two inputs on the same grid point, and survive the noise whenever the
     * noise is {@code -0.0} too (a Gaussian's {@code g * rint(sigma Z / g)} for a small negative Z).
     */
    static double snap(double x, double g) {
        return Math.rint(x / g) * g + 0.0;
    }

    /**
     * {@code v}, a release, if finite. A sample past the largest double fails (closed: the Guard
     * releases nothing then): an infinity would become NaN scores once renormalised. The spec's
     * limits on the scale make this rare (ReleaseSpec.Noise); this check covers what they cannot,
     * a scale calibrated far above the textbook one, or a regression value near the largest double.
     */
    private static double finite(double v, String what, double scale) {
        if (Double.isInfinite(v)) {
            throw new IllegalArgumentException(what + " " + scale + " drew a sample beyond the largest double;"
                    + " lower the noise's sensitivity or raise its epsilon");
        }
        return v;
    }

    private static double checkScale(String what, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException(what + " must be a positive finite number, was " + scale);
        }
        return scale;
    }
}
