package dev.veil.spi;

import java.util.Objects;

/**
 * Answer to the {@code access} question.
 *
 * @param allow whether the caller may ask at all
 * @param rule id of the deciding rule, or {@code default}
 * @param message why (shown in the denial reason when {@code allow} is false)
 * @param rateLimit the caller's rate limit, or {@code null} for none
 * @param dailyQuota requests per UTC day, or 0 for none
 */
public record AccessDecision(boolean allow, String rule, String message, RateLimit rateLimit, long dailyQuota) {
    public AccessDecision {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(message, "message");
        if (dailyQuota < 0) {
            throw new IllegalArgumentException("daily_quota must be >= 0, was " + dailyQuota);
        }
    }
}
