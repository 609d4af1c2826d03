package dev.veil.internal.monitor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A small, seeded sketch of an input for the detectors that read the model's answers: a sparse
 * random projection (each feature is added, with a random sign, to {@value #HASHES} of the
 * sketch's coordinates), so that the L2 distance between two sketches estimates the L2 distance
 * between the inputs (unbiased for the squared distance) at a cost of {@code 2 d} additions.
 *
 * <p>The projection depends only on the seed, the sketch size and the input length, so every
 * replica computes the same sketch for the same input. Non-finite features count as 0.
 *
 * <p>Also holds the byte encoding the answer detectors use for their state entries (big-endian).
 *
 * <p>Immutable and thread-safe.
 */
final class AnswerSketch {
    /** Sketch coordinates each feature is added to. */
    static final int HASHES = 2;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.BIG_ENDIAN);

    private final int dims;
    private final long seed;
    private volatile Layout layout;

    /** The projection for one input length. */
    private record Layout(int length, int[] bucket, float[] sign) {}

    AnswerSketch(int dims, long seed) {
        if (dims < 1 || dims > 1024) {
            throw new IllegalArgumentException("sketch dims must be in [1, 1024], was " + dims);
        }
        this.dims = dims;
        this.seed = seed;
    }

    int dims() {
        return dims;
    }

    /** The sketch of {@code x}. */
    float[] sketch(double[] x) {
        Layout l = layout(x.length);
        float[] out = new float[dims];
        int[] bucket = l.bucket;
        float[] sign = l.sign;
        int j = 0;
        for (double v : x) {
            if (v != 0 && Double.isFinite(v)) {
                float f = (float) v;
                for (int h = 0; h < HASHES; h++, j++) {
                    out[bucket[j]] += sign[j] * f;
                }
            } else {
                j += HASHES;
            }
        }
        return out;
    }

    private Layout layout(int length) {
        Layout l = layout;
        if (l != null && l.length == length) {
            return l;
        }
        int[] bucket = new int[length * HASHES];
        float[] sign = new float[length * HASHES];
        float w = (float) (1 / Math.sqrt(HASHES));
        long state = mix(seed ^ mix(length) ^ mix(~(long) dims));
        for (int k = 0; k < length * HASHES; k++) {
            state += 0x9E3779B97F4A7C15L;
            long z = mix(state);
            bucket[k] = (int) Long.remainderUnsigned(z >>> 1, dims);
            sign[k] = (z & 1) == 0 ? w : -w;
        }
        l = new Layout(length, bucket, sign);
        layout = l;
        return l;
    }

    /** SplitMix64's finaliser (fixed, so that sketches agree across JVMs). */
    private static long mix(long s) {
        long z = s;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Squared L2 distance between {@code a} and the sketch stored in {@code b} from {@code offset}. */
    static double distanceSquared(float[] a, byte[] b, int offset) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - getFloat(b, offset + 4 * i);
            s += d * d;
        }
        return s;
    }

    /**
     * Whether the sketches stored in {@code a} and {@code b} are within squared distance {@code max}
     * (stops adding as soon as they are not).
     */
    static boolean within(byte[] a, int offsetA, byte[] b, int offsetB, int dims, double max) {
        double s = 0;
        for (int i = 0; i < dims; i++) {
            double d = getFloat(a, offsetA + 4 * i) - getFloat(b, offsetB + 4 * i);
            s += d * d;
            if (s > max) {
                return false;
            }
        }
        return true;
    }

    /** Squared L2 distance between the sketches stored in {@code a} and {@code b}. */
    static double distanceSquared(byte[] a, int offsetA, byte[] b, int offsetB, int dims) {
        double s = 0;
        for (int i = 0; i < dims; i++) {
            double d = getFloat(a, offsetA + 4 * i) - getFloat(b, offsetB + 4 * i);
            s += d * d;
        }
        return s;
    }

    static void putSketch(byte[] b, int offset, float[] s) {
        for (int i = 0; i < s.length; i++) {
            putFloat(b, offset + 4 * i, s[i]);
        }
    }

    static void putInt(byte[] b, int offset, int v) {
        INT.set(b, offset, v);
    }

    static int getInt(byte[] b, int offset) {
        return (int) INT.get(b, offset);
    }

    static void putFloat(byte[] b, int offset, float v) {
        FLOAT.set(b, offset, v);
    }

    static float getFloat(byte[] b, int offset) {
        return (float) FLOAT.get(b, offset);
    }
}
