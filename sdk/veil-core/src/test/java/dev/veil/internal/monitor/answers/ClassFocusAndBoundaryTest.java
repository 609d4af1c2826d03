package dev.veil.internal.monitor.answers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.Level;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.monitor.BoundaryDetector;
import dev.veil.internal.monitor.ClassFocusDetector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** class_focus and boundary on hand-built answer streams: exact shares and levels. */
class ClassFocusAndBoundaryTest {
    private int sent;

    /** A new input for each query (a resent input's answer is not remembered twice). */
    private double[] next() {
        return Streams.near(++sent * 1e-3);
    }

    private static Harness harness(String type, Map<String, Object> config) {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        m.put(type, config);
        return new Harness(m);
    }

    @Test
    void shouldScoreTheShareOfTheMostFrequentClass() {
        int[] classes = {0, 0, 1, 0, 2, 0, 0, 3, 3, 3, 3, 3};
        Map<String, Object> cfg = Map.of("window", 10, "min_queries", 5, "low", 0.5, "medium", 0.7, "high", 0.9);
        try (Harness h = harness("class_focus", cfg)) {
            assertThat(h.query("a", next(), Streams.probs(5, classes[0], 0.6))[0])
                    .isEqualTo(Signal.none("class_focus"));
            Signal[] s = new Signal[classes.length];
            for (int i = 1; i < classes.length; i++) {
                s[i] = h.query("a", next(), Streams.probs(5, classes[i], 0.6))[0];
            }
            assertThat(s[1].score()).isEqualTo(1.0); // [0]
            assertThat(s[1].level()).as("below min_queries").isEqualTo(Level.NONE);
            assertThat(s[4].score()).isEqualTo(0.75); // [0,0,1,0]
            assertThat(s[4].level()).isEqualTo(Level.NONE);
            assertThat(s[5].score()).isEqualTo(0.6); // [0,0,1,0,2]
            assertThat(s[5].level()).isEqualTo(Level.LOW);
            assertThat(s[7].score()).isEqualTo(5 / 7.0); // [0,0,1,0,2,0,0]
            assertThat(s[7].level()).isEqualTo(Level.MEDIUM);
            assertThat(s[10].score()).isEqualTo(0.5); // [0,0,1,0,2,0,0,3,3,3]
            assertThat(s[11].score()).isEqualTo(0.4); // window of 10: [0,1,0,2,0,0,3,3,3,3]
            assertThat(s[11].level()).isEqualTo(Level.NONE);
            Signal last = h.query("a", next(), Streams.probs(5, 3, 0.6))[0];
            assertThat(last.score()).isEqualTo(0.5); // [1,0,2,0,0,3,3,3,3,3]
        }
    }

    @Test
    void shouldReachHighWhenEveryAnswerIsOneClass() {
        try (Harness h = harness("class_focus", Map.of())) {
            Signal s = null;
            for (int i = 0; i <= 20; i++) {
                s = h.query("a", next(), Streams.probs(10, 7, 0.8))[0];
                if (i < 20) {
                    assertThat(s.level()).as("query %d", i).isEqualTo(Level.NONE);
                }
            }
            assertThat(s.score()).isEqualTo(1.0);
            assertThat(s.level()).isEqualTo(Level.HIGH);
        }
    }

    @Test
    void shouldScoreTheShareOfLowMarginAnswers() {
        Map<String, Object> cfg = Map.of("window", 4, "min_queries", 2, "low", 0.25, "medium", 0.5, "high", 0.75);
        try (Harness h = harness("boundary", cfg)) {
            double[] low = {5, 4.5, 0.5}; // normalised 0.5, 0.45, 0.05: margin 0.05
            double[] high = {8, 1, 1}; // margin 0.7
            double[] edge = {0.55, 0.45}; // margin 0.1, not below 0.1
            assertThat(h.query("a", next(), low)[0]).isEqualTo(Signal.none("boundary"));
            Signal one = h.query("a", next(), high)[0];
            assertThat(one.score()).isEqualTo(1.0);
            assertThat(one.level()).as("below min_queries").isEqualTo(Level.NONE);
            Signal two = h.query("a", next(), edge)[0];
            assertThat(two.score()).isEqualTo(0.5);
            assertThat(two.level()).isEqualTo(Level.MEDIUM);
            Signal three = h.query("a", next(), low)[0];
            assertThat(three.score()).isEqualTo(1 / 3.0);
            assertThat(three.level()).isEqualTo(Level.LOW);
            h.query("a", next(), low);
            Signal five = h.query("a", next(), low)[0]; // window: high, edge, low, low
            assertThat(five.score()).isEqualTo(0.5);
            Signal six = h.query("a", next(), low)[0]; // edge, low, low, low
            assertThat(six.score()).isEqualTo(0.75);
            assertThat(six.level()).isEqualTo(Level.HIGH);
        }
    }

    @Test
    void shouldTreatAOneClassModelAsCertainAndIgnoreRegressions() {
        try (Harness h = harness("boundary", Map.of("min_queries", 1))) {
            h.query("a", next(), new double[] {0.3});
            h.query("a", next(), Prediction.regression(0.5));
            Signal s = h.query("a", next(), new double[] {0.3})[0];
            assertThat(s.score()).isEqualTo(0.0);
            assertThat(s.level()).isEqualTo(Level.NONE);
        }
        try (Harness h = harness("class_focus", Map.of())) {
            h.query("a", next(), Prediction.regression(0.5));
            h.query("a", next(), new double[] {0, 0});
            assertThat(h.store.bytesUsed()).isEqualTo(0);
        }
    }

