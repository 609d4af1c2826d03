package dev.veil.internal.validation;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ContractKernel} on the Vector API. The eight lane sums of a quantity are the lanes of one
 * 512-bit accumulator where the hardware has such vectors, else of two 256-bit ones, so the answers
 * are bit-identical to {@link ContractKernel.Scalar}'s (the terms are the same lane-wise IEEE
 * operations, added in the same order). Loaded only when {@code jdk.incubator.vector} is in the boot
 * layer.
 */
final class VectorContractKernel extends ContractKernel {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_256;
    private static final int L = 4;
    private static final VectorSpecies<Double> S8 = DoubleVector.SPECIES_512;
    /** Whether to use 512-bit vectors (where the hardware has them), else 256-bit ones. */
    private final boolean wide;

    /** @param wide 512-bit vectors (else 256-bit); either works anywhere, but slowly where the hardware lacks them */
    VectorContractKernel(boolean wide) {
        this.wide = wide;
    }

    /** The kernel for this hardware, or {@code null} when it has no vectors of at least 256 bits. */
    static ContractKernel createIfUseful() {
        int bits = DoubleVector.SPECIES_PREFERRED.vectorBitSize();
        return bits >= S.vectorBitSize() ? new VectorContractKernel(bits >= S8.vectorBitSize()) : null;
    }

