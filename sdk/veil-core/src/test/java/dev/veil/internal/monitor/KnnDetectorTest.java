package dev.veil.internal.monitor;

import static dev.veil.internal.monitor.NearDuplicateDetectorTest.image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.internal.monitor.traffic.SyntheticDigits;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.StateOp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KnnDetectorTest {
    private static final long T = 1_700_000_000_000L;

    static KnnDetector detector(Object... keyValues) {
        Map<String, Object> m = DetectorHarness.config(keyValues);
        return new KnnDetector("knn", KnnDetector.Config.from(m));
    }

    /** 0.5 everywhere plus N(0, sigma) per feature: no clipping, per-feature RMS distance sigma sqrt(2). */
    static double[] grey(double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[784];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.5 + sigma * SyntheticDigits.gaussian(r);
        }
        return x;
    }

    @Test
    void shouldReadDefaultsAndEveryKey() {
        assertThat(KnnDetector.Config.from(Map.of())).isEqualTo(KnnDetector.Config.DEFAULT);
        assertThat(KnnDetector.Config.from(Map.of("type", "knn", "k", 8, "history", 50, "min_history", 3,
                "dimensions", 32, "seed", 2, "ttl_seconds", 60, "low", 0.3, "medium", 0.2, "high", 0))).isEqualTo(
                new KnnDetector.Config(8, 50, 3, 32, 2, 60, 0.3, 0.2, 0));
        assertThat(KnnDetector.Config.from(Map.of("k", 3)).minHistory()).as("min_history follows a small k")
                .isEqualTo(3);
    }

    @Test
    void shouldRefuseBadConfiguration() {
        assertThatThrownBy(() -> detector("neighbours", 5)).hasMessage("unknown key(s) [neighbours] for detector 'knn'"
                + " (known keys: [dimensions, high, history, k, low, medium, min_history, pool, seed, thresholds, ttl_seconds, "
                + "type, width])");
        assertThatThrownBy(() -> detector("k", 200)).hasMessage("k must be in [1, history (100)], was 200");
        assertThatThrownBy(() -> detector("history", 0)).hasMessage("history must be in [1, 1000], was 0");
        assertThatThrownBy(() -> detector("min_history", 30)).hasMessage("min_history must be in [1, k (20)], was 30");
        assertThatThrownBy(() -> detector("dimensions", 4)).hasMessage("dimensions must be in [8, 512], was 4");
        assertThatThrownBy(() -> detector("ttl_seconds", 0)).hasMessage("ttl_seconds must be in [1, 604800], was 0");
        assertThatThrownBy(() -> detector("low", 0.1, "medium", 0.2)).hasMessage("thresholds are distances and must "
                + "not increase: low >= medium >= high (RMS distance per feature), was 0.1, 0.2, 0.115 (a level left out keeps its default, listed in docs/veil-policy.schema.json; set it to 0 to leave it unused)");
        assertThatThrownBy(() -> detector("high", -0.1))
                .hasMessage("high must be 0 (not used) or > 0 (RMS distance per feature), was -0.1");
        assertThatThrownBy(() -> detector("high", Double.POSITIVE_INFINITY))
                .hasMessage("high must be 0 (not used) or > 0 (RMS distance per feature), was Infinity");
        assertThatThrownBy(() -> detector("high", "0.1")).hasMessage("high must be a number, was '0.1'");
        assertThatThrownBy(() -> detector("low", 0, "medium", 0, "high", 0))
                .hasMessage("set at least one of low, medium, high");
    }

    /** A distance equal to a threshold does not reach its level: strictly below, as veil calibrate assumes. */
    @Test
    void levelsAreReachedStrictlyBelowTheirThresholds() {
        assertThat(Thresholds.levelBelow(0.115, 0.14, 0.125, 0.115)).isEqualTo(Level.MEDIUM);
        assertThat(Thresholds.levelBelow(Math.nextDown(0.115), 0.14, 0.125, 0.115)).isEqualTo(Level.HIGH);
        assertThat(Thresholds.levelBelow(0.125, 0.14, 0.125, 0.115)).isEqualTo(Level.LOW);
        assertThat(Thresholds.levelBelow(0.14, 0.14, 0.125, 0.115)).isEqualTo(Level.NONE);
        assertThat(Thresholds.levelBelow(0.1, 0.14, 0, 0)).isEqualTo(Level.LOW);
        assertThat(Thresholds.levelBelow(0.0, 0, 0, 0.115)).isEqualTo(Level.HIGH);
    }

    @Test
    void shouldStayColdUntilMinHistoryDistinctQueries() {
        DetectorHarness h = new DetectorHarness(new MemoryStateStore(16 << 20, Clock.systemUTC(), 100), detector());
        for (int i = 0; i < 5; i++) {
            assertThat(h.observe("a", T + i, grey(0.05, i))[0]).isEqualTo(new Signal("knn", Level.NONE, -1));
        }
        Signal sixth = h.observe("a", T + 5, grey(0.05, 5))[0];
        assertThat(sixth.score()).isCloseTo(0.05 * Math.sqrt(2), within(0.01));
        assertThat(sixth.level()).isEqualTo(Level.HIGH);
        assertThat(h.observe("b", T + 6, grey(0.05, 6))[0].score()).as("another caller's history").isEqualTo(-1);
    }

    @Test
    void shouldNeverAlarmOnRetriesAlone() {
        DetectorHarness h = new DetectorHarness(new MemoryStateStore(16 << 20, Clock.systemUTC(), 100), detector());
        double[] x = image(1);
        for (int i = 0; i < 150; i++) {
            assertThat(h.observe("a", T + i, x.clone())[0]).as("retry %d", i).isEqualTo(new Signal("knn", Level.NONE, -1));
        }
        // the retries count once: four more distinct inputs end the cold start
        for (int i = 0; i < 4; i++) {
            assertThat(h.observe("a", T + 200 + i, image(10 + i))[0].score()).isEqualTo(-1);
        }
        Signal s = h.observe("a", T + 300, image(20))[0];
        assertThat(s.score()).isGreaterThan(0.15);
        assertThat(s.level()).isEqualTo(Level.NONE);
    }

    @Test
    void shouldLeaveIndependentInputsAlone() {
        DetectorHarness h = new DetectorHarness(new MemoryStateStore(16 << 20, Clock.systemUTC(), 100), detector());
        for (int i = 0; i < 60; i++) {
            Signal s = h.observe("a", T + i, image(100 + i))[0];
            assertThat(s.level()).as("query %d, score %s", i, s.score()).isEqualTo(Level.NONE);
        }
    }

    private static byte[] entry(SparseSketch sk, long hash, double[] x) {
        return sk.encode(hash, sk.project(x));
    }

    @Test
    void shouldAverageTheNearerHalfButAtLeastMinHistoryAndAtMostK() {
        SparseSketch sk = new SparseSketch(64, 7);
        double[] origin = new double[784];
        float[] s = sk.project(origin);
        List<byte[]> prev = new ArrayList<>();
        // neighbours at distances 1, 2, ..., 60 along one feature (a sparse sketch keeps single-feature distances)
        for (int i = 1; i <= 60; i++) {
            double[] x = new double[784];
            x[0] = i;
            prev.add(entry(sk, i, x));
        }
        assertThat(KnnDetector.meanNearest(99, s, prev.subList(0, 4), 20, 5, sk)).isEqualTo(-1);
        assertThat(KnnDetector.meanNearest(99, s, prev.subList(0, 6), 20, 5, sk)).as("6: at least 5")
                .isCloseTo(3, within(1e-4));
        assertThat(KnnDetector.meanNearest(99, s, prev.subList(0, 16), 20, 5, sk)).as("16: the nearer 8")
                .isCloseTo(4.5, within(1e-4));
        assertThat(KnnDetector.meanNearest(99, s, prev, 20, 5, sk)).as("60: at most 20").isCloseTo(10.5, within(1e-4));
        // exact copies of this vector are skipped, copies among the earlier queries count once
        List<byte[]> copies = new ArrayList<>(prev.subList(0, 6));
        copies.add(entry(sk, 99, origin));
        copies.add(copies.get(0).clone());
        copies.add(copies.get(0).clone());
        assertThat(KnnDetector.meanNearest(99, s, copies, 20, 5, sk)).isCloseTo(3, within(1e-4));
        // a hash alone makes no copy: it is public, and an attacker who knows the seed can give every
        // probe this query's hash (or one hash for all) to have them skipped
        List<byte[]> forged = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            double[] x = new double[784];
            x[0] = i;
            forged.add(entry(sk, i % 2 == 0 ? 99 : 7, x));
        }
        assertThat(KnnDetector.meanNearest(99, s, forged, 20, 5, sk)).as("forged hashes: still 6 distinct")
                .isCloseTo(3, within(1e-4));
        // entries of another sketch size (a changed configuration) are skipped
        List<byte[]> mixed = new ArrayList<>(prev.subList(0, 3));
        SparseSketch other = new SparseSketch(32, 7);
        for (int i = 0; i < 10; i++) {
            mixed.add(other.encode(1000 + i, other.project(origin)));
        }
        assertThat(KnnDetector.meanNearest(99, s, mixed, 20, 5, sk)).isEqualTo(-1);
    }

    @Test
    void shouldAppendOneBoundedEntryPerQuery() {
        KnnDetector d = detector("history", 30, "k", 10);
        List<StateOp> ops = new ArrayList<>();
        d.plan(new dev.veil.spi.Query(new dev.veil.Caller("a", dev.veil.AuthMethod.API_KEY, java.util.Set.of(), "",
                Map.of()), T, dev.veil.Features.of(image(1))), ops);
        assertThat(ops).singleElement().isInstanceOfSatisfying(StateOp.ListAppend.class, a -> {
            assertThat(a.key()).isEqualTo("knn:knn:a");
            assertThat(a.value()).hasSize(8 + 4 * 64);
            assertThat(a.maxLength()).isEqualTo(30);
            assertThat(a.ttlMillis()).isEqualTo(86_400_000L);
        });
        assertThat(d.bytesPerQuery()).isEqualTo(8 + 4 * 64 + 16);
    }

    /** The partial insertion selection gives the bits a full sort would: the m smallest, summed ascending. */
    @Test
    void shouldTakeTheMeanOfTheSmallestAsAFullSortWould() {
        qt().withExamples(2_000).forAll(integers().between(1, 150), integers().between(1, 150), longs().all())
                .checkAssert((n, mRaw, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    int m = Math.min(mRaw, n);
                    double[] v = new double[n + 3]; // slack past n must be ignored
                    for (int i = 0; i < v.length; i++) {
                        // few distinct values (ties) or spread ones, as distances may be
                        v[i] = r.nextBoolean() ? r.nextInt(4) * 0.25 : r.nextDouble() * 10;
                    }
                    double[] sorted = java.util.Arrays.copyOf(v, n);
                    java.util.Arrays.sort(sorted);
                    double sum = 0;
                    for (int j = 0; j < m; j++) {
                        sum += sorted[j];
                    }
                    assertThat(Double.doubleToRawLongBits(KnnDetector.meanOfSmallest(v, n, m)))
                            .isEqualTo(Double.doubleToRawLongBits(sum / m));
                });
    }
}
