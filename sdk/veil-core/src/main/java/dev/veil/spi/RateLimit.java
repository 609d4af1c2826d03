package dev.veil.spi;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * A token-bucket rate limit for one caller.
 *
 * <p>A bucket must refill from empty within {@link #MAX_REFILL} (366 days): {@code burst / perSecond}
 * seconds at most, i.e. {@code perSecond >= burst / 31,622,400}. Both state stores keep a bucket's
 * refill period in nanoseconds and a caller's state for as long as its bucket refills, so a slower
 * limit could not be counted; it is refused here, where a policy file's limit is built (a load error
 * at its {@code rate_limit}) and where a decision document's is read (the request fails, naming it).
 *
 * @param perSecond sustained requests per second, {@code > 0}
 * @param burst bucket capacity, {@code >= 1}; 0 in a policy file means "same as perSecond, at least 1"
 */
public record RateLimit(double perSecond, long burst) {
    /** The longest time a bucket may take to refill from empty (366 days); a slower limit is refused. */
    public static final Duration MAX_REFILL = Duration.ofDays(366);

    /**
     * Checks the limit.
     *
     * @throws IllegalArgumentException if {@code perSecond} is not a positive finite number,
     *     {@code burst} is negative, or the bucket would take longer than {@link #MAX_REFILL} to refill
     */
    public RateLimit {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate_limit.per_second must be a positive finite number, was " + perSecond);
        }
        if (burst < 0) {
            throw new IllegalArgumentException("rate_limit.burst must be >= 0, was " + burst);
        }
        if (burst == 0) {
            burst = defaultBurst(perSecond);
        }
        // The limiters' own computation, so that a limit accepted here is one they can count.
        if (refillNanos(burst, perSecond) < 0) {
            long maxSeconds = MAX_REFILL.toSeconds();
            BigDecimal least = BigDecimal.valueOf(burst).divide(BigDecimal.valueOf(maxSeconds),
                    new MathContext(3, RoundingMode.UP));
            throw new IllegalArgumentException("a bucket of burst " + burst + " at per_second "
                    + perSecond + " takes " + days(burst / perSecond) + " days to refill, longer than the "
                    + MAX_REFILL.toDays() + " days a rate limit may take: per_second must be at least burst / "
                    + maxSeconds + " (" + least.toPlainString() + " for burst " + burst + "); raise per_second or"
                    + " lower burst");
        }
    }

    /**
     * The bucket size of a rate of {@code perSecond} that names none: {@code max(1, ceil(perSecond))}.
     * A limit's {@code burst} of 0 means this, and a monitoring throttle's bucket holds this many.
     *
     * @param perSecond the rate, {@code > 0}
     * @return the bucket size
     */
    public static long defaultBurst(double perSecond) {
        return Math.max(1, (long) Math.ceil(perSecond));
    }

    /**
     * How long a bucket of {@code capacity} tokens takes to refill from empty at {@code perSecond}, in
     * nanoseconds, rounded up (never faster than the policy says) and at least 1; the one computation
     * both state stores count buckets with, and that this record and {@link MonitoringAction} check a
     * rate against.
     *
     * @param capacity the bucket's size, {@code >= 1}
     * @param perSecond the rate, {@code > 0}
     * @return the refill time in nanoseconds, or {@code -1} when it is longer than {@link #MAX_REFILL}
     *     (or not a number)
     */
    public static long refillNanos(long capacity, double perSecond) {
        double nanos = capacity * 1e9 / perSecond;
        return nanos <= MAX_REFILL.toNanos() ? Math.max(1, (long) Math.ceil(nanos)) : -1;
    }

    private static String days(double seconds) {
        double d = seconds / 86_400;
        return d < 1e12 ? Long.toString(Math.round(d)) : String.format(java.util.Locale.ROOT, "%.3e", d);
    }
}
