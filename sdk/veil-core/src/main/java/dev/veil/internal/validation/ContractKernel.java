package dev.veil.internal.validation;

import dev.veil.internal.vector.VectorApi;

/**
 * The per-feature loops of {@link CompiledContract#check}: the range/finiteness test and the sums
 * the distribution check needs, over every value of a request.
 *
 * <p>Two implementations give bit-identical answers (a NaN sum is NaN in both, with whatever sign
 * and payload the hardware gives). {@link Scalar} is plain Java.
 * {@code VectorContractKernel} uses the JDK's incubating Vector API, which needs the JVM option
 * {@code --add-modules jdk.incubator.vector}; without it (or on hardware with vectors narrower than
 * 256 bits) {@link #INSTANCE} is the scalar kernel. JDK 17's JIT does not vectorise these loops by
 * itself (it vectorises element-wise loops, not comparisons folded into one flag or sums), and at
 * 784 features they are most of what a Guard adds to a call (benchmarks/README.md). The system
 * property {@code veil.validation.scalar=true} forces the scalar kernel (for benchmarks). Which
 * kernel runs is logged once at level DEBUG.
 *
 * <h2>The order of the sums, which both kernels keep</h2>
 *
 * <p>Floating-point addition is not associative, so "the sum" needs an order to be reproducible.
 * Over the values at indexes {@code [0, 8*floor(n/8))}, eight lane sums are kept: lane {@code j}
 * adds the terms of indexes {@code j, j+8, j+16, ...} in increasing order. The result is
 * {@code lane0 + lane1 + ... + lane7}, added left to right, then the remaining terms in increasing
 * index order. Each term is computed exactly as written in {@link #sums} (no fused multiply-add).
 * The roughness terms {@code |x[i+1] - x[i]|} are grouped the same way by {@code i} over
 * {@code [0, n-1)}.
 *
 * <p>Comparisons are exact in both: a value passes {@code lo <= x <= hi} or it does not, and NaN
 * never passes.
 */
abstract class ContractKernel {
    /** Lane sums per quantity; a fixed part of the summation order (see the class comment). */
    static final int LANES = 8;

    /** The kernel this JVM uses: vectorised when the Vector API is available, else scalar. */
    static final ContractKernel INSTANCE = select();

    /**
     * Whether every {@code v[i]} lies in {@code [lo, hi]}; NaN never does.
     */
    abstract boolean within(double[] v, double lo, double hi);

    /**
     * Whether every {@code v[i]} lies in {@code [lo[i], hi[i]]}; NaN never does. {@code lo} and
     * {@code hi} have at least {@code v.length} elements.
     */
    abstract boolean within(double[] v, double[] lo, double[] hi);

    /**
     * The bounds test of {@link #within(double[], double[], double[])} and, in the same pass, the
     * sums over {@code i} of {@code z*z} with {@code z = (v[i] - mean[i]) * inv[i]}, of
     * {@code y} and of {@code y*y} with {@code y = v[i] - center}, and of {@code |v[i+1] - v[i]|},
     * in the order the class comment defines.
     *
     * @param uniform whether every {@code lo[i]} is {@code uniformLo} and every {@code hi[i]} is
     *     {@code uniformHi} (a kernel may then read the two numbers instead of the two arrays, which
     *     keeps 2 x 8 bytes per feature out of the cache; the answer is the same)
     * @param out receives the four sums, in that order
     * @return whether every value is inside its bounds
     */
    abstract boolean sums(double[] v, double[] lo, double[] hi, boolean uniform, double uniformLo, double uniformHi,
            double[] mean, double[] inv, double center, double[] out);

    /** A name for logs and tests. */
    abstract String name();

    private static ContractKernel select() {
        ContractKernel k = choose();
        System.getLogger("dev.veil.Guard").log(System.Logger.Level.DEBUG, "input validation uses the {0} kernel"
                + ("scalar".equals(k.name()) ? " (for the vectorised one: --add-modules jdk.incubator.vector)" : ""),
                k.name());
        return k;
    }

    private static ContractKernel choose() {
        // a lambda, not a method reference: nothing resolves VectorContractKernel before the module check
        return VectorApi.choose(() -> VectorContractKernel.createIfUseful(), Scalar::new);
    }

    /** Whether every {@code v[i]} from {@code from} on lies in {@code [lo, hi]}. */
    static boolean withinFrom(double[] v, int from, double lo, double hi) {
        boolean ok = true;
        for (int i = from; i < v.length; i++) {
            double x = v[i];
            ok &= x >= lo & x <= hi;
        }
        return ok;
    }

    /** Whether every {@code v[i]} from {@code from} on lies in {@code [lo[i], hi[i]]}. */
    static boolean withinFrom(double[] v, int from, double[] lo, double[] hi) {
        boolean ok = true;
        for (int i = from; i < v.length; i++) {
            double x = v[i];
            ok &= x >= lo[i] & x <= hi[i];
        }
        return ok;
    }

