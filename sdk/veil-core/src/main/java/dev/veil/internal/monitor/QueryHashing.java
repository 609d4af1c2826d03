package dev.veil.internal.monitor;

/**
 * Fast non-cryptographic 64-bit hashing for the similarity detectors.
 *
 * <p>All hashes end in the SplitMix64 finaliser ({@link #mix}), a bijection on 64-bit values with
 * full avalanche (every input bit flips each output bit with probability close to 1/2). It costs a
 * few nanoseconds, where SHA-256 costs about half a microsecond per call: Blacklight's 765
 * SHA-256 window hashes per 784-feature query alone would use the whole per-query budget. The
 * hashes only need to spread distinct inputs evenly and to be stable for the same seed; they are
 * not meant to resist an attacker who knows the seed (a detector's seed is in its configuration).
 */
final class QueryHashing {
    /** An odd 64-bit multiplier (the golden-ratio constant) for polynomial hashing. */
    static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private QueryHashing() {}

    /** The SplitMix64 finaliser (Stafford's variant 13). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * A hash of the exact vector (the bits of every value, and its length): equal for an exact
     * repeat of a query, different for any other but for a chance of about 2^-64 on inputs that are
     * not chosen to collide. Two interleaved polynomial hashes over the values' bits (odd 64-bit
     * multipliers, so that a change in any single value always changes the hash), finished with
     * {@link #mix}: h1 = h1 GOLDEN + bits(x[i]) over the even i, h2 = h2 ODD + bits(x[i]) over the
     * odd i. Two steps of each are taken at once, h = h m^2 + (a m + b): the same value (mod 2^64),
     * with half as many multiplications one after another.
     */
    static long vectorHash(double[] x, long seed) {
        long h1 = mix(seed ^ x.length);
        long h2 = ~h1;
        int n = x.length;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            // + 0.0 turns -0.0 into 0.0: the same input value to a model
            long a0 = Double.doubleToRawLongBits(x[i] + 0.0);
            long a1 = Double.doubleToRawLongBits(x[i + 1] + 0.0);
            long a2 = Double.doubleToRawLongBits(x[i + 2] + 0.0);
            long a3 = Double.doubleToRawLongBits(x[i + 3] + 0.0);
            h1 = h1 * GOLDEN_2 + (a0 * GOLDEN + a2);
            h2 = h2 * ODD_2 + (a1 * ODD + a3);
        }
        for (; i + 1 < n; i += 2) {
            h1 = h1 * GOLDEN + Double.doubleToRawLongBits(x[i] + 0.0);
            h2 = h2 * ODD + Double.doubleToRawLongBits(x[i + 1] + 0.0);
        }
        if (i < n) {
            h1 = h1 * GOLDEN + Double.doubleToRawLongBits(x[i] + 0.0);
        }
        return mix(h1 ^ mix(h2));
    }

    /** A second odd multiplier (from the SplitMix64 finaliser). */
    private static final long ODD = 0xBF58476D1CE4E5B9L;
    private static final long GOLDEN_2 = GOLDEN * GOLDEN;
    private static final long ODD_2 = ODD * ODD;

    /** A hash of a string (its UTF-16 code units). */
    static long stringHash(String s, long seed) {
        long h = mix(seed ^ s.length());
        for (int i = 0; i < s.length(); i++) {
            h = (h + s.charAt(i)) * GOLDEN;
            h ^= h >>> 29;
        }
        return mix(h);
    }
}
