package dev.veil.internal.monitor;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * Collisions of the polynomial vector hash that recognised exact copies before {@link CopyHash}:
 * h1 = h1 m1 + bits(x[i]) over the even i, h2 = h2 m2 + bits(x[i]) over the odd i, both started
 * from the seed and finished with {@link QueryHashing#mix}. A seed only starts the chains, so a
 * collision made here holds for every seed: {@link #forge} moves the last mantissa bits of the
 * values at indices 0 to 5 of a probe (by at most about 2^22 units in the last place, a relative
 * change of about 10^-9) so that the probe hashes as the target. It solves the closest-vector problem
 * for each chain by Babai's rounding in a reduced basis of the lattice {@code {d : d0 m^2 + d1 m + d2
 * = 0 (mod 2^64)}} (found with LLL, offline).
 */
final class PolynomialCollisions {
    private static final long M1 = QueryHashing.GOLDEN;
    private static final long M2 = 0xBF58476D1CE4E5B9L;
    /** LLL-reduced bases of the two lattices, rows: each row d has d0 m^2 + d1 m + d2 = 0 (mod 2^64). */
    private static final long[][] BASIS_1 = {
        {-559805, -1966853, -1137922}, {2471971, -1541980, -496063}, {692619, -1248332, 2642377}};
    private static final long[][] BASIS_2 = {
        {-2800, 752748, -1369628}, {3111621, -118012, 192743}, {169540, -3662455, -1213957}};

    private PolynomialCollisions() {}

    /** The replaced hash, as it was computed (two interleaved polynomial chains). */
    static long polynomialHash(double[] x, long seed) {
        long h1 = QueryHashing.mix(seed ^ x.length);
        long h2 = ~h1;
        for (int i = 0; i < x.length; i++) {
            long bits = Double.doubleToRawLongBits(x[i] + 0.0);
            if (i % 2 == 0) {
                h1 = h1 * M1 + bits;
            } else {
                h2 = h2 * M2 + bits;
            }
        }
        return QueryHashing.mix(h1 ^ QueryHashing.mix(h2));
    }

    /**
     * A copy of {@code probe} whose values at indices 0 to 5 are moved by a few units in the last
     * place so that {@link #polynomialHash} gives it the hash of {@code target} for every seed.
     * Those six values must be normal numbers far (2^24 units) from the ends of their binade, as
     * 0.3 is; the vectors must have the same length, at least 6.
     */
    static double[] forge(double[] target, double[] probe) {
        if (target.length != probe.length || probe.length < 6) {
            throw new IllegalArgumentException("need two vectors of the same length, at least 6");
        }
        double[] y = probe.clone();
        correct(y, target, 0, M1, BASIS_1);
        correct(y, target, 1, M2, BASIS_2);
        for (long seed : new long[] {0, 1, -7, 0x9E3779B97F4A7C15L}) {
            if (polynomialHash(y, seed) != polynomialHash(target, seed)) {
                throw new AssertionError("the forgery did not collide");
            }
        }
        return y;
    }

    private static void correct(double[] y, double[] target, int first, long m, long[][] basis) {
        int steps = (y.length - first + 1) / 2; // the chain's length
        long e = 0;
        for (int i = first; i < y.length; i += 2) {
            e = e * m + (bits(y[i]) - bits(target[i]));
        }
        // need (c0 m^2 + c1 m + c2) m^(steps - 3) = -e
        long t = -e * pow(inverse(m), steps - 3);
        BigInteger[] p = {BigInteger.ZERO, BigInteger.ZERO, new BigInteger(Long.toUnsignedString(t))};
        BigInteger[][] r = new BigInteger[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                r[i][j] = BigInteger.valueOf(basis[i][j]);
            }
        }
        BigInteger det = det(r);
        // alpha = p R^-1 = p adj(R) / det; adj(R)[k][i] is the cofactor of R[i][k]
        BigInteger[] c = p.clone();
        for (int i = 0; i < 3; i++) {
            BigInteger num = BigInteger.ZERO;
            for (int k = 0; k < 3; k++) {
                num = num.add(p[k].multiply(cofactor(r, i, k)));
            }
            BigInteger a = new BigDecimal(num).divide(new BigDecimal(det), 0, RoundingMode.HALF_EVEN).toBigInteger();
            for (int j = 0; j < 3; j++) {
                c[j] = c[j].subtract(a.multiply(r[i][j]));
            }
        }
        for (int k = 0; k < 3; k++) {
            int i = first + 2 * k;
            y[i] = Double.longBitsToDouble(bits(y[i]) + c[k].longValueExact());
        }
    }

    private static long bits(double v) {
        return Double.doubleToRawLongBits(v + 0.0);
    }

    private static long inverse(long m) {
        long v = m; // Newton's iteration for the inverse of an odd number modulo 2^64
        for (int i = 0; i < 6; i++) {
            v *= 2 - m * v;
        }
        return v;
    }

    private static long pow(long b, int e) {
        long r = 1;
        for (int i = 0; i < e; i++) {
            r *= b;
        }
        return r;
    }

    private static BigInteger det(BigInteger[][] r) {
        BigInteger d = BigInteger.ZERO;
        for (int k = 0; k < 3; k++) {
            d = d.add(r[0][k].multiply(cofactor(r, 0, k)));
        }
        return d;
    }

    /** The cofactor of r[i][k] in a 3 x 3 matrix. */
    private static BigInteger cofactor(BigInteger[][] r, int i, int k) {
        int i1 = (i + 1) % 3;
        int i2 = (i + 2) % 3;
        int k1 = (k + 1) % 3;
        int k2 = (k + 2) % 3;
        return r[i1][k1].multiply(r[i2][k2]).subtract(r[i1][k2].multiply(r[i2][k1]));
    }
}
