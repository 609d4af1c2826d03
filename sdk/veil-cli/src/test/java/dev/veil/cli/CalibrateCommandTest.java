package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.cli.CliTestSupport.Result;
import dev.veil.internal.monitor.AnswerLevels;
import dev.veil.internal.monitor.BoundaryDetector;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.RateDetector;
import dev.veil.internal.text.ControlChars;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrateCommandTest {
    @TempDir
    Path tmp;

    /** Thresholds from the bundle's data, written by calibrate; a rule on each detector's high level. */
    static final String POLICY = """
            veil: 1
            name: calibrated
            authentication: { anonymous: true }
            access: { default: { effect: allow } }
            validation: { default: { shape: [3], range: { min: 0, max: 1 } } }
            monitoring:
              detectors:
                rate: { window_seconds: 60, thresholds: monitoring.thresholds.rate }
                boundary: { window: 20, min_queries: 10, margin: 0.1, thresholds: monitoring.thresholds.boundary }
              rules:
                - { id: rate-high, when: { signals: { rate: high } }, action: alert }
                - { id: boundary-high, when: { signals: { boundary: high } }, action: alert }
            output: { default: { form: label_only } }
            """;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aBenignLineThatADetectorCannotTakeIsLeftOutAsAGuardRefusesItNotTheEndOfCalibration() throws IOException {
        // no shape fixed, and an image detector 3 wide: 3 features form no image of 3 rows, 9 do
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), POLICY
                .replace("shape: [3], range: { min: 0, max: 1 }", "shape: []")
                .replace("boundary: { window: 20,", "smooth: { width: 3 }\n    boundary: { window: 20,"));
        List<String> lines = new java.util.ArrayList<>();
        for (String l : ReplayFiles.benign(500, 1, "cal")) { // every line's 3 features three times: an image
            lines.add(l.replaceFirst("\"features\": \\[([^\\]]*)\\]", "\"features\": [$1, $1, $1]"));
        }
        int misfit = 7;
        lines.set(misfit - 1, ReplayFiles.benign(500, 1, "cal").get(misfit - 1)); // 3 features
        Path benign = ReplayFiles.write(tmp.resolve("benign.jsonl"), lines);
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.02");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).contains("benign: note: queries denied because monitoring failed on them (a "
                + "detector or the bundle's monitoring question), as a Guard denies them (internal_error): "
                + "detector_failed 1").noneMatch(l -> l.contains("refused before monitoring"));
        assertThat(r.errLines()).singleElement().asString().startsWith("veil calibrate: note: not observed: line "
                + misfit + " (caller ").contains("detector smooth: width is 3 but 3 features do not form an image");
        assertThat(JSON.readTree(bundle.resolve("monitoring/thresholds/data.json").toFile()).fieldNames())
                .toIterable().containsExactly("rate", "boundary");
    }

    @Test
    void calibratedThresholdsAlarmForAboutFprOfFreshBenignCallers() throws IOException {
        // the policy names thresholds that are not written yet: calibrate loads it with placeholders
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), POLICY);
        Path benign = ReplayFiles.write(tmp.resolve("benign.jsonl"), ReplayFiles.benign(500, 1, "cal"));
        double fpr = 0.02;
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.02");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        Path data = bundle.resolve("monitoring/thresholds/data.json");
        assertThat(r.outLines()).contains("wrote " + data + " (data path monitoring.thresholds.<detector>); use it "
                + "with 'thresholds: monitoring.thresholds.<detector>' in a detector's configuration",
                "note: these threshold paths had no data before: monitoring.thresholds.rate, "
                        + "monitoring.thresholds.boundary");

        JsonNode doc = JSON.readTree(data.toFile());
        assertThat(doc.fieldNames()).toIterable().containsExactly("rate", "boundary");
        for (JsonNode d : doc) {
            assertThat(d.fieldNames()).toIterable().containsExactly("low", "medium", "high", "fpr", "callers");
            assertThat(d.get("fpr").doubleValue()).isEqualTo(fpr);
            assertThat(d.get("callers").longValue()).isEqualTo(500);
        }
        assertThat(doc.at("/rate/high").isIntegralNumber()).isTrue();
        assertThat(doc.at("/boundary/high").doubleValue()).isBetween(0.01, 1.0);

        // the detectors take the written thresholds
        PolicyBundle b = PolicyBundle.load(bundle);
        var rate = (RateDetector) BuiltinDetectors.create("rate", b.policy().settings().detectors().get("rate"),
                b.contents());
        assertThat(rate.config().high()).isEqualTo(doc.at("/rate/high").longValue());
        assertThat(rate.config().medium()).isEqualTo(doc.at("/rate/medium").longValue());
        assertThat(rate.config().low()).isEqualTo(doc.at("/rate/low").longValue());
        var boundary = (BoundaryDetector) BuiltinDetectors.create("boundary",
                b.policy().settings().detectors().get("boundary"), b.contents());
        assertThat(boundary.config().levels()).isEqualTo(new AnswerLevels(doc.at("/boundary/low").doubleValue(),
                doc.at("/boundary/medium").doubleValue(), doc.at("/boundary/high").doubleValue(), false));

        // fresh benign callers from the same generator: about fpr of them alarm, per detector
        List<String> fresh = new ArrayList<>(ReplayFiles.benign(500, 2, "fresh"));
        for (int i = 0; i < 40; i++) { // and one boundary prober, a query a second
            fresh.add(ReplayFiles.line("prober", ReplayFiles.T + 10_000_000L + i * 1000L,
                    new double[] {0.5, 0.5, 0.5 + i * 1e-3}, new double[] {0.49, 0.48, 0.03}));
        }
        Path trace = ReplayFiles.write(tmp.resolve("fresh.jsonl"), fresh);
        Result replay = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace));
        assertThat(replay.exit()).as(replay.toString()).isZero();
        List<String> lines = replay.outLines();
        List<String> benignLines = lines.stream().filter(l -> l.startsWith("{\"caller\": \"fresh")).toList();
        assertThat(benignLines).hasSize(500);
        long byRate = benignLines.stream().filter(l -> !l.contains("\"rate\": null")).count();
        long byBoundary = benignLines.stream().filter(l -> !l.contains("\"boundary\": null")).count();
        long flagged = benignLines.stream().filter(l -> !l.contains("\"first_alarm\": null")).count();
        long most = (long) (3 * fpr * 500);
        assertThat(byRate).as("rate").isBetween(1L, most);
        assertThat(byBoundary).as("boundary").isBetween(1L, most);
        assertThat(flagged).as("either").isLessThanOrEqualTo(most);
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("{\"caller\": \"prober\"")
                .doesNotContain("\"boundary\": null").doesNotContain("\"rate\": null"));
    }

    /** Inline thresholds; a small boundary window so that four callers give visible shares. */
    static final String SMALL = """
            veil: 1
            name: small
            authentication: { anonymous: true }
            access:
              default: { effect: allow }
              rules:
                - { id: no-interns, when: { roles: [intern] }, effect: deny }
            validation: { default: { shape: [3], range: { min: 0, max: 1 } } }
            monitoring:
              detectors:
                boundary: { window: 4, min_queries: 3, high: 0.9 }
                rate: { window_seconds: 60, high: 100 }
            output: { default: { form: label_only } }
            """;

    /** c0, c1: hesitant answers; c2: one hesitant in three; c3: confident, 5 queries a second apart. */
    static List<String> smallTrace() {
        List<String> lines = new ArrayList<>();
        double[] unsure = {0.5, 0.5, 0};
        double[] sure = {0.9, 0.05, 0.05};
        for (int i = 0; i < 5; i++) {
            for (int w = 0; w < 4; w++) {
                double[] sc = w < 2 || (w == 2 && i % 3 == 0) ? unsure : sure;
                lines.add(ReplayFiles.line("c" + w, ReplayFiles.T + i * (w == 3 ? 1000L : 20_000L) + w,
                        new double[] {0.1, 0.2, 0.3 + i * 1e-3}, sc)); // a new input each time
            }
        }
        return lines;
    }

    @Test
    void printsAReportPerDetectorAndKeepsOtherEntriesOfTheDataFile() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL);
        Path data = bundle.resolve("monitoring/thresholds/data.json");
        Files.createDirectories(data.getParent());
        Files.writeString(data, "{\"other\": {\"low\": 1, \"medium\": 2, \"high\": 3}, \"rate\": {\"high\": 99}}");
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).containsExactly(
                "calibrated on 4 benign callers (20 queries), target false-positive rate 0.25 per caller and "
                        + "detector",
                "boundary (boundary, higher scores are worse): 4 callers, 3 with a score",
                "  note: this bundle sets boundary's thresholds inline: what is written for it changes nothing until "
                        + "its configuration reads them (thresholds: and the data path printed at the end, instead of "
                        + "low, medium and high)",
                "  high   0 (not used) alarms for 0 of 4 benign callers (0%), target 25%; not usable: more than 25% of "
                        + "the benign callers reach the largest score the detector takes (1)",
                "  medium 0 (not used) alarms for 0 of 4 benign callers (0%), target 100%; " + NOT_USED_MEDIUM,
                "  low    0 (not used) alarms for 0 of 4 benign callers (0%), target 100%; " + NOT_USED_LOW,
                "rate (rate, higher scores are worse): 4 callers, 4 with a score",
                "  note: this bundle sets rate's thresholds inline: what is written for it changes nothing until "
                        + "its configuration reads them (thresholds: and the data path printed at the end, instead of "
                        + "low, medium and high)",
                // what the file held before, beside the threshold that replaces it
                "  high   4            alarms for 1 of 4 benign callers (25%), target 25%; was 99",
                "  medium 0 (not used) alarms for 0 of 4 benign callers (0%), target 100%; " + NOT_USED_MEDIUM,
                "  low    0 (not used) alarms for 0 of 4 benign callers (0%), target 100%; " + NOT_USED_LOW,
                "all calibrated detectors together (a caller reaches a level on any of them), benign callers at: "
                        + "high 1 (25%), medium 0 (0%), low 0 (0%) of 4",
                "wrote " + data + " (data path monitoring.thresholds.<detector>); use it with 'thresholds: "
                        + "monitoring.thresholds.<detector>' in a detector's configuration");
        // the small trace interleaves callers whose clocks run at different speeds: calibrate says so, as replay does
        assertThat(r.errLines()).containsExactly("veil calibrate: note: 4 lines are earlier than the line before "
                + "them (first: line 8); the trace is replayed in file order, so windows and rates see those queries "
                + "out of time order: sort the trace by ts_ms for the results a live service would give");
        JsonNode doc = JSON.readTree(data.toFile());
        assertThat(doc.fieldNames()).toIterable().containsExactly("other", "rate", "boundary");
        assertThat(doc.get("other").toString()).isEqualTo("{\"low\":1,\"medium\":2,\"high\":3}");
        assertThat(doc.get("rate").toString()).isEqualTo("{\"low\":0,\"medium\":0,\"high\":4,\"fpr\":0.25,"
                + "\"callers\":4}");
        assertThat(doc.get("boundary").toString()).isEqualTo("{\"low\":0,\"medium\":0,\"high\":0,"
                + "\"fpr\":0.25,\"callers\":4}");
    }

    /**
     * A detector's id is the bundle's text, and the bundle's path the operator's: the report prints
     * U+202E or ESC in them as escapes, not as reordered text or a terminal command.
     */
    @Test
    void detectorIdsAndPathsArePrintedEscaped() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle-\u202E"), SMALL.replace("rate: { window_seconds",
                "\"ra\\u202Ete\\e[2J\": { type: rate, window_seconds"));
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).contains("ra\\u202ete\\u001b[2J (rate, higher scores are worse): 4 callers, 4 with a "
                + "score");
        assertThat(r.outLines()).anySatisfy(l -> assertThat(l).startsWith("wrote " + tmp.resolve("bundle-\\u202e")));
        assertThat(r.outLines()).allSatisfy(l -> assertThat(ControlChars.hiddenIndexIn(l)).as(l).isEqualTo(-1));
        assertThat(r.errLines()).allSatisfy(l -> assertThat(ControlChars.hiddenIndexIn(l)).as(l).isEqualTo(-1));
    }

    static final String NOT_USED_MEDIUM = "not used: its target, 10 x the fpr, is 100% or more of the benign "
            + "callers, which a threshold that alarms on every query would meet; an fpr below 0.1 calibrates it";
    static final String NOT_USED_LOW = "not used: its target, 100 x the fpr, is 100% or more of the benign "
            + "callers, which a threshold that alarms on every query would meet; an fpr below 0.01 calibrates it";

    @Test
    void anFprOf1PercentLeavesLowUnusedInsteadOfAlarmingOnEveryQuery() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), POLICY);
        Path benign = ReplayFiles.write(tmp.resolve("benign.jsonl"), ReplayFiles.benign(500, 1, "cal"));
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.01");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).contains("  low    0 (not used) alarms for 0 of 500 benign callers (0%), target "
                + "100%; " + NOT_USED_LOW);
        JsonNode doc = JSON.readTree(bundle.resolve("monitoring/thresholds/data.json").toFile());
        assertThat(doc.at("/rate/low").longValue()).as("was 1: a rate of one query alarms").isZero();
        assertThat(doc.at("/boundary/low").doubleValue()).isZero();
        assertThat(doc.at("/rate/medium").longValue()).isGreaterThan(1);
    }

    @Test
    void aDetectorWithNoUsableLevelIsNotWrittenIntoTheDataItsBundleReads() throws IOException {
        // at fpr 0.25 boundary's high is not usable (2 of 4 callers reach share 1), nor medium and low
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), POLICY.replace(
                "boundary: { window: 20, min_queries: 10, margin: 0.1, thresholds: monitoring.thresholds.boundary }",
                "boundary: { window: 4, min_queries: 3, thresholds: monitoring.thresholds.boundary }"));
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25");
        assertFails(r, 2, "veil calibrate: " + benign + ": at --fpr 0.25 no level of boundary (high not usable: more "
                + "than 25% of the benign callers reach the largest score the detector takes (1)) can be used, and "
                + "the bundle takes its thresholds from its data: use a smaller --fpr or more benign callers; nothing "
                + "was written");
        assertThat(bundle.resolve("monitoring")).doesNotExist();
    }

    @Test
    void aDetectorNoBenignCallerGotAScoreFromIsNotCalibratedIntoTheBundlesData() throws IOException {
        // boundary needs 10 answers per caller; each benign caller sends 5
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), POLICY);
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25");
        assertFails(r, 2, "veil calibrate: " + benign + ": no benign caller got a score from boundary (each caller's "
                + "stream was too short or its queries never qualified), and the bundle takes its thresholds from its "
                + "data: there is nothing to calibrate them on. Replay longer benign sessions, or give it inline "
                + "thresholds; nothing was written");
        assertThat(bundle.resolve("monitoring")).doesNotExist();
    }

    /**
     * Callers without a score never alarm, and the target is a rate over all callers: when most got
     * none, the report says that the scored ones may alarm that many times as often where all are
     * scored (a trace padded with one-query callers loosened the thresholds, silently).
     */
    @Test
    void mostCallersWithoutAScoreAreNoted() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) { // c0 reaches boundary's min_queries (3); c1 to c3 send 2 each
            for (int w = 0; w < 4; w++) {
                if (w == 0 || i < 2) {
                    lines.add(ReplayFiles.line("c" + w, ReplayFiles.T + i * 20_000L + w,
                            new double[] {0.1, 0.2, 0.3 + i * 1e-3}, new double[] {0.5, 0.45, 0.05}));
                }
            }
        }
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(ReplayFiles.write(tmp.resolve("b.jsonl"),
                lines)), "--fpr", "0.25");
        assertThat(r.outLines()).as(r.toString()).contains("  note: 3 of the 4 callers got no score (too short a "
                + "stream), and never alarm: the target is a rate over all callers, so the scored ones may alarm up "
                + "to 4 times as often as it in traffic whose sessions are all as long as theirs; calibrate on "
                + "sessions as long as real ones");
    }

    /** A trace without scores: the answer detectors' missing scores are its doing, and the message says so. */
    @Test
    void aTraceWithoutScoresIsNamedAsTheCause() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), POLICY);
        List<String> noScores = smallTrace().stream()
                .map(l -> l.replaceAll(",\\s*\"scores\":\\s*\\[[^\\]]*\\]", "")).toList();
        assertThat(noScores).noneMatch(l -> l.contains("scores")).allMatch(l -> l.contains("features"));
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), noScores);
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25");
        assertFails(r, 2, "veil calibrate: " + benign + ": the trace carries no scores (the model's answers, \"scores\" "
                + "on each line), and boundary scores the answers, so no benign caller got a score from it and the "
                + "bundle takes its thresholds from its data: record the model's scores in the benign trace; nothing "
                + "was written");
        assertThat(bundle.resolve("monitoring")).doesNotExist();
    }

    @Test
    void aThresholdsPathThisRunDoesNotWriteIsNotedAsStillMissing() throws IOException {
        // rate takes its thresholds from another path than the one calibrate writes
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), POLICY.replace("thresholds: monitoring.thresholds.rate",
                "thresholds: other.rate"));
        Path benign = ReplayFiles.write(tmp.resolve("benign.jsonl"), ReplayFiles.benign(500, 1, "cal"));
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.02");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.errLines()).containsExactly("veil calibrate: note: the bundle does not load yet: no data at "
                + "threshold path other.rate (this run wrote data path monitoring.thresholds.<detector>)");
        assertThatThrownBy(() -> PolicyBundle.load(bundle)).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("other.rate");
    }

    @Test
    void thresholdsThatWouldBreakTheBundleAreRefusedAndNothingIsWritten() throws IOException {
        // --out under the training statistics: the thresholds would land at data.training.stats.*,
        // which the distribution check reads as statistics (a detection engineer's review: written
        // first, exit 0, the bundle broken)
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL.replace(
                "validation: { default: { shape: [3], range: { min: 0, max: 1 } } }",
                "validation: { default: { shape: [3], range: { min: 0, max: 1 }, distribution: { stats: training.stats,"
                        + " max_abs_z: 100, summary: false } } }"));
        Path stats = bundle.resolve("training/data.json");
        Files.createDirectories(stats.getParent());
        String original = "{\"stats\": {\"mean\": [0.1, 0.2, 0.3], \"std\": [1, 1, 1], \"samples\": 10}}\n";
        Files.writeString(stats, original);
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());

        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25", "--out",
                "training/stats/data.json");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("with the thresholds written to " + bundle.resolve("training/stats/data.json")
                + " the bundle would not load").contains("veil calibrate: --out training/stats/data.json: writing the "
                + "thresholds there would break the bundle (above); nothing was written. The default, "
                + "monitoring/thresholds/data.json, holds nothing else");
        assertThat(bundle.resolve("training/stats")).doesNotExist();
        assertThat(Files.readString(stats)).isEqualTo(original);
        assertThat(veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25").exit())
                .as("the default place works").isZero();
    }

    /** The same bundle and benign trace give the same bytes, and a replay of that trace flags what the report said. */
    @Test
    void theSameInputGivesTheSameBytesAndTheReportMatchesAReplayWithTheWrittenThresholds() throws IOException {
        Path benign = ReplayFiles.write(tmp.resolve("benign.jsonl"), ReplayFiles.benign(300, 7, "cal"));
        Path one = ReplayFiles.bundle(tmp.resolve("one"), POLICY);
        Path two = ReplayFiles.bundle(tmp.resolve("two"), POLICY);
        Result r = veil("calibrate", "--bundle", s(one), "--benign", s(benign), "--fpr", "0.01");
        assertThat(r.exit()).as(r.toString()).isZero();
        Result r2 = veil("calibrate", "--bundle", s(two), "--benign", s(benign), "--fpr", "0.01");
        assertThat(r2.exit()).as(r2.toString()).isZero();
        String data = "monitoring/thresholds/data.json";
        assertThat(Files.readAllBytes(two.resolve(data))).isEqualTo(Files.readAllBytes(one.resolve(data)));

        Result replay = veil("monitor", "replay", "--bundle", s(one), "--trace", s(benign));
        assertThat(replay.exit()).as(replay.toString()).isZero();
        List<String> callers = replay.outLines().stream().filter(l -> l.startsWith("{\"caller\": \"cal")).toList();
        assertThat(callers).hasSize(300);
        for (String d : List.of("rate", "boundary")) {
            // each detector's rule acts on its high level: a number is the query it first alarmed on
            long flagged = callers.stream().filter(l -> !l.contains("\"" + d + "\": null")).count();
            int at = r.outLines().indexOf(r.outLines().stream().filter(l -> l.startsWith(d + " (")).findFirst()
                    .orElseThrow());
            String high = r.outLines().get(at + 1);
            assertThat(high).as(replay.out()).startsWith("  high ").contains("alarms for " + flagged + " of 300 ");
        }
    }

    /** A data file that cannot be written fails before the report shows thresholds as chosen, and leaves no directory behind. */
    @Test
    void aDataFileThatCannotBeWrittenFailsBeforeTheReport() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL);
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        // a directory name longer than the file system takes (255 bytes): the bundle loads, the directory cannot be made
        String tooLong = "d".repeat(300);
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25", "--out",
                "monitoring/" + tooLong + "/data.json");
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).as(r.toString()).contains("veil calibrate: --out " + bundle.resolve("monitoring/"
                + tooLong + "/data.json") + ": cannot be written: ").endsWith("; nothing was written\n");
        assertThat(r.out()).as("no thresholds shown as chosen").isEmpty();
        assertThat(bundle.resolve("monitoring")).as("no directory left behind").doesNotExist();
    }

    /**
     * A bundle copy whose directory this user cannot write fails before the replay (which can take
     * minutes), naming the directory. Root writes any directory, so this runs as another user only.
     */
    @Test
    void aDirectoryThatCannotBeWrittenFailsBeforeTheReplay() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL);
        Path monitoring = Files.createDirectories(bundle.resolve("monitoring"));
        Files.setPosixFilePermissions(monitoring, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(monitoring),
                    "this user (root?) can write a directory of mode r-xr-xr-x");
            Result r = veil("calibrate", "--bundle", s(bundle), "--benign",
                    s(ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace())), "--fpr", "0.25");
            assertFails(r, 2, "veil calibrate: --out monitoring/thresholds/data.json: directory " + monitoring
                    + " is not writable, and calibrate replaces data.json there by a rename: copy the bundle somewhere "
                    + "writable (or give --out a path in a writable directory of the bundle); nothing was replayed or "
                    + "written");
        } finally {
            Files.setPosixFilePermissions(monitoring, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /**
     * The same check where root, too, may not write: a process directory of /proc (the test above
     * needs another user than root, which CI may not have).
     */
    @Test
    void theDirectoryCheckNamesTheNearestDirectoryThatExists() {
        Path proc = Path.of("/proc/1");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(proc) && !Files.isWritable(proc),
                "/proc/1 is a directory this user cannot write (Linux)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CalibrateCommand.requireWritableDirectory(
                        "t/data.json", proc.resolve("no-such-dir/t/data.json")))
                .isInstanceOf(CliException.class).hasMessage("--out t/data.json: directory /proc/1 is not writable, "
                        + "and calibrate replaces data.json there by a rename: copy the bundle somewhere writable (or "
                        + "give --out a path in a writable directory of the bundle); nothing was replayed or written");
        CalibrateCommand.requireWritableDirectory("t/data.json", tmp.resolve("no-such-dir/t/data.json"));
    }

    @Test
    void aTinyFprSaysHowManyCallersItNeeds() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL);
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        assertFails(veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "1e-9"), 2,
                "cannot be measured with fewer than 1000000000 benign callers (1 / fpr)");
        assertFails(veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "1e-12"), 2,
                "cannot be measured with fewer than 1000000000000 benign callers (1 / fpr)");
        Path empty = ReplayFiles.write(tmp.resolve("empty.jsonl"), List.of());
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(empty), "--fpr", "0.25");
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("veil calibrate: " + empty + ": the benign trace has 0 callers whose queries "
                + "reached the detectors; a false-positive rate of 0.25 per caller and detector cannot be measured "
                + "with fewer than 4 benign callers (1 / fpr). Use more benign callers or a larger --fpr\n");
        assertThat(bundle.resolve("monitoring")).doesNotExist();
    }

    @Test
    void tooFewCallersIsRefusedAndNothingIsWritten() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL);
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        Result r = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign));
        assertFails(r, 2, "veil calibrate: " + benign + ": the benign trace has 4 callers whose queries reached the "
                + "detectors; a false-positive rate of 0.001 per caller and detector cannot be measured with fewer "
                + "than 1000 benign callers (1 / fpr): one false alarm would already be a rate of 0.25. Use more "
                + "benign callers or a larger --fpr");
        assertThat(bundle.resolve("monitoring")).doesNotExist();
    }

    @Test
    void outMustBeADataJsonInsideTheBundleAndItsRoots() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL);
        Files.writeString(bundle.resolve(".manifest"), "{\"revision\": \"r1\", \"roots\": [\"veil\"]}");
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        assertFails(veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25"), 2,
                "veil calibrate: --out monitoring/thresholds/data.json: the thresholds would be data path "
                        + "monitoring.thresholds.boundary, outside the bundle's roots [veil] (see its .manifest); put "
                        + "the file under a root, e.g. --out veil/monitoring/thresholds/data.json");
        assertThat(bundle.resolve("monitoring")).doesNotExist();
        Result ok = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25", "--out",
                "veil/monitoring/thresholds/data.json");
        assertThat(ok.exit()).as(ok.toString()).isZero();
        assertThat(ok.outLines()).last().isEqualTo("wrote " + bundle.resolve("veil/monitoring/thresholds/data.json")
                + " (data path veil.monitoring.thresholds.<detector>); use it with 'thresholds: "
                + "veil.monitoring.thresholds.<detector>' in a detector's configuration");
        assertThat(PolicyBundle.load(bundle).contents().data("veil.monitoring.thresholds.rate.high")).isEqualTo(4L);
        Result abs = veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25", "--out",
                s(bundle.resolve("veil/t/data.json").toAbsolutePath()));
        assertThat(abs.exit()).as(abs.toString()).isZero();
        assertThat(bundle.resolve("veil/t/data.json")).isRegularFile();
        // the bundle named through a symbolic link, --out through its target: inside it (a review)
        Path link = Files.createSymbolicLink(tmp.resolve("bundle-link"), bundle.toAbsolutePath());
        Result linked = veil("calibrate", "--bundle", s(link), "--benign", s(benign), "--fpr", "0.25", "--out",
                s(bundle.resolve("veil/u/data.json").toAbsolutePath()));
        assertThat(linked.exit()).as(linked.toString()).isZero();
        assertThat(bundle.resolve("veil/u/data.json")).isRegularFile();

        for (String[] c : new String[][] {
            {"monitoring/thresholds.json", "--out monitoring/thresholds.json: must name a file called data.json inside "
                    + "the bundle, e.g. monitoring/thresholds/data.json (OPA places a data file by its directory)"},
            {"../elsewhere/data.json", "--out ../elsewhere/data.json: must stay inside the bundle and use directory "
                    + "names of letters, digits, '_' and '-' (a data path step), found '..'"},
            {"veil/a.b/data.json", "found 'a.b'"},
            {s(tmp.resolve("outside/data.json")), "--out " + tmp.resolve("outside/data.json") + ": is outside the "
                    + "bundle " + bundle.toAbsolutePath().normalize() + "; name a data.json inside it, e.g. "
                    + "monitoring/thresholds/data.json (relative to the bundle)"},
        }) {
            assertFails(veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "0.25", "--out",
                    c[0]), 2, c[1]);
        }
    }

    @Test
    void badOptionsAndInputsAreUsageErrors() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL);
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        for (String fpr : new String[] {"0", "1", "-0.1", "NaN"}) {
            assertFails(veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", fpr), 2,
                    "--fpr must be in (0, 1), e.g. 0.001, was ");
        }
        assertFails(veil("calibrate", "--bundle", s(bundle), "--benign", s(benign), "--fpr", "often"), 2,
                "Invalid value for option '--fpr': 'often' is not a double");
        assertFails(veil("calibrate", "--bundle", s(benign), "--benign", s(benign)), 2,
                "veil calibrate: --bundle " + benign + ": calibrate writes into the bundle, so it must be a directory "
                        + "(unpack a .tar.gz first)");
        assertFails(veil("calibrate", "--bundle", s(bundle), "--benign", s(tmp.resolve("none"))), 2,
                "veil calibrate: --benign " + tmp.resolve("none") + ": no such file");
        Path bad = ReplayFiles.write(tmp.resolve("bad.jsonl"), List.of(smallTrace().get(0),
                "{\"caller\": \"x\", \"ts_ms\": 1, \"features\": [0.1, 0.2, 0.3], \"scores\": [0.5, NaN]}"));
        assertFails(veil("calibrate", "--bundle", s(bundle), "--benign", s(bad), "--fpr", "0.25"), 2,
                "veil calibrate: " + bad + ":2: scores[1] is not finite (NaN or Infinity): every number must be "
                        + "finite");
        List<String> withIntern = new ArrayList<>(smallTrace());
        withIntern.add("{\"caller\": \"i\", \"ts_ms\": 1, \"features\": [0.1, 0.2, 0.3], \"roles\": [\"intern\"]}");
        Path denied = ReplayFiles.write(tmp.resolve("denied.jsonl"), withIntern);
        assertFails(veil("calibrate", "--bundle", s(bundle), "--benign", s(denied), "--fpr", "0.25"), 2,
                "veil calibrate: " + denied + ": 1 benign queries were denied by the access policy, first line 21 "
                        + "(caller i): access rule no-interns: denied by rule no-interns; give the trace's lines the "
                        + "\"roles\", \"tenant\" and \"attributes\" the policy allows");
        Path custom = ReplayFiles.bundle(tmp.resolve("custom"), SMALL.replace("rate: { window_seconds: 60, high: 100 }",
                "my_custom: {}"));
        assertFails(veil("calibrate", "--bundle", s(custom), "--benign", s(benign), "--fpr", "0.25"), 2,
                "veil calibrate: bundle " + custom + ": monitoring.detectors.my_custom: 'my_custom' is a custom detector (added in "
                        + "code with Guard.Builder.detector); only built-in detectors can be calibrated");
        Path broken = ReplayFiles.bundle(tmp.resolve("broken"), SMALL.replace("high: 100", "high: 1.5"));
        assertFails(veil("calibrate", "--bundle", s(broken), "--benign", s(benign), "--fpr", "0.25"), 2,
                "veil calibrate: bundle " + broken + " does not load (1 error):", "high must be an integer, was 1.5");
    }

    @Test
    void aReportThatCannotBeShownWritesNoThresholds() throws IOException {
        Path bundle = ReplayFiles.bundle(tmp.resolve("bundle"), SMALL);
        Path benign = ReplayFiles.write(tmp.resolve("b.jsonl"), smallTrace());
        Result r = CliTestSupport.veilWithFullStdout("calibrate", "--bundle", s(bundle), "--benign", s(benign),
                "--fpr", "0.25");
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines()).contains("veil calibrate: the report could not be shown, so the thresholds were not "
                + "written: " + bundle.resolve("monitoring/thresholds/data.json") + " is unchanged")
                .last().isEqualTo("veil: cannot write standard output");
        assertThat(bundle.resolve("monitoring")).doesNotExist();
    }
}
