package dev.veil.internal.monitor.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.PolicyBundle;
import dev.veil.Signal;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationTest {
    @TempDir
    Path tmp;

    private static final Calibration.Range SHARE = new Calibration.Range(0.01, 1, false, false);
    private static final Calibration.Range COUNT = new Calibration.Range(1, Long.MAX_VALUE, true, false);
    private static final Calibration.Range W = new Calibration.Range(0.01, 1, false, true);

    private static double[] worstFirst(boolean higher, double... v) {
        double[] a = v.clone();
        Arrays.sort(a);
        if (higher) {
            for (int i = 0, j = a.length - 1; i < j; i++, j--) {
                double x = a[i];
                a[i] = a[j];
                a[j] = x;
            }
        }
        return a;
    }

    @Test
    void theThresholdLiesBetweenTheLastAllowedCallerAndTheNextWorse() {
        // 10 callers, rate 0.2: at most 2 alarm. Worst: 0.9, 0.8 | 0.6 ... -> halfway between 0.6 and 0.8
        double[] e = worstFirst(true, 0.9, 0.8, 0.6, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05);
        Calibration.LevelResult l = Calibration.level("high", 0.2, e, 10, SHARE, true);
        assertThat(l.threshold()).isEqualTo(0.7, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(l.alarmed()).isEqualTo(2);
        assertThat(l.note()).isEmpty();
    }

    @Test
    void thresholdsBetweenTwoValuesHaveFewDigits() {
        assertThat(Calibration.between(0.5714285714285714, 0.6)).isEqualTo(0.59);
        assertThat(Calibration.between(0.55, 0.6214)).isEqualTo(0.6);
        assertThat(Calibration.between(3, 5)).isEqualTo(4);
        assertThat(Calibration.between(9, 200)).isEqualTo(100);
        double lo = 0.1;
        double hi = Math.nextUp(Math.nextUp(lo));
        assertThat(Calibration.between(lo, hi)).isGreaterThan(lo).isLessThan(hi);
        assertThat(Calibration.between(lo, Math.nextUp(lo))).isEqualTo(Math.nextUp(lo));
        qt().withExamples(300).forAll(doubles().between(-1e6, 1e6), doubles().between(1e-12, 1e3),
                integers().between(0, 1)).checkAssert((a, d, adjacent) -> {
                    double b = adjacent == 1 ? Math.nextUp(a) : a + d;
                    if (b > a) {
                        double t = Calibration.between(a, b);
                        assertThat(t).isGreaterThan(a).isLessThanOrEqualTo(b);
                        if (Math.nextUp(a) < b) {
                            assertThat(t).isLessThan(b);
                        }
                    }
                });
    }

    @Test
    void tiesAtTheBoundaryAlarmNoneOfTheTiedCallers() {
        double[] e = worstFirst(true, 0.9, 0.6, 0.6, 0.6, 0.1);
        Calibration.LevelResult l = Calibration.level("high", 0.4, e, 5, SHARE, true); // k = 2, third worst is 0.6
        assertThat(l.threshold()).isEqualTo(0.8); // between 0.6 and 0.9, one digit
        assertThat(l.alarmed()).isEqualTo(1);
        // every caller at the maximum of a share: no threshold above 1 exists
        Calibration.LevelResult none = Calibration.level("high", 0.2, worstFirst(true, 1, 1, 1, 0.5, 0.5), 5, SHARE,
                true);
        assertThat(none.threshold()).isZero();
        assertThat(none.alarmed()).isZero();
        assertThat(none.note()).isEqualTo("not usable: more than 20% of the benign callers reach the largest score the "
                + "detector takes (1)");
    }

    @Test
    void integerThresholdsAreRoundedUpAndJustAboveTheWorstWhenNothingIsWorse() {
        Calibration.LevelResult l = Calibration.level("high", 0.1, worstFirst(true, 9, 5, 5, 4, 3, 3, 3, 2, 2, 1), 10,
                COUNT, true); // k = 1, second worst 5, next worse 9 -> 7
        assertThat(l.threshold()).isEqualTo(7);
        assertThat(l.alarmed()).isEqualTo(1);
        Calibration.LevelResult odd = Calibration.level("high", 0.1, worstFirst(true, 6, 5, 1, 1, 1, 1, 1, 1, 1, 1), 10,
                COUNT, true); // halfway between 5 and 6 is 5.5 -> 6
        assertThat(odd.threshold()).isEqualTo(6);
        Calibration.LevelResult top = Calibration.level("high", 0.1, worstFirst(true, 5, 5, 1, 1, 1, 1, 1, 1, 1, 1), 10,
                COUNT, true);
        assertThat(top.threshold()).isEqualTo(6);
        assertThat(top.alarmed()).isZero();
    }

    @Test
    void lowerIsWorseMirrorsItAndKeepsStrictComparisons() {
        double[] e = worstFirst(false, 0.5, 0.7, 0.9, 0.95, 0.97);
        Calibration.LevelResult l = Calibration.level("high", 0.2, e, 5, W, false); // k = 1: 0.5 may alarm, 0.7 not
        assertThat(l.threshold()).isEqualTo(0.6, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(l.alarmed()).isEqualTo(1);
        Calibration.LevelResult tied = Calibration.level("high", 0.2, worstFirst(false, 0.7, 0.7, 0.9, 0.9, 0.9), 5, W,
                false);
        assertThat(tied.threshold()).isEqualTo(0.7); // W < 0.7 alarms nobody
        assertThat(tied.alarmed()).isZero();
        Calibration.LevelResult tooLow = Calibration.level("high", 0.2, worstFirst(false, 0.001, 0.005, 0.5, 0.9, 0.9),
                5, W, false);
        assertThat(tooLow.threshold()).isZero();
        assertThat(tooLow.note()).startsWith("not usable: more than 20% of the benign callers reach scores below");
    }

    @Test
    void fewScoredCallersGiveTheMostPermissiveThresholdAndClampingIsReported() {
        // 100 callers, only 3 ever scored: a 10% rate lets all of them alarm
        Calibration.LevelResult l = Calibration.level("low", 0.1, worstFirst(true, 0.9, 0.5, 0.2), 100, SHARE, true);
        assertThat(l.threshold()).isEqualTo(0.01);
        assertThat(l.alarmed()).isEqualTo(3);
        assertThat(l.note()).isEqualTo("the most permissive threshold the detector takes (it alarms most)");
        Calibration.LevelResult none = Calibration.level("high", 0.01, worstFirst(true), 100, SHARE, true);
        assertThat(none.note()).startsWith("NOT CALIBRATED: no benign caller got a score");
        Calibration.LevelResult raised = Calibration.level("low", 0.1, worstFirst(true, 0.005, 0.004, 0.003, 0.002,
                0.001, 0.001, 0.001, 0.001, 0.001, 0.001), 10, SHARE, true);
        assertThat(raised.threshold()).isEqualTo(0.01);
        assertThat(raised.note()).isEqualTo("raised to the smallest threshold the detector takes");
        assertThat(raised.alarmed()).isZero();
    }

    @Test
    void neverMoreThanTheAllowedShareOfCallersAlarmAndNoStricterThanNeeded() {
        qt().withExamples(500).forAll(lists().of(integers().between(0, 40)).ofSizeBetween(0, 120),
                integers().between(0, 80), doubles().between(0.001, 1), integers().between(0, 2))
                .checkAssert((values, unscored, rate, kind) -> {
                    Calibration.Range r = kind == 0 ? SHARE : kind == 1 ? COUNT : W;
                    boolean higher = kind != 2;
                    double[] e = values.stream().mapToDouble(v -> kind == 1 ? v + 1 : v / 40.0).toArray();
                    int n = e.length + unscored;
                    if (n == 0) {
                        return;
                    }
                    double[] wf = worstFirst(higher, e);
                    Calibration.LevelResult l = Calibration.level("x", rate, wf, n, r, higher);
                    int k = (int) Math.floor(rate * n + 1e-9);
                    assertThat(l.alarmed()).isLessThanOrEqualTo(k);
                    assertThat(l.threshold() == 0 || (l.threshold() >= r.min() && l.threshold() <= r.max())).isTrue();
                    long count = Arrays.stream(e).filter(v -> l.threshold() != 0 && (higher ? v >= l.threshold()
                            : v < l.threshold())).count();
                    assertThat(l.alarmed()).isEqualTo((int) count);
                    if (l.note().isEmpty()) {
                        // the next less strict threshold at a caller's value would alarm more than k callers
                        double v = wf[k];
                        long wouldAlarm = Arrays.stream(e).filter(x -> higher ? x >= v : x <= v).count();
                        assertThat(wouldAlarm).isGreaterThan(k);
                    }
                });
    }

    /** The image bundle's boundary detector at fpr 0.0002 over 5000 callers: the two worst at 0.4. */
    @Test
    void justBeyondTheWorstIsAShortNumberNotTheNextDouble() {
        Calibration.Range boundary = Calibration.RANGES.get("boundary");
        double[] e = new double[5000];
        Arrays.fill(e, 0.2);
        e[0] = 0.4;
        e[1] = 0.4;
        Calibration.LevelResult l = Calibration.level("high", 0.0002, worstFirst(true, e), 5000, boundary, true);
        assertThat(l.threshold()).isEqualTo(0.401); // was Math.nextUp(0.4), written as 0.4000000000000001
        assertThat(l.alarmed()).isZero();
        assertThat(Calibration.above(0.4, 3)).isEqualTo(0.401);
        assertThat(Calibration.above(0.999, 3)).isEqualTo(1);
        assertThat(Calibration.above(0.5857142857142856, 3)).isEqualTo(0.586);
        assertThat(Calibration.below(0.7, 3, true)).isEqualTo(0.7);
        assertThat(Calibration.below(0.7, 3, false)).isEqualTo(0.699);
        assertThat(Calibration.below(0.0923456789, 3, true)).isEqualTo(0.0923);
        // a lower-is-worse worst value with many digits: no longer the value itself
        Calibration.LevelResult knn = Calibration.level("high", 0.2, worstFirst(false, 0.0923456789, 0.0923456789,
                0.5, 0.6, 0.7), 5, Calibration.RANGES.get("knn"), false);
        assertThat(knn.threshold()).isEqualTo(0.0923);
        assertThat(knn.alarmed()).isZero();
    }

    /**
     * For random per-caller extremes (long decimals, ties, values a hair apart) and rates, on every
     * non-integer type calibration knows: each written threshold has at most MAX_DIGITS significant
     * digits (a range bound aside), the detector takes the three of them, and the detector's own
     * comparison alarms for exactly the callers the report counts, never more than floor(rate * n).
     */
    @Test
    void thresholdsAreShortAndAlarmForExactlyTheCallersReported() {
        List<String> types = Calibration.RANGES.entrySet().stream().filter(x -> !x.getValue().integer())
                .map(Map.Entry::getKey).sorted().toList();
        qt().withExamples(400).forAll(lists().of(integers().between(0, 1_000_000)).ofSizeBetween(0, 150),
                integers().between(0, 3), doubles().between(0.0005, 0.2), integers().between(0, types.size() - 1))
                .checkAssert((raw, mode, fpr, ti) -> {
                    String type = types.get(ti);
                    Calibration.Range r = Calibration.RANGES.get(type);
                    boolean higher = !r.strictBelow();
                    double scale = type.equals("confidence_climb") ? 20 : 1;
                    double[] e = new double[raw.size()];
                    for (int i = 0; i < e.length; i++) {
                        int x = raw.get(i);
                        double v = switch (mode) {
                            case 0 -> x / 999_983.0; // long decimals
                            case 1 -> Math.round(x / 100_000.0) / 10.0; // ties, one digit
                            case 2 -> 0.4 + (x % 7) * 1e-9; // a hair apart
                            default -> i % 2 == 0 ? x / 999_983.0 : Math.round(x / 100_000.0) / 10.0;
                        };
                        e[i] = v * scale;
                    }
                    int n = e.length + raw.size() % 5;
                    if (n == 0) {
                        return;
                    }
                    double[] wf = worstFirst(higher, e);
                    double[] t = new double[3];
                    for (int lv = 0; lv < 3; lv++) {
                        double rate = Math.min(1, Calibration.RATE_FACTORS[lv] * fpr);
                        Calibration.LevelResult l = Calibration.level("x", rate, wf, n, r, higher);
                        t[lv] = l.threshold();
                        int k = (int) Math.floor(rate * n + 1e-9);
                        assertThat(l.alarmed()).as("%s %s", type, l).isLessThanOrEqualTo(k);
                        if (l.threshold() != 0 && l.threshold() != r.min() && l.threshold() != r.max()) {
                            assertThat(Calibration.digits(l.threshold())).as("%s %s", type, l)
                                    .isLessThanOrEqualTo(Calibration.MAX_DIGITS);
                        }
                        if (l.threshold() != 0) {
                            dev.veil.internal.monitor.AnswerLevels own =
                                    new dev.veil.internal.monitor.AnswerLevels(0, 0, l.threshold(), !higher);
                            long count = Arrays.stream(e).filter(v -> own.of(v) == dev.veil.Level.HIGH).count();
                            assertThat(l.alarmed()).as("%s %s", type, l).isEqualTo((int) count);
                        }
                    }
                    if (t[0] != 0 || t[1] != 0 || t[2] != 0) {
                        List<String> keys = BuiltinDetectors.levelKeys(type);
                        Map<String, Object> cfg = new LinkedHashMap<>();
                        for (int lv = 0; lv < 3; lv++) {
                            cfg.put(keys.get(lv), t[lv]);
                        }
                        assertThat(BuiltinDetectors.create(type, cfg)).as("%s %s", type, cfg).isNotNull();
                    }
                });
    }

    @Test
    void minimumCallersIsOneOverFpr() {
        assertThat(Calibration.minimumCallers(0.001)).isEqualTo(1000);
        assertThat(Calibration.minimumCallers(0.01)).isEqualTo(100);
        assertThat(Calibration.minimumCallers(0.3)).isEqualTo(4);
        assertThat(Calibration.minimumCallers(0.5)).isEqualTo(2);
        assertThat(Calibration.minimumCallers(0.999)).isEqualTo(2);
        assertThatThrownBy(() -> Calibration.minimumCallers(0))
                .hasMessage("fpr must be in (0, 1), e.g. 0.001, was 0.0");
        assertThatThrownBy(() -> Calibration.minimumCallers(1))
                .hasMessage("fpr must be in (0, 1), e.g. 0.001, was 1.0");
        assertThatThrownBy(() -> Calibration.minimumCallers(Double.NaN))
                .hasMessage("fpr must be in (0, 1), e.g. 0.001, was NaN");
    }

    /** The ranges calibration assumes are the ones each detector accepts (a detector changed: update RANGES). */
    @Test
    void rangesMatchWhatEachDetectorAccepts() {
        for (Map.Entry<String, Calibration.Range> e : Calibration.RANGES.entrySet()) {
            String type = e.getKey();
            Calibration.Range r = e.getValue();
            List<String> keys = BuiltinDetectors.levelKeys(type);
            Object min = r.integer() ? (Object) (long) r.min() : (Object) r.min();
            assertThat(BuiltinDetectors.create(type, Map.of(keys.get(0), 0L, keys.get(1), 0L, keys.get(2), min)))
                    .as(type).isNotNull();
            Object below = r.integer() ? (Object) ((long) r.min() - 1) : (Object) Math.nextDown(r.min());
            if (!(r.integer() && (long) below == 0)) {
                assertThatThrownBy(() -> BuiltinDetectors.create(type, Map.of(keys.get(0), 0L, keys.get(1), 0L,
                        keys.get(2), below))).as(type).isInstanceOf(IllegalArgumentException.class);
            }
            if (!r.integer()) {
                assertThat(BuiltinDetectors.create(type, Map.of(keys.get(0), 0L, keys.get(1), 0L, keys.get(2),
                        r.max()))).as(type).isNotNull();
                assertThatThrownBy(() -> BuiltinDetectors.create(type, Map.of(keys.get(0), 0L, keys.get(1), 0L,
                        keys.get(2), Math.nextUp(r.max())))).as(type).isInstanceOf(IllegalArgumentException.class);
            }
            boolean lower = !BuiltinDetectors.create(type, Map.of(keys.get(0), 0L, keys.get(1), 0L, keys.get(2), min))
                    .higherIsWorse();
            assertThat(lower).as(type + ": strictBelow is only for lower-is-worse types").isEqualTo(r.strictBelow());
        }
        // no stale entry (a built-in type without one is skipped by veil calibrate, see the next test)
        assertThat(BuiltinDetectors.TYPES).containsAll(Calibration.RANGES.keySet());
    }

    @Test
    void probesKeepTheConfigurationAndTakeTheMostPermissiveThresholds() {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("type", "extraction");
        cfg.put("min_distances", 20L);
        cfg.put("thresholds", "monitoring.thresholds.prada");
        Map<String, Object> probe = Calibration.probeConfig("prada", cfg, "extraction", Calibration.RANGES.get(
                "extraction"));
        assertThat(probe).containsEntry("min_distances", 20L).containsEntry("low", 1.0).containsEntry("medium", 0L)
                .containsEntry("delta", 0L).doesNotContainKey("thresholds");
        Map<String, Object> rate = Calibration.probeConfig("rate", Map.of("high", 5L, "window_seconds", 10L), "rate",
                Calibration.RANGES.get("rate"));
        assertThat(rate).containsEntry("low", 1L).containsEntry("high", 0L).containsEntry("window_seconds", 10L);
        // a type whose least threshold is above 1 (a probe of feature_sweep at 1 failed: low must be in [2, 512])
        Map<String, Object> sweep = Calibration.probeConfig("feature_sweep", Map.of("history", 20L, "high", 4L),
                "feature_sweep", Calibration.RANGES.get("feature_sweep"));
        assertThat(sweep).containsEntry("low", 2L).containsEntry("medium", 0L).containsEntry("high", 0L)
                .containsEntry("history", 20L);
    }

    @Test
    void calibratesASweepOfOneFeature() {
        Calibration c = start(POLICY.replace("rate: { window_seconds: 60, high: 100 }",
                "feature_sweep: { width: 0.05, high: 4 }"), 0.25);
        // c0 sweeps feature 0 (5 values, the others the same); c1 to c3 send independent inputs, which
        // with three features of cells of 0.05 sometimes meet within a cell (a second value, a score)
        List<String> lines = new ArrayList<>();
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < 5; i++) {
            lines.add(ReplayFixtures.line("c0", ReplayFixtures.T + i * 1000L, new double[] {0.1 * i + 0.05, 0.3, 0.7},
                    ReplayFixtures.CONFIDENT));
            for (int w = 1; w < 4; w++) {
                lines.add(ReplayFixtures.line("c" + w, ReplayFixtures.T + i * 1000L + w, new double[] {r.nextDouble(),
                    r.nextDouble(), r.nextDouble()}, ReplayFixtures.CONFIDENT));
            }
        }
        c.replay(ReplayFixtures.reader(lines), "benign");
        Calibration.DetectorResult sweep = c.finish().detectors().get(1);
        assertThat(sweep.name()).isEqualTo("feature_sweep");
        assertThat(sweep.scored()).as("callers with a second value of one feature").isGreaterThanOrEqualTo(1);
        assertThat(sweep.levels()).extracting(Calibration.LevelResult::threshold).allMatch(t -> t == 0 || t >= 2);
        // high: one caller of 4 may alarm (fpr 0.25): the sweeping c0 (5 values) does, at 4; the
        // independent callers' chance pairs of values stay below
        Calibration.LevelResult high = sweep.levels().get(2);
        assertThat(high.threshold()).isEqualTo(4);
        assertThat(high.alarmed()).isEqualTo(1);
        // veil calibrate's note on callers without a score: not a short stream, for this type
        assertThat(sweep.noScore().why()).isEqualTo("never sent a second value of one feature with the others the "
                + "same (no score)");
        assertThat(c.finish().detectors().get(0).noScore().why()).isEqualTo("got no score (too short a stream)");
    }

    private static final String POLICY = """
            veil: 1
            name: cal
            authentication: { anonymous: true }
            access:
              default: { effect: allow }
              rules:
                - { id: no-interns, when: { roles: [intern] }, effect: deny }
            validation: { default: { shape: [3], range: { min: 0, max: 1 } } }
            monitoring:
              detectors:
                boundary: { window: 4, min_queries: 3 }
                rate: { window_seconds: 60, high: 100 }
            output: { default: { form: label_only } }
            """;

    private Calibration start(String policy, double fpr) {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b" + System.nanoTime()), policy);
        TraceClock clock = new TraceClock(0);
        return Calibration.start(b, new MemoryStateStore(1 << 24, clock, 1000), clock, fpr);
    }

    @Test
    void calibratesEachCallersMostExtremeCountedScore() {
        Calibration c = start(POLICY, 0.25);
        // 4 callers: c0 and c1 answer low margins (boundary share 1 from its 4th query), c2 one low margin
        // in three, c3 confident; c3 also sends 5 queries in a minute
        String[] who = {"c0", "c1", "c2", "c3"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            for (int w = 0; w < 4; w++) {
                double[] s = w < 2 || (w == 2 && i % 3 == 0) ? ReplayFixtures.UNSURE : ReplayFixtures.CONFIDENT;
                lines.add(ReplayFixtures.line(who[w], ReplayFixtures.T + i * (w == 3 ? 1000L : 20_000L) + w,
                        ReplayFixtures.X, s));
            }
        }
        c.replay(ReplayFixtures.reader(lines), "benign");
        Calibration.Result r = c.finish();
        assertThat(r.callers()).isEqualTo(4);
        assertThat(r.queries()).isEqualTo(20);
        Calibration.DetectorResult boundary = r.detectors().get(0);
        assertThat(boundary.name()).isEqualTo("boundary");
        // counted shares (3 or more answers remembered): c0 1, c1 1, c2 1/3 then 1/4, c3 none counted (share 0)
        assertThat(boundary.scored()).isEqualTo(3);
        // high: k = 1 of 4; second worst 1 and nothing worse: not usable; medium: 10 * 0.25 -> every caller
        // may alarm, which only a threshold alarming on every query would meet: not used either
        assertThat(boundary.levels()).extracting(Calibration.LevelResult::level).containsExactly("low", "medium",
                "high");
        assertThat(boundary.levels()).extracting(Calibration.LevelResult::threshold).containsOnly(0.0);
        assertThat(boundary.levels().get(1).note()).isEqualTo("not used: its target, 10 x the fpr, is 100% or more "
                + "of the benign callers, which a threshold that alarms on every query would meet; an fpr below 0.1 "
                + "calibrates it");
        Calibration.DetectorResult rate = r.detectors().get(1);
        // maximum counts in the window: c3 5, the others 3 (20 s apart in a 60 s window): halfway is 4
        assertThat(rate.levels().get(2).threshold()).isEqualTo(4);
        assertThat(rate.levels().get(2).alarmed()).isEqualTo(1);
        assertThat(r.data()).containsOnlyKeys("boundary", "rate");
        assertThat(rate.dataEntry(0.25)).containsExactly(Map.entry("low", 0L), Map.entry("medium", 0L),
                Map.entry("high", 4L), Map.entry("fpr", 0.25), Map.entry("callers", 4L));
    }

    @Test
    void aLevelWhoseTargetIsEveryCallerIsNotUsedRatherThanAlarmingOnEveryQuery() {
        // 120 callers: one sends 5 queries in a minute, the others 3
        List<String> lines = new ArrayList<>();
        for (int c = 0; c < 120; c++) {
            for (int i = 0; i < (c == 0 ? 5 : 3); i++) {
                lines.add(ReplayFixtures.line("c" + c, ReplayFixtures.T + c * 100_000L + i * 1000L, ReplayFixtures.X,
                        ReplayFixtures.CONFIDENT));
            }
        }
        for (double fpr : new double[] {0.01, 0.05}) {
            Calibration c = start(POLICY, fpr);
            c.replay(ReplayFixtures.reader(lines), "benign");
            Calibration.DetectorResult rate = c.finish().detectors().get(1);
            Calibration.LevelResult low = rate.levels().get(0);
            assertThat(low.threshold()).as("low at fpr " + fpr + " (was 1: every query alarms)").isZero();
            assertThat(low.alarmed()).isZero();
            assertThat(low.note()).startsWith("not used: its target, 100 x the fpr, is 100% or more");
            assertThat(rate.levels().get(2).threshold()).as("high").isEqualTo(4);
        }
        Calibration c = start(POLICY, 0.009);
        c.replay(ReplayFixtures.reader(lines), "benign");
        Calibration.LevelResult low = c.finish().detectors().get(1).levels().get(0);
        assertThat(low.threshold()).as("low at 0.009: 90% may alarm, 108 of 120").isEqualTo(4);
        assertThat(low.note()).isEmpty();
    }

    /**
     * knn (lower is worse, strictly below): 8 callers walk from X in steps of 0.01 x (i + 1) along
     * (1, 1, 1); the sketch is linear, so each caller's smallest score is proportional to its step.
     * At fpr 1/8 only the finest walker may reach high: the threshold lies between the two finest
     * walkers' scores, and replaying the trace with it as knn's high alarms that caller alone.
     */
    @Test
    void knnIsCalibratedStrictlyBelowItsThresholds() {
        String policy = POLICY.replace("rate: { window_seconds: 60, high: 100 }",
                "knn: { k: 1, min_history: 1, history: 10 }").replace("  boundary: { window: 4, min_queries: 3 }\n",
                "");
        Calibration c = start(policy, 0.125);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (int w = 0; w < 8; w++) {
                double d = 0.01 * (w + 1) * i;
                double[] x = {ReplayFixtures.X[0] + d, ReplayFixtures.X[1] + d, ReplayFixtures.X[2] + d};
                lines.add(ReplayFixtures.line("c" + w, ReplayFixtures.T + i * 1000L + w, x, null));
            }
        }
        c.replay(ReplayFixtures.reader(lines), "benign");
        Calibration.DetectorResult knn = c.finish().detectors().get(0);
        assertThat(knn.name()).isEqualTo("knn");
        assertThat(knn.type()).isEqualTo("knn");
        assertThat(knn.higherIsWorse()).isFalse();
        assertThat(knn.scored()).isEqualTo(8);
        Calibration.LevelResult high = knn.levels().get(2);
        assertThat(high.alarmed()).isEqualTo(1);
        assertThat(high.threshold()).isPositive();
        // low and medium: targets 12.5 and 1.25, every caller: not used
        assertThat(knn.levels().subList(0, 2)).extracting(Calibration.LevelResult::threshold).containsOnly(0.0);
        assertThat(knn.dataEntry(0.125).get("high")).isInstanceOf(Double.class);

        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("knn" + System.nanoTime()), policy.replace(
                "knn: { k: 1, min_history: 1, history: 10 }", "knn: { k: 1, min_history: 1, history: 10, low: 0, "
                        + "medium: 0, high: " + high.threshold() + " }").replace("monitoring:\n", "monitoring:\n"
                        + "  rules:\n    - { id: walk, when: { signals: { knn: high } }, action: alert }\n"));
        TraceClock clock = new TraceClock(0);
        MonitorReplay replay = MonitorReplay.of(b, new MemoryStateStore(1 << 24, clock, 1000), clock);
        replay.replay(ReplayFixtures.reader(lines), "benign");
        assertThat(replay.results()).filteredOn(r -> r.firstAlarm() != null)
                .extracting(CallerResult::caller).containsExactly("c0");
    }

    @Test
    void tooFewCallersOrDeniedCallersAreRefused() {
        Calibration few = start(POLICY, 0.01);
        few.accept(new TraceQuery(1, "a", "", List.of(), 1, ReplayFixtures.X, null));
        for (int i = 0; i < 200; i++) { // callers whose only query validation refuses: no detector saw them
            few.accept(new TraceQuery(2 + i, "invalid-" + i, "", List.of(), 1, new double[] {0.1, 0.2}, null));
        }
        assertThatThrownBy(few::finish).isInstanceOf(IllegalArgumentException.class).hasMessage("the benign trace has "
                + "1 caller whose queries reached the detectors (200 benign queries were refused before them, first "
                + "line 2 (caller invalid-0): default:shape: expected 3 features (shape [3]), got 2); a false-positive "
                + "rate of 0.01 per caller and detector cannot be measured with fewer than 100 benign callers "
                + "(1 / fpr): one false alarm would already be a rate of 1.0. Use more benign callers or a larger "
                + "--fpr");
        Calibration denied = start(POLICY, 0.5);
        denied.accept(new TraceQuery(7, "a", "", List.of("intern"), 1, ReplayFixtures.X, null));
        denied.accept(new TraceQuery(8, "b", "", List.of(), 1, ReplayFixtures.X, null));
        assertThatThrownBy(denied::finish).isInstanceOf(IllegalArgumentException.class).hasMessage("1 benign queries "
                + "were denied by the access policy, first line 7 (caller a): access rule no-interns: denied by rule "
                + "no-interns; give the trace's lines the \"roles\", \"tenant\" and \"attributes\" the policy allows, "
                + "so that calibration sees what the Guard would see");
    }

    @Test
    void oneIdInTwoTenantsIsTwoBenignCallers() {
        Calibration c = start(POLICY, 0.5); // 1 / 0.5: at least two callers
        for (String tenant : List.of("t1", "t2")) {
            for (int i = 0; i < 3; i++) {
                c.accept(new TraceQuery(i + 1, "svc", tenant, List.of(), Map.of(), 1000L * i, List.of(),
                        ReplayFixtures.X, null, ReplayFixtures.UNSURE));
            }
        }
        assertThat(c.finish().callers()).isEqualTo(2);
    }

    @Test
    void aDetectorNoBenignCallerGotAScoreFromHasNoEntryInTheData() {
        // boundary needs 3 answers; every caller sends 2: its thresholds could only be guesses that
        // alarm for every caller who does get a score (a reviewer found them written anyway)
        Calibration c = start(POLICY, 0.5);
        for (int i = 0; i < 4; i++) {
            c.accept(new TraceQuery(2 * i + 1, "c" + i, "", List.of(), 1, ReplayFixtures.X, ReplayFixtures.UNSURE));
            c.accept(new TraceQuery(2 * i + 2, "c" + i, "", List.of(), 2, ReplayFixtures.X, ReplayFixtures.UNSURE));
        }
        Calibration.Result r = c.finish();
        Calibration.DetectorResult boundary = r.detectors().get(0);
        assertThat(boundary.name()).isEqualTo("boundary");
        assertThat(boundary.scored()).isZero();
        assertThat(boundary.levels()).allSatisfy(l -> assertThat(l.note()).endsWith("not written to the data"));
        assertThat(r.data()).containsOnlyKeys("rate");
    }

    /**
     * A share or count over a tenant's (everybody's) queries is one series, the same for all its
     * callers: veil calibrate skips it and says why, instead of writing thresholds from callers that
     * are not independent samples of it (with them, a tenant whose share of smooth images merely
     * doubled alarmed for a quarter of its callers).
     */
    @Test
    void sharesAndCountsOverManyCallersAreSkipped() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("shared"), """
                veil: 1
                name: cal
                authentication: { anonymous: true }
                access: { default: { effect: allow } }
                validation: { default: { shape: [9], range: { min: 0, max: 1 } } }
                monitoring:
                  detectors:
                    smooth: { width: 3, min_queries: 2 }
                    smooth_tenant: { type: smooth, scope: tenant, width: 3, min_queries: 2 }
                    rate: { window_seconds: 60, high: 100 }
                    rate_everybody: { type: rate, scope: global, high: 100 }
                output: { default: { form: label_only } }
                """);
        TraceClock clock = new TraceClock(0);
        Calibration c = Calibration.start(b, new MemoryStateStore(1 << 24, clock, 1000), clock, 0.5);
        double[] flat = new double[9];
        for (int q = 0; q < 8; q++) {
            c.accept(new TraceQuery(q + 1, "c" + q % 4, "acme", List.of(), 1000L * q, flat, null));
        }
        Calibration.Result r = c.finish();
        assertThat(r.detectors()).extracting(Calibration.DetectorResult::name)
                .containsExactlyInAnyOrder("smooth", "smooth_tenant", "rate", "rate_everybody");
        Map<String, String> skipped = new java.util.HashMap<>();
        r.detectors().forEach(d -> skipped.put(d.name(), String.valueOf(d.skipped())));
        assertThat(skipped.get("smooth")).isEqualTo("null");
        assertThat(skipped.get("rate")).isEqualTo("null");
        assertThat(skipped.get("smooth_tenant")).isEqualTo("its score is one share over each tenant's queries "
                + "(scope: tenant), the same for all the callers counted together, so their share says nothing of "
                + "how often it alarms; set its thresholds by hand");
        assertThat(skipped.get("rate_everybody")).startsWith("its score is one count over everybody's queries "
                + "(scope: global)");
        assertThat(r.data()).containsOnlyKeys("smooth", "rate");
    }

    @Test
    void detectorsOfTypesWithoutARangeAreSkippedAndCustomOnesRefused() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("skip"), POLICY);
        TraceClock clock = new TraceClock(0);
        Calibration c = Calibration.start(b, new MemoryStateStore(1 << 24, clock, 1000), clock, 0.5,
                Map.of("rate", Calibration.RANGES.get("rate")));
        c.accept(new TraceQuery(1, "a", "", List.of(), 1, ReplayFixtures.X, ReplayFixtures.UNSURE));
        c.accept(new TraceQuery(2, "b", "", List.of(), 1, ReplayFixtures.X, null));
        Calibration.Result r = c.finish();
        assertThat(r.detectors()).extracting(Calibration.DetectorResult::name).containsExactly("boundary", "rate");
        assertThat(r.detectors().get(0).skipped()).isEqualTo("veil calibrate does not know the threshold range of "
                + "type 'boundary' yet");
        assertThat(r.detectors().get(0).levels()).isEmpty();
        assertThat(r.data()).containsOnlyKeys("rate");

        PolicyBundle custom = ReplayFixtures.bundle(tmp.resolve("custom"), POLICY.replace(
                "rate: { window_seconds: 60, high: 100 }", "knn_custom: {}"));
        assertThatThrownBy(() -> Calibration.start(custom, new MemoryStateStore(1 << 24, clock, 1000), clock, 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("monitoring.detectors.knn_custom: "
                        + "'knn_custom' is a custom detector (added in code with Guard.Builder.detector); only "
                        + "built-in detectors can be calibrated");
    }

    /** A probe that fails to give its signal on every query, as a built-in must not. */
    private static StatefulDetector failingAtEvaluate(StatefulDetector d) {
        return new StatefulDetector() {
            @Override
            public String name() {
                return d.name();
            }

            @Override
            public Object plan(Query q, List<StateOp> ops) {
                return d.plan(q, ops);
            }

            @Override
            public Signal evaluate(Query q, Object context, Object[] results, int from) {
                throw new IllegalStateException("no signal today");
            }

            @Override
            public long bytesPerQuery() {
                return d.bytesPerQuery();
            }

            @Override
            public boolean higherIsWorse() {
                return d.higherIsWorse();
            }
        };
    }

    @Test
    void aDetectorThatFailsToGiveItsSignalIsHandledAsOnErrorSays() {
        // boundary fails on every query; rate's scores must stay rate's (the signals are matched by name)
        List<TraceQuery> trace = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            for (int c = 0; c < 4; c++) { // c3 sends its 4 queries within a minute, the others 20 s apart
                trace.add(new TraceQuery(trace.size() + 1, "c" + c, "", List.of(), ReplayFixtures.T
                        + i * (c == 3 ? 1000L : 20_000L) + c, ReplayFixtures.X, ReplayFixtures.UNSURE));
            }
        }
        TraceClock clock = new TraceClock(0);
        Calibration plain = Calibration.start(ReplayFixtures.bundle(tmp.resolve("plain"), POLICY),
                new MemoryStateStore(1 << 24, clock, 1000), clock, 0.25);
        trace.forEach(plain::accept);
        Calibration.DetectorResult rate = plain.finish().detectors().get(1);

        PolicyBundle degrade = ReplayFixtures.bundle(tmp.resolve("degrade"), POLICY.replace("name: cal",
                "name: cal\non_error: degrade"));
        TraceClock clock2 = new TraceClock(0);
        Calibration c = Calibration.start(degrade, new MemoryStateStore(1 << 24, clock2, 1000), clock2, 0.25,
                Calibration.RANGES, p -> p.name().equals("boundary") ? failingAtEvaluate(p) : p);
        trace.forEach(c::accept);
        Calibration.Result r = c.finish();
        assertThat(r.detectors().get(0).name()).isEqualTo("boundary");
        assertThat(r.detectors().get(0).scored()).isZero();
        assertThat(r.detectors().get(1)).isEqualTo(rate);
        assertThat(r.data()).containsOnlyKeys("rate");
        assertThat(c.replay().detectorFailureCount()).isEqualTo(16);
        assertThat(c.replay().detectorFailures()).first().asString().isEqualTo("line 1 (caller c0): detector boundary "
                + "failed to give its signal: java.lang.IllegalStateException: no signal today; its signal was left "
                + "out (a Guard answers such a request degraded, as the bundle's on_error: degrade says: the other "
                + "detectors' signals still reach the monitoring rules)");

        // deny: every query is refused, so no caller reached the detectors
        PolicyBundle deny = ReplayFixtures.bundle(tmp.resolve("deny"), POLICY);
        TraceClock clock3 = new TraceClock(0);
        Calibration d = Calibration.start(deny, new MemoryStateStore(1 << 24, clock3, 1000), clock3, 0.25,
                Calibration.RANGES, p -> p.name().equals("boundary") ? failingAtEvaluate(p) : p);
        trace.forEach(d::accept);
        assertThat(d.replay().refusals().get(MonitorReplay.Refusal.DETECTOR_FAILED)).isEqualTo(16);
        assertThatThrownBy(d::finish).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(
                "the benign trace has 0 callers whose queries reached the detectors (16 benign queries were refused "
                        + "before them, first line 1 (caller c0): detector boundary failed to give its signal: "
                        + "java.lang.IllegalStateException: no signal today)");
    }
}
