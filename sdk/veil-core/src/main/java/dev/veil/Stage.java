package dev.veil;

/**
 * The stages every prediction passes through, in this fixed order. The order is a security
 * property and cannot be changed: a request that access control or validation refuses never feeds
 * the monitors or reaches the model, and only the minimised prediction is ever released.
 */
public enum Stage {
    /** Authentication, the {@code access} policy, blocks, rate limits and quotas. */
    ACCESS,
    /** The input contract: shape, finiteness, ranges, named features, distance from training data. */
    VALIDATION,
    /** Query-stream monitoring: detectors emit signals, the {@code monitoring} policy acts on them. */
    OBSERVE,
    /** The wrapped model (and the {@code model} policy on its age). */
    MODEL,
    /** Output minimisation chosen by the {@code output} policy. */
    OUTPUT,
    /** One audit record per request. */
    AUDIT;

    /** Computed once: the audit writer asks for it several times per record. */
    private final String id = name().toLowerCase(java.util.Locale.ROOT);

    /** Lower-case name as used in decision documents and audit records. */
    public String id() {
        return id;
    }
}
