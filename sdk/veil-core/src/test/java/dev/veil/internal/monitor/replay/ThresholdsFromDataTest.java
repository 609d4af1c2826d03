package dev.veil.internal.monitor.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.Prediction;
import dev.veil.internal.monitor.AnswerLevels;
import dev.veil.internal.monitor.BoundaryDetector;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.ExtractionDetector;
import dev.veil.internal.monitor.RateDetector;
import dev.veil.internal.monitor.StatefulDetector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code thresholds: <data path>} in a built-in detector's configuration. */
class ThresholdsFromDataTest {
    @TempDir
    Path tmp;

    private static final String POLICY = """
            veil: 1
            name: thresholds
            authentication: { anonymous: true }
            access: { default: { effect: allow } }
            validation: { default: { shape: [] } }
            monitoring:
              detectors:
            %s
              rules:
                - { id: r, when: { signals: { %s: high } }, action: alert }
            output: { default: { form: label_only } }
            """;

    private Path bundle(String detectorYaml, String signal, String thresholdsJson) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "b");
        Files.writeString(dir.resolve("p.veil.yaml"), POLICY.formatted("    " + detectorYaml, signal));
        if (thresholdsJson != null) {
            Files.createDirectories(dir.resolve("monitoring/thresholds"));
            Files.writeString(dir.resolve("monitoring/thresholds/data.json"), thresholdsJson);
        }
        return dir;
    }

    private static StatefulDetector detector(PolicyBundle b, String name) {
        return BuiltinDetectors.create(name, b.policy().settings().detectors().get(name), b.contents());
    }

    @Test
    void answerDetectorTakesLowMediumHighFromTheData() throws IOException {
        PolicyBundle b = PolicyBundle.load(bundle(
                "boundary: { window: 30, thresholds: monitoring.thresholds.boundary }", "boundary",
                "{\"boundary\": {\"low\": 0.2, \"medium\": 0.3, \"high\": 0.4, \"fpr\": 0.001, \"callers\": 1000}}"));
        BoundaryDetector d = (BoundaryDetector) detector(b, "boundary");
        assertThat(d.config().levels()).isEqualTo(new AnswerLevels(0.2, 0.3, 0.4, false));
        assertThat(d.config().window()).isEqualTo(30);
    }

    @Test
    void extractionsHighIsItsDelta() throws IOException {
        PolicyBundle b = PolicyBundle.load(bundle(
                "prada: { type: extraction, thresholds: monitoring.thresholds.prada }", "prada",
                "{\"prada\": {\"low\": 0.95, \"medium\": 0, \"high\": 0.8}}"));
        ExtractionDetector d = (ExtractionDetector) detector(b, "prada");
        assertThat(d.config().levels()).isEqualTo(new AnswerLevels(0.95, 0, 0.8, true));
        assertThat(BuiltinDetectors.levelKeys("extraction")).containsExactly("low", "medium", "delta");
    }

    @Test
    void rateTakesIntegersAndTheGuardAndTheReplayUseThem() throws IOException {
        Path dir = bundle("rate: { window_seconds: 10, thresholds: monitoring.thresholds.rate }", "rate",
                "{\"rate\": {\"low\": 0, \"medium\": 0, \"high\": 2}}");
        PolicyBundle b = PolicyBundle.load(dir);
        assertThat(((RateDetector) detector(b, "rate")).config()).isEqualTo(new RateDetector.Config(
                RateDetector.Scope.CALLER, 10, 0, 0, 2));
        TraceClock clock = new TraceClock(0);
        MonitorReplay r = MonitorReplay.of(b, new dev.veil.internal.state.MemoryStateStore(1 << 24, clock, 100), clock);
        r.accept(new TraceQuery(1, "a", "", List.of(), 1000, new double[] {1}, null));
        r.accept(new TraceQuery(2, "a", "", List.of(), 2000, new double[] {1}, null));
        assertThat(r.results().get(0).firstAlarm()).isEqualTo(1L);
        Model<double[]> m = Model.ofVector(ModelInfo.of("m", "1", Instant.EPOCH),
                x -> Prediction.classification(List.of("a"), new double[] {1}));
        try (Guard<double[]> g = Guard.builder(m).policy(b).audit(AuditLog.jsonLines(tmp.resolve("a.jsonl"))).build()) {
            assertThat(g.policy()).isSameAs(b);
        }
    }

    @Test
    void thresholdsBothInlineAndFromDataAreRefused() throws IOException {
        Path dir = bundle("boundary: { high: 0.5, thresholds: monitoring.thresholds.boundary }", "boundary",
                "{\"boundary\": {\"low\": 0.2, \"medium\": 0.3, \"high\": 0.4}}");
        assertThatThrownBy(() -> PolicyBundle.load(dir)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("monitoring.detectors.boundary: set the thresholds either inline (low, medium, "
                        + "high) or with thresholds: <data path>, not both (found thresholds and [high])");
        Path prada = bundle("prada: { type: extraction, delta: 0.5, thresholds: t }", "prada",
                "{\"t\": {\"low\": 0, \"medium\": 0, \"high\": 0.4}}");
        assertThatThrownBy(() -> PolicyBundle.load(prada)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("(low, medium, delta) or with thresholds: <data path>, not both (found "
                        + "thresholds and [delta])");
    }

    @Test
    void aMissingPathIsRefusedAndSaysWhereCalibrateWritesIt() throws IOException {
        Path dir = bundle("boundary: { thresholds: monitoring.thresholds.boundary }", "boundary", null);
        assertThatThrownBy(() -> PolicyBundle.load(dir)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("monitoring.detectors.boundary: thresholds: no value at data path "
                        + "'monitoring.thresholds.boundary' in the bundle's data (veil calibrate writes "
                        + "monitoring/thresholds/data.json, which is data path monitoring.thresholds.boundary)");
    }

    @Test
    void badThresholdObjectsAreRefused() throws IOException {
        String cfg = "boundary: { thresholds: monitoring.thresholds.boundary }";
        Map<String, String> cases = Map.of(
                "{\"boundary\": 0.5}",
                "thresholds: the value at data path 'monitoring.thresholds.boundary' must be an object {\"low\": .., "
                        + "\"medium\": .., \"high\": ..}, was",
                "{\"boundary\": {\"low\": 0.2, \"medium\": 0.3, \"high\": 0.4, \"delta\": 1}}",
                "thresholds: unknown key(s) [delta] at data path 'monitoring.thresholds.boundary' (known: [callers, "
                        + "fpr, high, low, medium])",
                "{\"boundary\": {\"low\": 0.2, \"high\": 0.4}}",
                "thresholds: the object at data path 'monitoring.thresholds.boundary' must hold low, medium and high "
                        + "(0 = level not used); missing [medium]",
                "{\"boundary\": {\"low\": 0.2, \"medium\": 0.3, \"high\": 2}}",
                "with the thresholds from data path 'monitoring.thresholds.boundary': high must be 0 (level not used) "
                        + "or in [0.01, 1], was 2",
                "{\"boundary\": {\"low\": 0.5, \"medium\": 0.3, \"high\": 0.4}}",
                "with the thresholds from data path 'monitoring.thresholds.boundary': thresholds must not decrease");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path dir = bundle(cfg, "boundary", c.getKey());
            assertThatThrownBy(() -> PolicyBundle.load(dir)).as(c.getKey()).isInstanceOf(PolicyLoadException.class)
                    .hasMessageContaining("monitoring.detectors.boundary: " + c.getValue());
        }
        Path rate = bundle("rate: { thresholds: monitoring.thresholds.rate }", "rate",
                "{\"rate\": {\"low\": 0, \"medium\": 0, \"high\": 12.5}}");
        assertThatThrownBy(() -> PolicyBundle.load(rate)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("with the thresholds from data path 'monitoring.thresholds.rate': high must be "
                        + "an integer, was 12.5");
        Path notPath = bundle("rate: { thresholds: 5 }", "rate", null);
        assertThatThrownBy(() -> PolicyBundle.load(notPath)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("thresholds must be a data path such as monitoring.thresholds.rate, was 5");
    }

    @Test
    void aPendingBundleLoadsWithPlaceholdersForPathsNotWrittenYet() throws IOException {
        Path dir = bundle("boundary: { thresholds: monitoring.thresholds.boundary }\n"
                + "    rate: { thresholds: monitoring.thresholds.rate }\n"
                + "    prada: { type: extraction, thresholds: monitoring.thresholds.prada }", "boundary",
                "{\"rate\": {\"low\": 0, \"medium\": 0, \"high\": 7}}");
        PendingThresholdsBundle pending = new PendingThresholdsBundle(PolicyBundle.read(dir));
        PolicyBundle b = PolicyBundle.of(pending);
        assertThat(pending.missing()).containsExactly("monitoring.thresholds.boundary", "monitoring.thresholds.prada");
        assertThat(((RateDetector) detector(b, "rate")).config().high()).isEqualTo(7);
        assertThat(((BoundaryDetector) detector(b, "boundary")).config().levels())
                .isEqualTo(new AnswerLevels(0, 0, 1, false));
        assertThatThrownBy(() -> PolicyBundle.load(dir)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("no value at data path 'monitoring.thresholds.boundary'");
    }
}
