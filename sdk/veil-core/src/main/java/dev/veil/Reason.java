package dev.veil;

import java.util.Objects;

/**
 * Why a request was refused (or degraded), as data.
 *
 * @param code the machine-readable reason
 * @param stage the stage that decided
 * @param rule the id of the policy rule that decided, or {@code "default"}, or {@code ""} when no
 *     rule was involved (e.g. a failed signature check)
 * @param message a human-readable explanation; never contains secrets or raw inputs
 */
public record Reason(ReasonCode code, Stage stage, String rule, String message) {
    public Reason {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(message, "message");
    }

    public static Reason of(ReasonCode code, Stage stage, String rule, String message) {
        return new Reason(code, stage, rule, message);
    }

    @Override
    public String toString() {
        return code.code() + "@" + stage.id() + (rule.isEmpty() ? "" : "[" + rule + "]") + ": " + message;
    }
}
