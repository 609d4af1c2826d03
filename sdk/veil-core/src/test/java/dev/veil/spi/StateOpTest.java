package dev.veil.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;

class StateOpTest {
    private static final long MAX_SECONDS = RateLimit.MAX_REFILL.toSeconds();

    /** The slowest throttle a store can be handed: its one token refills in 366 days (to a double's rounding). */
    static double slowestThrottle() {
        double r = 1.0 / MAX_SECONDS;
        while (RateLimit.refillNanos(1, r) < 0) {
            r = Math.nextUp(r);
        }
        while (RateLimit.refillNanos(1, Math.nextDown(r)) >= 0) {
            r = Math.nextDown(r);
        }
        return r;
    }

    @Test
    void aThrottleTooSlowToCountOrNotFiniteCannotBeMade() {
        double slowest = slowestThrottle();
        assertThat(new StateOp.Throttle("c", slowest, 0).perSecond()).isEqualTo(slowest);
        assertThat(new StateOp.Throttle("c", 1e9, 0).perSecond()).isEqualTo(1e9);
        assertThatThrownBy(() -> new StateOp.Throttle("c", Math.nextDown(slowest), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a throttle's perSecond must be a finite number of at least 1 / 31622400 (its bucket of"
                        + " max(1, ceil(perSecond)) tokens refills within 366 days), was " + Math.nextDown(slowest));
        for (double bad : new double[] {1e-9, Double.MIN_VALUE, 0, -1, Double.NaN, Double.NEGATIVE_INFINITY}) {
            assertThatThrownBy(() -> new StateOp.Throttle("c", bad, 0)).as("%s", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("was " + bad);
        }
    }

    @Test
    void aThrottleFasterThanOneTokenANanosecondCannotBeMade() {
        double next = Math.nextUp(1e9);
        assertThatThrownBy(() -> new StateOp.Throttle("c", next, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a throttle's perSecond " + next + " is faster than one request a nanosecond, the fastest a"
                        + " throttle can be counted at (the in-memory state store's Bucket4j refills at most one token a"
                        + " nanosecond): a throttle's perSecond must be at most 1e9 (1000000000); lower it");
        for (double bad : new double[] {1e9 + 0.5, 1e300, Double.MAX_VALUE, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new StateOp.Throttle("c", bad, 0)).as("%s", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("a throttle's perSecond " + bad + " is faster than one request");
        }
    }

    /**
     * A policy's throttle (MonitoringAction) and the store's op take the same finite rates: every
     * throttle a policy can give can be handed to a store, and no slower one.
     */
    @Test
    void theOpTakesExactlyTheFiniteThrottlesAMonitoringActionTakes() {
        qt().withExamples(2_000)
                .forAll(doubles().between(0.99, 1.01), integers().between(-3, 18))
                .checkAssert((factor, scale) -> {
                    double perSecond = factor / MAX_SECONDS * Math.pow(10, scale);
                    boolean action = accepts(() -> new MonitoringAction(MonitoringAction.Kind.THROTTLE, "r", "s", 60,
                            perSecond));
                    boolean op = accepts(() -> new StateOp.Throttle("c", perSecond, 0));
                    assertThat(op).as("%s", perSecond).isEqualTo(action);
                });
    }

    private static boolean accepts(Runnable make) {
        try {
            make.run();
            return true;
        } catch (IllegalArgumentException refused) {
            return false;
        }
    }
}