    /** Where the roughness lanes end: pairs {@code (i, i+1)} with {@code i} below it go to lanes. */
    static int roughBody(int n) {
        int pairs = Math.max(0, n - 1);
        return pairs - pairs % LANES;
    }

    /**
     * The values from {@code from} on, after the lanes: their bounds, and their terms added in index
     * order to the lane totals in {@code out[0..2]}.
     *
     * @return whether these values are inside their bounds
     */
    static boolean tail(double[] v, int from, double[] lo, double[] hi, double[] mean, double[] inv, double center,
            double[] out) {
        boolean ok = true;
        double sz2 = out[0];
        double sy = out[1];
        double sy2 = out[2];
        for (int i = from; i < v.length; i++) {
            double x = v[i];
            ok &= x >= lo[i] & x <= hi[i];
            double z = (x - mean[i]) * inv[i];
            double y = x - center;
            sz2 += z * z;
            sy += y;
            sy2 += y * y;
        }
        out[0] = sz2;
        out[1] = sy;
        out[2] = sy2;
        return ok;
    }

    /** The lane total {@code r} plus the roughness terms of the pairs from {@code from} on, in order. */
    static double roughTail(double[] v, int from, double r) {
        for (int i = from; i < v.length - 1; i++) {
            r += Math.abs(v[i + 1] - v[i]);
        }
        return r;
    }

    /** Plain Java, the reference for the order of the sums. */
    static final class Scalar extends ContractKernel {
        @Override
        boolean within(double[] v, double lo, double hi) {
            return withinFrom(v, 0, lo, hi);
        }

        @Override
        boolean within(double[] v, double[] lo, double[] hi) {
            return withinFrom(v, 0, lo, hi);
        }

