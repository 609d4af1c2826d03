package dev.veil.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.ManualClock;
import dev.veil.spi.GuardSettings.PrivacyBudget;
import dev.veil.spi.GuardSettings.PrivacyBudget.OnExhausted;
import dev.veil.spi.StateOp;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The operations that carry the request's time ({@code nowMillis}) are answered at that time, not at
 * the store's own clock, as the Redis store answers them: the two stores agree even when the Guard
 * and the store do not share a clock (or the clock moves between the Guard's reading and the
 * store's). The store's clock is left for what carries no time: {@link StateOp.Block} and
 * {@link StateOp.Throttle} (whether their end has passed), and the times to live.
 */
class MemoryStateStoreTimeTest {
    private static final Instant T0 = Instant.parse("2026-06-01T12:00:00Z");
    private static final long DAY = 86_400_000;
    private static final PrivacyBudget DAILY = new PrivacyBudget(1, 0, 86_400, OnExhausted.DENY);
    private final ManualClock storeClock = new ManualClock(T0);

    private static StateOp.Budget charge(MemoryStateStore store, long nowMillis) {
        return (StateOp.Budget) store.execute(new StateOp.Charge("alice", 0.5, 0, DAILY, nowMillis))[0];
    }

    @Test
    void aChargeFallsInThePeriodOfItsOwnTimeNotOfTheStoresClock() {
        long t0 = T0.toEpochMilli();
        try (MemoryStateStore store = new MemoryStateStore(1L << 20, storeClock, 100)) {
            assertThat(charge(store, t0)).isEqualTo(StateOp.Budget.GRANTED);
            assertThat(charge(store, t0)).isEqualTo(StateOp.Budget.GRANTED);
            assertThat(charge(store, t0)).isEqualTo(StateOp.Budget.CALLER_EXHAUSTED);
            assertThat(charge(store, t0 + DAY)).as("the next day by the request, the same by the store's clock")
                    .isEqualTo(StateOp.Budget.GRANTED);
            storeClock.advance(Duration.ofDays(5));
            assertThat(charge(store, t0 + DAY)).as("still that day by the request, days later by the store's clock")
                    .isEqualTo(StateOp.Budget.GRANTED);
            assertThat(charge(store, t0 + DAY)).isEqualTo(StateOp.Budget.CALLER_EXHAUSTED);
        }
    }

    @Test
    void aStoreWhoseClockIsAheadStartsTheLedgerInTheRequestsPeriod() {
        long t0 = T0.toEpochMilli();
        storeClock.advance(Duration.ofDays(3));
        try (MemoryStateStore store = new MemoryStateStore(1L << 20, storeClock, 100)) {
            charge(store, t0);
            charge(store, t0);
            assertThat(charge(store, t0)).isEqualTo(StateOp.Budget.CALLER_EXHAUSTED);
            assertThat(charge(store, t0 + DAY)).as("the request's next day, before the store's clock")
                    .isEqualTo(StateOp.Budget.GRANTED);
        }
    }

    @Test
    void blockedUntilIsAnsweredAtTheRequestsTime() {
        long t0 = T0.toEpochMilli();
        try (MemoryStateStore store = new MemoryStateStore(1L << 20, storeClock, 100)) {
            store.execute(new StateOp.Block("alice", t0 + 1000)); // by the store's clock: it has not passed
            Object[] later = store.execute(new StateOp.BlockedUntil("alice", t0 + 2000),
                    new StateOp.ListRead("after"));
            assertThat(later[0]).as("at the request's time the block is over").isEqualTo(0L);
            assertThat(later[1]).as("so the batch goes on").isNotNull();

            store.execute(new StateOp.Block("bob", t0 + 1000));
            storeClock.advance(Duration.ofSeconds(5));
            Object[] earlier = store.execute(new StateOp.BlockedUntil("bob", t0 + 500), new StateOp.ListRead("after"));
            assertThat(earlier[0]).as("at the request's time bob is blocked").isEqualTo(t0 + 1000);
            assertThat(earlier[1]).as("and nothing after the check runs").isNull();
        }
    }
}
