package dev.veil.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateLimitTest {
    @Test
    void aBucketThatTakesLongerThan366DaysToRefillIsRefusedSayingHowToFixIt() {
        assertThatThrownBy(() -> new RateLimit(0.000001, 100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a bucket of burst 100 at per_second 1.0E-6 takes 1157 days to refill, longer than the 366"
                        + " days a rate limit may take: per_second must be at least burst / 31622400 (0.00000317 for"
                        + " burst 100); raise per_second or lower burst");
        // burst 0 means max(1, ceil(per_second)): one request in 3 years is too slow too
        assertThatThrownBy(() -> new RateLimit(1e-8, 0))
                .hasMessageStartingWith("a bucket of burst 1 at per_second 1.0E-8 takes 1157 days to refill");
        assertThatThrownBy(() -> new RateLimit(1e-300, 1))
                .hasMessageContaining("takes 1.157e+295 days to refill");
    }

    @Test
    void theBoundIs366DaysExactly() {
        long maxSeconds = RateLimit.MAX_REFILL.toSeconds();
        assertThat(maxSeconds).isEqualTo(366L * 86_400);
        assertThat(new RateLimit(1.0 / maxSeconds, 1).burst()).isEqualTo(1);
        assertThat(new RateLimit(100.0 / maxSeconds, 100).burst()).isEqualTo(100);
        assertThatThrownBy(() -> new RateLimit(Math.nextDown(100.0 / maxSeconds), 100))
                .hasMessageContaining("per_second must be at least burst / 31622400");
        assertThat(new RateLimit(1.0 / 3600, 2).perSecond()).isEqualTo(1.0 / 3600);
    }

    @Test
    void refillNanosIsTheStoresOneComputationRoundedUpOrMinusOneBeyondTheBound() {
        long maxSeconds = RateLimit.MAX_REFILL.toSeconds();
        assertThat(RateLimit.refillNanos(3, 3)).isEqualTo(1_000_000_000L);
        assertThat(RateLimit.refillNanos(1, 3)).isEqualTo(333_333_334L); // up: never faster than the policy
        assertThat(RateLimit.refillNanos(1, 1e12)).isEqualTo(1); // at least 1
        assertThat(RateLimit.refillNanos(1, 1.0 / maxSeconds)).isBetween(RateLimit.MAX_REFILL.toNanos() - 100,
                RateLimit.MAX_REFILL.toNanos()); // the bound itself is in (1 / maxSeconds is not exact)
        assertThat(RateLimit.refillNanos(1, Math.nextDown(1.0 / maxSeconds))).isEqualTo(-1);
        assertThat(RateLimit.refillNanos(1, Double.NaN)).isEqualTo(-1);
        assertThat(RateLimit.defaultBurst(0.2)).isEqualTo(1);
        assertThat(RateLimit.defaultBurst(2.5)).isEqualTo(3);
        assertThat(new RateLimit(2.5, 0).burst()).isEqualTo(RateLimit.defaultBurst(2.5));
    }
}
