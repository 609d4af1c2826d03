package dev.veil.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.spi.MonitoringAction.Kind;
import org.junit.jupiter.api.Test;

class MonitoringActionTest {
    private static MonitoringAction throttle(double perSecond) {
        return new MonitoringAction(Kind.THROTTLE, "slow-down", "rate", 60, perSecond);
    }

    @Test
    void aThrottleWhoseOneTokenTakesLongerThan366DaysToRefillIsRefusedSayingHowToFixIt() {
        assertThatThrownBy(() -> throttle(0.00000001))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a throttle at throttle_per_second 1.0E-8 lets one request through every 1157 days, longer"
                        + " than the 366 days a throttle's bucket may take to refill: throttle_per_second must be at"
                        + " least 1 / 31622400 (0.0000000317); raise throttle_per_second, or use action: block to"
                        + " refuse the caller for the cool-down");
        assertThatThrownBy(() -> throttle(Double.MIN_VALUE))
                .hasMessageContaining("lets one request through every 2.343e+318 days");
    }

    @Test
    void theBoundIs366DaysExactly() {
        long maxSeconds = RateLimit.MAX_REFILL.toSeconds();
        assertThat(throttle(1.0 / maxSeconds).throttlePerSecond()).isEqualTo(1.0 / maxSeconds);
        assertThatThrownBy(() -> throttle(Math.nextDown(1.0 / maxSeconds)))
                .hasMessageContaining("throttle_per_second must be at least 1 / 31622400");
        assertThat(throttle(0.0000000317).throttlePerSecond()).isEqualTo(0.0000000317); // the rounded bound shown
        assertThat(throttle(1e9).throttlePerSecond()).isEqualTo(1e9);
    }

    @Test
    void aThrottleFasterThanOneRequestANanosecondIsRefusedSayingHowToFixIt() {
        double next = Math.nextUp(1e9);
        assertThatThrownBy(() -> throttle(next))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("throttle_per_second " + next + " is faster than one request a nanosecond, the fastest a"
                        + " throttle can be counted at (the in-memory state store's Bucket4j refills at most one token a"
                        + " nanosecond): throttle_per_second must be at most 1e9 (1000000000); lower it");
        assertThatThrownBy(() -> throttle(1e300)).hasMessageStartingWith("throttle_per_second 1.0E300 is faster");
        // an infinite one no policy can give (JSON has none) is left to StateOp.Throttle, where the Guard fails closed
        assertThat(throttle(Double.POSITIVE_INFINITY).throttlePerSecond()).isInfinite();
    }

    @Test
    void aThrottleNeedsARatePositiveAndOnlyAThrottleIsChecked() {
        assertThatThrownBy(() -> throttle(0)).hasMessage("a throttle needs throttle_per_second > 0, was 0.0");
        assertThatThrownBy(() -> throttle(Double.NaN)).hasMessage("a throttle needs throttle_per_second > 0, was NaN");
        // only a throttle's rate is checked: the other actions carry 0
        assertThat(new MonitoringAction(Kind.BLOCK, "flood", "rate", 60, 0).throttlePerSecond()).isZero();
    }
}
