package dev.veil.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.spi.StateOp;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The store's bounded lists (a packed ring while entries share one length, a deque otherwise)
 * against the plain model: a deque trimmed to the newest {@code maxLength} entries, whatever the
 * entry lengths and however the bound changes between appends.
 */
class BoundedListTest {

    @Test
    void appendAndReadMatchADequeTrimmedToTheBound() {
        qt().withExamples(300).forAll(longs().all(), integers().between(1, 400), integers().between(1, 3))
                .checkAssert((seed, steps, lengths) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    MemoryStateStore store = new MemoryStateStore(64L << 20, Clock.systemUTC(), 100);
                    ArrayDeque<byte[]> model = new ArrayDeque<>();
                    int bound = 1 + r.nextInt(12);
                    for (int i = 0; i < steps; i++) {
                        if (r.nextInt(20) == 0) {
                            bound = 1 + r.nextInt(12); // the bound may change (another policy)
                        }
                        byte[] v = new byte[lengths == 1 ? 9 : 8 + r.nextInt(lengths)];
                        r.nextBytes(v);
                        boolean submitted = r.nextBoolean();
                        StateOp.ListAppend op = new StateOp.ListAppend("k", v, bound, 60_000);
                        List<byte[]> before = new ArrayList<>(model);
                        if (submitted) {
                            store.submit(op);
                        } else {
                            assertSame(before, (List<?>) store.execute(op)[0]);
                        }
                        model.addLast(v);
                        while (model.size() > bound) {
                            model.removeFirst();
                        }
                        assertSame(new ArrayList<>(model), (List<?>) store.execute(new StateOp.ListRead("k"))[0]);
                    }
                });
    }

    @Test
    void equalLengthEntriesComeBackPackedAndAreWeighedByTheirRing() {
        MemoryStateStore store = new MemoryStateStore(64L << 20, Clock.systemUTC(), 100);
        for (int i = 0; i < 150; i++) {
            store.submit(new StateOp.ListAppend("knn:caller", new byte[264], 100, 60_000));
        }
        Object read = store.execute(new StateOp.ListRead("knn:caller"))[0];
        assertThat(read).isInstanceOf(PackedEntries.class);
        assertThat(((PackedEntries) read).data()).hasSize(100 * 264);
        assertThat(store.bytesUsed()).isBetween(100L * 264, 100L * 264 + 200);
    }

    private static void assertSame(List<byte[]> expected, List<?> actual) {
        assertThat(actual).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat((byte[]) actual.get(i)).as("entry %d", i).isEqualTo(expected.get(i));
        }
    }
}
