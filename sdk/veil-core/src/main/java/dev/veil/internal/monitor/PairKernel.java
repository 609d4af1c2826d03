package dev.veil.internal.monitor;

import dev.veil.internal.vector.VectorApi;

/**
 * The inner loop of the {@link AntitheticDetector}: for one pair of the current query and one earlier
 * pair of entries, over all features, the features whose midpoints agree, split into those switched
 * between the same two values in both pairs and the others. The {@link Scalar} kernel is branch-free
 * plain Java; the vector kernel (loaded only when the JVM has {@code jdk.incubator.vector} and
 * vectors of at least 8 ints) counts the same features, so the two give the same counts
 * (PairKernelTest). Which one runs therefore never changes a signal.
 */
abstract class PairKernel {
    /** The kernel this JVM uses. */
    static final PairKernel INSTANCE = VectorApi.choose(() -> VectorPairKernel.createIfUseful(), Scalar::new);

    /**
     * Over the features {@code f < n}: the number with {@code |sums[f] - u[i + f] - u[j + f]| < tol2}
     * (agreeing midpoints) and {@code |values[f] - u[i + f]| > tol2} and
     * {@code |values[f] - u[j + f]| > tol2}, in the low 32 bits; in the high 32 those agreeing with
     * either of the latter at most {@code tol2}. Values are within +-2^26 (no difference overflows).
     */
    abstract long count(int[] sums, int[] values, int[] u, int i, int j, int n, int tol2);

    /** A name for logs and tests. */
    abstract String name();

    /** The features from {@code from} on, as {@link #count} defines them, added to {@code counts}. */
    static long tail(int[] sums, int[] values, int[] u, int i, int j, int from, int n, int tol2, long counts) {
        int plain = (int) counts;
        int switched = (int) (counts >>> 32);
        for (int f = from; f < n; f++) {
            int c = u[j + f];
            int d = u[i + f];
            int agrees = (Math.abs(sums[f] - c - d) - tol2) >>> 31;
            int same = ((Math.abs(values[f] - c) - tol2 - 1) >>> 31) | ((Math.abs(values[f] - d) - tol2 - 1) >>> 31);
            plain += agrees & (same ^ 1);
            switched += agrees & same;
        }
        return (long) switched << 32 | plain;
    }

    /** The plain-Java kernel. */
    static final class Scalar extends PairKernel {
        @Override
        long count(int[] sums, int[] values, int[] u, int i, int j, int n, int tol2) {
            return tail(sums, values, u, i, j, 0, n, tol2, 0);
        }

        @Override
        String name() {
            return "scalar";
        }
    }
}
