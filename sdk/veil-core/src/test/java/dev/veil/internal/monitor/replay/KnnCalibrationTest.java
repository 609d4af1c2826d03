package dev.veil.internal.monitor.replay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.PolicyBundle;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.state.MemoryStateStore;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil calibrate} picks {@code knn}'s distance thresholds (lower is worse) from benign traffic. */
class KnnCalibrationTest {
    @TempDir
    Path tmp;

    private static final String POLICY = """
            veil: 1
            name: cal-knn
            authentication: { anonymous: true }
            access: { default: { effect: allow } }
            validation: { default: { shape: [3], range: { min: 0, max: 1 } } }
            monitoring:
              detectors:
                knn: { k: 2, min_history: 2, history: 10, dimensions: 8 }
            output: { default: { form: label_only } }
            """;

    @Test
    void shouldCalibrateKnnBelowAllButTheAllowedShareOfCallers() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        TraceClock clock = new TraceClock(0);
        Calibration c = Calibration.start(b, new MemoryStateStore(1 << 24, clock, 1000), clock, 0.1);
        SplittableRandom r = new SplittableRandom(5);
        int line = 0;
        // nine callers with independent inputs, one walking in tiny steps (the closest neighbours)
        for (int caller = 0; caller < 10; caller++) {
            double[] x = {r.nextDouble(), r.nextDouble(), r.nextDouble()};
            for (int q = 0; q < 6; q++) {
                double[] y = caller == 9 ? new double[] {x[0] + 0.001 * q, x[1], x[2]}
                        : new double[] {r.nextDouble(), r.nextDouble(), r.nextDouble()};
                line++;
                c.accept(new TraceQuery(line, "c" + caller, "", List.of(), ReplayFixtures.T + line * 1000L, y,
                        null));
            }
        }
        Calibration.Result result = c.finish();
        Calibration.DetectorResult knn = result.detectors().get(0);
        assertThat(knn.skipped()).isNull();
        assertThat(knn.higherIsWorse()).isFalse();
        assertThat(knn.scored()).as("every caller got past the cold start").isEqualTo(10);
        Calibration.LevelResult high = knn.levels().get(2);
        assertThat(high.level()).isEqualTo("high");
        assertThat(high.alarmed()).as("fpr 0.1 of 10 callers: the walker only").isEqualTo(1);
        assertThat(high.threshold()).isPositive();
        // low may alarm for every caller (rate 1): the most permissive threshold
        assertThat(knn.levels().get(0).alarmed()).isEqualTo(10);
        // what calibrate writes is a configuration knn takes
        @SuppressWarnings("unchecked")
        Map<String, Object> levels = (Map<String, Object>) result.data().get("knn");
        Map<String, Object> cfg = new LinkedHashMap<>(Map.of("k", 2, "min_history", 2, "history", 10,
                "dimensions", 8));
        for (String k : List.of("low", "medium", "high")) {
            cfg.put(k, levels.get(k));
        }
        BuiltinDetectors.validate("knn", cfg);
    }
}