    @Override
    boolean within(double[] v, double lo, double hi) {
        if (wide) {
            return within8(v, lo, hi);
        }
        int n = v.length;
        DoubleVector l = DoubleVector.broadcast(S, lo);
        DoubleVector h = DoubleVector.broadcast(S, hi);
        VectorMask<Double> out = S.maskAll(false);
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L) {
            DoubleVector x = DoubleVector.fromArray(S, v, i);
            out = out.or(x.compare(VectorOperators.GE, l).not()).or(x.compare(VectorOperators.GT, h));
        }
        return withinFrom(v, i, lo, hi) & !out.anyTrue();
    }

    private static boolean within8(double[] v, double lo, double hi) {
        int n = v.length;
        DoubleVector l = DoubleVector.broadcast(S8, lo);
        DoubleVector h = DoubleVector.broadcast(S8, hi);
        VectorMask<Double> low = S8.maskAll(false);
        VectorMask<Double> high = S8.maskAll(false);
        int i = 0;
        for (int up = S8.loopBound(n); i < up; i += LANES) {
            DoubleVector x = DoubleVector.fromArray(S8, v, i);
            low = low.or(x.compare(VectorOperators.GE, l).not());
            high = high.or(x.compare(VectorOperators.GT, h));
        }
        return withinFrom(v, i, lo, hi) & !low.or(high).anyTrue();
    }

    @Override
    boolean within(double[] v, double[] lo, double[] hi) {
        if (wide) {
            return within8(v, lo, hi);
        }
        int n = v.length;
        VectorMask<Double> out = S.maskAll(false);
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L) {
            DoubleVector x = DoubleVector.fromArray(S, v, i);
            out = out.or(x.compare(VectorOperators.GE, DoubleVector.fromArray(S, lo, i)).not())
                    .or(x.compare(VectorOperators.GT, DoubleVector.fromArray(S, hi, i)));
        }
        return withinFrom(v, i, lo, hi) & !out.anyTrue();
    }

    private static boolean within8(double[] v, double[] lo, double[] hi) {
        int n = v.length;
        VectorMask<Double> low = S8.maskAll(false);
        VectorMask<Double> high = S8.maskAll(false);
        int i = 0;
        for (int up = S8.loopBound(n); i < up; i += LANES) {
            DoubleVector x = DoubleVector.fromArray(S8, v, i);
            low = low.or(x.compare(VectorOperators.GE, DoubleVector.fromArray(S8, lo, i)).not());
            high = high.or(x.compare(VectorOperators.GT, DoubleVector.fromArray(S8, hi, i)));
        }
        return withinFrom(v, i, lo, hi) & !low.or(high).anyTrue();
    }

    @Override
    boolean sums(double[] v, double[] lo, double[] hi, boolean uniform, double uniformLo, double uniformHi,
            double[] mean, double[] inv, double center, double[] out) {
        if (wide) {
            return sums8(v, lo, hi, uniform, uniformLo, uniformHi, mean, inv, center, out);
        }
        DoubleVector ul = DoubleVector.broadcast(S, uniformLo);
        DoubleVector uh = DoubleVector.broadcast(S, uniformHi);
        int n = v.length;
        int body = n - n % LANES;
        DoubleVector c = DoubleVector.broadcast(S, center);
        DoubleVector zero = DoubleVector.zero(S);
        DoubleVector z2a = zero;
        DoubleVector z2b = zero;
        DoubleVector ya = zero;
        DoubleVector yb = zero;
        DoubleVector y2a = zero;
        DoubleVector y2b = zero;
        VectorMask<Double> bad = S.maskAll(false);
        for (int k = 0; k < body; k += LANES) {
            // lanes 0..3 of the block
            DoubleVector x = DoubleVector.fromArray(S, v, k);
            bad = bad.or(x.compare(VectorOperators.GE, uniform ? ul : DoubleVector.fromArray(S, lo, k)).not())
                    .or(x.compare(VectorOperators.GT, uniform ? uh : DoubleVector.fromArray(S, hi, k)));
            DoubleVector z = x.sub(DoubleVector.fromArray(S, mean, k)).mul(DoubleVector.fromArray(S, inv, k));
            DoubleVector y = x.sub(c);
            z2a = z2a.add(z.mul(z));
            ya = ya.add(y);
            y2a = y2a.add(y.mul(y));
            // lanes 4..7
            int k4 = k + L;
            x = DoubleVector.fromArray(S, v, k4);
            bad = bad.or(x.compare(VectorOperators.GE, uniform ? ul : DoubleVector.fromArray(S, lo, k4)).not())
                    .or(x.compare(VectorOperators.GT, uniform ? uh : DoubleVector.fromArray(S, hi, k4)));
            z = x.sub(DoubleVector.fromArray(S, mean, k4)).mul(DoubleVector.fromArray(S, inv, k4));
            y = x.sub(c);
            z2b = z2b.add(z.mul(z));
            yb = yb.add(y);
            y2b = y2b.add(y.mul(y));
        }
        out[0] = combine(z2a, z2b);
        out[1] = combine(ya, yb);
        out[2] = combine(y2a, y2b);
        out[3] = roughness(v);
        return tail(v, body, lo, hi, mean, inv, center, out) & !bad.anyTrue();
    }

    /**
     * {@link #sums} with one 512-bit accumulator per quantity: lane j of it is lane sum j. The
     * roughness terms are taken in the same loop while a block has a right neighbour, as the scalar
     * kernel does: a second pass would wait on its one accumulator's additions once more (each sum
     * here is a chain of dependent additions, so two chains side by side cost about what one does).
     */
    private static boolean sums8(double[] v, double[] lo, double[] hi, boolean uniform, double uniformLo,
            double uniformHi, double[] mean, double[] inv, double center, double[] out) {
        int n = v.length;
        int body = n - n % LANES;
        int roughBody = roughBody(n);
        int both = Math.min(body, roughBody);
        DoubleVector c = DoubleVector.broadcast(S8, center);
        DoubleVector z2 = DoubleVector.zero(S8);
        DoubleVector sy = z2;
        DoubleVector sy2 = z2;
        DoubleVector rough = z2;
        DoubleVector ul = DoubleVector.broadcast(S8, uniformLo);
        DoubleVector uh = DoubleVector.broadcast(S8, uniformHi);
        VectorMask<Double> low = S8.maskAll(false);
        VectorMask<Double> high = S8.maskAll(false);
        int k = 0;
        for (; k < both; k += LANES) {
            DoubleVector x = DoubleVector.fromArray(S8, v, k);
            low = low.or(x.compare(VectorOperators.GE, uniform ? ul : DoubleVector.fromArray(S8, lo, k)).not());
            high = high.or(x.compare(VectorOperators.GT, uniform ? uh : DoubleVector.fromArray(S8, hi, k)));
            DoubleVector z = x.sub(DoubleVector.fromArray(S8, mean, k)).mul(DoubleVector.fromArray(S8, inv, k));
            DoubleVector y = x.sub(c);
            z2 = z2.add(z.mul(z));
            sy = sy.add(y);
            sy2 = sy2.add(y.mul(y));
            rough = rough.add(DoubleVector.fromArray(S8, v, k + 1).sub(x).abs());
        }
        for (; k < body; k += LANES) { // the last block when n is a multiple of 8: no right neighbour
            DoubleVector x = DoubleVector.fromArray(S8, v, k);
            low = low.or(x.compare(VectorOperators.GE, uniform ? ul : DoubleVector.fromArray(S8, lo, k)).not());
            high = high.or(x.compare(VectorOperators.GT, uniform ? uh : DoubleVector.fromArray(S8, hi, k)));
            DoubleVector z = x.sub(DoubleVector.fromArray(S8, mean, k)).mul(DoubleVector.fromArray(S8, inv, k));
            DoubleVector y = x.sub(c);
            z2 = z2.add(z.mul(z));
            sy = sy.add(y);
            sy2 = sy2.add(y.mul(y));
        }
        out[0] = combine(z2);
        out[1] = combine(sy);
        out[2] = combine(sy2);
        out[3] = roughTail(v, roughBody, combine(rough));
        return tail(v, body, lo, hi, mean, inv, center, out) & !low.or(high).anyTrue();
    }

    /** The eight lanes of a 512-bit accumulator added left to right (the class comment's order). */
    private static double combine(DoubleVector a) {
        double s = a.lane(0);
        for (int j = 1; j < LANES; j++) {
            s += a.lane(j);
        }
        return s;
    }

    private static double roughness(double[] v) {
        int roughBody = roughBody(v.length);
        DoubleVector ra = DoubleVector.zero(S);
        DoubleVector rb = ra;
        for (int k = 0; k < roughBody; k += LANES) {
            ra = ra.add(DoubleVector.fromArray(S, v, k + 1).sub(DoubleVector.fromArray(S, v, k)).abs());
            rb = rb.add(DoubleVector.fromArray(S, v, k + L + 1).sub(DoubleVector.fromArray(S, v, k + L)).abs());
        }
        return roughTail(v, roughBody, combine(ra, rb));
    }

    /** Lanes 0..3 (of {@code a}) and 4..7 (of {@code b}) added left to right. */
    private static double combine(DoubleVector a, DoubleVector b) {
        double s = a.lane(0);
        for (int j = 1; j < L; j++) {
            s += a.lane(j);
        }
        for (int j = 0; j < L; j++) {
            s += b.lane(j);
        }
        return s;
    }

    @Override
    String name() {
        return "vector (" + (wide ? S8 : S) + ")";
    }
}
