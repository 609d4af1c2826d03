package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.Signal;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.StateOp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code feature_sweep} against a brute-force reference over generated streams: 1 to 5 callers, 1
 * to 150 queries of 1 to 10 features, values drawn from a few per feature (so that inputs agree on
 * many features and sweeps happen by chance), absent features (NaN), extreme finite values and
 * -0.0; small histories and windows, so that both bounds are reached. The score of every query is
 * the most distinct values of one watched feature among it and the earlier queries the detector may
 * compare it with whose every other compared feature is in a cell at most the tolerance from its own
 * (scope caller: of the features both have, one at least; scope global: exactly the same cell, and
 * the same features present).
 */
class FeatureSweepPropertiesTest {
    private static final long T = 1_700_000_000_000L;
    private static final double[] EXTREMES = {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, -0.0, 0.0,
        1e300, -1e-300};

    private record Stream(long seed, int callers, int queries, int features, int history, int windowSeconds,
            boolean global, int tolerance) {
        double[][] vectors() {
            SplittableRandom r = new SplittableRandom(seed);
            double[][] choices = new double[features][];
            for (int i = 0; i < features; i++) {
                choices[i] = new double[1 + r.nextInt(4)];
                for (int c = 0; c < choices[i].length; c++) {
                    choices[i][c] = r.nextInt(5) == 0 ? EXTREMES[r.nextInt(EXTREMES.length)]
                            : Math.round(r.nextDouble() * 40) / 4.0;
                }
            }
            double[][] out = new double[queries][features];
            for (int q = 0; q < queries; q++) {
                for (int i = 0; i < features; i++) {
                    out[q][i] = r.nextInt(12) == 0 ? Double.NaN : choices[i][r.nextInt(choices[i].length)];
                }
            }
            return out;
        }

        FeatureSweepDetector detector() {
            Set<String> optional = (seed & 1) == 0 ? Set.of() : Set.of("0");
            Set<String> sweep = (seed & 2) == 0 ? null : Set.of("0", "1");
            FeatureSweepDetector.Scope scope = global ? FeatureSweepDetector.Scope.GLOBAL
                    : FeatureSweepDetector.Scope.CALLER;
            // global: a window longer than the stream, and room for every value (high 512: 1,024 members)
            return new FeatureSweepDetector("fs", new FeatureSweepDetector.Config(scope, global ? 3600 : windowSeconds,
                    history, global ? 1 : tolerance, 2.5, Map.of("1", 0.75), sweep, optional, seed, 0, 0,
                    global ? 512 : 3));
        }
    }

    private static org.quicktheories.core.Gen<Stream> streams() {
        return longs().all().zip(integers().between(1, 5), integers().between(1, 150), integers().between(1, 10),
                (seed, callers, queries, features) -> new long[] {seed, callers, queries, features})
                .zip(integers().between(1, 12), integers().between(1, 60), integers().between(0, 7),
                        (a, history, window, g) -> new Stream(a[0], (int) a[1], (int) a[2], (int) a[3], history,
                                window, g == 0, g % 4));
    }

    /** The reference: the score of query {@code q}, from the queries before it. */
    private static long reference(Stream s, FeatureSweepDetector d, double[][] x, String[] caller, long[] time, int q) {
        FeatureSweepDetector.Config c = d.config();
        List<Integer> earlier = new ArrayList<>();
        for (int e = q - 1; e >= 0; e--) {
            if (s.global() || caller[e].equals(caller[q])) {
                earlier.add(e);
            }
        }
        if (!s.global()) { // the caller's last history queries, within the window
            earlier = earlier.subList(0, Math.min(earlier.size(), c.history()));
            earlier.removeIf(e -> time[e] <= time[q] - c.windowSeconds() * 1000);
        }
        long most = 1;
        for (int j = 0; j < s.features(); j++) {
            String fj = Integer.toString(j);
            if (Double.isNaN(x[q][j]) || c.sweep() != null && !c.sweep().contains(fj)) {
                continue;
            }
            Set<Long> values = new HashSet<>();
            values.add(Double.doubleToLongBits(x[q][j] + 0.0));
            for (int e : earlier) {
                if (Double.isNaN(x[e][j]) || !sameRest(d, x[q], x[e], j, s.global() ? 0 : c.tolerance(),
                        !s.global())) {
                    continue;
                }
                values.add(Double.doubleToLongBits(x[e][j] + 0.0));
            }
            most = Math.max(most, values.size());
        }
        return most;
    }

