package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bundle whose seeded detectors run on their published default seeds is logged, once per load. */
class DefaultSeedWarningTest {
    @TempDir
    Path tmp;

    private List<String> warningsBuilding(String monitoring) {
        Logger logger = Logger.getLogger("dev.veil.Guard");
        List<String> lines = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage().contains("default seed")) {
                    lines.add(r.getMessage());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        logger.addHandler(h);
        try (Guard<double[]> g = Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                .as(GuardFixtures.INFO_A)).policy(GuardFixtures.bundle(tmp.resolve("b" + System.nanoTime()))
                .set("monitoring", monitoring).load())
                .audit(AuditLog.jsonLines(tmp.resolve("audit" + System.nanoTime() + ".jsonl"))).build()) {
            return lines;
        } finally {
            logger.removeHandler(h);
        }
    }

    @Test
    void detectorsOnTheirDefaultSeedAreNamedAndSeededOnesAreNot() {
        List<String> lines = warningsBuilding("""
                detectors:
                  knn: {}
                  near_duplicate: {seed: 77}
                  global_copy: {type: knn_global}
                  rate: {window_seconds: 60, high: 1000}
                rules: []
                """);
        assertThat(lines).singleElement().satisfies(l -> assertThat(l).startsWith("bundle 'guard-test': detector(s) "
                + "[global_copy, knn] run on their published default seed"));
        assertThat(warningsBuilding("""
                detectors:
                  knn_global: {seed: 104729}
                rules: []
                """)).as("the default written out").singleElement().satisfies(l -> assertThat(l).contains(
                "[knn_global] run on their published default seed"));
        assertThat(warningsBuilding("""
                detectors:
                  knn: {seed: 1}
                  rate: {window_seconds: 60, high: 1000}
                rules: []
                """)).isEmpty();
    }
}
