package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.internal.monitor.traffic.Attack;
import dev.veil.internal.monitor.traffic.Attacks;
import dev.veil.internal.monitor.traffic.BenignTraffic;
import dev.veil.internal.monitor.traffic.Fixtures;
import dev.veil.internal.monitor.traffic.SoftmaxModel;
import dev.veil.internal.monitor.traffic.SyntheticDigits;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.StateOp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

class AntitheticDetectorTest {
    private static final long T = 1_700_000_000_000L;

    static AntitheticDetector detector(Object... keyValues) {
        Map<String, Object> m = DetectorHarness.config(keyValues);
        return AntitheticDetector.create("antithetic", m);
    }

    private static DetectorHarness harness(AntitheticDetector d) {
        return new DetectorHarness(new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000), d);
    }

    @Test
    void shouldReadDefaultsAndEveryKey() {
        assertThat(AntitheticDetector.Config.from(Map.of())).isEqualTo(AntitheticDetector.Config.DEFAULT);
        Map<String, Object> every = new HashMap<>(Map.of("type", "antithetic", "history", 20, "matches", 2,
                "tolerance", 0.05, "min_changed", 10, "features", 64, "seed", 3, "ttl_seconds", 600));
        every.putAll(Map.of("low", 0, "medium", 0.3, "high", 0.4, "pool", 2, "width", 28, "range", List.of(0, 1.5),
                "scope", "tenant", "gap", 3));
        assertThat(AntitheticDetector.Config.from(every)).isEqualTo(new AntitheticDetector.Config(20, 2,
                0.05, 10, 64, 3, 600, 0, 0.3, 0.4, new LowPass(2, 28), new double[] {0, 1.5}, RateDetector.Scope.TENANT,
                3));
        assertThat(BuiltinDetectors.create("pairs", Map.of("type", "antithetic")))
                .isInstanceOf(AntitheticDetector.class);
    }

    @Test
    void shouldRefuseBadConfiguration() {
        assertThatThrownBy(() -> detector("window", 5)).hasMessage("unknown key(s) [window] for detector 'antithetic'"
                + " (known keys: [features, gap, high, history, low, matches, medium, min_changed, pool, range,"
                + " scope, seed, thresholds, tolerance, ttl_seconds, type, width])");
        assertThatThrownBy(() -> detector("scope", "account"))
                .hasMessage("scope must be caller, tenant or global, was 'account'");
        for (Object bad : new Object[] {List.of(1, 0), List.of(0), List.of(0, Double.NaN), "0..1", List.of("0", 1)}) {
            assertThatThrownBy(() -> detector("range", bad)).hasMessageStartingWith(
                    "range must be a list of two finite numbers [low, high] with low < high, was ");
        }
        assertThatThrownBy(() -> detector("history", 3)).hasMessage("history must be in [4, 64], was 3");
        assertThatThrownBy(() -> detector("gap", 0)).hasMessage("gap must be in [1, 4] (at most 8 and history (6) - 2), was 0");
        assertThatThrownBy(() -> detector("gap", 5)).hasMessage("gap must be in [1, 4] (at most 8 and history (6) - 2), was 5");
        assertThatThrownBy(() -> detector("gap", 9, "history", 64))
                .hasMessage("gap must be in [1, 8] (at most 8 and history (64) - 2), was 9");
        assertThat(detector("gap", 8, "history", 10).config().gap()).isEqualTo(8);
        assertThatThrownBy(() -> detector("matches", 3))
                .hasMessage("matches must be in [1, history / 2 - 1 (2)], was 3");
        assertThatThrownBy(() -> detector("tolerance", 0))
                .hasMessage("tolerance must be in [0.000001, 1000], was 0.0");
        assertThatThrownBy(() -> detector("tolerance", 1e-300))
                .hasMessage("tolerance must be in [0.000001, 1000], was 1.0E-300");
        assertThatThrownBy(() -> detector("tolerance", Double.POSITIVE_INFINITY))
                .hasMessage("tolerance must be in [0.000001, 1000], was Infinity");
        // values are kept as 16-bit multiples of tolerance / 8 from the range's middle: a range wider than
        // that would never be compared, one narrower than 4 tolerances would never change enough
        assertThatThrownBy(() -> detector("range", List.of(0, 255))).hasMessage("range 0..255 needs a tolerance of "
                + "at least 0.03113 (values are kept as 16-bit multiples of tolerance / 8 from the range's middle), "
                + "was 0.01");
        assertThat(detector("range", List.of(0, 255), "tolerance", 0.03113).config().tolerance()).isEqualTo(0.03113);
        assertThat(detector("range", List.of(-5, 5)).config().range()).containsExactly(-5, 5);
        assertThat(detector("range", List.of(1000, 1001)).config().range()).as("far from 0").containsExactly(1000, 1001);
        assertThatThrownBy(() -> detector("range", List.of(0, 0.02))).hasMessage("range 0..0.02 is narrower than 4 "
                + "tolerances (0.01): no feature inside it could change by more than 2 tolerances, so no pair would "
                + "ever be scored; lower the tolerance");
        assertThatThrownBy(() -> detector("features", 4)).hasMessage("features must be in [8, 4096], was 4");
        assertThatThrownBy(() -> detector("features", 8, "min_changed", 9))
                .hasMessage("min_changed must be in [1, features (8)], was 9");
        assertThatThrownBy(() -> detector("min_changed", 0)).hasMessage("min_changed must be in [1, features (256)], was 0");
        assertThatThrownBy(() -> detector("ttl_seconds", 59))
                .hasMessage("ttl_seconds must be in [60, 2592000], was 59");
        assertThatThrownBy(() -> detector("high", 1.5)).hasMessage(
                "high must be 0 (not used) or in [0.01, 1] (share of changed features), was 1.5");
        assertThatThrownBy(() -> detector("low", 0.5)).hasMessage("thresholds must not decrease: low <= medium <= "
                + "high (share of changed features), was 0.5, 0.28, 0.3 (a level left out keeps its default, listed in docs/veil-policy.schema.json; set it to 0 to leave it unused)");
        assertThatThrownBy(() -> detector("seed", "x")).hasMessage("seed must be an integer, was 'x'");
        assertThatThrownBy(() -> detector("pool", 3, "width", 28)).hasMessage(
                "width must be a positive multiple of pool (3) with pool > 1, was 28");
    }

    @Test
    void shouldRefuseInputsItCanNeverScore() {
        assertThat(detector().featuresProblem(784)).isNull();
        assertThat(detector().featuresProblem(8)).isNull();
        assertThat(detector().featuresProblem(7))
                .isEqualTo("min_changed is 8 but the input has 7 features: no pair could ever be scored");
        assertThat(detector("pool", 4, "width", 28).featuresProblem(28 * 4))
                .isEqualTo("min_changed is 8 but the input has 7 features after pooling: no pair could ever be scored");
        assertThat(detector("pool", 2, "width", 28).featuresProblem(27 * 28)).contains("needs an image of whole rows");
    }

    @Test
    void shouldCompareAFixedSampleOfTheFeatures() {
        AntitheticDetector d = detector("features", 128);
        int[] a = d.indices(784);
        assertThat(a).hasSize(128).isSorted().doesNotHaveDuplicates();
        assertThat(a[0]).isGreaterThanOrEqualTo(0);
        assertThat(a[127]).isLessThan(784);
        assertThat(detector("features", 128).indices(784)).as("the same for the same seed").isEqualTo(a);
        assertThat(detector("features", 128, "seed", 1).indices(784)).isNotEqualTo(a);
        assertThat(d.indices(100)).as("every feature of a small input").hasSize(100).containsExactly(
                java.util.stream.IntStream.range(0, 100).toArray());
        assertThat(d.indices(784)).isEqualTo(a);
    }

    /** {@code count} antithetic pairs x + sigma u, x - sigma u of Gaussian u, clipped to [0, 1] as valid inputs. */
    static List<double[]> pairs(SplittableRandom r, double[] x, int count, double sigma) {
        List<double[]> probes = new ArrayList<>();
        for (int pair = 0; pair < count; pair++) {
            double[] u = new double[x.length];
            for (int i = 0; i < u.length; i++) {
                u[i] = SyntheticDigits.gaussian(r);
            }
            for (int side : new int[] {1, -1}) {
                double[] q = new double[x.length];
                for (int i = 0; i < q.length; i++) {
                    q[i] = Math.min(1, Math.max(0, x[i] + side * sigma * u[i]));
                }
                probes.add(q);
            }
        }
        return probes;
    }

    /** Antithetic pairs around one point, however large and whatever their shape, share their midpoint. */
    @Test
    void shouldScoreAntitheticPairsAndNotIndependentInputs() {
        AntitheticDetector d = detector("range", List.of(0, 1));
        DetectorHarness h = harness(d);
        SplittableRandom r = new SplittableRandom(5);
        List<Signal> s = new ArrayList<>();
        for (double[] q : pairs(r, SyntheticDigits.sample(r, 3), 6, 0.3)) {
            s.add(h.observe("mallory", T + s.size() * 1000L, q)[0]);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(s.get(i).score()).as("query %d: fewer than 2 earlier pairs", i).isEqualTo(0);
        }
        // query 3 closes the second pair: one earlier pair shares its midpoint, the other is a cross pair
        assertThat(s.get(3).level()).isEqualTo(Level.NONE);
        // query 5 closes the third pair: two earlier pairs share its midpoint
        assertThat(s.get(5).level()).isEqualTo(Level.HIGH);
        assertThat(s.get(7).level()).isEqualTo(Level.HIGH);
        assertThat(s.get(9).level()).isEqualTo(Level.HIGH);
        assertThat(s.get(11).level()).isEqualTo(Level.HIGH);
        assertThat(s.get(11).score()).isBetween(0.3, 1.0);
        // the queries that open a pair form a cross pair with the previous one: no shared midpoint
        assertThat(s.get(4).level()).isEqualTo(Level.NONE);
        assertThat(s.get(6).level()).isEqualTo(Level.NONE);
        assertThat(s.get(8).level()).isEqualTo(Level.NONE);
        assertThat(s.get(10).level()).isEqualTo(Level.NONE);

        DetectorHarness honest = harness(detector("range", List.of(0, 1)));
        double max = 0;
        for (int i = 0; i < 40; i++) {
            max = Math.max(max, honest.observe("alice", T + i, SyntheticDigits.sample(r, 3))[0].score());
        }
        assertThat(max).as("independent images of one class").isLessThan(0.2);
    }

    /**
     * An attacker who sends an ordinary input between the two probes of each pair breaks every pair
     * of consecutive queries; with {@code gap: 2} the probes two apart still form pairs.
     */
    @Test
    void shouldSeePairsWithAQueryBetweenTheirProbesWithAGap() {
        SplittableRandom r = new SplittableRandom(8);
        List<double[]> probes = pairs(r, SyntheticDigits.sample(r, 3), 8, 0.3);
        List<double[]> stream = new ArrayList<>();
        for (int i = 0; i < probes.size(); i += 2) {
            stream.add(probes.get(i));
            stream.add(SyntheticDigits.sample(r, r.nextInt(10))); // a decoy between the probes
            stream.add(probes.get(i + 1));
        }
        DetectorHarness consecutive = harness(detector("range", List.of(0, 1), "history", 12));
        DetectorHarness gapped = harness(detector("range", List.of(0, 1), "history", 12, "gap", 2));
        double maxConsecutive = 0;
        int firstHigh = -1;
        for (int i = 0; i < stream.size(); i++) {
            maxConsecutive = Math.max(maxConsecutive, consecutive.observe("mallory", T + i * 1000L, stream.get(i))[0].score());
            if (gapped.observe("mallory", T + i * 1000L, stream.get(i))[0].level() == Level.HIGH && firstHigh < 0) {
                firstHigh = i;
            }
        }
        assertThat(maxConsecutive).as("no two consecutive queries are a pair").isLessThan(0.25);
        // query 8 closes the third pair (probes at 6 and 8): two earlier pairs share its midpoint
        assertThat(firstHigh).isEqualTo(8);
    }

    /**
     * The detector's score is what the class Javadoc defines, written out plainly here: for each of
     * the gap newest entries, the pair with this query, its changed features, and the matches-th
     * largest share of them whose midpoints agree with another pair of entries at most gap apart (not
     * holding the partner, not a copy); the highest over the gap pairs. Inputs of continuous values,
     * so that no value is a fill.
     */
    @Test
    void shouldScoreWhatTheDefinitionSays() {
        qt().withExamples(150).forAll(longs().all(), integers().between(1, 4), integers().between(1, 3))
                .checkAssert(AntitheticDetectorTest::scoresAsDefined);
    }

    @Test
    void shouldScoreWhatTheDefinitionSaysOnCaseFoundByQuickTheories() {
        scoresAsDefined(2661L, 1, 1);
    }

    private static void scoresAsDefined(long seed, int gap, int matches) {
                {
                    int history = Math.max(gap + 2, 2 * matches + 2) + (int) Math.floorMod(seed, 6L);
                    int n = 24;
                    AntitheticDetector d = detector("range", List.of(0, 1), "history", history, "gap", gap,
                            "matches", matches, "min_changed", 4, "features", 8 + n);
                    DetectorHarness h = harness(d);
                    SplittableRandom r = new SplittableRandom(seed);
                    List<short[]> kept = new ArrayList<>();
                    double[] centre = randomImage(r, n);
                    double[] last = centre;
                    for (int i = 0; i < 60; i++) {
                        double[] x;
                        int kind = r.nextInt(6);
                        if (kind == 0) {
                            x = last.clone(); // a retry
                        } else if (kind == 1) {
                            x = randomImage(r, n); // a decoy
                        } else if (kind == 2) {
                            centre = randomImage(r, n); // a new point
                            x = centre;
                        } else {
                            x = new double[n + 8]; // a probe around the point: x +- sigma u, clipped
                            double sign = r.nextBoolean() ? 1 : -1;
                            for (int f = 0; f < x.length; f++) {
                                x[f] = Math.min(1, Math.max(0, centre[f] + sign * 0.2 * SyntheticDigits.gaussian(r)));
                            }
                        }
                        short[] units = d.quantise(x);
                        double expected = definition(units, kept, gap, matches, 4);
                        assertThat(h.observe("c", T + i * 1000L, x)[0].score()).as("query %d", i).isEqualTo(expected);
                        kept.add(units);
                        if (kept.size() > history) {
                            kept.remove(0);
                        }
                        last = x;
                    }
                }
    }

    private static double[] randomImage(SplittableRandom r, int n) {
        double[] x = new double[n + 8];
        for (int f = 0; f < x.length; f++) {
            x[f] = r.nextInt(8) == 0 ? 0 : r.nextDouble();
        }
        return x;
    }

    /** range [0, 1], tolerance 0.01: units of tolerance / 8 from 0.5; at or beyond 0 or 1 blind. */
    private static boolean blind(int u) {
        return u <= -400 || u >= 400;
    }

    private static double definition(short[] cur, List<short[]> prev, int gap, int matches, int minChanged) {
        int m = prev.size();
        int n = cur.length;
        int tol2 = 16;
        double best = 0;
        for (int p = Math.max(0, m - gap); p < m; p++) {
            short[] partner = prev.get(p);
            if (java.util.Arrays.equals(cur, partner)) {
                continue; // a retry
            }
            List<Integer> changed = new ArrayList<>();
            for (int f = 0; f < n; f++) {
                if (!blind(cur[f]) && !blind(partner[f]) && Math.abs(cur[f] - partner[f]) > tol2) {
                    changed.add(f);
                }
            }
            if (changed.size() < minChanged) {
                continue;
            }
            List<Double> agreements = new ArrayList<>();
            for (int j = 0; j < m; j++) {
                for (int i = Math.max(0, j - gap); i < j; i++) {
                    short[] a = prev.get(i);
                    short[] b = prev.get(j);
                    if (i == p || j == p || java.util.Arrays.equals(a, b) || java.util.Arrays.equals(a, cur)
                            || java.util.Arrays.equals(b, cur) || java.util.Arrays.equals(a, partner)
                            || java.util.Arrays.equals(b, partner)) {
                        continue;
                    }
                    int agree = 0;
                    for (int f : changed) {
                        if (!blind(a[f]) && !blind(b[f]) && Math.abs(cur[f] + partner[f] - a[f] - b[f]) < tol2
                                && !(switched(cur[f], a[f], b[f], tol2)
                                        && (fill(cur[f], cur, partner, changed) || fill(partner[f], cur, partner, changed)))) {
                            agree++;
                        }
                    }
                    agreements.add((double) agree / changed.size());
                }
            }
            if (agreements.size() >= matches) {
                agreements.sort(java.util.Comparator.reverseOrder());
                best = Math.max(best, agreements.get(matches - 1));
            }
        }
        return best;
    }

    /** Whether the earlier pair holds (within tolerance) the current query's value: both switch between the same two. */
    private static boolean switched(int mine, int a, int b, int tol2) {
        return Math.abs(mine - a) <= tol2 || Math.abs(mine - b) <= tol2;
    }

    /** A fill of the pair: a value that at least an eighth of its changed features, and 4, hold on one side or the other. */
    private static boolean fill(int v, short[] cur, short[] partner, List<Integer> changed) {
        int n = 0;
        for (int f : changed) {
            n += (cur[f] == v ? 1 : 0) + (partner[f] == v ? 1 : 0);
        }
        return n >= Math.max(4, changed.size() / 8);
    }

    /** A client that retries two requests in turn sends pairs with one midpoint, but no pair is new. */
    @Test
    void shouldNotTakeRetriesForPairs() {
        DetectorHarness h = harness(detector("matches", 1));
        SplittableRandom r = new SplittableRandom(9);
        double[] a = SyntheticDigits.sample(r, 1);
        double[] b = SyntheticDigits.sample(r, 2);
        double[] c = SyntheticDigits.sample(r, 4);
        for (int i = 0; i < 30; i++) {
            double[] q = (i % 3 == 2) ? c : (i % 2 == 0 ? a : b); // a b c b a c ... and runs of one input
            assertThat(h.observe("bob", T + i, q)[0].score()).as("query %d", i).isEqualTo(0);
            assertThat(h.observe("bob", T + i, q.clone())[0].score()).as("retry of query %d", i).isEqualTo(0);
        }
    }

    @Test
    void shouldIgnoreFeaturesOutOfRangeAndBreakPairsAtAnotherInputSize() {
        AntitheticDetector d = detector("matches", 1, "min_changed", 2, "features", 8);
        short[] u = d.quantise(new double[] {0, 0.5, -0.5, 1e9, -1e9, Double.NaN, 4000 * 0.01});
        assertThat(u).containsExactly((short) 0, (short) 400, (short) -400, Short.MIN_VALUE, Short.MIN_VALUE,
                Short.MIN_VALUE, (short) 32000);

        DetectorHarness h = harness(d);
        // two antithetic pairs around 0.5 in the first two features; the rest out of range: ignored
        double[][] q = {{0.7, 0.3, 1e9}, {0.3, 0.7, 1e9}, {0.6, 0.2, 1e9}, {0.4, 0.8, 1e9}};
        assertThat(h.observe("c", T, q[0])[0].score()).isEqualTo(0);
        assertThat(h.observe("c", T + 1, q[1])[0].score()).isEqualTo(0);
        assertThat(h.observe("c", T + 2, q[2])[0].score()).isEqualTo(0);
        assertThat(h.observe("c", T + 3, q[3])[0].score()).isEqualTo(1.0);

        DetectorHarness g = harness(d);
        g.observe("c", T, q[0]);
        g.observe("c", T + 1, q[1]);
        g.observe("c", T + 2, new double[] {0.5, 0.5, 0.5, 0.5}); // another size: the run starts again
        g.observe("c", T + 3, q[2]);
        assertThat(g.observe("c", T + 4, q[3])[0].score()).as("no earlier pair in the new run").isEqualTo(0);
    }

    /**
     * An explanation client (LIME, occlusion) hides random patches of one image behind one grey:
     * every feature it changes switches between the same two values, so every pair has the same
     * midpoint there, but no pair is a probe around a point.
     */
    @Test
    void shouldNotTakeFeaturesSwitchedBetweenTwoValuesForPairs() {
        DetectorHarness h = harness(detector("range", List.of(0, 1)));
        SplittableRandom r = new SplittableRandom(11);
        double[] image = SyntheticDigits.sample(r, 5);
        double max = 0;
        for (int i = 0; i < 60; i++) {
            double[] q = image.clone();
            for (int tile = 0; tile < 49; tile++) { // 4x4 tiles, each hidden with probability 1/2
                if (r.nextBoolean()) {
                    for (int k = 0; k < 16; k++) {
                        q[((tile / 7) * 4 + k / 4) * 28 + (tile % 7) * 4 + k % 4] = 0.5;
                    }
                }
            }
            max = Math.max(max, h.observe("explainer", T + i * 1000L, q)[0].score());
        }
        assertThat(max).isLessThan(0.1);
    }

    /**
     * Probes x +- sigma s with random signs s (SPSA, or NES with sign directions) repeat their
     * values from pair to pair as a mask does, but per feature, around per-feature values: they
     * are pairs. Features in a range far from 0 are compared as well as near it.
     */
    @Test
    void shouldScoreSignProbesAndRangesFarFromZero() {
        for (double shift : new double[] {0, 1000}) {
            DetectorHarness h = harness(detector("range", List.of(shift, shift + 1)));
            SplittableRandom r = new SplittableRandom(3);
            double[] x = SyntheticDigits.sample(r, 2);
            double max = 0;
            for (int pair = 0; pair < 8; pair++) {
                double[] sign = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    sign[i] = r.nextBoolean() ? 1 : -1;
                }
                for (int side : new int[] {1, -1}) {
                    double[] q = new double[x.length];
                    for (int i = 0; i < q.length; i++) {
                        q[i] = shift + Math.min(1, Math.max(0, x[i] + side * 0.2 * sign[i]));
                    }
                    max = Math.max(max, h.observe("spsa", T + pair * 2000L + side, q)[0].score());
                }
            }
            assertThat(max).as("shift %s", shift).isGreaterThan(0.5);
        }
    }

    /**
     * An attack spread round-robin over accounts sends each pair from two accounts: no caller's
     * stream holds a pair, the tenant's does (while the tenant's other callers are quiet).
     */
    @Test
    void shouldSeePairsSpreadOverTheAccountsOfOneTenant() {
        SplittableRandom r = new SplittableRandom(21);
        List<double[]> probes = pairs(r, SyntheticDigits.sample(r, 4), 6, 0.3);
        for (String scope : List.of("caller", "tenant", "global")) {
            DetectorHarness h = new DetectorHarness(new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000),
                    detector("range", List.of(0, 1), "scope", scope));
            double max = 0;
            for (int i = 0; i < probes.size(); i++) {
                dev.veil.Caller account = new dev.veil.Caller("mallory-" + (i % 3), dev.veil.AuthMethod.API_KEY,
                        java.util.Set.of(), "acme", Map.of());
                max = Math.max(max, h.observe(account, T + i, probes.get(i))[0].score());
            }
            if (scope.equals("caller")) {
                assertThat(max).as("each account alone sees no pair").isLessThan(0.25);
            } else {
                assertThat(max).as(scope).isGreaterThan(0.3);
            }
        }
    }

    /**
     * The copy exemptions rest on a public hash, which an attacker who knows the seed can make
     * collide: a probe whose header matches its partner's is still compared unless its units are
     * the same too.
     */
    @Test
    void shouldNotTakeAForgedHashForACopy() {
        AntitheticDetector d = detector("matches", 1, "min_changed", 2, "features", 8);
        short[][] units = {
            d.quantise(new double[] {0.7, 0.3, 0.6}), d.quantise(new double[] {0.3, 0.7, 0.4}),
            d.quantise(new double[] {0.6, 0.2, 0.9}), d.quantise(new double[] {0.4, 0.8, 0.1})};
        long forged = d.header(3, 42); // every probe claims one hash
        List<byte[]> previous = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            previous.add(AntitheticDetector.encode(forged, units[i]));
        }
        assertThat(d.score(forged, units[3], previous)).isEqualTo(1.0);
        // a true retry of the partner: same header and same units
        List<byte[]> retry = new ArrayList<>(previous);
        retry.add(AntitheticDetector.encode(forged, units[2]));
        assertThat(d.score(forged, units[2], retry)).isEqualTo(0);
    }

    /** Two inputs larger than {@code features} keep entries of one length: a change of size still ends the run. */
    @Test
    void shouldEndTheRunWhereTheInputSizeChangesAboveTheSample() {
        AntitheticDetector d = detector("matches", 1, "min_changed", 2, "features", 8);
        double[] a = new double[9];
        double[] b = new double[9];
        java.util.Arrays.fill(a, 0.7);
        java.util.Arrays.fill(b, 0.3);
        double[] c = new double[9];
        double[] e = new double[9];
        java.util.Arrays.fill(c, 0.6);
        java.util.Arrays.fill(e, 0.4);
        DetectorHarness same = harness(d);
        same.observe("c", T, a);
        same.observe("c", T + 1, b);
        same.observe("c", T + 2, c);
        assertThat(same.observe("c", T + 3, e)[0].score()).as("two pairs around 0.5").isEqualTo(1.0);
        DetectorHarness other = harness(d);
        other.observe("c", T, a);
        other.observe("c", T + 1, b);
        other.observe("c", T + 2, new double[10]); // 10 features: an entry of the same length
        other.observe("c", T + 3, c);
        assertThat(other.observe("c", T + 4, e)[0].score()).as("the run starts again after the 10").isEqualTo(0);
        // a reload that changes the configuration is a new run too
        MemoryStateStore store = new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000);
        DetectorHarness before = new DetectorHarness(store, d);
        before.observe("c", T, a);
        before.observe("c", T + 1, b);
        before.observe("c", T + 2, c);
        AntitheticDetector tighter = detector("matches", 1, "min_changed", 2, "features", 8, "tolerance", 0.02);
        assertThat(new DetectorHarness(store, tighter).observe("c", T + 3, e)[0].score()).isEqualTo(0);
    }

    /**
     * The issue's benign population (2,000 callers x 50 queries, a fifth sending one class, 3%
     * retries, 5 batch jobs of 500) reaches no level; the antithetic attacks of every size reach
     * high within 8 queries of one account, those whose probes are as far apart as natural images
     * too (sigma 0.5 per pixel, smooth noise, the PCA prior at sigma 1).
     */
    @Test
    void shouldFlagEveryAntitheticAttackEarlyAndNoBenignCaller() {
        AntitheticDetector d = detector("range", List.of(0, 1));
        DetectorHarness h = harness(d);
        Map<String, Double> benignMax = new HashMap<>();
        for (BenignTraffic.Event e : BenignTraffic.issue()) {
            double score = h.observe(e.caller(), e.timeMillis(), e.x())[0].score();
            benignMax.merge(e.caller(), score, Math::max);
        }
        double worst = benignMax.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertThat(benignMax).hasSizeGreaterThan(2000);
        assertThat(worst).as("the highest score of any benign caller").isLessThan(d.config().low());

        SoftmaxModel model = Fixtures.model();
        Map<String, LongFunction<Attack>> attacks = new LinkedHashMap<>();
        attacks.put("nes-pixel-0.02", s -> Attacks.nes("n", EfficacyScenario.start(s), EfficacyScenario.target(s),
                0.02, Attacks.Noise.PIXEL, 0.01, s));
        attacks.put("nes-pixel-0.2", s -> Attacks.nes("n", EfficacyScenario.start(s), EfficacyScenario.target(s), 0.2,
                Attacks.Noise.PIXEL, 0.01, s));
        attacks.put("nes-pixel-0.5", s -> Attacks.nes("n", EfficacyScenario.start(s), EfficacyScenario.target(s), 0.5,
                Attacks.Noise.PIXEL, 0.01, s));
        attacks.put("nes-smooth-0.2", s -> Attacks.nes("n", EfficacyScenario.start(s), EfficacyScenario.target(s),
                0.2, Attacks.Noise.SMOOTH_7X7, 0.01, s));
        attacks.put("nes-smooth-0.3", s -> Attacks.nes("n", EfficacyScenario.start(s), EfficacyScenario.target(s),
                0.3, Attacks.Noise.SMOOTH_7X7, 0.01, s));
        attacks.put("pca-search-0.2", s -> Attacks.pcaSearch("p", Fixtures.pca(), EfficacyScenario.start(s),
                EfficacyScenario.target(s), 0.2, 0.05, s));
        attacks.put("pca-search-1.0", s -> Attacks.pcaSearch("p", Fixtures.pca(), EfficacyScenario.start(s),
                EfficacyScenario.target(s), 1.0, 0.05, s));
        Map<String, Integer> first = new LinkedHashMap<>();
        long seed = 4001;
        for (var e : attacks.entrySet()) {
            Attack a = e.getValue().apply(seed++);
            int alarm = -1;
            for (int i = 0; i < 40 && alarm < 0; i++) {
                double[] x = a.next();
                Signal sig = h.observe("attacker-" + e.getKey(), T + 10_000_000L + i * 1000L, x)[0];
                if (sig.level() == Level.HIGH) {
                    alarm = i;
                }
                a.answer(model.scores(x));
            }
            first.put(e.getKey(), alarm);
        }
        assertThat(first).allSatisfy((name, alarm) -> assertThat(alarm).as(name).isBetween(0, 7));
    }

    /** Whatever the stream, the score is a share, and a caller's state never exceeds its bound. */
    @Test
    void shouldStayBoundedAndScoreAShareOnAnyStream() {
        qt().withExamples(60).forAll(longs().all(), integers().between(1, 4), integers().between(4, 12))
                .checkAssert((seed, shape, history) -> {
                    AntitheticDetector d = detector("history", history, "matches", 1, "min_changed", 1,
                            "features", 8, "tolerance", 0.05);
                    MemoryStateStore store = new MemoryStateStore(64 << 20, Clock.systemUTC(), 1000);
                    DetectorHarness h = new DetectorHarness(store, d);
                    SplittableRandom r = new SplittableRandom(seed);
                    double[] last = null;
                    for (int i = 0; i < 80; i++) {
                        int n = 4 + (shape == 1 ? 0 : r.nextInt(shape) * 4); // sizes change mid-stream
                        double[] x;
                        int kind = r.nextInt(4);
                        if (kind == 0 && last != null && last.length == n) {
                            x = last.clone(); // a retry
                        } else if (kind == 1 && last != null && last.length == n) {
                            x = new double[n]; // the reflection of the last query through 0.5
                            for (int f = 0; f < n; f++) {
                                x[f] = 1 - last[f];
                            }
                        } else {
                            x = new double[n];
                            for (int f = 0; f < n; f++) {
                                x[f] = r.nextInt(5) == 0 ? r.nextDouble() * 1e6 - 5e5 : r.nextDouble();
                            }
                        }
                        Signal s = h.observe("c" + r.nextInt(2), T + i, x)[0];
                        assertThat(s.score()).isBetween(0.0, 1.0);
                        last = x;
                    }
                    for (String c : List.of("c0", "c1")) {
                        @SuppressWarnings("unchecked")
                        List<byte[]> kept = (List<byte[]>) store.execute(
                                new StateOp.ListRead("antithetic:antithetic:c:" + c))[0];
                        assertThat(kept.size()).isLessThanOrEqualTo(history);
                        for (byte[] e : kept) {
                            assertThat((long) e.length + 16).isLessThanOrEqualTo(d.bytesPerQuery());
                        }
                    }
                });
    }
}
