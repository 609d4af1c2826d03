package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.internal.state.MemoryStateStore;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SmoothDetectorTest {
    private static final long T = 1_700_000_000_000L;

    static SmoothDetector detector(Object... keyValues) {
        return new SmoothDetector("smooth", SmoothDetector.Config.from(DetectorHarness.config(keyValues)));
    }

    static DetectorHarness harness(StatefulDetector d) {
        return new DetectorHarness(new MemoryStateStore(16 << 20, Clock.systemUTC(), 1000), d);
    }

    /** A 28x28 image of strokes on black with per-pixel noise on the ink: detail like a real image's. */
    static double[] rough(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[784];
        for (int k = 0; k < 6; k++) {
            int row = 4 + r.nextInt(20);
            int col = 4 + r.nextInt(20);
            for (int i = -3; i <= 3; i++) {
                x[row * 28 + col + i] = 0.6 + 0.4 * r.nextDouble();
                x[(row + i) * 28 + col] = 0.6 + 0.4 * r.nextDouble();
            }
        }
        return x;
    }

    /** A smooth blob: a wide Gaussian bump, what a few principal components draw. */
    static double[] smooth(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double cy = 10 + 8 * r.nextDouble();
        double cx = 10 + 8 * r.nextDouble();
        double[] x = new double[784];
        for (int i = 0; i < 784; i++) {
            double dy = i / 28 - cy;
            double dx = i % 28 - cx;
            x[i] = Math.exp(-(dx * dx + dy * dy) / 40);
        }
        return x;
    }

    @Test
    void shouldReadDefaultsAndEveryKey() {
        assertThat(SmoothDetector.Config.from(Map.of())).isEqualTo(SmoothDetector.Config.DEFAULT);
        Map<String, Object> all = new HashMap<>(Map.of("type", "smooth", "width", 32, "floor", 0.3,
                "window_seconds", 60, "min_queries", 5));
        all.putAll(Map.of("low", 0, "medium", 0.4, "high", 0.5, "scope", "tenant"));
        assertThat(SmoothDetector.Config.from(all)).isEqualTo(new SmoothDetector.Config(32, 0.3, 60, 5, 0, 0.4, 0.5,
                RateDetector.Scope.TENANT));
        assertThat(SmoothDetector.Config.DEFAULT.scope()).isEqualTo(RateDetector.Scope.CALLER);
    }

    @Test
    void shouldRefuseBadConfiguration() {
        assertThatThrownBy(() -> detector("window", 60)).hasMessage("unknown key(s) [window] for detector 'smooth'"
                + " (known keys: [floor, high, low, medium, min_queries, scope, thresholds, type, width, "
                + "window_seconds])");
        assertThatThrownBy(() -> detector("scope", "account"))
                .hasMessage("scope must be caller, tenant or global, was 'account'");
        assertThat(detector("scope", "Tenant").config().scope()).isEqualTo(RateDetector.Scope.TENANT);
        assertThatThrownBy(() -> detector("width", 2)).hasMessage("width must be in [3, 4096], was 2");
        assertThatThrownBy(() -> detector("floor", 0)).hasMessage("floor must be in (0, 10], was 0.0");
        assertThatThrownBy(() -> detector("window_seconds", 0))
                .hasMessage("window_seconds must be in [1, 86400], was 0");
        assertThatThrownBy(() -> detector("min_queries", 0)).hasMessage("min_queries must be in [1, 100000], was 0");
        assertThatThrownBy(() -> detector("high", 0.1)).hasMessageStartingWith(
                "thresholds must not decrease: low <= medium <= high (shares of smooth queries), was 0.2, 0.25, 0.1");
    }

    @Test
    void shouldSayWhichShapesItCannotRead() {
        assertThat(detector().featuresProblem(784)).isNull();
        assertThat(detector().featuresProblem(785))
                .isEqualTo("width is 28 but 785 features do not form an image of rows 28 wide with at least 3 rows");
        assertThat(detector().featuresProblem(56)).isNotNull();
        assertThatThrownBy(() -> harness(detector()).observe("a", T, new double[785]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("width is 28 but 785 features");
    }

    /**
     * The roughness of a ramp 4 wide, value = column: its 3x3 blur equals it inside and differs by 1/3
     * at each edge column, so each row has detail 2/9 against a spread of 5.
     */
    @Test
    void shouldMeasureRoughnessAsDetailOverSpread() {
        double[] ramp = new double[16];
        for (int i = 0; i < 16; i++) {
            ramp[i] = i % 4;
        }
        assertThat(SmoothDetector.roughness(ramp, 4)).isCloseTo(Math.sqrt(2.0 / 45), within(1e-12));
        assertThat(SmoothDetector.roughness(new double[784], 28)).as("constant").isZero();
        assertThat(SmoothDetector.roughness(smooth(1), 28)).isLessThan(0.1);
        assertThat(SmoothDetector.roughness(rough(1), 28)).isGreaterThan(0.5);
    }

    /** Brightness and contrast do not make an image smoother: roughness(a x + b) = roughness(x). */
    @Test
    void shouldGiveTheSameRoughnessWhateverTheBrightnessAndContrast() {
        qt().forAll(longs().between(1, 1_000_000), doubles().between(0.05, 20), doubles().between(-5, 5))
                .checkAssert((seed, a, b) -> {
                    double[] x = seed % 2 == 0 ? rough(seed) : smooth(seed);
                    double[] y = x.clone();
                    for (int i = 0; i < y.length; i++) {
                        y[i] = a * y[i] + b;
                    }
                    assertThat(SmoothDetector.roughness(y, 28))
                            .isCloseTo(SmoothDetector.roughness(x, 28), within(1e-9));
                });
    }

    /** Values so large that their squares overflow: scaled down, not NaN (which would never count as smooth). */
    @Test
    void shouldMeasureImagesOfHugeValuesAsTheirScaledCopies() {
        for (double scale : new double[] {1e155, 1e200, 1e300}) {
            double[] x = smooth(3);
            double[] y = x.clone();
            for (int i = 0; i < y.length; i++) {
                y[i] *= scale;
            }
            assertThat(SmoothDetector.roughness(y, 28)).as("scale %s", scale)
                    .isCloseTo(SmoothDetector.roughness(x, 28), within(1e-9));
        }
        double[] spike = rough(4);
        spike[300] = 1e200;
        assertThat(SmoothDetector.roughness(spike, 28)).isFinite();
    }

    @Test
    void shouldFlagACallerWhoseQueriesAreMostlySmooth() {
        DetectorHarness h = harness(detector());
        Signal s = null;
        for (int q = 0; q < 19; q++) {
            s = h.observe("a", T + q * 1000L, smooth(q))[0];
            assertThat(s.level()).as("before min_queries").isEqualTo(Level.NONE);
        }
        s = h.observe("a", T + 19_000, smooth(19))[0];
        assertThat(s.level()).isEqualTo(Level.HIGH);
        assertThat(s.score()).isEqualTo(1.0);
        assertThat(h.observe("a", T + 20_000, rough(20))[0].level()).as("a query with detail raises nothing")
                .isEqualTo(Level.NONE);
    }

    /**
     * An attacker who spreads smooth probes over ten accounts of one tenant, each sending one every
     * 100 s: no account reaches min_queries in its own 10-minute window, the tenant does at its 20th
     * probe; another tenant's callers, and the same accounts with the caller scope, stay silent.
     */
    @Test
    void shouldFlagProbesSpreadOverATenantsAccountsWithTheTenantScope() {
        DetectorHarness h = harness(detector("scope", "tenant"));
        DetectorHarness perCaller = harness(detector());
        Signal s = null;
        for (int q = 0; q < 20; q++) {
            Caller account = caller("acct-" + q % 10, "evil");
            s = h.observe(account, T + q * 10_000L, smooth(q))[0];
            assertThat(perCaller.observe(account, T + q * 10_000L, smooth(q))[0].level()).isEqualTo(Level.NONE);
            if (q < 19) {
                assertThat(s.level()).as("tenant query %d, before min_queries", q).isEqualTo(Level.NONE);
            }
        }
        assertThat(s.level()).isEqualTo(Level.HIGH);
        assertThat(s.score()).isEqualTo(1.0);
        // another tenant's caller sending the same kind of images starts from nothing
        assertThat(h.observe(caller("acct-0", "acme"), T + 200_000, smooth(50))[0].level()).isEqualTo(Level.NONE);
    }

    /**
     * An honest tenant of many callers sending real images, one in a hundred of them smooth, stays
     * far below the levels, however many callers it has.
     */
    @Test
    void shouldLeaveABusyHonestTenantAloneWithTheTenantScope() {
        DetectorHarness h = harness(detector("scope", "tenant"));
        for (int q = 0; q < 2_000; q++) {
            double[] x = q % 100 == 7 ? smooth(q) : rough(q);
            Signal s = h.observe(caller("user-" + q % 300, "acme"), T + q * 300L, x)[0];
            assertThat(s.level()).as("query %d", q).isEqualTo(Level.NONE);
        }
    }

    private static Caller caller(String id, String tenant) {
        return new Caller(id, AuthMethod.API_KEY, Set.of(), tenant, Map.of());
    }

    @Test
    void shouldLeaveACallerOfRealisticImagesAlone() {
        DetectorHarness h = harness(detector());
        for (int q = 0; q < 100; q++) {
            assertThat(h.observe("a", T + q * 1000L, rough(q))[0].level()).isEqualTo(Level.NONE);
        }
    }

    /** The share is over the window: 5 smooth queries among 20 are 0.25 (medium), among 50 none. */
    @Test
    void shouldScoreTheShareOfSmoothQueriesInTheWindow() {
        DetectorHarness h = harness(detector());
        for (int q = 0; q < 15; q++) {
            h.observe("a", T + q * 1000L, rough(q));
        }
        Signal s = null;
        for (int q = 15; q < 20; q++) {
            s = h.observe("a", T + q * 1000L, smooth(q))[0];
        }
        assertThat(s.score()).isEqualTo(0.25);
        assertThat(s.level()).isEqualTo(Level.MEDIUM);
        for (int q = 20; q < 49; q++) {
            h.observe("a", T + q * 1000L, rough(q));
        }
        s = h.observe("a", T + 49_000, smooth(49))[0];
        assertThat(s.score()).isEqualTo(6.0 / 50);
        assertThat(s.level()).isEqualTo(Level.NONE);
        // ten minutes later the earlier queries have left the window
        for (int q = 0; q < 19; q++) {
            h.observe("a", T + 700_000 + q * 1000L, rough(q));
        }
        s = h.observe("a", T + 719_000, smooth(99))[0];
        assertThat(s.score()).isEqualTo(1.0 / 20);
    }

    /**
     * A client that resends one smooth real image (a retry loop) among its rough ones is not taken
     * for a prober: the copies count once among the smooth queries.
     */
    @Test
    void shouldNotFlagAClientRetryingOneSmoothImage() {
        DetectorHarness h = harness(detector());
        double[] retried = smooth(1000);
        for (int q = 0; q < 100; q++) { // 40 sends of the one image among 60 rough ones, in 10 minutes
            double[] x = q % 5 < 2 ? retried.clone() : rough(q);
            Signal s = h.observe("a", T + q * 5_900L, x)[0];
            assertThat(s.level()).as("query %d", q).isEqualTo(Level.NONE);
        }
        for (int q = 0; q < 40; q++) { // and alone
            assertThat(h.observe("b", T + q * 14_000L, retried)[0].level()).isEqualTo(Level.NONE);
        }
    }

    /** Distinct smooth probes each count, copies of a smooth probe once: 20 probes sent twice are 20 of 40. */
    @Test
    void shouldCountDistinctSmoothProbesEachAndTheirCopiesOnce() {
        DetectorHarness h = harness(detector());
        Signal s = null;
        for (int q = 0; q < 40; q++) {
            s = h.observe("a", T + q * 1000L, smooth(q / 2))[0];
        }
        assertThat(s.score()).isEqualTo(20.0 / 40);
        assertThat(s.level()).isEqualTo(Level.HIGH);
    }

    /**
     * Every query counts among all queries, copies too: copies of a rough image dilute the share
     * as distinct natural images (decoys) do; 20 smooth probes among 100 copies are 20 of 120.
     */
    @Test
    void shouldCountCopiesOfARoughImageAmongAllQueriesAsDecoysCount() {
        DetectorHarness h = harness(detector());
        Signal s = null;
        for (int q = 0; q < 120; q++) {
            s = h.observe("a", T + q * 1000L, q % 6 == 5 ? smooth(q) : rough(1))[0];
        }
        assertThat(s.score()).isEqualTo(20.0 / 120);
    }

    /** A copy is the same values: -0.0 and 0.0 alike, any other difference (one bit) not. */
    @Test
    void shouldHashCopiesAlikeAndOtherInputsApart() {
        double[] x = rough(5);
        assertThat(SmoothDetector.copyHash(x.clone())).isEqualTo(SmoothDetector.copyHash(x));
        double[] zero = new double[784];
        double[] negativeZero = new double[784];
        negativeZero[17] = -0.0;
        assertThat(SmoothDetector.copyHash(negativeZero)).isEqualTo(SmoothDetector.copyHash(zero));
        double[] y = x.clone();
        y[400] = Math.nextUp(y[400]);
        assertThat(SmoothDetector.copyHash(y)).isNotEqualTo(SmoothDetector.copyHash(x));
        assertThat(SmoothDetector.copyHash(new double[783])).isNotEqualTo(SmoothDetector.copyHash(zero));
        double[] wide = new double[2000]; // more values than the buffer holds at once
        double[] wide2 = wide.clone();
        wide2[1999] = 1;
        assertThat(SmoothDetector.copyHash(wide2)).isNotEqualTo(SmoothDetector.copyHash(wide));
    }

    @Test
    void shouldCountEachCallerApart() {
        DetectorHarness h = harness(detector("min_queries", 3));
        for (int q = 0; q < 3; q++) {
            h.observe("a", T + q, smooth(q));
        }
        for (int q = 0; q < 2; q++) {
            h.observe("b", T + q, rough(q));
        }
        Signal b = h.observe("b", T + 5, smooth(7))[0];
        assertThat(b.score()).isEqualTo(1.0 / 3);
    }
}
