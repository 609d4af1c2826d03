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
        for (int i = 0; i < end; i += 8) {
            long w = word(m, i, 8);
            v3 ^= w;
            for (int r = 0; r < 2; r++) {
                v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
                v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
                v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
                v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= w;
        }
        long b = ((long) len << 56) | word(m, end, len & 7);
        v3 ^= b;
        for (int r = 0; r < 2; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        v0 ^= b;
        v2 ^= 0xee;
        for (int r = 0; r < 4; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        out[0] = v0 ^ v1 ^ v2 ^ v3;
        v1 ^= 0xdd;
        for (int r = 0; r < 4; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        out[1] = v0 ^ v1 ^ v2 ^ v3;
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
