package dev.veil.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.ManualClock;
import dev.veil.spi.StateOp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lists that mark a caller's privacy budget spent ({@link StateKeys#BUDGET_SPENT}) are
 * protecting state in the in-memory store: never evicted to make room for monitoring state, kept
 * until their time to live ends, bounded by {@code maxCallers} and failing closed beyond it.
 */
class SpentMarksTest {
    private static final long CAP = 1L << 20;
    private static final long HOUR = 3_600_000;
    private final ManualClock clock = new ManualClock(Instant.parse("2026-06-01T12:00:00Z"));

    private static StateOp.ListAppend mark(String caller, byte[] value, long ttlMillis) {
        return new StateOp.ListAppend(StateKeys.BUDGET_SPENT + caller, value, 1, ttlMillis);
    }

    @SuppressWarnings("unchecked")
    private static List<byte[]> read(MemoryStateStore store, String caller) {
        return (List<byte[]>) store.execute(new StateOp.ListRead(StateKeys.BUDGET_SPENT + caller))[0];
    }

    @Test
    void aMarkOutlivesMonitoringStateThatFillsTheCap() {
        MemoryStateStore store = MemoryStateStore.onClockTime(CAP, clock, 100);
        store.execute(mark("alice", new byte[] {1}, HOUR));
        store.submit(mark("erin", new byte[] {2}, HOUR));
        for (int i = 0; i < 2_000; i++) { // 2 MB of detector lists through a 0.6 MB share
            store.submit(new StateOp.ListAppend("knn:caller-" + i, new byte[1024], 1, HOUR));
        }
        assertThat(store.execute(new StateOp.ListRead("knn:caller-0"))[0]).as("monitoring state is evicted")
                .isEqualTo(List.of());
        assertThat(read(store, "alice")).containsExactly(new byte[] {1});
        assertThat(read(store, "erin")).containsExactly(new byte[] {2});
        assertThat(store.bytesUsed()).isLessThanOrEqualTo(CAP);

        clock.advance(Duration.ofMillis(HOUR));
        assertThat(read(store, "alice")).as("its time to live ended").isEmpty();
    }

    @Test
    void beyondMaxCallersAMarkHoldsForEveryCallerUntilItEnds() {
        MemoryStateStore store = MemoryStateStore.onClockTime(CAP, clock, 2);
        store.execute(mark("a", new byte[] {1}, HOUR));
        store.execute(mark("b", new byte[] {2}, 2 * HOUR));
        assertThat(read(store, "c")).isEmpty();

        store.execute(mark("c", new byte[] {3}, 3 * HOUR)); // full: answered for every caller
        assertThat(read(store, "c")).containsExactly(new byte[] {3});
        assertThat(read(store, "somebody")).containsExactly(new byte[] {3});
        assertThat(read(store, "a")).containsExactly(new byte[] {1}, new byte[] {3});
        store.execute(mark("a", new byte[] {4}, HOUR)); // a known caller's mark is kept as before
        assertThat(read(store, "a")).containsExactly(new byte[] {4}, new byte[] {3});

        clock.advance(Duration.ofMillis(HOUR)); // a's mark ends: room for d
        store.execute(mark("d", new byte[] {5}, HOUR));
        assertThat(read(store, "d")).containsExactly(new byte[] {5}, new byte[] {3});
        assertThat(read(store, "somebody")).containsExactly(new byte[] {3});

        clock.advance(Duration.ofMillis(2 * HOUR)); // every mark has ended
        assertThat(read(store, "somebody")).isEmpty();
        assertThat(read(store, "c")).isEmpty();
        store.execute(mark("e", new byte[] {6}, HOUR));
        assertThat(read(store, "e")).containsExactly(new byte[] {6});
        assertThat(read(store, "somebody")).isEmpty();
    }
}
