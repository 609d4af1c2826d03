package dev.veil.internal.monitor;

import static dev.veil.internal.monitor.NearDuplicateDetectorTest.image;
import static dev.veil.internal.monitor.NearDuplicateDetectorTest.perturb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.internal.state.MemoryStateStore;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KnnGlobalDetectorTest {
    private static final long T = 1_700_000_000_000L;

    static KnnGlobalDetector detector(Object... keyValues) {
        Map<String, Object> m = DetectorHarness.config(keyValues);
        return new KnnGlobalDetector("knn_global", KnnGlobalDetector.Config.from(m));
    }

    static DetectorHarness harness(StatefulDetector d) {
        return new DetectorHarness(new MemoryStateStore(16 << 20, Clock.systemUTC(), 1000), d);
    }

    @Test
    void shouldReadDefaultsAndEveryKey() {
        assertThat(KnnGlobalDetector.Config.from(Map.of())).isEqualTo(KnnGlobalDetector.Config.DEFAULT);
        Map<String, Object> all = new HashMap<>(Map.of("type", "knn_global", "window_seconds", 30, "tables", 2,
                "projections", 6, "cell_width", 0.5, "dimensions", 32, "seed", 3));
        all.putAll(Map.of("low", 0, "medium", 5, "high", 9));
        assertThat(KnnGlobalDetector.Config.from(all)).isEqualTo(new KnnGlobalDetector.Config(30, 2, 6, 0.5, 32, 3, 0,
                5, 9));
    }

    @Test
    void shouldRefuseBadConfiguration() {
        assertThatThrownBy(() -> detector("window", 60)).hasMessage("unknown key(s) [window] for detector 'knn_global'"
                + " (known keys: [cell_width, dimensions, high, low, medium, pool, projections, seed, tables, thresholds, type, "
                + "width, window_seconds])");
        assertThatThrownBy(() -> detector("window_seconds", 0)).hasMessage("window_seconds must be in [1, 86400], was 0");
        assertThatThrownBy(() -> detector("tables", 17)).hasMessage("tables must be in [1, 16], was 17");
        assertThatThrownBy(() -> detector("projections", 0)).hasMessage("projections must be in [1, 32], was 0");
        assertThatThrownBy(() -> detector("cell_width", 0)).hasMessage("cell_width must be in (0, 1000], was 0.0");
        assertThatThrownBy(() -> detector("cell_width", Double.NaN)).hasMessage("cell_width must be a number, was NaN");
        assertThatThrownBy(() -> detector("dimensions", 1024)).hasMessage("dimensions must be in [8, 512], was 1024");
        assertThatThrownBy(() -> detector("high", 5)).hasMessage(
                "thresholds must not decrease: low <= medium <= high (distinct inputs in a cell), was 8, 10, 5 (a level left out keeps its default, listed in docs/veil-policy.schema.json; set it to 0 to leave it unused)");
        assertThatThrownBy(() -> detector("low", -1))
                .hasMessage("low must be 0 (not used) or >= 1 (distinct inputs in a cell), was -1");
        assertThatThrownBy(() -> detector("high", 2.5)).hasMessage("high must be an integer, was 2.5");
    }

    @Test
    void shouldCountNearQueriesFromManyCallersInAWindow() {
        DetectorHarness h = harness(detector());
        double[] x = image(1);
        Signal last = null;
        for (int i = 0; i < 12; i++) {
            last = h.observe("account-" + i, T + i * 1000L, perturb(x, 0.001, i))[0];
            assertThat(last.score()).as("query %d", i).isEqualTo(i + 1);
        }
        assertThat(last.level()).isEqualTo(Level.HIGH);
        // a minute later the window has moved on
        assertThat(h.observe("account-99", T + 12_000 + 61_000, perturb(x, 0.001, 99))[0].score()).isEqualTo(1);
    }

    @Test
    void shouldSpreadIndependentInputsOverCells() {
        DetectorHarness h = harness(detector());
        for (int i = 0; i < 200; i++) {
            assertThat(h.observe("c" + i, T + i * 100L, image(1000 + i))[0].score()).isLessThan(4);
        }
    }

    @Test
    void shouldNotCountRetriesOfOneVectorByOneCallerOrMany() {
        DetectorHarness h = harness(detector());
        double[] x = image(2);
        for (int i = 0; i < 50; i++) {
            assertThat(h.observe("a", T + i * 100L, x.clone())[0]).isEqualTo(new Signal("knn_global", Level.NONE, 1));
        }
        for (int i = 0; i < 50; i++) {
            assertThat(h.observe("caller-" + i, T + 6000 + i * 100L, x.clone())[0].score()).isEqualTo(1);
        }
    }

    @Test
    void shouldCountProbesForgedToHashAsTheQueryTheyProbe() {
        // Probes moved by a few units in the last place so that the hash which recognised copies
        // before CopyHash (a polynomial one) took them all for copies of x, which count once.
        DetectorHarness h = harness(detector());
        double[] x = CopyHashTest.image(1);
        h.observe("account-0", T, x);
        Signal last = null;
        for (int i = 1; i < 12; i++) {
            last = h.observe("account-" + i, T + i * 1000L,
                    PolynomialCollisions.forge(x, CopyHashTest.probe(x, 0.001, i)))[0];
            assertThat(last.score()).as("query %d", i).isEqualTo(i + 1);
        }
        assertThat(last.level()).isEqualTo(Level.HIGH);
    }

    @Test
    void shouldCountCopiesOfAnotherVectorInTheSameCellOnce() {
        // a popular input sent by many callers (or retried in a loop) is one input of its cell: a near
        // query in that cell counts it once, not once per copy
        DetectorHarness h = harness(detector());
        double[] x = image(2);
        for (int i = 0; i < 20; i++) {
            h.observe("caller-" + (i % 7), T + i * 100L, x.clone());
        }
        assertThat(h.observe("b", T + 5000, perturb(x, 0.001, 3))[0].score()).isEqualTo(2);
        assertThat(h.observe("c", T + 5100, x.clone())[0].score()).isEqualTo(2);
    }

    @Test
    void shouldRememberTwiceTheHighestLevelOfInputsPerCell() {
        assertThat(detector().members()).isEqualTo(24); // high 12
        assertThat(detector("low", 0, "medium", 0, "high", 3).members()).isEqualTo(6);
        assertThat(detector("low", 2, "medium", 0, "high", 0).members()).isEqualTo(4);
        assertThat(detector("high", 512).members()).isEqualTo(1024);
        assertThat(detector("high", 513).members()).isEqualTo(KnnGlobalDetector.MAX_MEMBERS);
        assertThat(detector("high", 1_000_000_000_000L).members()).isEqualTo(KnnGlobalDetector.MAX_MEMBERS);
    }

    @Test
    void shouldCountCopiesOnceInACellBusierThanSixtyFourInputs() {
        // high 100: a cell remembers 200 inputs, so 40 copies of 70 distinct inputs count nothing (a cap
        // of 64 made them push each other out, and every copy counted: 110, HIGH)
        DetectorHarness h = harness(detector("low", 0, "medium", 0, "high", 100));
        double[] x = image(6);
        double[][] probes = new double[70][];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = perturb(x, 0.0005, i);
            h.observe("account-" + i, T + i * 100L, probes[i]);
        }
        Signal last = null;
        for (int i = 0; i < 40; i++) {
            last = h.observe("copier", T + 8000 + i * 100L, probes[i].clone())[0];
        }
        assertThat(last).isEqualTo(new Signal("knn_global", Level.NONE, 70));
    }

    @Test
    void shouldCountAForgottenInputAgainOnlyPastTheHighestLevel() {
        // high 3: a cell remembers 6 inputs. Up to 6 distinct probes a resent one counts nothing; the
        // 7th makes the cell forget the first, which then counts again, with the level already high.
        DetectorHarness h = harness(detector("low", 0, "medium", 0, "high", 3));
        double[] x = image(5);
        double[][] probes = new double[7][];
        for (int i = 0; i < 7; i++) {
            probes[i] = perturb(x, 0.001, i);
        }
        for (int i = 0; i < 6; i++) {
            assertThat(h.observe("account-" + i, T + i * 100L, probes[i])[0].score()).as("probe %d", i).isEqualTo(i + 1);
        }
        assertThat(h.observe("again", T + 700, probes[0].clone())[0].score()).isEqualTo(6);
        assertThat(h.observe("account-6", T + 800, probes[6])[0].score()).isEqualTo(7);
        Signal again = h.observe("again", T + 900, probes[0].clone())[0];
        assertThat(again.score()).isEqualTo(8);
        assertThat(again.level()).isEqualTo(Level.HIGH);
    }

    @Test
    void shouldPutACloudOfSmallProbesInOneCellAndSpreadLargeOnes() {
        KnnGlobalDetector d = detector();
        double[] x = image(4);
        int same = 0;
        int sameLarge = 0;
        long[] centre = d.cells(x);
        for (int i = 0; i < 100; i++) {
            long[] c = d.cells(perturb(x, 0.02, i));
            long[] large = d.cells(perturb(x, 0.2, i));
            for (int t = 0; t < c.length; t++) {
                same += c[t] == centre[t] ? 1 : 0;
                sameLarge += large[t] == centre[t] ? 1 : 0;
            }
        }
        assertThat(same).as("of 300 cells, probes of sigma 0.02").isGreaterThan(60);
        assertThat(sameLarge).as("of 300 cells, probes of sigma 0.2").isLessThan(10);
    }
}
