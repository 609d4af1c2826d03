package dev.veil.internal.monitor.answers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Informal cost per query (plan + one execute + evaluate + record + submit, against the in-memory
 * store) of the four answer detectors at 784 features, on benign traffic of 50 callers whose
 * histories are full. Prints the median per detector and for all four; the assertion is only a
 * loose sanity bound (the JMH benchmark gives the real figure).
 */
class CostTest {
    private static final SyntheticImages MODEL = new SyntheticImages(1);

    @Test
    void shouldPrintTheCostPerQueryOfEachDetector() {
        Random r = new Random(3);
        int callers = 50;
        List<double[]> inputs = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            double[] x = SyntheticImages.sample(r.nextInt(10), r);
            inputs.add(x);
            scores.add(MODEL.scores(x));
        }
        StringBuilder report = new StringBuilder("answer detectors, median cost per query at 784 features:");
        double all = 0;
        for (String type : List.of("confidence_climb", "class_focus", "boundary", "extraction", "all")) {
            Map<String, Map<String, Object>> cfg = new LinkedHashMap<>();
            for (String t : List.of("confidence_climb", "class_focus", "boundary", "extraction")) {
                if (type.equals("all") || type.equals(t)) {
                    cfg.put(t, Map.of());
                }
            }
            try (Harness h = new Harness(cfg)) {
                // warm up and fill every caller's history
                for (int i = 0; i < 400 * callers / 10; i++) {
                    int k = i % inputs.size();
                    h.query("c" + (i % callers), inputs.get(k), scores.get(k));
                }
                int n = 20_000;
                long[] ns = new long[n];
                for (int i = 0; i < n; i++) {
                    int k = (i * 7) % inputs.size();
                    String caller = "c" + (i % callers);
                    long t0 = System.nanoTime();
                    h.query(caller, inputs.get(k), scores.get(k));
                    ns[i] = System.nanoTime() - t0;
                }
                Arrays.sort(ns);
                double median = ns[n / 2] / 1e3;
                report.append(String.format(" %s %.1f us (p90 %.1f);", type, median, ns[n * 9 / 10] / 1e3));
                if (type.equals("all")) {
                    all = median;
                }
            }
        }
        System.out.println(report);
        assertThat(all).as("median microseconds per query, all four detectors").isLessThan(500);
    }
}
