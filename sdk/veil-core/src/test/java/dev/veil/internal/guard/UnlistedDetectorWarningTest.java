package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.spi.Detector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A custom detector the bundle does not list never runs: said at build and at every reload. */
class UnlistedDetectorWarningTest {
    @TempDir
    Path tmp;

    private final List<String> lines = new ArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getMessage().contains("custom detector")) {
                lines.add(r.getMessage());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    private static Detector quiet(String name) {
        return new FailureContainmentTest.QuietDetector(name) {};
    }

    private GuardFixtures.BundleDir bundle(String monitoring) {
        return GuardFixtures.bundle(tmp.resolve("b" + System.nanoTime())).set("monitoring", monitoring);
    }

    @Test
    void aCustomDetectorTheBundleDoesNotListIsNamedAtBuildAndAtReload() {
        Logger logger = Logger.getLogger("dev.veil.Guard");
        logger.addHandler(handler);
        try (Guard<double[]> g = Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                .as(GuardFixtures.INFO_A)).policy(bundle("""
                        detectors:
                          listed: {}
                        rules: []
                        """).load())
                .detector(quiet("listed")).detector(quiet("zeta")).detector(quiet("alpha"))
                .audit(AuditLog.jsonLines(tmp.resolve("audit.jsonl"))).build()) {
            assertThat(lines).singleElement().isEqualTo("bundle 'guard-test': custom detector(s) [alpha, zeta] added "
                    + "with Guard.Builder.detector are not listed under monitoring.detectors, so they do not run; to "
                    + "run one, add 'alpha: {}' (and likewise each other) under monitoring.detectors");
            lines.clear();

            g.reload(bundle("""
                    detectors:
                      listed: {}
                      alpha: {}
                    rules: []
                    """).load());
            assertThat(lines).singleElement().satisfies(l -> assertThat(l).contains("custom detector(s) [zeta] "
                    + "added with Guard.Builder.detector are not listed", "add 'zeta: {}'"));
            lines.clear();

            g.reload(bundle("""
                    detectors:
                      listed: {}
                      alpha: {}
                      zeta: {}
                    rules: []
                    """).load());
            assertThat(lines).as("every one listed").isEmpty();
        } finally {
            logger.removeHandler(handler);
        }
    }
}
