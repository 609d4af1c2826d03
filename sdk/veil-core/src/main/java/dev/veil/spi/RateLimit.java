package dev.veil.spi;

/**
 * A token-bucket rate limit for one caller.
 *
 * @param perSecond sustained requests per second, {@code > 0}
 * @param burst bucket capacity, {@code >= 1}; 0 in a policy file means "same as perSecond, at least 1"
 */
public record RateLimit(double perSecond, long burst) {
    public RateLimit {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate_limit.per_second must be a positive finite number, was " + perSecond);
        }
        if (burst < 0) {
            throw new IllegalArgumentException("rate_limit.burst must be >= 0, was " + burst);
        }
        if (burst == 0) {
            burst = Math.max(1, (long) Math.ceil(perSecond));
        }
    }
}
