package dev.veil.internal.monitor.answers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.Features;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Properties of the four answer detectors for any stream of finite inputs and answers: evaluate
 * never throws and returns a finite score, and every list a detector keeps stays within its bound
 * (entries and bytes per entry), whatever the stream.
 */
class AnswerDetectorPropertiesTest {
    private static final Map<String, Map<String, Object>> SMALL = new LinkedHashMap<>();

    static {
        SMALL.put("confidence_climb", Map.of("window", 6, "min_points", 4, "max_step", 10));
        SMALL.put("class_focus", Map.of("window", 5, "min_queries", 2));
        SMALL.put("boundary", Map.of("window", 4, "min_queries", 1));
        SMALL.put("extraction", Map.of("min_distances", 20, "max_distances", 25, "max_set", 12, "test_every", 3));
    }

    private static final int[] MAX_ENTRIES = {6, 5, 4, 12, 25};

    @Test
    void propertyStateStaysBoundedAndEvaluateNeverThrows() {
        qt().withExamples(40)
                .forAll(integers().between(1, 40), integers().between(1, 12), integers().between(30, 120),
                        lists().of(doubles().between(-1e6, 1e6)).ofSizeBetween(40, 40))
                .checkAssert((features, classes, queries, seeds) -> {
                    try (Harness h = new Harness(SMALL)) {
                        for (int i = 0; i < queries; i++) {
                            double[] x = new double[features];
                            double[] s = new double[classes];
                            for (int j = 0; j < features; j++) {
                                double v = seeds.get((i * 7 + j * 3) % seeds.size());
                                x[j] = i % 5 == 0 ? v : v * 1e-9 * (j + i % 3); // some near repeats, some far
                            }
                            for (int j = 0; j < classes; j++) {
                                s[j] = Math.abs(seeds.get((i + j * 11) % seeds.size())) * (i % 7 == 0 ? 0 : 1);
                            }
                            String caller = "c" + (i % 3);
                            Prediction answer = i % 11 == 5 ? Prediction.regression(x[0])
                                    : Prediction.classification(labels(classes), s);
                            for (Signal sig : h.query(caller, x, answer)) {
                                assertThat(sig.level()).isNotNull();
                                assertThat(Double.isFinite(sig.score())).as("score of %s", sig.name()).isTrue();
                            }
                        }
                        for (String caller : List.of("c0", "c1", "c2")) {
                            assertBounded(h, caller, features);
                        }
                    }
                });
    }

    private static List<String> labels(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add("l" + i);
        }
        return l;
    }

    /** Reads every list the detectors keep for the caller (through their own plan) and checks its bounds. */
    private static void assertBounded(Harness h, String caller, int features) {
        Query q = new Query(Harness.caller(caller), 0, Features.of(new double[features]));
        int list = 0;
        for (StatefulDetector d : h.detectors) {
            List<StateOp> ops = new ArrayList<>();
            d.plan(q, ops);
            Object[] results = h.store.execute(ops.toArray(StateOp[]::new));
            for (Object r : results) {
                @SuppressWarnings("unchecked")
                List<byte[]> entries = (List<byte[]>) r;
                assertThat(entries.size()).as("entries of list %d of %s", list, d.name())
                        .isLessThanOrEqualTo(MAX_ENTRIES[list]);
                for (byte[] e : entries) {
                    assertThat((long) e.length).isLessThanOrEqualTo(d.bytesPerQuery());
                }
                list++;
            }
        }
    }

    @Test
    void shouldKeepLessThanTwoKilobytesPerRememberedQuery() {
        for (String type : List.of("confidence_climb", "class_focus", "boundary", "extraction")) {
            StatefulDetector d = BuiltinDetectors.create(type, Map.of());
            assertThat(d.bytesPerQuery()).as(type).isPositive().isLessThan(2048);
        }
    }

    @Test
    void propertyEvaluateNeverThrowsOnFiniteExtremeInputs() {
        qt().withExamples(100)
                .forAll(lists().of(doubles().any()).ofSizeBetween(1, 30), integers().between(1, 5))
                .checkAssert((values, classes) -> {
                    double[] x = values.stream().mapToDouble(v -> Double.isFinite(v) ? v : 0).toArray();
                    double[] s = new double[classes];
                    for (int j = 0; j < classes; j++) {
                        s[j] = Math.abs(x[j % x.length]) / 2; // finite, may be huge or 0
                    }
                    try (Harness h = Harness.defaults()) {
                        for (int i = 0; i < 25; i++) {
                            for (Signal sig : h.query("c", x, Prediction.classification(labels(classes), s))) {
                                assertThat(Double.isFinite(sig.score())).as(sig.name()).isTrue();
                            }
                        }
                    }
                });
    }
}