    @Test
    void shouldUseTheConfiguredMargin() {
        try (Harness h = harness("boundary", Map.of("margin", 0.5, "min_queries", 1))) {
            h.query("a", next(), new double[] {0.7, 0.3}); // margin 0.4
            assertThat(h.query("a", next(), new double[] {0.7, 0.3})[0].score()).isEqualTo(1.0);
        }
    }

    /**
     * A client's retry (the same input, so the same answer) is not remembered again while the first
     * is in the window: 30% of one's requests resent would otherwise concentrate both shares.
     */
    @Test
    void shouldCountAResentInputOnceWhileItIsInTheWindow() {
        Map<String, Object> cfg = Map.of("window", 4, "min_queries", 1, "low", 0.3, "medium", 0.6, "high", 0.9);
        for (String type : new String[] {"class_focus", "boundary"}) {
            try (Harness h = harness(type, cfg)) {
                double[] low = {5, 4.5, 0.5}; // class 0, margin 0.05
                double[] other = {1, 8, 1}; // class 1, margin 0.7
                double[] resent = next();
                h.query("a", resent, low);
                h.query("a", next(), other);
                for (int i = 0; i < 5; i++) {
                    // the history stays [low, other]: a share of 1/2 (the resent query's own answer is
                    // never part of its score)
                    assertThat(h.query("a", resent, low)[0].score()).as("%s, resend %d", type, i).isEqualTo(0.5);
                }
                long bytes = h.store.bytesUsed();
                h.query("a", resent, low);
                assertThat(h.store.bytesUsed()).as(type + ": nothing remembered for a resend").isEqualTo(bytes);
                // three new answers push it out of the window of 4
                h.query("a", next(), other);
                h.query("a", next(), other);
                h.query("a", next(), other); // history now [other, other, other, other]
                assertThat(h.query("a", resent, low)[0].score()).as(type).isEqualTo(type.equals("boundary") ? 0.0 : 1.0);
                // out of the window, the resent input is remembered again
                assertThat(h.query("a", next(), other)[0].score()).as(type).isEqualTo(type.equals("boundary") ? 0.25 : 0.75);
            }
        }
    }

    /** Inputs that differ in one value are different queries, each remembered. */
    @Test
    void shouldRememberInputsThatDifferInOneValue() {
        Map<String, Object> cfg = Map.of("window", 10, "min_queries", 1, "low", 0.3, "medium", 0.6, "high", 0.9);
        try (Harness h = harness("class_focus", cfg)) {
            double[] x = Streams.near(0);
            h.query("a", x, new double[] {0.1, 0.9});
            double[] y = x.clone();
            y[x.length - 1] = Math.nextUp(y[x.length - 1]);
            h.query("a", y, new double[] {0.1, 0.9});
            h.query("a", next(), new double[] {0.9, 0.1});
            assertThat(h.query("a", next(), new double[] {0.9, 0.1})[0].score()).isEqualTo(2 / 3.0);
        }
    }

    @Test
    void shouldReadDefaults() {
        ClassFocusDetector.Config f = ClassFocusDetector.Config.from(Map.of());
        assertThat(f.window()).isEqualTo(50);
        assertThat(f.minQueries()).isEqualTo(20);
        assertThat(f.levels().high()).isEqualTo(0.95);
        BoundaryDetector.Config b = BoundaryDetector.Config.from(Map.of());
        assertThat(b.window()).isEqualTo(20);
        assertThat(b.minQueries()).isEqualTo(10);
        assertThat(b.margin()).isEqualTo(0.1);
        assertThat(b.levels().high()).isEqualTo(0.6);
        assertThat(ClassFocusDetector.Config.from(Map.of("window", 5)).minQueries()).isEqualTo(5);
    }

    @Test
    void shouldRefuseBadConfigurations() {
        assertThatThrownBy(() -> ClassFocusDetector.Config.from(Map.of("max_share", 0.5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown key(s) [max_share] for detector 'class_focus' (known keys: [high, low, medium, "
                        + "min_queries, thresholds, ttl_seconds, type, window])");
        assertThatThrownBy(() -> ClassFocusDetector.Config.from(Map.of("window", 10, "min_queries", 11)))
                .hasMessage("min_queries must be an integer in [1, window (10)], was 11");
        assertThatThrownBy(() -> ClassFocusDetector.Config.from(Map.of("high", 1.5)))
                .hasMessage("high must be 0 (level not used) or in [0.01, 1], was 1.5");
        assertThatThrownBy(() -> ClassFocusDetector.Config.from(Map.of("low", 0.9, "medium", 0.5)))
                .hasMessage("thresholds must not decrease: low <= medium <= high, was 0.9, 0.5, 0.95 (a level left out keeps its default, listed in docs/veil-policy.schema.json; set it to 0 to leave it unused)");
        assertThatThrownBy(() -> BoundaryDetector.Config.from(Map.of("margin", 0)))
                .hasMessage("margin must be in (0, 1], was 0.0");
        assertThatThrownBy(() -> BoundaryDetector.Config.from(Map.of("margin", 1.5)))
                .hasMessage("margin must be in (0, 1], was 1.5");
        assertThatThrownBy(() -> BoundaryDetector.Config.from(Map.of("window", 1)))
                .hasMessage("window must be an integer in [2, 1000], was 1");
        assertThatThrownBy(() -> BoundaryDetector.Config.from(Map.of("type", "rate")))
                .hasMessage("type must be 'boundary' for this detector, was 'rate'");
    }
}
