package dev.veil;

import java.time.Instant;
import java.util.Objects;

/**
 * A monitoring rule with action {@code alert} (or any stronger action) fired, or the model is
 * stale under an {@code alert} policy. Delivered to {@link GuardListener#onAlert(Alert)} and
 * recorded in the audit record.
 *
 * @param decisionId the request that raised it
 * @param callerId who sent it
 * @param tenant the caller's tenant, {@code ""} when it has none: caller ids are unique within a
 *     tenant, so two tenants' callers may share an id (added after 0.1.0-SNAPSHOT's first form: a
 *     record pattern over the eight earlier components must now name nine)
 * @param rule the policy rule that fired
 * @param action {@code alert}, {@code throttle}, {@code degrade}, {@code block} or {@code model_stale}
 * @param signal the signal that triggered it, or {@code ""}
 * @param level the signal's level
 * @param score the signal's score
 * @param at when
 */
public record Alert(
        String decisionId, String callerId, String tenant, String rule, String action, String signal, Level level,
        double score, Instant at) {
    public Alert {
        Objects.requireNonNull(decisionId, "decisionId");
        Objects.requireNonNull(callerId, "callerId");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(signal, "signal");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(at, "at");
    }

    /** An alert for a caller without a tenant (the form before {@link #tenant()} was added). */
    public Alert(String decisionId, String callerId, String rule, String action, String signal, Level level,
            double score, Instant at) {
        this(decisionId, callerId, "", rule, action, signal, level, score, at);
    }
}
