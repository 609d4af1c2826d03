package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Invariants of the similarity detectors over generated query streams: 1 to 6 callers, 1 to 160
 * queries, 1 to 800 features, mixing uniform noise, near copies of a few base vectors, exact
 * repeats, constant vectors and extreme finite values (+-Double.MAX_VALUE, subnormals, -0.0), and
 * generated small configurations (short histories, few hashes, few members per hash), so that every
 * bound is reached many times.
 */
class DetectorPropertiesTest {
    private static final int EXAMPLES = 150;
    private static final long T = 1_700_000_000_000L;

    /** One generated stream and configuration. */
    private record Stream(long seed, int callers, int queries, int features, int history, int keep, int members,
            int k) {
        StatefulDetector[] detectors() {
            return new StatefulDetector[] {
                new NearDuplicateDetector("nd", new NearDuplicateDetector.Config(NearDuplicateDetector.Index.BOTH,
                        1 + (int) (seed & 15), 1 + (int) ((seed >>> 4) & 3), 50, keep, seed, members, 3600, 1,
                        Math.max(1, keep / 2), keep)),
                new KnnDetector("knn", new KnnDetector.Config(k, history, Math.min(k, 3), 16, seed, 3600, 0.3, 0.2,
                        0.1)),
                new KnnGlobalDetector("kg", new KnnGlobalDetector.Config(5, 2, 4, 0.2, 16, seed, 2, 3, 4)),
            };
        }

        double[][] vectors() {
            SplittableRandom r = new SplittableRandom(seed);
            double[][] base = new double[3][features];
            for (double[] b : base) {
                for (int i = 0; i < features; i++) {
                    b[i] = r.nextDouble();
                }
            }
            double[][] out = new double[queries][];
            for (int q = 0; q < queries; q++) {
                int kind = r.nextInt(6);
                double[] x = new double[features];
                switch (kind) {
                    case 0 -> {
                        for (int i = 0; i < features; i++) {
                            x[i] = r.nextDouble();
                        }
                    }
                    case 1 -> {
                        double[] b = base[r.nextInt(3)];
                        for (int i = 0; i < features; i++) {
                            x[i] = b[i] + 0.001 * (r.nextDouble() - 0.5);
                        }
                    }
                    case 2 -> x = q > 0 ? out[r.nextInt(q)] : x; // an exact repeat (the same array, as a retry)
                    case 3 -> Arrays.fill(x, r.nextInt(3) - 1);
                    case 4 -> {
                        double[] extremes = {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, -0.0, 1e300,
                            -1e-300, 1e15, 0.5};
                        for (int i = 0; i < features; i++) {
                            x[i] = extremes[r.nextInt(extremes.length)];
                        }
                    }
                    default -> {
                        for (int i = 0; i < features; i++) {
                            x[i] = (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(40) - 20);
                        }
                    }
                }
                out[q] = x;
            }
            return out;
        }
    }

    private static org.quicktheories.core.Gen<Stream> streams() {
        return longs().all().zip(integers().between(1, 6), integers().between(1, 160),
                arbitrary().pick(1, 2, 7, 19, 20, 21, 64, 100, 784, 800), (seed, callers, queries, features) ->
                        new long[] {seed, callers, queries, features})
                .zip(integers().between(1, 12), integers().between(1, 20), integers().between(1, 4),
                        (a, history, keep, members) -> new Stream(a[0], (int) a[1], (int) a[2], (int) a[3], history,
                                keep, members, 1 + (int) Math.floorMod(a[0] >>> 7, history)));
    }

    /** A state store that records the operations it is handed, over a real in-memory store. */
    private static final class RecordingStore extends dev.veil.ForwardingStateStore {
        final List<StateOp> ops = new ArrayList<>();
        final List<Object> results = new ArrayList<>();

        RecordingStore() {
            super(new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000));
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public Object[] execute(StateOp... batch) {
            Object[] r = inner.execute(batch);
            ops.addAll(List.of(batch));
            results.addAll(Arrays.asList(r));
            return r;
        }

        @Override
        public void submit(StateOp... batch) {
            execute(batch);
        }
    }

    private static List<Signal[]> run(Stream s, StateStore store, StatefulDetector[] detectors) {
        DetectorHarness h = new DetectorHarness(store, detectors);
        double[][] x = s.vectors();
        List<Signal[]> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(~s.seed());
        for (int q = 0; q < x.length; q++) {
            out.add(h.observe("caller-" + r.nextInt(s.callers()), T + q * 700L, x[q]));
        }
        return out;
    }

