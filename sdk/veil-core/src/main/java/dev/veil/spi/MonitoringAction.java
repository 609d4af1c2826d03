package dev.veil.spi;

import java.util.Objects;

/**
 * One action a {@code monitoring} rule asks for.
 *
 * @param action what to do
 * @param rule id of the rule
 * @param signal the signal that triggered it
 * @param cooldownSeconds for {@link Kind#BLOCK} and {@link Kind#THROTTLE}: how long it lasts
 * @param throttlePerSecond for {@link Kind#THROTTLE}: the caller's reduced rate
 */
public record MonitoringAction(Kind action, String rule, String signal, long cooldownSeconds, double throttlePerSecond) {
    /** Actions, from mildest to strongest. */
    public enum Kind {
        /** Publish an event and flag the audit record; the answer is unchanged. */
        ALERT,
        /** Limit the caller to {@code throttlePerSecond} for the cool-down. */
        THROTTLE,
        /** Answer with the most minimised release. */
        DEGRADE,
        /** Deny this request and every request of the caller for the cool-down. */
        BLOCK
    }

    public MonitoringAction {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(signal, "signal");
        if (cooldownSeconds < 0) {
            throw new IllegalArgumentException("cooldown_seconds must be >= 0, was " + cooldownSeconds);
        }
        if (action == Kind.THROTTLE && !(throttlePerSecond > 0)) {
            throw new IllegalArgumentException("a throttle needs throttle_per_second > 0, was " + throttlePerSecond);
        }
        if ((action == Kind.BLOCK || action == Kind.THROTTLE) && cooldownSeconds == 0) {
            throw new IllegalArgumentException("a " + action.name().toLowerCase(java.util.Locale.ROOT)
                    + " needs cooldown_seconds > 0");
        }
    }
}
