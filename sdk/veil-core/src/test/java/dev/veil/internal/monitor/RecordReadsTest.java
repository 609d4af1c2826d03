package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Signal;
import dev.veil.internal.state.MemoryStateStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link StatefulDetector#readsFeaturesInRecord} tells the truth, both ways: a Guard skips its copy
 * of the caller's features only when no detector reads them after the model has had them. A
 * detector that says false gives, at every query, the signals it gives when the model does not write
 * to its input; one that says true would give others (so its copy is needed).
 */
class RecordReadsTest {
    private static final int FEATURES = 784;

    @Test
    void aDetectorThatDoesNotReadFeaturesWhenItRecordsIsUnmovedByAModelWritingToItsInput() {
        Map<String, Map<String, Object>> configs = new LinkedHashMap<>();
        configs.put("rate", Map.of("window_seconds", 1, "low", 50));
        configs.put("near_duplicate", Map.of());
        configs.put("knn", Map.of("history", 9, "k", 3, "min_history", 2));
        configs.put("knn_global", Map.of());
        configs.put("confidence_climb", Map.of("window", 7, "min_points", 4, "max_step", 0.02));
        configs.put("class_focus", Map.of("window", 6, "min_queries", 2));
        configs.put("boundary", Map.of("window", 5, "min_queries", 1));
        configs.put("extraction", Map.of("min_distances", 20, "max_distances", 40, "max_set", 11, "test_every", 2));
        configs.put("antithetic", Map.of("history", 8, "matches", 1, "tolerance", 0.05, "min_changed", 4));
        configs.put("smooth", Map.of("min_queries", 2, "floor", 1.3)); // some of its images smooth, some not
        configs.put("feature_sweep", Map.of()); // on inputs of 16 features (it takes at most 64)
        assertThat(configs.keySet()).as("every built-in type").isEqualTo(BuiltinDetectors.TYPES);
        List<String> readers = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : configs.entrySet()) {
            StatefulDetector detector = BuiltinDetectors.create(e.getKey(), e.getValue());
            boolean differed = false;
            Set<Double> scores = new HashSet<>();
            for (long seed = 1; seed <= 3; seed++) {
                try (MemoryStateStore plainStore = new MemoryStateStore(64L << 20, Clock.systemUTC(), 1000);
                        MemoryStateStore writtenStore = new MemoryStateStore(64L << 20, Clock.systemUTC(), 1000)) {
                    DetectorHarness plain = new DetectorHarness(plainStore, detector);
                    DetectorHarness written = new DetectorHarness(writtenStore, detector).overwritingBeforeRecord();
                    ClimbingTraffic traffic = new ClimbingTraffic(seed,
                            e.getKey().equals("feature_sweep") ? 16 : FEATURES, 300);
                    while (traffic.hasNext()) {
                        ClimbingTraffic.Query q = traffic.next();
                        Signal a = plain.observe(q.caller(), q.timeMillis(), q.x().clone(), q.answer())[0];
                        Signal b = written.observe(q.caller(), q.timeMillis(), q.x().clone(), q.answer())[0];
                        scores.add(a.score());
                        if (!detector.readsFeaturesInRecord()) {
                            assertThat(b).as("%s, seed %d, query at %d", e.getKey(), seed, q.timeMillis()).isEqualTo(a);
                        }
                        differed |= !a.equals(b);
                    }
                }
            }
            // a detector whose score never moved would make the comparison test nothing
            assertThat(scores).as("scores of %s", e.getKey()).hasSizeGreaterThan(1);
            if (detector.readsFeaturesInRecord()) {
                assertThat(differed).as("%s says it reads the features when it records: its signals must show it",
                        e.getKey()).isTrue();
                readers.add(e.getKey());
            }
        }
        assertThat(readers).containsExactly("confidence_climb", "extraction");
    }
}
