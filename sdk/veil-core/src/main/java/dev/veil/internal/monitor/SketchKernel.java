package dev.veil.internal.monitor;

import dev.veil.internal.vector.VectorApi;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Euclidean distance between a sketch ({@code float[]}) and a sketch stored as little-endian
 * floats in a byte array, the inner loop of the {@code knn} detector (one distance per remembered
 * query of the caller, about 100 per request).
 *
 * <p><b>One answer, two kernels.</b> The terms are {@code t_j = s_j - e_j} (a float subtraction),
 * squared in double. Over the whole blocks of {@value #LANES} coordinates, lane {@code l} sums the
 * terms of the coordinates {@code j = l (mod 16)} in index order; the sixteen lane sums are folded
 * to eight ({@code a_l = lane_l + lane_(l+8)}) and added as a tree, {@code ((a0 + a4) + (a2 + a6)) +
 * ((a1 + a5) + (a3 + a7))} (three additions deep, not sixteen in a row: for a 64-coordinate sketch
 * a chain of sixteen took as long as the sums themselves), then the remaining coordinates in index
 * order, and the square root is taken. The
 * {@link Scalar} kernel does exactly that with plain loops; the vector kernel (loaded only when the
 * JVM has {@code jdk.incubator.vector} and 512-bit vectors) keeps the sixteen lane sums in two
 * 8-lane double accumulators and folds them with one vector addition, so the two give the same bits
 * (SketchKernelTest). Which one runs
 * therefore never changes a signal.
 */
abstract class SketchKernel {
    /** Coordinates per block (the lane sums). */
    static final int LANES = 16;

    /** The kernel this JVM uses. */
    static final SketchKernel INSTANCE = choose();

    private static final VarHandle FLOATS = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * The distance between {@code s} and the {@code s.length} floats stored from {@code at} in
     * {@code data}.
     */
    abstract double distance(float[] s, byte[] data, int at);

    /** A name for logs and tests. */
    abstract String name();

    private static SketchKernel choose() {
        // a lambda, not a method reference: nothing resolves VectorSketchKernel before the module check
        return VectorApi.choose(() -> VectorSketchKernel.createIfUseful(), Scalar::new);
    }

    /** The coordinates after the whole blocks, added to {@code sum} in index order; then the root. */
    static double finish(float[] s, byte[] data, int at, int from, double sum) {
        for (int j = from; j < s.length; j++) {
            double t = s[j] - (float) FLOATS.get(data, at + 4 * j);
            sum += t * t;
        }
        return Math.sqrt(sum);
    }

    /** The tree of the class comment over the eight folded lane sums {@code a}. */
    static double tree(double a0, double a1, double a2, double a3, double a4, double a5, double a6, double a7) {
        return ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
    }

    /**
     * The plain-Java kernel: sixteen lane sums in locals (an array of them, or fewer, measured 1.5 to
     * 2 times slower), added as the class comment says.
     */
    static final class Scalar extends SketchKernel {
        @Override
        double distance(float[] s, byte[] data, int at) {
            int m = s.length;
            int body = m - m % LANES;
            double l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
            double l8 = 0, l9 = 0, l10 = 0, l11 = 0, l12 = 0, l13 = 0, l14 = 0, l15 = 0;
            for (int j = 0; j < body; j += LANES) {
                int o = at + 4 * j;
                double t0 = s[j] - (float) FLOATS.get(data, o);
                double t1 = s[j + 1] - (float) FLOATS.get(data, o + 4);
                double t2 = s[j + 2] - (float) FLOATS.get(data, o + 8);
                double t3 = s[j + 3] - (float) FLOATS.get(data, o + 12);
                double t4 = s[j + 4] - (float) FLOATS.get(data, o + 16);
                double t5 = s[j + 5] - (float) FLOATS.get(data, o + 20);
                double t6 = s[j + 6] - (float) FLOATS.get(data, o + 24);
                double t7 = s[j + 7] - (float) FLOATS.get(data, o + 28);
                double t8 = s[j + 8] - (float) FLOATS.get(data, o + 32);
                double t9 = s[j + 9] - (float) FLOATS.get(data, o + 36);
                double t10 = s[j + 10] - (float) FLOATS.get(data, o + 40);
                double t11 = s[j + 11] - (float) FLOATS.get(data, o + 44);
                double t12 = s[j + 12] - (float) FLOATS.get(data, o + 48);
                double t13 = s[j + 13] - (float) FLOATS.get(data, o + 52);
                double t14 = s[j + 14] - (float) FLOATS.get(data, o + 56);
                double t15 = s[j + 15] - (float) FLOATS.get(data, o + 60);
                l0 += t0 * t0;
                l1 += t1 * t1;
                l2 += t2 * t2;
                l3 += t3 * t3;
                l4 += t4 * t4;
                l5 += t5 * t5;
                l6 += t6 * t6;
                l7 += t7 * t7;
                l8 += t8 * t8;
                l9 += t9 * t9;
                l10 += t10 * t10;
                l11 += t11 * t11;
                l12 += t12 * t12;
                l13 += t13 * t13;
                l14 += t14 * t14;
                l15 += t15 * t15;
            }
            double sum = tree(l0 + l8, l1 + l9, l2 + l10, l3 + l11, l4 + l12, l5 + l13, l6 + l14, l7 + l15);
            return finish(s, data, at, body, sum);
        }

        @Override
        String name() {
            return "scalar";
        }
    }
}
