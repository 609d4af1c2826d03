package dev.veil.internal.monitor;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Fast non-cryptographic 64-bit hashing for the similarity detectors.
 *
 * <p>All hashes end in the SplitMix64 finaliser ({@link #mix}), a bijection on 64-bit values with
 * full avalanche (every input bit flips each output bit with probability close to 1/2). It costs a
 * few nanoseconds, where SHA-256 costs about half a microsecond per call: Blacklight's 765
 * SHA-256 window hashes per 784-feature query alone would use the whole per-query budget. The
 * hashes only need to spread distinct inputs evenly and to be stable for the same seed; they are
 * not meant to resist an attacker who chooses inputs to collide. Exact copies, which detectors let
 * off, are recognised by {@link CopyHash}, which is meant to while its seed is secret; where no seed
 * may be assumed secret (a caller's tag, {@code smooth}'s copies), the detectors use SHA-256
 * ({@link #sha256}).
 */
final class QueryHashing {
    /** An odd 64-bit multiplier (the golden-ratio constant) for polynomial hashing. */
    static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    });

    private QueryHashing() {}

    /**
     * This thread's SHA-256, reset: for one digest from the first update to {@code digest()}, with no
     * other use of it in between (the detectors' hashes are each computed in one call).
     */
    static MessageDigest sha256() {
        MessageDigest md = SHA256.get();
        md.reset();
        return md;
    }

    /** The SplitMix64 finaliser (Stafford's variant 13). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * {@code v} as an unsigned number in base 36: exactly {@link Long#toUnsignedString(long, int)
     * Long.toUnsignedString(v, 36)}, the form state keys have always had, without the
     * {@code BigInteger} that method builds for every negative value (half of all hashes).
     */
    static String unsignedBase36(long v) {
        if (v >= 0) {
            return Long.toString(v, 36);
        }
        long quotient = Long.divideUnsigned(v, 36);
        int remainder = (int) Long.remainderUnsigned(v, 36);
        return Long.toString(quotient, 36).concat(String.valueOf(Character.forDigit(remainder, 36)));
    }
}