        @Override
        boolean sums(double[] v, double[] lo, double[] hi, boolean uniform, double uniformLo, double uniformHi,
                double[] mean, double[] inv, double center, double[] out) {
            int n = v.length;
            int body = n - n % LANES;
            // Eight lanes per sum, as local variables (an array of them would live in memory), and the
            // roughness terms in the same pass while the block has a right neighbour (lane j of block k
            // is index k + j). Written out by hand on purpose, the block twice (with and without the
            // roughness terms) and the tails inline rather than through tail() and roughTail(): one
            // loop with a test per block, or the shared tails, made this kernel's distribution check
            // 15 to 25% slower (GuardStagesBenchmark.validateWithDistribution, 1,142 against 1,300
            // to 1,430 ns).
            int roughBody = roughBody(n);
            int pairs = Math.max(0, n - 1);
            int both = Math.min(body, roughBody);
            double z0 = 0, z1 = 0, z2 = 0, z3 = 0, z4 = 0, z5 = 0, z6 = 0, z7 = 0;
            double y0 = 0, y1 = 0, y2 = 0, y3 = 0, y4 = 0, y5 = 0, y6 = 0, y7 = 0;
            double q0 = 0, q1 = 0, q2 = 0, q3 = 0, q4 = 0, q5 = 0, q6 = 0, q7 = 0;
            double r0 = 0, r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5 = 0, r6 = 0, r7 = 0;
            boolean ok = true;
            int k = 0;
            for (; k < both; k += LANES) {
                double x0 = v[k];
                ok &= x0 >= lo[k] & x0 <= hi[k];
                double d0 = (x0 - mean[k]) * inv[k];
                double e0 = x0 - center;
                z0 += d0 * d0;
                y0 += e0;
                q0 += e0 * e0;
                r0 += Math.abs(v[k + 1] - x0);
                double x1 = v[k + 1];
                ok &= x1 >= lo[k + 1] & x1 <= hi[k + 1];
                double d1 = (x1 - mean[k + 1]) * inv[k + 1];
                double e1 = x1 - center;
                z1 += d1 * d1;
                y1 += e1;
                q1 += e1 * e1;
                r1 += Math.abs(v[k + 2] - x1);
                double x2 = v[k + 2];
                ok &= x2 >= lo[k + 2] & x2 <= hi[k + 2];
                double d2 = (x2 - mean[k + 2]) * inv[k + 2];
                double e2 = x2 - center;
                z2 += d2 * d2;
                y2 += e2;
                q2 += e2 * e2;
                r2 += Math.abs(v[k + 3] - x2);
                double x3 = v[k + 3];
                ok &= x3 >= lo[k + 3] & x3 <= hi[k + 3];
                double d3 = (x3 - mean[k + 3]) * inv[k + 3];
                double e3 = x3 - center;
                z3 += d3 * d3;
                y3 += e3;
                q3 += e3 * e3;
                r3 += Math.abs(v[k + 4] - x3);
                double x4 = v[k + 4];
                ok &= x4 >= lo[k + 4] & x4 <= hi[k + 4];
                double d4 = (x4 - mean[k + 4]) * inv[k + 4];
                double e4 = x4 - center;
                z4 += d4 * d4;
                y4 += e4;
                q4 += e4 * e4;
                r4 += Math.abs(v[k + 5] - x4);
                double x5 = v[k + 5];
                ok &= x5 >= lo[k + 5] & x5 <= hi[k + 5];
                double d5 = (x5 - mean[k + 5]) * inv[k + 5];
                double e5 = x5 - center;
                z5 += d5 * d5;
                y5 += e5;
                q5 += e5 * e5;
                r5 += Math.abs(v[k + 6] - x5);
                double x6 = v[k + 6];
                ok &= x6 >= lo[k + 6] & x6 <= hi[k + 6];
                double d6 = (x6 - mean[k + 6]) * inv[k + 6];
                double e6 = x6 - center;
                z6 += d6 * d6;
                y6 += e6;
                q6 += e6 * e6;
                r6 += Math.abs(v[k + 7] - x6);
                double x7 = v[k + 7];
                ok &= x7 >= lo[k + 7] & x7 <= hi[k + 7];
                double d7 = (x7 - mean[k + 7]) * inv[k + 7];
                double e7 = x7 - center;
                z7 += d7 * d7;
                y7 += e7;
                q7 += e7 * e7;
                r7 += Math.abs(v[k + 8] - x7);
            }
            for (; k < body; k += LANES) { // the last block when n is a multiple of 8: no neighbour
                double x0 = v[k];
                ok &= x0 >= lo[k] & x0 <= hi[k];
                double d0 = (x0 - mean[k]) * inv[k];
                double e0 = x0 - center;
                z0 += d0 * d0;
                y0 += e0;
                q0 += e0 * e0;
                double x1 = v[k + 1];
                ok &= x1 >= lo[k + 1] & x1 <= hi[k + 1];
                double d1 = (x1 - mean[k + 1]) * inv[k + 1];
                double e1 = x1 - center;
                z1 += d1 * d1;
                y1 += e1;
                q1 += e1 * e1;
                double x2 = v[k + 2];
                ok &= x2 >= lo[k + 2] & x2 <= hi[k + 2];
                double d2 = (x2 - mean[k + 2]) * inv[k + 2];
                double e2 = x2 - center;
                z2 += d2 * d2;
                y2 += e2;
                q2 += e2 * e2;
                double x3 = v[k + 3];
                ok &= x3 >= lo[k + 3] & x3 <= hi[k + 3];
                double d3 = (x3 - mean[k + 3]) * inv[k + 3];
                double e3 = x3 - center;
                z3 += d3 * d3;
                y3 += e3;
                q3 += e3 * e3;
                double x4 = v[k + 4];
                ok &= x4 >= lo[k + 4] & x4 <= hi[k + 4];
                double d4 = (x4 - mean[k + 4]) * inv[k + 4];
                double e4 = x4 - center;
                z4 += d4 * d4;
                y4 += e4;
                q4 += e4 * e4;
                double x5 = v[k + 5];
                ok &= x5 >= lo[k + 5] & x5 <= hi[k + 5];
                double d5 = (x5 - mean[k + 5]) * inv[k + 5];
                double e5 = x5 - center;
                z5 += d5 * d5;
                y5 += e5;
                q5 += e5 * e5;
                double x6 = v[k + 6];
                ok &= x6 >= lo[k + 6] & x6 <= hi[k + 6];
                double d6 = (x6 - mean[k + 6]) * inv[k + 6];
                double e6 = x6 - center;
                z6 += d6 * d6;
                y6 += e6;
                q6 += e6 * e6;
                double x7 = v[k + 7];
                ok &= x7 >= lo[k + 7] & x7 <= hi[k + 7];
                double d7 = (x7 - mean[k + 7]) * inv[k + 7];
                double e7 = x7 - center;
                z7 += d7 * d7;
                y7 += e7;
                q7 += e7 * e7;
            }
            double sz2 = z0 + z1 + z2 + z3 + z4 + z5 + z6 + z7;
            double sy = y0 + y1 + y2 + y3 + y4 + y5 + y6 + y7;
            double sy2 = q0 + q1 + q2 + q3 + q4 + q5 + q6 + q7;
            double r = r0 + r1 + r2 + r3 + r4 + r5 + r6 + r7;
            for (int i = roughBody; i < pairs; i++) {
                r += Math.abs(v[i + 1] - v[i]);
            }
            for (int i = body; i < n; i++) {
                double x = v[i];
                ok &= x >= lo[i] & x <= hi[i];
                double z = (x - mean[i]) * inv[i];
                double y = x - center;
                sz2 += z * z;
                sy += y;
                sy2 += y * y;
            }
            out[0] = sz2;
            out[1] = sy;
            out[2] = sy2;
            out[3] = r;
            return ok;
        }

        @Override
        String name() {
            return "scalar";
        }
    }
}
