package dev.veil.internal.monitor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A very sparse random projection of a feature vector to {@code m} floats that preserves L2
 * distances: each feature is added, with a random sign and weight 1/sqrt(2), to two distinct
 * random coordinates (a count sketch with two hashes, as in Kane and Nelson's sparse JL
 * transforms). Projecting costs two multiply-adds per feature (about 1 us at 784 features) instead
 * of {@code m} per feature for a dense Gaussian projection.
 *
 * <p><b>Distortion.</b> The squared distance is preserved in expectation, ||S(x-y)||^2 has mean
 * ||x-y||^2, and its relative standard deviation is at most sqrt(2/m) for differences spread over
 * many features (a dense JL projection's figure), less for differences concentrated on a few
 * features, whose two coordinates per feature do not collide. For m = 64 that is a relative
 * standard deviation of about 9% on a distance (measured on the synthetic image traffic of the
 * tests: see SparseSketchTest), and the mean of the k nearest distances averages this further.
 *
 * <p>The sign and coordinates of feature {@code i} are a hash of ({@code seed}, {@code i}), so the
 * sketch of a vector is the same in every process with the same seed. Immutable, thread-safe.
 */
final class SparseSketch {
    private static final VarHandle FLOATS = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final float WEIGHT = (float) Math.sqrt(0.5);

    private final int m;
    private final long seed;
    private volatile Tables tables;

    /** Per-feature coordinates and signed weights for one feature count. */
    private record Tables(int features, int[] first, int[] second, float[] firstWeight, float[] secondWeight) {}

    SparseSketch(int m, long seed) {
        if (m < 2) {
            throw new IllegalArgumentException("a sketch needs at least 2 coordinates, was " + m);
        }
        this.m = m;
        this.seed = seed;
    }

    int dimensions() {
        return m;
    }

    private Tables tables(int d) {
        Tables t = tables;
        if (t != null && t.features() == d) {
            return t;
        }
        int[] first = new int[d];
        int[] second = new int[d];
        float[] w1 = new float[d];
        float[] w2 = new float[d];
        for (int i = 0; i < d; i++) {
            long h = QueryHashing.mix(seed ^ QueryHashing.mix(i + 0x5851F42D4C957F2DL));
            int a = (int) Long.remainderUnsigned(h >>> 2, m);
            int b = (a + 1 + (int) Long.remainderUnsigned(h >>> 34, m - 1)) % m; // distinct from a
            first[i] = a;
            second[i] = b;
            w1[i] = (h & 1) == 0 ? WEIGHT : -WEIGHT;
            w2[i] = (h & 2) == 0 ? WEIGHT : -WEIGHT;
        }
        t = new Tables(d, first, second, w1, w2);
        tables = t; // a race only recomputes the same tables
        return t;
    }

    /** The sketch of {@code x}. Non-finite values are read as 0. */
    float[] project(double[] x) {
        Tables t = tables(x.length);
        int[] first = t.first();
        int[] second = t.second();
        float[] w1 = t.firstWeight();
        float[] w2 = t.secondWeight();
        double[] acc = new double[m];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            if (!Double.isFinite(v)) {
                continue;
            }
            acc[first[i]] += w1[i] * v;
            acc[second[i]] += w2[i] * v;
        }
        float[] s = new float[m];
        for (int j = 0; j < m; j++) {
            // a float overflows only for values beyond 1e38; clamp so that distances stay finite
            s[j] = (float) Math.max(-1e30, Math.min(1e30, acc[j]));
        }
        return s;
    }

    /** Bytes of an encoded entry: the vector hash and the sketch. */
    int entryBytes() {
        return 8 + 4 * m;
    }

    /** Encodes (vector hash, sketch) as one list entry. */
    byte[] encode(long vectorHash, float[] sketch) {
        byte[] b = new byte[entryBytes()];
        LONGS.set(b, 0, vectorHash);
        for (int j = 0; j < m; j++) {
            FLOATS.set(b, 8 + 4 * j, sketch[j]);
        }
        return b;
    }

    /** The vector hash of an entry of the right length. */
    static long entryHash(byte[] entry) {
        return (long) LONGS.get(entry, 0);
    }

    /** The vector hash of the entry at {@code offset} in {@code data}. */
    static long entryHash(byte[] data, int offset) {
        return (long) LONGS.get(data, offset);
    }

    /** Euclidean distance between a sketch and an encoded entry (of the right length). */
    double distance(float[] sketch, byte[] entry) {
        return distance(sketch, entry, 0);
    }

    /**
     * Euclidean distance between a sketch and the encoded entry at {@code offset} in {@code data}
     * ({@link SketchKernel}: the same bits with or without the Vector API).
     */
    double distance(float[] sketch, byte[] data, int offset) {
        return SketchKernel.INSTANCE.distance(sketch, data, offset + 8);
    }
}
