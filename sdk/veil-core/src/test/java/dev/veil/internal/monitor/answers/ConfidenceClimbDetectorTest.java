package dev.veil.internal.monitor.answers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.Level;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.monitor.ConfidenceClimbDetector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** confidence_climb on hand-built streams: exact Mann-Kendall scores and levels. */
class ConfidenceClimbDetectorTest {
    private static Harness harness(Map<String, Object> config) {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        m.put("confidence_climb", config);
        return new Harness(m);
    }

    /** Query i of a climb: a small step and class 2 at confidence 0.3 + 0.05 i. */
    private static Signal climb(Harness h, String caller, int i) {
        return h.query(caller, Streams.near(0.001 * i), Streams.probs(10, 2, 0.3 + 0.05 * i))[0];
    }

    @Test
    void shouldScoreASteadyClimbWithTheMannKendallZ() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 8; i++) {
                Signal s = climb(h, "a", i);
                assertThat(s.score()).as("fewer than min_points answers (query %d)", i).isEqualTo(0);
                assertThat(s.level()).isEqualTo(Level.NONE);
            }
            Signal eight = climb(h, "a", 8); // 8 answers: S = 28, var = 8*7*21/18
            assertThat(eight.score()).isCloseTo(28 / Math.sqrt(8 * 7 * 21 / 18.0), within(1e-9));
            assertThat(eight.score()).isCloseTo(2 * Math.sqrt(3), within(1e-9));
            assertThat(eight.level()).isEqualTo(Level.MEDIUM);
            Signal nine = climb(h, "a", 9);
            assertThat(nine.score()).isCloseTo(36 / Math.sqrt(92), within(1e-9));
            assertThat(nine.level()).isEqualTo(Level.HIGH);
            Signal ten = climb(h, "a", 10);
            assertThat(ten.score()).isCloseTo(45 / Math.sqrt(125), within(1e-9));
            assertThat(ten.name()).isEqualTo("confidence_climb");
        }
    }

    @Test
    void shouldCountFallsAgainstRises() {
        double[] p = {0.3, 0.5, 0.4, 0.6, 0.55, 0.7, 0.65, 0.8}; // 25 rising pairs, 3 falling: S = 22
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < p.length; i++) {
                h.query("a", Streams.near(0.001 * i), Streams.probs(10, 2, p[i]));
            }
            Signal s = h.query("a", Streams.near(0.01), Streams.probs(10, 2, 0.5))[0];
            assertThat(s.score()).isCloseTo(22 / Math.sqrt(8 * 7 * 21 / 18.0), within(1e-9));
            assertThat(s.level()).isEqualTo(Level.LOW);
        }
    }

    @Test
    void shouldSeeAFallingBestClassAsTheOthersRising() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 12; i++) {
                h.query("a", Streams.near(0.001 * i), Streams.probs(10, 2, 0.9 - 0.05 * i));
            }
            Signal s = h.query("a", Streams.near(0), Streams.probs(10, 2, 0.5))[0];
            // class 2 falls (its Z is negative); class 0, tracked among the four best, rises 12 times in a row
            assertThat(s.score()).isCloseTo(66 / Math.sqrt(12 * 11 * 29 / 18.0), within(1e-9));
        }
    }

    @Test
    void shouldScoreZeroWhenNoTrackedClassRises() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 12; i++) {
                h.query("a", Streams.near(0.001 * i), new double[] {1, 1}); // flat, two classes
            }
            assertThat(h.query("a", Streams.near(0), new double[] {1, 1})[0].score()).isEqualTo(0);
        }
    }

    @Test
    void shouldIgnoreIndependentInputsEvenWhenTheConfidenceRises() {
        Random r = new Random(1);
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 30; i++) {
                Signal s = h.query("a", Streams.far(r), Streams.probs(10, 2, 0.3 + 0.02 * i))[0];
                assertThat(s.score()).isEqualTo(0);
                assertThat(s.level()).isEqualTo(Level.NONE);
            }
        }
    }

    @Test
    void shouldScoreZeroForRetries() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 30; i++) {
                Signal s = h.query("a", Streams.near(0), Streams.probs(10, 2, 0.6))[0];
                assertThat(s.score()).isEqualTo(0);
            }
        }
    }

    @Test
    void shouldKeepTheChainThroughInterleavedUnrelatedQueries() {
        Random r = new Random(2);
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 9; i++) {
                climb(h, "a", i);
                h.query("a", Streams.far(r), Streams.probs(10, 5, 0.9));
            }
            Signal s = climb(h, "a", 9); // the latest answer is a far one: its chain has one member
            assertThat(s.score()).isEqualTo(0);
            Signal after = climb(h, "a", 10); // latest is climb step 9: chain of 10 steps, far ones skipped
            assertThat(after.score()).isCloseTo(45 / Math.sqrt(125), within(1e-9));
            assertThat(after.level()).isEqualTo(Level.HIGH);
        }
    }

    @Test
    void shouldKeepCallersApart() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 10; i++) {
                climb(h, "a", i);
                Signal b = h.query("b", Streams.near(0), Streams.probs(10, 2, 0.5))[0];
                assertThat(b.score()).isEqualTo(0);
            }
            assertThat(climb(h, "a", 10).level()).isEqualTo(Level.HIGH);
        }
    }

    @Test
    void shouldOnlyRememberTheWindow() {
        try (Harness h = harness(Map.of("window", 8, "min_points", 8))) {
            for (int i = 0; i < 12; i++) {
                climb(h, "a", i);
            }
            Signal s = climb(h, "a", 12);
            assertThat(s.score()).isCloseTo(2 * Math.sqrt(3), within(1e-9)); // the last 8 only
        }
    }

    @Test
    void shouldRecordNothingForRegressionsOrInvalidScores() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 12; i++) {
                h.query("a", Streams.near(0.001 * i), Prediction.regression(i));
                h.query("a", Streams.near(0.001 * i), new double[] {0, 0});
            }
            assertThat(h.store.bytesUsed()).isEqualTo(0);
            assertThat(climb(h, "a", 0).score()).isEqualTo(0);
        }
    }

    @Test
    void shouldUseTheConfiguredStepAndThresholds() {
        try (Harness h = harness(Map.of("max_step", 0.00001, "low", 1, "medium", 0, "high", 0))) {
            for (int i = 0; i < 12; i++) {
                climb(h, "a", i); // steps of 0.001 / 28 per feature: above max_step
            }
            assertThat(climb(h, "a", 12).score()).isEqualTo(0);
        }
        try (Harness h = harness(Map.of("low", 1, "medium", 0, "high", 0, "min_points", 4))) {
            for (int i = 0; i < 4; i++) {
                climb(h, "a", i);
            }
            Signal s = climb(h, "a", 4);
            assertThat(s.score()).isCloseTo(6 / Math.sqrt(4 * 3 * 13 / 18.0), within(1e-9));
            assertThat(s.level()).isEqualTo(Level.LOW);
        }
    }

    @Test
    void shouldReadDefaults() {
        ConfidenceClimbDetector.Config c = ConfidenceClimbDetector.Config.from(Map.of());
        assertThat(c.window()).isEqualTo(48);
        assertThat(c.maxStep()).isEqualTo(0.075);
        assertThat(c.minPoints()).isEqualTo(8);
        assertThat(c.ttlMillis()).isEqualTo(3_600_000);
        assertThat(ConfidenceClimbDetector.create("x", Map.of()).bytesPerQuery()).isEqualTo(96);
    }

    @Test
    void shouldRefuseBadConfigurations() {
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("windw", 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown key(s) [windw] for detector 'confidence_climb' (known keys: [");
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("window", 3)))
                .hasMessage("window must be an integer in [4, 256], was 3");
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("window", 10, "min_points", 11)))
                .hasMessage("min_points must be an integer in [4, window (10)], was 11");
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("max_step", 0)))
                .hasMessage("max_step must be in (0, 10], was 0.0");
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("max_step", "small")))
                .hasMessage("max_step must be a number, was 'small'");
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("low", 4, "medium", 3)))
                .hasMessage("thresholds must not decrease: low <= medium <= high, was 4, 3, 3.5 (a level left out keeps its default, listed in docs/veil-policy.schema.json; set it to 0 to leave it unused)");
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("high", 25)))
                .hasMessage("high must be 0 (level not used) or in [0.5, 20], was 25");
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("low", 0, "medium", 0, "high", 0)))
                .hasMessage("set at least one of the low, medium, high thresholds");
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("ttl_seconds", 10)))
                .hasMessage("ttl_seconds must be an integer in [60, 2592000], was 10");
        assertThatThrownBy(() -> ConfidenceClimbDetector.Config.from(Map.of("window", 1.5)))
                .hasMessage("window must be an integer, was 1.5");
    }
}
