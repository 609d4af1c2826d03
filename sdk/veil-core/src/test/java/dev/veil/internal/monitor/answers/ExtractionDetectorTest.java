package dev.veil.internal.monitor.answers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.Level;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.monitor.ExtractionDetector;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * extraction (PRADA) on hand-built streams whose inputs are multiples t v of one vector v: sketch
 * distances are then proportional to |t - t'|, and W, which does not depend on the scale, is the W
 * of the distances between the t values. Expected W values from scipy.stats.shapiro 1.17.1.
 */
class ExtractionDetectorTest {
    private static final double[] V = Streams.far(new Random(11));
    private static final double[] V2 = Streams.far(new Random(12));
    /** W of 1, 3, ..., 2n - 1 for n = 23, 28, 29, 39. */
    private static final double W23 = 0.9591796518661484;
    private static final double W28 = 0.957838359456449;
    private static final double W29 = 0.957636182301731;
    private static final double W39 = 0.9562989133435187;

    private static Harness harness(Map<String, Object> config) {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        Map<String, Object> c = new HashMap<>(config);
        c.putIfAbsent("min_distances", 20);
        m.put("extraction", c);
        return new Harness(m);
    }

    /** Query i of class 0 at t = i^2 / 10: its nearest earlier query is the previous one, at (2i - 1) / 10. */
    private static Signal step(Harness h, int i) {
        return h.query("a", Streams.scaled(V, i * i / 10.0), Streams.probs(10, 0, 0.9))[0];
    }

    @Test
    void shouldTestNormalityOfTheMinimumDistancesEveryTestEveryQueries() {
        try (Harness h = harness(Map.of("delta", 0.96, "medium", 0.97, "low", 0.99))) {
            for (int i = 0; i < 30; i++) {
                Signal s = step(h, i);
                assertThat(s.score()).as("query %d: no test yet (19 distances at the 20th)", i).isEqualTo(1.0);
                assertThat(s.level()).isEqualTo(Level.NONE);
            }
            for (int i = 30; i < 40; i++) {
                Signal s = step(h, i);
                assertThat(s.score()).as("query %d: W of the 29 distances tested at the 30th", i)
                        .isCloseTo(W29, within(1e-5));
                assertThat(s.level()).isEqualTo(Level.HIGH);
            }
            Signal s = step(h, 40);
            assertThat(s.score()).isCloseTo(W39, within(1e-5));
            assertThat(s.level()).isEqualTo(Level.HIGH);
            assertThat(s.name()).isEqualTo("extraction");
        }
        try (Harness h = harness(Map.of("delta", 0.95, "medium", 0.957, "low", 0.99))) {
            for (int i = 0; i <= 30; i++) {
                step(h, i);
            }
            Signal s = step(h, 31);
            assertThat(s.level()).as("W = 0.9576: below low and medium, not below delta").isEqualTo(Level.LOW);
        }
    }

    @Test
    void shouldLeaveOutClassesWithFewerThanTenDistances() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 6; i++) { // class 1: a seed and 5 distances
                h.query("a", Streams.scaled(V2, 1 + i), Streams.probs(10, 1, 0.9));
            }
            for (int i = 0; i < 24; i++) { // class 0: a seed and 23 distances; the 30th query is tested
                step(h, i);
            }
            assertThat(step(h, 24).score()).isCloseTo(W23, within(1e-5));
        }
    }

    @Test
    void shouldSkipExactRepeats() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 29; i++) {
                step(h, i);
            }
            for (int r = 0; r < 5; r++) {
                assertThat(step(h, 28).score()).isEqualTo(1.0); // a retry: neither a distance nor a query counted
            }
            step(h, 29);
            assertThat(step(h, 30).score()).isCloseTo(W29, within(1e-5));
        }
    }

    @Test
    void shouldDropOutliersBeyondThreeStandardDeviations() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 29; i++) {
                step(h, i);
            }
            h.query("a", Streams.scaled(V, 10_000), Streams.probs(10, 0, 0.9)); // distance about 9900
            assertThat(step(h, 30).score()).isCloseTo(W28, within(1e-5));
        }
    }

    @Test
    void shouldRecordNothingForRegressions() {
        try (Harness h = harness(Map.of())) {
            for (int i = 0; i < 50; i++) {
                h.query("a", Streams.scaled(V, i), Prediction.regression(i));
            }
            assertThat(h.store.bytesUsed()).isEqualTo(0);
            assertThat(step(h, 1).score()).isEqualTo(1.0);
        }
    }

    @Test
    void shouldReadDefaults() {
        ExtractionDetector.Config c = ExtractionDetector.Config.from(Map.of());
        assertThat(c.levels().high()).isEqualTo(0.9);
        assertThat(c.levels().low()).isEqualTo(0);
        assertThat(c.testEvery()).isEqualTo(10);
        assertThat(c.minDistances()).isEqualTo(100);
        assertThat(c.maxDistances()).isEqualTo(400);
        assertThat(c.maxSet()).isEqualTo(200);
        assertThat(c.ttlMillis()).isEqualTo(86_400_000);
        assertThat(ExtractionDetector.Config.from(Map.of("min_distances", 1000)).maxDistances()).isEqualTo(1000);
        assertThat(ExtractionDetector.create("e", Map.of()).bytesPerQuery()).isEqualTo(16 + 140);
    }

    @Test
    void shouldRefuseBadConfigurations() {
        assertThatThrownBy(() -> ExtractionDetector.Config.from(Map.of("shapiro_threshold", 0.9)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown key(s) [shapiro_threshold] for detector 'extraction' (known keys: [delta, low, "
                        + "max_distances, max_set, medium, min_distances, test_every, thresholds, ttl_seconds, type])");
        assertThatThrownBy(() -> ExtractionDetector.Config.from(Map.of("low", 0.8, "medium", 0.85)))
                .hasMessage("thresholds must not increase: low >= medium >= delta, was 0.8, 0.85, 0.9 (a level left out keeps its default, listed in docs/veil-policy.schema.json; set it to 0 to leave it unused)");
        assertThatThrownBy(() -> ExtractionDetector.Config.from(Map.of("delta", 0)))
                .hasMessage("set at least one of the low, medium, delta thresholds");
        assertThatThrownBy(() -> ExtractionDetector.Config.from(Map.of("delta", 1.2)))
                .hasMessage("delta must be 0 (level not used) or in [0.01, 1], was 1.2");
        assertThatThrownBy(() -> ExtractionDetector.Config.from(Map.of("test_every", 0)))
                .hasMessage("test_every must be an integer in [1, 1000], was 0");
        assertThatThrownBy(() -> ExtractionDetector.Config.from(Map.of("min_distances", 10)))
                .hasMessage("min_distances must be an integer in [20, 5000], was 10");
        assertThatThrownBy(() -> ExtractionDetector.Config.from(Map.of("max_distances", 50)))
                .hasMessage("max_distances must be an integer in [min_distances (100), 5000], was 50");
        assertThatThrownBy(() -> ExtractionDetector.Config.from(Map.of("max_set", 5)))
                .hasMessage("max_set must be an integer in [10, 5000], was 5");
        assertThatThrownBy(() -> ExtractionDetector.Config.from(Map.of("delta", "0.9")))
                .hasMessage("delta must be a number, was '0.9'");
    }
}
