package dev.veil.spi;

import java.util.Objects;

/**
 * Answer to the {@code output} question.
 *
 * @param rule id of the deciding rule, or {@code default}
 * @param release what to release
 */
public record OutputDecision(String rule, ReleaseSpec release) {
    public OutputDecision {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(release, "release");
    }
}
