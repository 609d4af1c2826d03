package dev.veil.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.ManualClock;
import dev.veil.spi.StateOp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The store's sliding-window counters ({@link StateOp.CountInWindow}) against the plain model: the
 * number of counted events whose slot (a twelfth of the window) is one of the last twelve, whichever
 * path the store takes (the cache's write path for the count that gives a counter its slots, the
 * counter's own lock for every other).
 */
class SlidingCounterTest {

    @Test
    void countsMatchTheEventsInTheLastTwelveSlots() {
        qt().withExamples(300).forAll(longs().all(), integers().between(1, 600), integers().between(1, 4))
                .checkAssert(SlidingCounterTest::countsAsTheModel);
    }

    @Test
    void countsMatchOnACaseFoundByQuickTheories() {
        countsAsTheModel(1032331291282897954L, 5, 1);
    }

    private static void countsAsTheModel(long seed, int steps, int keys) {
                {
                    SplittableRandom r = new SplittableRandom(seed);
                    long window = 12L * (1 + r.nextInt(1000));
                    long slotMillis = window / MemoryStateStore.COUNTER_SLOTS;
                    List<List<Long>> events = new ArrayList<>();
                    for (int k = 0; k < keys; k++) {
                        events.add(new ArrayList<>());
                    }
                    long now = 1_700_000_000_000L + r.nextInt(1_000_000);
                    // the counters' times to live run on the events' time (not this machine's, which a
                    // pause of a few ms would make expire a 12 ms window's counter mid-example)
                    ManualClock clock = new ManualClock(Instant.ofEpochMilli(now));
                    MemoryStateStore store = MemoryStateStore.onClockTime(64L << 20, clock, 100);
                    for (int i = 0; i < steps; i++) {
                        // mostly small steps (many events per slot), sometimes a jump past the window
                        now += r.nextInt(10) == 0 ? r.nextLong(3 * window) : r.nextLong(1 + slotMillis / 3);
                        clock.set(Instant.ofEpochMilli(now));
                        int k = r.nextInt(keys);
                        events.get(k).add(now);
                        long current = Math.floorDiv(now, slotMillis);
                        long expected = events.get(k).stream()
                                .filter(t -> current - Math.floorDiv(t, slotMillis) < MemoryStateStore.COUNTER_SLOTS)
                                .count();
                        Object got = store.execute(new StateOp.CountInWindow("rate:" + k, now, window))[0];
                        assertThat(got).as("step %d key %d at %d (window %d)", i, k, now, window).isEqualTo(expected);
                    }
                }
    }

    /**
     * A counter in use is kept: it expires two windows after its last count, as in Redis (which
     * renews its PEXPIRE on every count), not two windows after it was made, which dropped a busy
     * caller's count to 1 every two windows.
     */
    @Test
    void aBusyCounterIsNotDroppedTwoWindowsAfterItWasMade() {
        long t = 1_700_000_000_000L;
        ManualClock clock = new ManualClock(Instant.ofEpochMilli(t));
        MemoryStateStore store = MemoryStateStore.onClockTime(64L << 20, clock, 100);
        long window = 1_000;
        long last = 0;
        for (int i = 0; i < 100; i++) { // one count every 50 ms for 5 s: 20 a window once the first is full
            clock.set(Instant.ofEpochMilli(t + 50L * i));
            last = (long) store.execute(new StateOp.CountInWindow("rate:busy", t + 50L * i, window))[0];
            if (i >= 20) {
                assertThat(last).as("count %d", i).isBetween(19L, 21L);
            }
        }
        // idle for more than two windows and the cache's tolerance: the counter is gone, a new one starts at 1
        long idle = t + 50L * 99 + 2 * window + MemoryStateStore.SlidingCounter.TTL_TOLERANCE.toMillis() + 1;
        clock.set(Instant.ofEpochMilli(idle));
        store.execute(new StateOp.CountInWindow("rate:other", idle, window)); // maintenance
        assertThat(store.execute(new StateOp.CountInWindow("rate:busy", idle, window))[0]).isEqualTo(1L);
    }

    @Test
    void aCounterIsWeighedWithItsSlotsOnceItHasThem() {
        MemoryStateStore store = new MemoryStateStore(64L << 20, Clock.systemUTC(), 100);
        long t = 1_700_000_000_000L;
        store.execute(new StateOp.CountInWindow("rate:a", t, 60_000));
        long one = store.bytesUsed();
        for (int i = 1; i < 100; i++) { // the same slot (5 s): the fast path, and the weight stays
            assertThat(store.execute(new StateOp.CountInWindow("rate:a", t + 40L * i, 60_000))[0])
                    .isEqualTo((long) i + 1);
        }
        assertThat(store.bytesUsed()).isEqualTo(one);
        store.execute(new StateOp.CountInWindow("rate:a", t + 10_000, 60_000)); // a second slot: grows
        long grown = store.bytesUsed();
        assertThat(grown - one).isEqualTo(MemoryStateStore.SlidingCounter.SLOTS_BYTES);
        for (int i = 0; i < 100; i++) { // the fast path: the weight stays
            store.execute(new StateOp.CountInWindow("rate:a", t + 10_000 + 100L * i, 60_000));
        }
        assertThat(store.bytesUsed()).isEqualTo(grown);
    }
    /**
     * A counter of new members is weighed with the room it holds for them: two members at first, doubled
     * when full, up to the bound and one more; repeats and members that fit keep its weight.
     */
    @Test
    void aCounterOfNewMembersIsWeighedWithTheRoomForItsMembers() {
        MemoryStateStore store = new MemoryStateStore(64L << 20, Clock.systemUTC(), 100);
        long t = 1_700_000_000_000L;
        store.execute(new StateOp.CountInWindow("rate:a", t, 60_000));
        long plain = store.bytesUsed();
        long headers = MemoryStateStore.SlidingCounter.MEMBERS_BYTES + 16;
        assertThat(store.execute(new StateOp.CountNewInWindow("rate:a", 7, t, 60_000, 32))[0]).isEqualTo(2L);
        assertThat(store.bytesUsed() - plain).as("room for 2").isEqualTo(headers + 16 * 2);
        assertThat(store.execute(new StateOp.CountNewInWindow("rate:a", 7, t + 1, 60_000, 32))[0]).isEqualTo(2L);
        assertThat(store.execute(new StateOp.CountNewInWindow("rate:a", 8, t + 2, 60_000, 32))[0]).isEqualTo(3L);
        assertThat(store.bytesUsed() - plain).as("2 members fit in the room for 2").isEqualTo(headers + 16 * 2);
        assertThat(store.execute(new StateOp.CountNewInWindow("rate:a", 9, t + 3, 60_000, 32))[0]).isEqualTo(4L);
        assertThat(store.bytesUsed() - plain).as("a third: room for 4").isEqualTo(headers + 16 * 4);
        for (int m = 10; m < 15; m++) { // 8 members in all: room for 8, then room for 16
            store.execute(new StateOp.CountNewInWindow("rate:a", m, t + m, 60_000, 32));
        }
        assertThat(store.bytesUsed() - plain).as("8 members").isEqualTo(headers + 16 * 8);
        for (int i = 0; i < 100; i++) { // repeats: the fast path, the weight stays
            assertThat(store.execute(new StateOp.CountNewInWindow("rate:a", 7 + i % 8, t + 100 + i, 60_000, 32))[0])
                    .isEqualTo(9L);
        }
        assertThat(store.bytesUsed() - plain).isEqualTo(headers + 16 * 8);
        for (int i = 0; i < 1000; i++) { // many members: room for the bound and one more, never more
            store.execute(new StateOp.CountNewInWindow("rate:a", 1000 + i, t + 4000, 60_000, 32));
        }
        assertThat(store.bytesUsed() - plain).isEqualTo(headers + 16 * 33);
        assertThat(store.execute(new StateOp.CountNewInWindow("rate:a", 1999, t + 4000, 60_000, 32))[0])
                .as("the last member is remembered").isEqualTo(1009L);
        assertThat(store.execute(new StateOp.CountNewInWindow("rate:a", 1000, t + 4000, 60_000, 32))[0])
                .as("the first of them is forgotten").isEqualTo(1010L);
        assertThat(store.execute(new StateOp.CountNewInWindow("rate:a", 1001, t + 4001, 60_000, 4))[0])
                .as("a lower bound: the earliest forgotten, 1001 among them").isEqualTo(1011L);
        assertThat(store.bytesUsed() - plain).as("room for the lower bound and one more").isEqualTo(headers + 16 * 5);
    }
}
