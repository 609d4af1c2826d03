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
    void aBucketJustOverTheLimitDoesNotReadAsTakingTheLimitItself() {
        double justUnder = Math.nextDown(1.0 / RateLimit.MAX_REFILL.toSeconds());
        assertThatThrownBy(() -> new RateLimit(justUnder, 1))
                .hasMessageContaining("takes 366.000001 days to refill, longer than the 366 days");
        assertThatThrownBy(() -> new MonitoringAction(MonitoringAction.Kind.THROTTLE, "r", "rate", 60, justUnder))
                .hasMessageContaining("lets one request through every 366.000001 days, longer than the 366 days");
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

    @Test
    void theFastestRateIsOneTokenANanosecondAndAFasterOneIsRefusedSayingHowToFixIt() {
        double fastest = 1e9;
        assertThat(new RateLimit(fastest, 0).burst()).isEqualTo(1_000_000_000L);
        assertThat(new RateLimit(fastest, 1).burst()).isEqualTo(1);
        assertThat(new RateLimit(fastest, 1_000_000_000_000L).burst()).isEqualTo(1_000_000_000_000L);
        double next = Math.nextUp(fastest);
        assertThatThrownBy(() -> new RateLimit(next, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("per_second " + next + " is faster than one request a nanosecond, the fastest a rate limit"
                        + " can be counted at (the in-memory state store's Bucket4j refills at most one token a"
                        + " nanosecond): per_second must be at most 1e9 (1000000000); lower it");
        // whatever the burst: one token of a bucket of 1 "refills" in 1 ns, which would silently be 1e9 per second
        assertThatThrownBy(() -> new RateLimit(next, 1)).hasMessageStartingWith("per_second " + next + " is faster");
        // the brief's example: 1e12 tokens at 1e10 per second is 10 tokens a nanosecond
        assertThatThrownBy(() -> new RateLimit(1e10, 1_000_000_000_000L)).hasMessageStartingWith("per_second 1.0E10 is");
        assertThatThrownBy(() -> new RateLimit(Double.MAX_VALUE, 0)).hasMessageContaining("must be at most 1e9");
    }

    @Test
    void aHugeBurstWhoseRefillRoundsBelowOneNanosecondATokenIsRefused() {
        // 1e9 per second, but the refill period in double precision comes out 4 ns short of the burst
        long burst = 23_719_852_203_367_748L;
        assertThat(RateLimit.refillNanos(burst, 1e9)).isEqualTo(burst - 4);
        assertThatThrownBy(() -> new RateLimit(1e9, burst))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a bucket of 23719852203367748 tokens at per_second 1.0E9 refills in 23719852203367744 ns"
                        + " (the state stores' computation, rounded in double precision): more than one token a"
                        + " nanosecond, the fastest a rate limit can be counted at; lower per_second to 999999999 or"
                        + " below, or the burst to at most 4503599627370496 (2^52)");
        // both ways out the message gives work
        assertThat(new RateLimit(999_999_999, burst).burst()).isEqualTo(burst);
        assertThat(new RateLimit(1e9, 1L << 52).burst()).isEqualTo(1L << 52);
    }

    @Test
    void aBurstNoRateCanRefillWithin366DaysIsRefusedAsSuch() {
        long most = 31_622_400L * 1_000_000_000L;
        assertThatThrownBy(() -> new RateLimit(1e9, most + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a bucket of 31622400000000001 tokens takes longer than the 366 days a rate limit may take"
                        + " to refill even at one token a nanosecond, the fastest it can be counted at: the burst must"
                        + " be at most 31622400000000000 (366 days in nanoseconds), and at per_second 1.0E9 at most"
                        + " 31622400000000000; lower it");
        // at a slow rate the message gives the bound at that rate, not only the one at 1e9
        assertThatThrownBy(() -> new RateLimit(0.001, most + 1))
                .hasMessageEndingWith("and at per_second 0.001 at most 31622; lower it");
        assertThatThrownBy(() -> new RateLimit(1, Long.MAX_VALUE)).hasMessageContaining("the burst must be at most");
        assertThat(new RateLimit(999_999_999, 31_000_000_000_000_000L).burst()).isEqualTo(31_000_000_000_000_000L);
    }
}
