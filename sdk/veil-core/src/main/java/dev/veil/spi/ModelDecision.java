package dev.veil.spi;

import java.util.Objects;

/**
 * Answer to the {@code model} question (maximum model age, the seed's "frequent retraining").
 *
 * @param rule id of the deciding rule, or {@code default}
 * @param stale whether the model is older than allowed
 * @param action what to do when stale
 */
public record ModelDecision(String rule, boolean stale, StaleAction action) {
    public ModelDecision {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(action, "action");
    }

    public static final ModelDecision FRESH = new ModelDecision("default", false, StaleAction.ALERT);
}
