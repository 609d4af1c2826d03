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
    private static class Switched extends dev.veil.ForwardingStateStore {
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

    /**
     * A shared store that is back but refuses writes (a full Redis: it refuses every batch with a
     * write, with an answer, or as one that did not answer when {@code unanswered}, and answers
     * batches without one), and records the callers whose block check it ran.
     */
    private static final class RefusingWrites extends Switched {
        boolean refuseWrites;
        boolean unanswered;
        final java.util.List<String> checked = new java.util.ArrayList<>();

        RefusingWrites(MemoryStateStore inner) {
            super(inner);
        }

        @Override
        public Object[] execute(StateOp... ops) {
            if (refuseWrites && java.util.Arrays.stream(ops)
                    .anyMatch(op -> op instanceof StateOp.Block || op instanceof StateOp.Throttle)) {
                throw new StateUnavailableException("OOM: the shared store refuses writes", null, !unanswered);
            }
            if (!down && ops.length > 0 && ops[0] instanceof StateOp.BlockedUntil b) {
                checked.add(b.caller());
            }
            return super.execute(ops);
        }
    }

    /**
     * A cool-down held back from an outage, which the shared store, back but refusing writes, refuses
     * with an answer: the batch of a caller with none held back still goes to the shared store (which
     * may answer it from a block or throttle of its own, as a full Redis does), the batch of the
     * caller with one held back never does (local state, where its block is); a store that did not
     * answer (it may be down) is not asked again: both go to local state, so that no request waits
     * for the store twice.
     */
    @Test
    void aRefusalOfHeldBackCoolDownsStillSendsTheBatchesOfOtherCallers() {
        RefusingWrites shared = new RefusingWrites(memory());
        GuardState state = new GuardState(shared, this::memory, clock);
        shared.down = true;
        state.execute(OnStateUnavailable.LOCAL, new StateOp.Block("mallory", now + 600_000));
        shared.down = false;
        shared.refuseWrites = true;

        boolean[] alice = new boolean[1];
        state.execute(OnStateUnavailable.LOCAL, alice, new StateOp.BlockedUntil("alice", now),
                new StateOp.Acquire("alice", null, 0, now));
        boolean[] mallory = new boolean[1];
        Object[] r = state.execute(OnStateUnavailable.LOCAL, mallory, new StateOp.BlockedUntil("mallory", now));
        assertThat(alice[0]).as("alice on local state").isFalse();
        assertThat(mallory[0]).as("mallory on local state").isTrue();
        assertThat((Long) r[0]).as("mallory's block, on local state").isEqualTo(now + 600_000);
        assertThat(shared.checked).containsExactly("alice");

        shared.unanswered = true;
        boolean[] unanswered = new boolean[1];
        state.execute(OnStateUnavailable.LOCAL, unanswered, new StateOp.BlockedUntil("alice", now),
                new StateOp.Acquire("alice", null, 0, now));
        assertThat(unanswered[0]).as("alice on local state after the store did not answer").isTrue();
        assertThat(shared.checked).containsExactly("alice");
    }

    /**
     * A shared store that refuses every other batch (a full Redis answers blocked and throttled
     * callers and refuses the rest): the switches to local state are logged once a minute, not a
     * warning with a stack trace for each (a review: 5 alternations, 5 warnings and 5 info lines).
     */
    @Test
    void switchesBackAndForthAreLoggedOnceAMinute() {
        Switched shared = new Switched(memory());
        GuardState state = new GuardState(shared, this::memory, clock);
        try (dev.veil.LogCapture log = dev.veil.LogCapture.warnings("dev.veil.Guard")) {
            for (int i = 0; i < 5; i++) {
                shared.down = true;
                state.execute(OnStateUnavailable.LOCAL, new StateOp.BlockedUntil("alice", now));
                shared.down = false;
                state.execute(OnStateUnavailable.LOCAL, new StateOp.BlockedUntil("mallory", now));
            }
            assertThat(log.messages()).filteredOn(m -> m.contains("using local state")).hasSize(1);
        }
    }
}
