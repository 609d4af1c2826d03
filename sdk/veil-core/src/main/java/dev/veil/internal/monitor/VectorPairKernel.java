package dev.veil.internal.monitor;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PairKernel} on the Vector API: the same comparisons as the scalar kernel, a vector of
 * features at a time, in lane counts added up at the end; the features after the whole vectors as
 * the scalar kernel counts them.
 * Loaded only when {@code jdk.incubator.vector} is in the boot layer.
 */
final class VectorPairKernel extends PairKernel {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    /** The kernel, or {@code null} where the hardware's vectors hold fewer than 8 ints. */
    static PairKernel createIfUseful() {
        return I.length() >= 8 ? new VectorPairKernel() : null;
    }

    @Override
    long count(int[] sums, int[] values, int[] u, int i, int j, int n, int tol2) {
        int body = I.loopBound(n);
        IntVector plain = IntVector.zero(I);
        IntVector switched = plain;
        for (int f = 0; f < body; f += I.length()) {
            IntVector c = IntVector.fromArray(I, u, j + f);
            IntVector d = IntVector.fromArray(I, u, i + f);
            IntVector v = IntVector.fromArray(I, values, f);
            // 1 where |x| < t, as the scalar kernel's (|x| - t) >>> 31; lanewise arithmetic only (masks
            // are slow on JDK 17's Vector API)
            IntVector agrees = IntVector.fromArray(I, sums, f).sub(c).sub(d).lanewise(VectorOperators.ABS).sub(tol2)
                    .lanewise(VectorOperators.LSHR, 31);
            IntVector same = v.sub(c).lanewise(VectorOperators.ABS).sub(tol2 + 1).lanewise(VectorOperators.LSHR, 31)
                    .or(v.sub(d).lanewise(VectorOperators.ABS).sub(tol2 + 1).lanewise(VectorOperators.LSHR, 31));
            IntVector both = agrees.and(same);
            switched = switched.add(both);
            plain = plain.add(agrees.sub(both));
        }
        long counts = (long) switched.reduceLanes(VectorOperators.ADD) << 32 | plain.reduceLanes(VectorOperators.ADD);
        return tail(sums, values, u, i, j, body, n, tol2, counts);
    }

    @Override
    String name() {
        return "vector-" + I.vectorBitSize();
    }
}
