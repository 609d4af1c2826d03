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