    /**
     * Whether {@code a} and {@code b} are the same but for feature {@code j}: every other compared
     * feature within the tolerance. Scope caller ({@code bothOnly}) compares the features both have
     * and needs one at least (j included, when compared); scope global needs the same features present.
     */
    private static boolean sameRest(FeatureSweepDetector d, double[] a, double[] b, int j, int tolerance,
            boolean bothOnly) {
        int shared = 0;
        for (int i = 0; i < a.length; i++) {
            String f = Integer.toString(i);
            if (d.config().optional().contains(f)) {
                continue;
            }
            boolean absentA = Double.isNaN(a[i]);
            boolean absentB = Double.isNaN(b[i]);
            if (absentA || absentB) {
                if (absentA != absentB && !bothOnly && i != j) {
                    return false;
                }
                continue;
            }
            shared++;
            if (i != j && Math.abs((long) d.cellOf(f, a[i]) - d.cellOf(f, b[i])) > tolerance) {
                return false;
            }
        }
        return !bothOnly || shared > 0;
    }

    @Test
    void shouldScoreEveryQueryAsTheReferenceDoes() {
        qt().withExamples(300).forAll(streams()).checkAssert(s -> {
            FeatureSweepDetector d = s.detector();
            try (MemoryStateStore store = new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000)) {
                DetectorHarness h = new DetectorHarness(store, d);
                double[][] x = s.vectors();
                String[] caller = new String[x.length];
                long[] time = new long[x.length];
                SplittableRandom r = new SplittableRandom(~s.seed());
                long t = T;
                for (int q = 0; q < x.length; q++) {
                    caller[q] = "caller-" + r.nextInt(s.callers());
                    t += r.nextInt(4) == 0 ? 20_000 : 1000;
                    time[q] = t;
                    Signal sig = h.observe(caller[q], t, x[q].clone())[0];
                    assertThat(sig.score()).as("query %d of %s", q, s)
                            .isEqualTo((double) reference(s, d, x, caller, time, q));
                }
            }
        });
    }

    @Test
    void shouldKeepTheCallersHistoryWithinItsBound() {
        qt().withExamples(150).forAll(streams()).checkAssert(s -> {
            FeatureSweepDetector d = new FeatureSweepDetector("fs", new FeatureSweepDetector.Config(
                    FeatureSweepDetector.Scope.CALLER, 3600, s.history(), 1, 1, Map.of(), null, Set.of(), s.seed(), 2,
                    3, 4));
            try (MemoryStateStore store = new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000)) {
                DetectorHarness h = new DetectorHarness(store, d);
                double[][] x = s.vectors();
                Map<String, Integer> sent = new HashMap<>();
                for (int q = 0; q < x.length; q++) {
                    String c = "caller-" + (q % s.callers());
                    Signal sig = h.observe(c, T + q * 100L, x[q].clone())[0];
                    sent.merge(c, 1, Integer::sum);
                    assertThat(sig.score()).isBetween(1.0, (double) Math.min(sent.get(c), s.history() + 1));
                }
                for (String c : sent.keySet()) {
                    @SuppressWarnings("unchecked")
                    List<byte[]> history = (List<byte[]>) store.execute(new StateOp.ListRead("fs:fs:" + c))[0];
                    assertThat(history.size()).isEqualTo(Math.min(sent.get(c), s.history()));
                    for (byte[] e : history) {
                        // a pair per compared and per watched feature, padded to a multiple of 8 pairs
                        assertThat(e.length).isBetween(12, 12 + 8 * ((2 * s.features() + 7) / 8 * 8));
                    }
                }
                // the stated worst case (64 features) could not fail here: bound by the entries this
                // stream's inputs make (a pair per compared and per watched feature, padded), with the
                // packed list's room to grow (up to twice its entries, at least 4) and 256 bytes of key
                // and headers per caller
                long entry = 12 + 8L * ((2 * s.features() + 7) / 8 * 8);
                long bound = sent.values().stream().mapToLong(c -> 2 * Math.max(4, Math.min(c, s.history())) * entry
                        + 256).sum();
                assertThat(store.bytesUsed()).as("within the room for the remembered entries, %s", sent)
                        .isLessThanOrEqualTo(bound);
                assertThat(entry + 48).isLessThanOrEqualTo(d.bytesPerQuery());
            }
        });
    }
}
