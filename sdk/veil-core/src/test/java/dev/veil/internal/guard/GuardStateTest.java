package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.ManualClock;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.GuardSettings.OnStateUnavailable;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * {@code on_state_unavailable: local} against a shared store that goes away and comes back (an
 * in-memory store behind a switch: veil-redis's StateUnavailableTest kills a real Redis).
 */
class GuardStateTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T00:00:00Z"));
    private final long now = clock.millis();

    /** A shared store that can be taken away. */
    private static final class Switched extends dev.veil.ForwardingStateStore {
        boolean down;

        Switched(MemoryStateStore inner) {
            super(inner);
        }

        @Override
        public Object[] execute(StateOp... ops) {
            if (down) {
                throw new StateUnavailableException("the shared store is down");
            }
            return inner.execute(ops);
        }

        @Override
        public void submit(StateOp... ops) {
            execute(ops);
        }
    }

    private MemoryStateStore memory() {
        return new MemoryStateStore(1 << 24, clock, 100);
    }

    private static int allowed(StateStore s, String caller, long now) {
        int n = 0;
        for (int i = 0; i < 30; i++) {
            if (s.execute(new StateOp.Acquire(caller, null, 0, now))[0] == StateOp.Permit.ALLOWED) {
                n++;
            }
        }
        return n;
    }

    @Test
    void coolDownsSetDuringAnOutageReachTheSharedStoreAsItWouldHaveMergedThem() {
        Switched shared = new Switched(memory());
        GuardState state = new GuardState(shared, this::memory, clock);
        StateOp[] outage = {new StateOp.Throttle("eve", 1, now + 60_000), new StateOp.Throttle("eve", 10, now + 600_000),
            new StateOp.Block("mallory", now + 600_000), new StateOp.Block("mallory", now + 300_000)};
        shared.down = true;
        boolean[] local = new boolean[1];
        state.execute(OnStateUnavailable.LOCAL, local, outage[0], outage[1]);
        state.execute(OnStateUnavailable.LOCAL, outage[2], outage[3]);
        assertThat(local[0]).isTrue();

        shared.down = false;
        boolean[] again = new boolean[1];
        Object[] r = state.execute(OnStateUnavailable.LOCAL, again, new StateOp.BlockedUntil("mallory", now));
        assertThat(again[0]).isFalse();
        assertThat((Long) r[0]).as("the later block end").isEqualTo(now + 600_000);

        MemoryStateStore sawBoth = memory(); // what a store that never went away would hold
        sawBoth.execute(outage);
        assertThat(allowed(shared, "eve", now)).as("the stricter rate holds").isEqualTo(allowed(sawBoth, "eve", now))
                .isLessThan(5);
    }

    @Test
    void aCoolDownThatHasEndedIsNotWrittenBack() {
        Switched shared = new Switched(memory());
        GuardState state = new GuardState(shared, this::memory, clock);
        shared.down = true;
        state.execute(OnStateUnavailable.LOCAL, new StateOp.Block("mallory", now + 1_000));
        shared.down = false;
        clock.advance(java.time.Duration.ofSeconds(2));
        Object[] r = state.execute(OnStateUnavailable.LOCAL, new StateOp.BlockedUntil("mallory", clock.millis()));
        assertThat((Long) r[0]).isLessThanOrEqualTo(clock.millis());
    }

    @Test
    void noPrivacyBudgetIsSpentOnLocalState() {
        Switched shared = new Switched(memory());
        GuardState state = new GuardState(shared, this::memory, clock);
        shared.down = true;
        GuardSettings.PrivacyBudget budget = new GuardSettings.PrivacyBudget(1.0, 0, 86_400,
                GuardSettings.PrivacyBudget.OnExhausted.DENY, GuardSettings.PrivacyBudget.DEFAULT_DELTA,
                GuardSettings.PrivacyBudget.DEFAULT_DELTA);
        assertThatThrownBy(() -> state.execute(OnStateUnavailable.LOCAL,
                new StateOp.Charge("spender", 0.4, 0, budget, now))).isInstanceOf(StateUnavailableException.class);
    }
}
