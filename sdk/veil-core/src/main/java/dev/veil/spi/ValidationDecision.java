package dev.veil.spi;

import java.util.Objects;

/**
 * Answer to the {@code validation} question: which input contract applies to this caller.
 *
 * @param rule id of the deciding rule, or {@code default}
 * @param contract the contract the Guard checks the input against
 */
public record ValidationDecision(String rule, InputContract contract) {
    public ValidationDecision {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(contract, "contract");
    }
}
