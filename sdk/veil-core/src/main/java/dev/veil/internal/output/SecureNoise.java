package dev.veil.internal.output;

import java.util.random.RandomGenerator;

/**
 * Noise samplers for the Laplace and Gaussian mechanisms that avoid the floating-point attack on
 * textbook samplers (Mironov, "On significance of the least significant bits for differential
 * privacy", CCS 2012).
 *
 * <p>The attack: {@code x + scale * ln(U)} computed in doubles can only produce certain doubles,
 * and which ones depends on {@code x}, so a single output may reveal {@code x} exactly. The defence
 * used here keeps every output on a fixed grid that does not depend on {@code x}:
 * <ol>
 *   <li>the granularity {@code g} is the smallest power of two {@code >= scale * 2^-20}
 *       ({@link #granularity(double)}); powers of two make every sum below exact in doubles;</li>
 *   <li>the input is snapped to the grid: {@code x_g = g * rint(x / g)};</li>
 *   <li>Laplace: inverse CDF on the grid. A sign and a uniform {@code U} in {@code (0, 1)}
 *       ({@link #uniform}); the magnitude is the exponential {@code -ln U} of mean {@code scale}
 *       snapped down to the grid, {@code floor(-ln(U) * scale / g)}, which is geometric; a negative
 *       zero is rejected and drawn again so that 0 is not counted twice. The noise is thus a
 *       discrete Laplace on the grid with {@code P(k g)} proportional to {@code exp(-|k| g / scale)}
 *       (the same law as the difference of two snapped exponentials, at half the randomness: about
 *       two 64-bit draws per sample). Snapping moves each coordinate
 *       by at most {@code g / 2}, so for {@code n} coordinates with L1 sensitivity {@code D} the
 *       privacy loss is at most {@code (D + n g) / scale <= epsilon + n * 2^-19} (exactly
 *       {@code epsilon} when inputs already lie on the grid);</li>
 *   <li>Gaussian: {@code g * rint(sigma * Z / g)} with a standard normal {@code Z} drawn by
 *       Box-Muller, {@code sqrt(-2 ln U) cos(2 pi V)}, from the full-precision uniform {@code U}
 *       ({@link #uniform}) and a 53-bit {@code V} ({@link #standardNormal}). Because
 *       {@code x_g / g} is an integer, the result equals {@code snap(x_g + sigma * Z)}:
 *       post-processing of the Gaussian mechanism on the snapped input, whose L2 sensitivity grows
 *       by at most {@code sqrt(n) g};</li>
 *   <li>the result {@code x_g + noise} is an exact multiple of {@code g}, and its low-order bits
 *       carry nothing about {@code x}.</li>
 * </ol>
 *
 * <p>The uniform has the full relative precision of a double at every magnitude: its binade
 * {@code [2^-(k+1), 2^-k)} is drawn with probability {@code 2^-(k+1)} (the leading zeros of random
 * bits) and its 52-bit mantissa uniformly. A grid step of the magnitude is an interval of relative
 * width {@code g / scale >= 2^-20} of {@code U}, so every step, however far out in the tail, holds
 * about {@code 2^32} equally likely uniforms: no grid point is unreachable, and each has its
 * probability to within about {@code m * 2^-32} relative at {@code m} scales (from the uniform's
 * spacing and the double-precision logarithm). (A uniform with a fixed spacing of {@code 2^-53}
 * instead leaves most grid points beyond about 23 scales unreachable, which makes the release
 * {@code (epsilon, delta)} with {@code delta} about {@code 5e-10} per value.) The tail is cut only
 * beyond {@code 1000 ln 2 ~ 693} scales (probability {@code e^-693}). The Gaussian's radius
 * {@code sqrt(-2 ln U)} inherits that precision: a grid step at {@code r} sigmas is a change of
 * about {@code r 2^-20} in {@code -ln U}, which holds about {@code 2^32 r} uniforms, so every grid
 * point out to the cut at {@code sqrt(2000 ln 2) ~ 37.2} sigmas can be drawn (probability beyond:
 * {@code 2^-1000}). (The JDK's {@code nextGaussian} builds its normal from 53-bit doubles, whose
 * spacing leaves grid points far in its tail unreachable, and cuts the tail near 12 to 13 sigmas.)
 * Randomness quality is the
 * caller's: pass a {@link java.security.SecureRandom} (or a generator backed by one); a seeded
 * generator is only for tests.
 *
 * <p>Stateless and thread-safe when the generator is (each thread should pass its own).
 */
final class SecureNoise {
    /** Granularity relative to the noise scale: {@code 2^-20}. */
    static final double RELATIVE_GRANULARITY = 0x1.0p-20;
    /** Bits 0..51 of a draw: the uniform's mantissa (bit 63 is the sign). */
    private static final long MANTISSA_MASK = (1L << 52) - 1;
    /** Binades of the uniform beyond which its tail is cut (at {@code 2^-1000}, still a normal double). */
    private static final int MAX_BINADE = 999;

    private SecureNoise() {
    }

    /**
     * The grid step for noise of the given scale: the smallest power of two {@code >= scale * 2^-20}.
     *
     * @param scale a positive finite scale (Laplace {@code b} or Gaussian {@code sigma})
     * @throws IllegalArgumentException if {@code scale} is not positive and finite
     */
    static double granularity(double scale) {
        checkScale("noise scale", scale);
        double x = scale * RELATIVE_GRANULARITY;
        if (x < Double.MIN_NORMAL) {
            return Double.MIN_NORMAL;
        }
        int e = Math.getExponent(x);
        double p = Math.scalb(1.0, e);
        return p == x ? p : Math.scalb(1.0, e + 1);
    }

    /**
     * {@code x} plus discrete Laplace noise of scale {@code scale}, snapped to {@link #granularity}.
     *
     * @param x the true value, finite
     * @param scale Laplace scale {@code b = sensitivity / epsilon}, positive and finite
     * @param rng the randomness (SecureRandom quality in production)
     * @return a multiple of {@code granularity(scale)}
     */
    static double laplace(double x, double scale, RandomGenerator rng) {
        double g = granularity(scale);
        double t = scale / g;
        while (true) {
            long bits = rng.nextLong();
            boolean negative = bits < 0;
            double u = uniform(bits & MANTISSA_MASK, rng);
            double magnitude = Math.floor(-Math.log(u) * t);
            if (negative && magnitude == 0) {
                continue; // reject -0: +0 alone carries 0, so P(k) stays proportional to exp(-|k| g / scale)
            }
            return snap(x, g) + (negative ? -magnitude : magnitude) * g;
        }
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
     * {@code x} plus Gaussian noise of standard deviation {@code sigma}, rounded to
     * {@link #granularity}.
     *
     * @param x the true value, finite
     * @param sigma standard deviation, positive and finite
     * @param rng the randomness (SecureRandom quality in production)
     * @return a multiple of {@code granularity(sigma)}
     */
    static double gaussian(double x, double sigma, RandomGenerator rng) {
        double g = granularity(sigma);
        return snap(x, g) + Math.rint(sigma * standardNormal(rng) / g) * g;
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

    /** {@code g * rint(x / g)}; exact for a power-of-two {@code g}. */
    static double snap(double x, double g) {
        return Math.rint(x / g) * g;
    }

    private static double checkScale(String what, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException(what + " must be a positive finite number, was " + scale);
        }
        return scale;
    }
}