    @Test
    void shouldKeepStateWithinTheBoundsOfItsOperations() {
        qt().withExamples(EXAMPLES).forAll(streams()).checkAssert(s -> {
            RecordingStore store = new RecordingStore();
            StatefulDetector[] d = s.detectors();
            run(s, store, d);
            int kgCounters = 0;
            for (int i = 0; i < store.ops.size(); i++) {
                StateOp op = store.ops.get(i);
                if (op instanceof StateOp.ListAppend a) {
                    assertThat(a.maxLength()).isEqualTo(s.history());
                    assertThat(a.value()).hasSize(8 + 4 * 16);
                    @SuppressWarnings("unchecked")
                    List<byte[]> before = (List<byte[]>) store.results.get(i);
                    assertThat(before.size()).isLessThanOrEqualTo(s.history());
                } else if (op instanceof StateOp.Fingerprint f) {
                    assertThat(f.hashes().length).isBetween(1, s.keep());
                    assertThat(Arrays.stream(f.hashes()).distinct().count()).isEqualTo(f.hashes().length);
                    assertThat(f.maxMembersPerHash()).isEqualTo(s.members());
                    StateOp.FingerprintMatch m = (StateOp.FingerprintMatch) store.results.get(i);
                    assertThat(m.shared()).as("a member is counted once per hash").isLessThanOrEqualTo(
                            f.hashes().length);
                } else if (op instanceof StateOp.CountNewInWindow c) {
                    assertThat(c.windowMillis()).isEqualTo(5000);
                    assertThat(c.maxMembers()).as("twice the highest level (4)").isEqualTo(8);
                    // 0 is possible: a repeat whose count left the window a slot before the member did
                    assertThat((Long) store.results.get(i)).isNotNegative();
                    kgCounters++;
                }
            }
            assertThat(kgCounters).as("one counter a table (2) a query").isEqualTo(2 * s.queries());
            Set<String> callers = new HashSet<>();
            for (int c = 0; c < s.callers(); c++) {
                callers.add("caller-" + c);
            }
            for (String c : callers) {
                @SuppressWarnings("unchecked")
                List<byte[]> history = (List<byte[]>) store.execute(new StateOp.ListRead("knn:knn:" + c))[0];
                assertThat(history.size()).isLessThanOrEqualTo(s.history());
            }
            long perQuery = Arrays.stream(d).mapToLong(StatefulDetector::bytesPerQuery).sum();
            assertThat(store.bytesUsed()).as("state within the detectors' stated bytes per query")
                    .isLessThanOrEqualTo(perQuery * s.queries() + 256L * s.callers());
        });
    }

    /**
     * knn_global alone (the bound above is dominated by the detectors that remember queries): its
     * cells' counters, with the inputs they remember, stay within its stated bytes per query, also
     * when a cell sees more distinct inputs than it may remember, and copies among them.
     */
    @Test
    void shouldKeepKnnGlobalWithinItsStatedBytesPerQuery() {
        qt().withExamples(EXAMPLES).forAll(longs().all(), integers().between(1, 600), integers().between(1, 5),
                integers().between(1, 6)).checkAssert((seed, queries, bases, high) -> {
                    KnnGlobalDetector d = new KnnGlobalDetector("kg",
                            new KnnGlobalDetector.Config(5, 2, 4, 0.2, 16, seed, 0, 0, high));
                    MemoryStateStore store = new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000);
                    DetectorHarness h = new DetectorHarness(store, d);
                    SplittableRandom r = new SplittableRandom(seed);
                    double[][] base = new double[bases][16];
                    for (double[] b : base) {
                        for (int j = 0; j < b.length; j++) {
                            b[j] = r.nextDouble();
                        }
                    }
                    List<double[]> sent = new ArrayList<>();
                    for (int q = 0; q < queries; q++) {
                        double[] x;
                        if (!sent.isEmpty() && r.nextInt(4) == 0) {
                            x = sent.get(r.nextInt(sent.size())).clone(); // a copy
                        } else {
                            x = base[r.nextInt(bases)].clone(); // a near input: mostly the base's cell
                            for (int j = 0; j < x.length; j++) {
                                x[j] += 1e-4 * r.nextDouble();
                            }
                            sent.add(x.clone());
                        }
                        Signal sig = h.observe("caller-" + r.nextInt(7), T + q * 20L, x)[0];
                        assertThat(sig.score()).isBetween(1.0, (double) q + 1);
                    }
                    assertThat(store.bytesUsed()).as("state within knn_global's stated bytes per query")
                            .isLessThanOrEqualTo(d.bytesPerQuery() * queries);
                    store.close();
                });
    }

    @Test
    void shouldEvaluateEveryFiniteStreamWithoutThrowing() {
        qt().withExamples(EXAMPLES).forAll(streams()).checkAssert(s -> {
            List<Signal[]> signals = run(s, new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000), s.detectors());
            assertThat(signals).hasSize(s.queries());
            for (Signal[] q : signals) {
                assertThat(q[0].score()).isBetween(0.0, (double) s.keep());
                assertThat(q[1].score() == -1 || q[1].score() >= 0).as("knn score %s", q[1].score()).isTrue();
                assertThat(q[1].level() == Level.NONE || q[1].score() >= 0).isTrue();
                assertThat(q[2].score()).isGreaterThanOrEqualTo(1);
                for (Signal sig : q) {
                    assertThat(Double.isFinite(sig.score())).as(sig.toString()).isTrue();
                }
            }
        });
    }

    @Test
    void shouldGiveTheSameSignalsForTheSameStream() {
        qt().withExamples(EXAMPLES).forAll(streams()).checkAssert(s -> {
            List<Signal[]> a = run(s, new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000), s.detectors());
            List<Signal[]> b = run(s, new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000), s.detectors());
            for (int q = 0; q < a.size(); q++) {
                assertThat(b.get(q)).as("query %d", q).containsExactly(a.get(q));
            }
        });
    }

    @Test
    void shouldNeverLetRetriesAloneRaiseALevel() {
        qt().withExamples(EXAMPLES).forAll(streams(), integers().between(2, 200)).checkAssert((s, copies) -> {
            double[] x = s.vectors()[0];
            DetectorHarness h = new DetectorHarness(new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000),
                    s.detectors());
            for (int i = 0; i < copies; i++) {
                for (Signal sig : h.observe("caller-" + (i % s.callers()), T + i * 10L, x.clone())) {
                    assertThat(sig.level()).as("copy %d: %s", i, sig).isEqualTo(Level.NONE);
                }
            }
        });
    }
}
