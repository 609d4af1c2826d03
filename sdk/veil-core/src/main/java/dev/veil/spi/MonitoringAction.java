package dev.veil.spi;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Objects;

/**
 * One action a {@code monitoring} rule asks for.
 *
 * <p>A throttle's bucket holds {@code max(1, ceil(throttlePerSecond))} tokens and must refill from
 * empty within {@link RateLimit#MAX_REFILL} (366 days), as a rate limit's must: both state stores
 * count a refill in nanoseconds. Below 1 per second that is {@code throttlePerSecond >= 1 / 31,622,400};
 * a slower throttle is refused here, where a policy file's action is built (a load error at its
 * {@code throttle_per_second}) and where a decision document's is read (the request fails, naming it),
 * not when a request applies it. So is a throttle faster than one request a nanosecond
 * ({@code throttlePerSecond > 1e9}), which the in-memory store's Bucket4j cannot build
 * ({@code RateLimit}'s check, shared with {@link StateOp.Throttle}).
 *
 * @param action what to do
 * @param rule id of the rule
 * @param signal the signal that triggered it
 * @param cooldownSeconds for {@link Kind#BLOCK} and {@link Kind#THROTTLE}: how long it lasts
 * @param throttlePerSecond for {@link Kind#THROTTLE}: the caller's reduced rate, {@code > 0}, at
 *     least {@code 1 / 31,622,400} and at most {@code 1e9} (see above); an infinite one is refused
 *     where the Guard builds its {@link StateOp.Throttle}
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

    /**
     * Checks the action.
     *
     * @throws IllegalArgumentException if a cool-down is negative, or missing on a block or throttle,
     *     or a throttle's rate is not {@code > 0} or its bucket would take longer than
     *     {@link RateLimit#MAX_REFILL} to refill, or it refills faster than one token a nanosecond
     */
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
        if (action == Kind.THROTTLE) {
            checkThrottleRate(throttlePerSecond);
        }
        if ((action == Kind.BLOCK || action == Kind.THROTTLE) && cooldownSeconds == 0) {
            throw new IllegalArgumentException("a " + action.name().toLowerCase(java.util.Locale.ROOT)
                    + " needs cooldown_seconds > 0");
        }
    }

    /**
     * Refuses a throttle rate the limiters cannot count, with their own computation
     * ({@link RateLimit#refillNanos}), so that a throttle accepted here is one they can apply: too
     * fast or too slow.
     */
    private static void checkThrottleRate(double perSecond) {
        if (Double.isInfinite(perSecond)) {
            // no policy file or decision document can give one (JSON has no infinity); an engine that
            // does is refused where the Guard builds its StateOp.Throttle, and the Guard fails closed
            return;
        }
        RateLimit.checkNotTooFast(RateLimit.defaultBurst(perSecond), perSecond, "throttle_per_second", "a throttle");
        if (RateLimit.refillNanos(RateLimit.defaultBurst(perSecond), perSecond) < 0) {
            long maxSeconds = RateLimit.MAX_REFILL.toSeconds();
            BigDecimal least = BigDecimal.ONE.divide(BigDecimal.valueOf(maxSeconds), new MathContext(3, RoundingMode.UP));
            throw new IllegalArgumentException("a throttle at throttle_per_second " + perSecond + " lets one request"
                    + " through every " + RateLimit.days(1, perSecond)
                    + " days, longer than the " + RateLimit.MAX_REFILL.toDays() + " days a throttle's bucket may take to"
                    + " refill: throttle_per_second must be at least 1 / " + maxSeconds + " (" + least.toPlainString()
                    + "); raise throttle_per_second, or use action: block to refuse the caller for the cool-down");
        }
    }
}
