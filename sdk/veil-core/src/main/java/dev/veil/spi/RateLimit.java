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
 * <p>A bucket must also refill no faster than one token a nanosecond: {@code perSecond <= 1e9}, and its
 * refill period in whole nanoseconds ({@link #refillNanos}) no shorter than {@code burst} (which the
 * first implies but for a double's rounding, for a burst above 2^52 at a rate within a few parts in
 * 10^16 of 1e9). The in-memory store's Bucket4j cannot build a faster bucket (it refuses a refill of
 * more tokens than its period has nanoseconds), so a faster limit is refused here too, for both stores.
 *
 * @param perSecond sustained requests per second, {@code > 0} and at most {@code 1e9}
 * @param burst bucket capacity, {@code >= 1}; 0 in a policy file means "same as perSecond, at least 1"
 */
public record RateLimit(double perSecond, long burst) {
    /** The longest time a bucket may take to refill from empty (366 days); a slower limit is refused. */
    public static final Duration MAX_REFILL = Duration.ofDays(366);

    /**
     * Checks the limit.
     *
     * @throws IllegalArgumentException if {@code perSecond} is not a positive finite number,
     *     {@code burst} is negative, the bucket would refill faster than one token a nanosecond, or
     *     it would take longer than {@link #MAX_REFILL} to refill
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
        checkNotTooFast(burst, perSecond, "per_second", "a rate limit");
        // The limiters' own computation, so that a limit accepted here is one they can count.
        if (refillNanos(burst, perSecond) < 0) {
            long maxSeconds = MAX_REFILL.toSeconds();
            BigDecimal least = BigDecimal.valueOf(burst).divide(BigDecimal.valueOf(maxSeconds),
                    new MathContext(3, RoundingMode.UP));
            throw new IllegalArgumentException("a bucket of burst " + burst + " at per_second "
                    + perSecond + " takes " + days(burst, perSecond) + " days to refill, longer than the "
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

    /**
     * The fastest rate a bucket may refill at, per second: one token a nanosecond, the most the
     * in-memory store's Bucket4j builds.
     */
    static final double MAX_PER_SECOND = 1e9;

    /**
     * Refuses a bucket of {@code capacity} tokens at {@code perSecond} that refills faster than one
     * token a nanosecond: a rate above {@link #MAX_PER_SECOND}, or a refill period
     * ({@link #refillNanos}) of fewer nanoseconds than {@code capacity} tokens (a double's rounding,
     * for a capacity above 2^52 at a rate within a few parts in 10^16 of 1e9); and a capacity no rate
     * can count (more than {@link #MAX_REFILL} in nanoseconds: too slow at any rate it may have, so
     * that the slow refusal's advice to raise the rate never points past 1e9). That is exactly the
     * bucket the in-memory store's Bucket4j refuses to build ("highest supported rate is 1
     * token/nanosecond": a refill of more tokens than its period has nanoseconds), checked here so that
     * both stores are only ever handed a rate they count alike. The one check of {@code RateLimit},
     * {@link MonitoringAction} and {@link StateOp.Throttle}; a too slow rate ({@code refillNanos}
     * {@code -1}) is theirs to refuse and passes here.
     *
     * @param capacity the bucket's size, {@code >= 1}
     * @param perSecond the rate, {@code > 0}
     * @param rate how the message names the rate (the key or parameter that gives it)
     * @param what how the message names the bucket ("a rate limit", "a throttle")
     * @throws IllegalArgumentException for a bucket faster than one token a nanosecond
     */
    static void checkNotTooFast(long capacity, double perSecond, String rate, String what) {
        if (perSecond > MAX_PER_SECOND) {
            throw new IllegalArgumentException(rate + " " + perSecond + " is faster than one request a nanosecond, the"
                    + " fastest " + what + " can be counted at (the in-memory state store's Bucket4j refills at most one"
                    + " token a nanosecond): " + rate + " must be at most 1e9 (1000000000); lower it");
        }
        long most = MAX_REFILL.toSeconds() * (long) MAX_PER_SECOND;
        if (capacity > most) {
            long atRate = (long) Math.min(most, Math.floor(perSecond * MAX_REFILL.toSeconds()));
            throw new IllegalArgumentException("a bucket of " + capacity + " tokens takes longer than the "
                    + MAX_REFILL.toDays() + " days " + what + " may take to refill even at one token a nanosecond, the"
                    + " fastest it can be counted at: the burst must be at most " + most + " (366 days in"
                    + " nanoseconds), and at " + rate + " " + perSecond + " at most " + atRate + "; lower it");
        }
        long nanos = refillNanos(capacity, perSecond);
        if (nanos >= 0 && nanos < capacity) {
            throw new IllegalArgumentException("a bucket of " + capacity + " tokens at " + rate + " " + perSecond
                    + " refills in " + nanos + " ns (the state stores' computation, rounded in double precision):"
                    + " more than one token a nanosecond, the fastest " + what + " can be counted at; lower " + rate
                    + " to 999999999 or below, or the burst to at most 4503599627370496 (2^52)");
        }
    }

    /**
     * The days a bucket of {@code burst} takes to refill at {@code perSecond}, as a refusal of a
     * bucket slower than {@link #MAX_REFILL} names them: computed exactly (a double's quotient rounds,
     * and {@code 1 / perSecond} overflows for the smallest rates); whole days, but with six decimals
     * (rounded up) when whole days would read as the limit itself, so that a bucket just over it does
     * not read as "366 days, longer than the 366 days".
     */
    static String days(long burst, double perSecond) {
        BigDecimal days = BigDecimal.valueOf(burst).divide(new BigDecimal(perSecond).multiply(BigDecimal.valueOf(86_400)),
                MathContext.DECIMAL128);
        if (days.compareTo(BigDecimal.valueOf(1e12)) >= 0) {
            return String.format(java.util.Locale.ROOT, "%.3e", days);
        }
        BigDecimal whole = days.setScale(0, RoundingMode.HALF_UP);
        return whole.compareTo(BigDecimal.valueOf(MAX_REFILL.toDays())) > 0 ? whole.toPlainString()
                : days.setScale(6, RoundingMode.UP).stripTrailingZeros().toPlainString();
    }
}
