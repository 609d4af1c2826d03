package dev.veil.internal.access;

/**
 * Where a time lies in a validity window ({@code nbf} to {@code exp}, epoch millis) with a clock
 * skew of tolerance: the one comparison of a JWT's {@code exp} and {@code nbf}, its JWKS key's and a
 * bundle signing key's ({@code BundleVerifier}), so that all three expire alike.
 *
 * <p>Expired once {@code now - skew >= exp} (at {@code exp + skew} exactly, expired); not yet valid
 * while {@code now + skew < nbf} (at {@code nbf - skew} exactly, valid). A window whose {@code exp}
 * is not after its {@code nbf} holds no time ({@link #NEVER_VALID}, whatever the time): the skew
 * widens a real window, it does not make an empty one valid for a moment (before, nbf 100 s and exp
 * 50 s with 30 s of skew was valid from 70 s to 80 s). A window without {@code exp} ({@link #NO_EXPIRY}) never expires, one
 * without {@code nbf} ({@link #NO_NOT_BEFORE}) is valid from the start; whether a missing
 * {@code exp} is acceptable is the caller's rule (a token needs one, a key does not).
 */
public enum Validity {
    /** Inside the window. */
    VALID,
    /** Its {@code exp} has passed. */
    EXPIRED,
    /** Its {@code nbf} has not been reached. */
    NOT_YET_VALID,
    /** Its {@code exp} is not after its {@code nbf}: valid at no time (a malformed token or key). */
    NEVER_VALID;

    /** The {@code nbf} of a window that has none. */
    public static final long NO_NOT_BEFORE = Long.MIN_VALUE;
    /** The {@code exp} of a window that has none. */
    public static final long NO_EXPIRY = Long.MAX_VALUE;

    /**
     * Where {@code nowMillis} lies in the window.
     *
     * @param nowMillis the time, epoch millis
     * @param notBeforeMillis the window's {@code nbf}, epoch millis, or {@link #NO_NOT_BEFORE}
     * @param expiresAtMillis the window's {@code exp}, epoch millis, or {@link #NO_EXPIRY}
     * @param skewMillis the tolerance on both, {@code >= 0}
     * @return whether the window holds {@code nowMillis}, and if not, which end it is past
     */
    public static Validity at(long nowMillis, long notBeforeMillis, long expiresAtMillis, long skewMillis) {
        if (expiresAtMillis != NO_EXPIRY && notBeforeMillis != NO_NOT_BEFORE && expiresAtMillis <= notBeforeMillis) {
            return NEVER_VALID;
        }
        if (expiresAtMillis != NO_EXPIRY && nowMillis - skewMillis >= expiresAtMillis) {
            return EXPIRED;
        }
        if (notBeforeMillis != NO_NOT_BEFORE && nowMillis + skewMillis < notBeforeMillis) {
            return NOT_YET_VALID;
        }
        return VALID;
    }
}
