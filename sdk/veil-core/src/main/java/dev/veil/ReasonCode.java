package dev.veil;

import java.util.Locale;

/** Machine-readable reasons a request was refused. {@link #code()} is the stable wire form. */
public enum ReasonCode {
    /** No credentials, unknown or expired key, or a token that failed verification. */
    UNAUTHENTICATED,
    /** Authenticated, but the {@code access} policy does not allow this caller. */
    FORBIDDEN,
    /**
     * The caller's rate limit (or a throttle set by monitoring) is exceeded; or (rule
     * {@code max_callers}) the caller is new and the in-memory limiter already tracks as many
     * callers as {@code Guard.Builder.maxCallers} allows.
     */
    RATE_LIMITED,
    /** The caller's daily quota is used up. */
    QUOTA_EXHAUSTED,
    /** Monitoring blocked this caller for a cool-down. */
    BLOCKED,
    /** The input breaks the declared contract (shape, type, range, cross-field rule, NaN). */
    INVALID_INPUT,
    /** The input is larger than the policy's maximum payload size. */
    PAYLOAD_TOO_LARGE,
    /** The input is too far from the training distribution (a probe). */
    OUT_OF_DISTRIBUTION,
    /** The model is older than the policy's maximum model age and the policy denies stale models. */
    MODEL_STALE,
    /** The caller's or the global privacy budget is spent and the policy denies further answers. */
    BUDGET_EXHAUSTED,
    /** The model threw or returned a malformed prediction. */
    MODEL_ERROR,
    /** A stage could not be evaluated (an exception, an unevaluable policy): fail closed. */
    INTERNAL_ERROR,
    /** The shared state store could not be reached and the policy says {@code on_state_unavailable: deny}. */
    STATE_UNAVAILABLE,
    /** The audit record could not be written in time: nothing is released unrecorded. */
    AUDIT_UNAVAILABLE;

    /** The lower-case wire form, e.g. {@code rate_limited}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the wire form; throws IllegalArgumentException naming the allowed codes. */
    public static ReasonCode fromCode(String code) {
        for (ReasonCode c : values()) {
            if (c.code().equals(code)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown reason code '" + code + "', must be one of "
                + java.util.Arrays.stream(values()).map(ReasonCode::code).toList());
    }
}
