package dev.veil.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.spi.StateOp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The store's memory cap holds whenever a batch of operations has returned, whatever the batches:
 * the caches evict on the calling thread (their maintenance runs there), not later on another one.
 */
class MemoryStateStoreCapTest {
    private static final long CAP = 1L << 20;

    @Test
    void everyBatchReturnsWithTheStoreWithinItsCap() {
        qt().withExamples(40).forAll(longs().all(), integers().between(1, 40)).checkAssert((seed, maxBatch) -> {
            SplittableRandom r = new SplittableRandom(seed);
            MemoryStateStore store = new MemoryStateStore(CAP, Clock.systemUTC(), 1000);
            long now = 1_700_000_000_000L;
            // Enough list bytes that the cap must evict: three times the cap written.
            long written = 0;
            for (int b = 0; written < 3 * CAP; b++) {
                List<StateOp> batch = new ArrayList<>();
                for (int i = 1 + r.nextInt(maxBatch); i > 0; i--) {
                    StateOp op = randomOp(r, now);
                    written += op instanceof StateOp.ListAppend a ? a.value().length : 0;
                    batch.add(op);
                    now += r.nextInt(50);
                }
                StateOp[] ops = batch.toArray(new StateOp[0]);
                if (r.nextBoolean()) {
                    store.execute(ops);
                } else {
                    store.submit(ops);
                }
                assertThat(store.bytesUsed()).as("after batch %d", b).isLessThanOrEqualTo(CAP);
            }
        });
    }

    /**
     * A history forgotten to make room is counted and, in a live Guard's store, logged (once for a
     * burst, at most once a minute): the attack detectors then forget the quietest callers, and nothing
     * else would say so. Histories that expire by their time to live are not counted; a replay's
     * store counts without logging (the replay says it in its own terms).
     */
    @Test
    void historiesForgottenToMakeRoomAreCountedAndLoggedOnce() {
        try (dev.veil.LogCapture log = dev.veil.LogCapture.warnings("dev.veil.Guard")) {
            java.util.function.Supplier<List<String>> warned = () -> log.messages().stream()
                    .filter(m -> m.contains("at its cap")).toList();
            MemoryStateStore store = new MemoryStateStore(CAP, Clock.systemUTC(), 1000);
            byte[] entry = new byte[1000];
            for (int caller = 0; caller < 20; caller++) { // 20 KB: far below the lists' half of 1 MiB
                store.execute(new StateOp.ListAppend("list:c" + caller, entry, 100, 60_000));
            }
            assertThat(store.evictedForRoom()).isZero();
            assertThat(warned.get()).isEmpty();
            for (int caller = 0; caller < 2000; caller++) { // 2 MB of histories, four times their share
                store.execute(new StateOp.ListAppend("list:c" + caller, entry, 100, 60_000));
            }
            assertThat(store.evictedForRoom()).isGreaterThan(1000);
            assertThat(warned.get()).singleElement().asString().contains("the in-memory state store is at its cap for "
                    + "detector histories, windows or fingerprint indexes (stateMemory 1 MiB)").contains("raise "
                    + "Guard.Builder.stateMemory");

            // a rate detector's windows too (counters per caller, their own share)
            MemoryStateStore counted = MemoryStateStore.onClockTime(CAP, Clock.systemUTC(), 1000);
            for (int caller = 0; caller < 50_000; caller++) {
                counted.execute(new StateOp.CountInWindow("c" + caller, 1_700_000_000_000L, 60_000));
            }
            assertThat(counted.evictedForRoom()).isGreaterThan(10_000);

            java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_700_000_000_000L);
            Clock replayClock = new Clock() {
                @Override
                public java.time.ZoneId getZone() {
                    return java.time.ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(java.time.ZoneId zone) {
                    return this;
                }

                @Override
                public java.time.Instant instant() {
                    return java.time.Instant.ofEpochMilli(now.get());
                }
            };
            MemoryStateStore replay = MemoryStateStore.onClockTime(CAP, replayClock, 1000);
            for (int caller = 0; caller < 20; caller++) {
                replay.execute(new StateOp.ListAppend("list:c" + caller, entry, 100, 60_000));
            }
            now.addAndGet(120_000); // past their time to live: expired, not evicted for room
            for (int caller = 20; caller < 40; caller++) {
                replay.execute(new StateOp.ListAppend("list:c" + caller, entry, 100, 60_000));
            }
            assertThat(replay.evictedForRoom()).isZero();
            for (int caller = 0; caller < 2000; caller++) {
                replay.execute(new StateOp.ListAppend("list:c" + caller, entry, 100, 60_000));
            }
            assertThat(replay.evictedForRoom()).isGreaterThan(1000);
            assertThat(warned.get()).as("a replay's store does not log").hasSize(1);
        }
    }

    private static StateOp randomOp(SplittableRandom r, long now) {
        String key = "k" + r.nextInt(400);
        switch (r.nextInt(4)) {
            case 0, 1: {
                byte[] value = new byte[1 + r.nextInt(r.nextBoolean() ? 64 : 4096)];
                r.nextBytes(value);
                return new StateOp.ListAppend("list:" + key, value, 1 + r.nextInt(200), 60_000);
            }
            case 2: {
                long[] hashes = new long[1 + r.nextInt(64)];
                for (int i = 0; i < hashes.length; i++) {
                    hashes[i] = r.nextLong(1, Long.MAX_VALUE);
                }
                return new StateOp.Fingerprint("index:" + r.nextInt(8), java.util.Arrays.stream(hashes)
                        .distinct().toArray(), "m" + r.nextInt(100_000), 1 + r.nextInt(20), 60_000);
            }
            default:
                return new StateOp.CountInWindow("count:" + key, now, 12_000);
        }
    }
}
