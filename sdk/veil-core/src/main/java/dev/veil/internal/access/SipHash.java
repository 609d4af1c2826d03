package dev.veil.internal.access;

/**
 * SipHash-2-4 with its 128-bit output (Aumasson and Bernstein; the reference implementation's
 * {@code siphash.c} with {@code outlen = 16}), a keyed pseudorandom function: without the 128-bit
 * key its outputs cannot be told apart from random ones, so two equal outputs mean equal inputs
 * except with probability about 2^-128. {@link ApiKeyStore} uses it to recognise a secret it has
 * already checked against its salted SHA-256 hash. {@code SipHashTest} checks every vector of the
 * reference implementation's {@code vectors.h}.
 */
final class SipHash {
    private SipHash() {}

    /**
     * The 16-byte output for {@code m[0, len)} under the key {@code (k0, k1)} (the key's bytes read
     * as two little-endian longs), as two longs: {@code out[0]} holds output bytes 0 to 7 and
     * {@code out[1]} bytes 8 to 15, each little-endian.
     */
    static void hash128(long k0, long k1, byte[] m, int len, long[] out) {
        long v0 = 0x736f6d6570736575L ^ k0;
        long v1 = 0x646f72616e646f6dL ^ k1 ^ 0xee;
        long v2 = 0x6c7967656e657261L ^ k0;
        long v3 = 0x7465646279746573L ^ k1;
        int end = len - (len & 7);
        int words = end / 8 + 1; // the last one holds the length and the remaining bytes
        // One step per message word (2 rounds), then one per half of the output (4 rounds each).
        for (int step = 0; step < words + 2; step++) {
            long w = 0;
            int rounds = 2;
            if (step < words) {
                w = step < words - 1 ? word(m, 8 * step, 8) : ((long) len << 56) | word(m, end, len & 7);
                v3 ^= w;
            } else {
                if (step == words) {
                    v2 ^= 0xee;
                } else {
                    v1 ^= 0xdd;
                }
                rounds = 4;
            }
            for (int r = 0; r < rounds; r++) {
                v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
                v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
                v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
                v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            }
            if (step < words) {
                v0 ^= w;
            } else {
                out[step - words] = v0 ^ v1 ^ v2 ^ v3;
            }
        }
    }

    /** {@code n} (0 to 8) bytes from {@code at}, little-endian. */
    private static long word(byte[] m, int at, int n) {
        long w = 0;
        for (int j = n - 1; j >= 0; j--) {
            w = (w << 8) | (m[at + j] & 0xffL);
        }
        return w;
    }
}
