package dev.veil.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.spi.StateOp;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The store's bounded lists (packed in one array while entries share one length, a deque otherwise)
 * against the plain model: a deque trimmed to the newest {@code maxLength} entries, whatever the
 * entry lengths and however the bound changes between appends. A packed read hands out the list's
 * own array, so every earlier read must still hold what it held when it was made.
 */
class BoundedListTest {

    @Test
    void appendAndReadMatchADequeTrimmedToTheBound() {
        qt().withExamples(300).forAll(longs().all(), integers().between(1, 400), integers().between(1, 3))
                .checkAssert((seed, steps, lengths) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    MemoryStateStore store = new MemoryStateStore(64L << 20, Clock.systemUTC(), 100);
                    ArrayDeque<byte[]> model = new ArrayDeque<>();
                    List<List<byte[]>> expectedReads = new ArrayList<>();
                    List<List<?>> reads = new ArrayList<>();
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
                            List<?> previous = (List<?>) store.execute(op)[0];
                            assertSame(before, previous);
                            expectedReads.add(before);
                            reads.add(previous);
                        }
                        model.addLast(v);
                        while (model.size() > bound) {
                            model.removeFirst();
                        }
                        List<?> read = (List<?>) store.execute(new StateOp.ListRead("k"))[0];
                        assertSame(new ArrayList<>(model), read);
                        expectedReads.add(new ArrayList<>(model));
                        reads.add(read);
                    }
                    // later appends never change what an earlier read returned
                    for (int i = 0; i < reads.size(); i++) {
                        assertSame(expectedReads.get(i), reads.get(i));
                    }
                });
    }

    @Test
    void equalLengthEntriesComeBackPackedAndAreWeighedByTheirArray() {
        MemoryStateStore store = new MemoryStateStore(64L << 20, Clock.systemUTC(), 100);
        for (int i = 0; i < 150; i++) {
            store.submit(new StateOp.ListAppend("knn:caller", new byte[264], 100, 60_000));
        }
        Object read = store.execute(new StateOp.ListRead("knn:caller"))[0];
        assertThat(read).isInstanceOf(PackedEntries.class);
        // a full list of 100 keeps room for slack(100) = 6 more appends without a copy
        int slots = 100 + MemoryStateStore.BoundedList.slack(100);
        assertThat(((PackedEntries) read).array()).hasSize(slots * 264);
        assertThat(store.bytesUsed()).isBetween((long) slots * 264, (long) slots * 264 + 200);
    }

    /** The same list read at each step: a read is its list's own array, not a copy, until the array is replaced. */
    @Test
    void aFullListIsCopiedOnceEverySlackPlusOneAppendsNotOnEveryRead() {
        MemoryStateStore store = new MemoryStateStore(64L << 20, Clock.systemUTC(), 100);
        int bound = 200;
        int slack = MemoryStateStore.BoundedList.slack(bound);
        for (int i = 0; i < 3 * bound; i++) {
            store.submit(new StateOp.ListAppend("k", new byte[] {(byte) i, 1, 2, 3}, bound, 60_000));
        }
        int replaced = 0;
        byte[] array = ((PackedEntries) store.execute(new StateOp.ListRead("k"))[0]).array();
        for (int i = 0; i < 10 * (slack + 1); i++) { // the oldest leaves slack times, the next append copies
            store.submit(new StateOp.ListAppend("k", new byte[] {(byte) i, 1, 2, 3}, bound, 60_000));
            byte[] now = ((PackedEntries) store.execute(new StateOp.ListRead("k"))[0]).array();
            if (now != array) {
                replaced++;
                array = now;
            }
        }
        assertThat(replaced).isEqualTo(10);
    }

    private static void assertSame(List<byte[]> expected, List<?> actual) {
        assertThat(actual).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat((byte[]) actual.get(i)).as("entry %d", i).isEqualTo(expected.get(i));
        }
        if (actual instanceof PackedEntries p) { // the array and offset a detector reads say the same
            for (int i = 0; i < expected.size(); i++) {
                byte[] e = expected.get(i);
                assertThat(Arrays.copyOfRange(p.array(), p.offset() + i * p.stride(),
                        p.offset() + (i + 1) * p.stride())).as("packed entry %d", i).isEqualTo(e);
            }
        }
    }
}
