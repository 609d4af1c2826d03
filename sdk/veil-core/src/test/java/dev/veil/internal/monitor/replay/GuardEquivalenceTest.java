package dev.veil.internal.monitor.replay;

import static dev.veil.internal.monitor.replay.GuardReplayHarness.parse;
import static dev.veil.internal.monitor.replay.GuardReplayHarness.viaGuard;
import static dev.veil.internal.monitor.replay.GuardReplayHarness.viaReplay;
import static dev.veil.internal.monitor.replay.ReplayFixtures.POLICY;
import static dev.veil.internal.monitor.replay.ReplayFixtures.T;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.Guard;
import dev.veil.Level;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.guard.DefaultGuard;
import dev.veil.internal.guard.FaultyPolicyEngine;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.Detector;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

/**
 * The replay decides as a real Guard does: the same trace through {@code MonitorReplay} and through a
 * {@link Guard} (API keys, the model answering with the trace's scores, the Guard's clock at each
 * line's time) gives the same first alarm per caller and per detector.
 */
class GuardEquivalenceTest {
    @TempDir
    Path tmp;

    @Test
    void theHandWrittenTraceAlarmsAsInAGuard() {
        Map<String, String> keys = ReplayFixtures.writeBundle(tmp.resolve("b"), POLICY);
        PolicyBundle b = PolicyBundle.load(tmp.resolve("b"));
        List<TraceQuery> trace = parse(ReplayFixtures.handTrace(true));
        List<String> guard = viaGuard(b, keys, trace, tmp.resolve("audit.jsonl"));
        assertThat(viaReplay(b, trace)).isEqualTo(guard);
        // with answers everywhere, bob and dave are still only caught by rate (their answers are confident)
        assertThat(guard).hasSize(9).anySatisfy(l -> assertThat(l).startsWith("{\"caller\": \"bob\", \"queries\": 10, "
                + "\"first_alarm\": 4"));
    }

    /** One generated line: caller, time step in ms (negative: back in time), input kind, answer kind. */
    record Item(int caller, int step, int input, int answer) {}

    static Gen<List<Item>> traces() {
        Gen<Item> item = integers().between(0, 5).zip(integers().between(-2_000, 4_000), integers().between(0, 9),
                integers().between(0, 3), Item::new);
        return lists().of(item).ofSizeBetween(1, 60);
    }

    static List<String> lines(List<Item> items, boolean allScores) {
        List<String> out = new ArrayList<>();
        long ts = T;
        for (Item it : items) {
            ts = Math.max(0, ts + it.step());
            String caller = it.caller() == 5 ? "erin" : "c" + it.caller();
            double[] x = it.input() == 0 ? new double[] {1.5, 0, 0} : new double[] {it.input() / 10.0, 0.5, 0.25};
            double[] scores = switch (it.answer()) {
                case 0 -> ReplayFixtures.UNSURE;
                case 1 -> new double[] {0.55, 0.45, 0};
                case 2 -> ReplayFixtures.CONFIDENT;
                default -> allScores ? new double[] {0.2, 0.3, 0.5} : null;
            };
            out.add(ReplayFixtures.line(caller, ts, x, scores));
        }
        return out;
    }

    /** Short blocks, so that blocked callers come back within a generated trace. */
    static final String SHORT_BLOCKS = POLICY.replace("cooldown_seconds: 600", "cooldown_seconds: 20");

    @Test
    void generatedTracesAlarmAsInAGuard() throws Exception {
        Map<String, String> keys = ReplayFixtures.writeBundle(tmp.resolve("b"), SHORT_BLOCKS);
        PolicyBundle b = PolicyBundle.load(tmp.resolve("b"));
        AtomicInteger run = new AtomicInteger();
        AtomicInteger flagged = new AtomicInteger();
        Files.createDirectories(tmp.resolve("audit"));
        qt().withExamples(40).forAll(traces()).checkAssert(items -> {
            List<TraceQuery> trace = parse(lines(items, true));
            Path audit = tmp.resolve("audit").resolve(run.incrementAndGet() + ".jsonl");
            List<String> guard = viaGuard(b, keys, trace, audit);
            assertThat(viaReplay(b, trace)).isEqualTo(guard);
            flagged.addAndGet((int) guard.stream().filter(l -> !l.contains("\"first_alarm\": null")).count());
        });
        assertThat(flagged.get()).as("the generated traces must raise alarms, or the comparison shows little")
                .isGreaterThan(10);
    }

    /**
     * A bundle that fixes no shape, with detectors that read the features as an image 3 wide
     * ({@code smooth}; {@code knn} on 3x3 tiles): a line whose features form no such image fails
     * those detectors' planning, which a Guard answers by denying the request (internal_error,
     * whatever {@code on_error} says) before any state is touched. The replay refuses that query the
     * same way and goes on with the next line.
     */
    static final String NO_SHAPE = """
            veil: 1
            name: no-shape
            on_error: %s
            authentication:
              api_keys: { file: keys.json }
            access:
              default: { effect: allow, rate_limit: { per_second: 1, burst: 3 } }
            validation:
              default: { shape: [] }
            monitoring:
              detectors:
                rate: { window_seconds: 60, low: 3, medium: 5, high: 8 }
                smooth: { width: 3, min_queries: 2, floor: 0.5, low: 0.5, medium: 0.75, high: 1 }
                knn: { pool: 3, width: 3, k: 1, min_history: 1, low: 0.5, medium: 0.2, high: 0.1 }
                boundary: { window: 4, min_queries: 3, margin: 0.2, low: 0.5, medium: 0.75, high: 1 }
              rules:
                - { id: busy, when: { signals: { rate: medium } }, action: alert }
                - { id: flood, when: { signals: { rate: high } }, action: block, cooldown_seconds: 20 }
                - { id: smooth, when: { signals: { smooth: low } }, action: alert }
                - { id: walk, when: { signals: { knn: medium } }, action: alert }
                - { id: probing, when: { signals: { boundary: high } }, action: block, cooldown_seconds: 20 }
            output:
              default: { form: label_only }
            """;

    @Test
    void linesWhoseFeaturesFitNoImageAreRefusedAsInAGuard() throws Exception {
        for (String onError : List.of("deny", "degrade")) {
            Path dir = tmp.resolve("no-shape-" + onError);
            Map<String, String> keys = ReplayFixtures.writeBundle(dir, NO_SHAPE.formatted(onError));
            PolicyBundle b = PolicyBundle.load(dir);
            AtomicInteger run = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            Files.createDirectories(tmp.resolve("audit-" + onError));
            qt().withExamples(30).forAll(traces()).checkAssert(items -> {
                List<String> lines = new ArrayList<>();
                long ts = T;
                int misfits = 0;
                for (Item it : items) {
                    ts = Math.max(0, ts + it.step());
                    String caller = it.caller() == 5 ? "erin" : "c" + it.caller();
                    // 9 features: a 3x3 image (smooth or rough); 3 or 10: no image 3 wide with 3 rows
                    double[] x = switch (it.input() % 5) {
                        case 0 -> new double[] {0.1, 0.2, 0.3};
                        case 1 -> new double[] {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};
                        case 2 -> new double[] {0, 1, 0, 1, 0, 1, 0, 1, 0};
                        default -> new double[] {0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3, it.input() / 10.0};
                    };
                    misfits += x.length == 9 ? 0 : 1;
                    double[] scores = it.answer() == 0 ? ReplayFixtures.UNSURE : ReplayFixtures.CONFIDENT;
                    lines.add(ReplayFixtures.line(caller, ts, x, scores));
                }
                List<TraceQuery> trace = parse(lines);
                Path audit = tmp.resolve("audit-" + onError).resolve(run.incrementAndGet() + ".jsonl");
                List<String> guard = viaGuard(b, keys, trace, audit);
                MonitorReplay r = GuardReplayHarness.replayed(b, trace);
                assertThat(r.results().stream().map(CallerResult::toJson).toList()).isEqualTo(guard);
                assertThat(r.refusals().get(MonitorReplay.Refusal.DETECTOR_FAILED)).isEqualTo(misfits);
                try {
                    // the Guard denied each of them as a failure, before the rate limit or a block
                    assertThat(Files.readAllLines(audit).stream().filter(l -> l.contains("internal_error")).count())
                            .isEqualTo(misfits);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                refused.addAndGet(misfits);
            });
            assertThat(refused.get()).as("the generated traces must hold misfit lines").isGreaterThan(10);
        }
    }

    /**
     * A detector that fails after planning, in one phase, on the inputs whose first feature is 0.3 or
     * 0.7 (and otherwise gives {@code high} when it is 0.5): run as a custom detector by the Guard,
     * whose failures of custom and built-in detectors take one path ({@code detectorFailed},
     * {@code learn}), and as a stateful one by the replay, which runs built-in detectors only.
     */
    static final class Flaky implements Detector, StatefulDetector {
        private final boolean atEvaluate;

        Flaky(boolean atEvaluate) {
            this.atEvaluate = atEvaluate;
        }

        static boolean fails(Query q) {
            return fails(q.features().vector()[0]);
        }

        static boolean fails(double firstFeature) {
            return firstFeature == 0.3 || firstFeature == 0.7;
        }

        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public Signal observe(Query q) {
            if (atEvaluate && fails(q)) {
                throw new IllegalStateException("flaky cannot score this one");
            }
            return new Signal("flaky", q.features().vector()[0] == 0.5 ? Level.HIGH : Level.NONE, 0);
        }

        @Override
        public void afterPrediction(Query q, Prediction raw) {
            if (!atEvaluate && fails(q)) {
                throw new IllegalStateException("flaky cannot remember this one");
            }
        }

        @Override
        public Object plan(Query q, List<StateOp> ops) {
            return null;
        }

        @Override
        public Signal evaluate(Query q, Object context, Object[] results, int from) {
            return observe(q);
        }

        @Override
        public void record(Query q, Object context, Prediction raw, List<StateOp> ops) {
            afterPrediction(q, raw);
        }

        @Override
        public long stateBytes() {
            return 0;
        }

        @Override
        public long bytesPerQuery() {
            return 0;
        }
    }

    /** {@link #SHORT_BLOCKS} with a custom detector {@code flaky} in place of the global rate detector. */
    static final String FLAKY = SHORT_BLOCKS.replace("name: replay-test", "name: replay-test\non_error: %s")
            .replace("everyone: { type: rate, scope: global, window_seconds: 60, high: 1000 }", "flaky: {}")
            .replace("    - { id: busy,", "    - { id: odd, when: { signals: { flaky: high } }, action: alert }\n"
                    + "    - { id: busy,");

    /**
     * A detector that fails while giving its signal or while remembering the answer: a Guard denies
     * the request ({@code internal_error}) under {@code on_error: deny}, and under {@code degrade}
     * goes on without that signal (the others' still fire their rules) or degrades the answer; either
     * way the stream goes on. The replay does the same, and lists every such failure.
     */
    @Test
    void aDetectorThatFailsAfterPlanningIsHandledAsTheGuardHandlesItUnderEitherOnError() throws Exception {
        for (String onError : List.of("deny", "degrade")) {
            for (boolean atEvaluate : List.of(true, false)) {
                String name = onError + (atEvaluate ? "-evaluate" : "-record");
                Path dir = tmp.resolve("flaky-" + name);
                Map<String, String> keys = ReplayFixtures.writeBundle(dir, FLAKY.formatted(onError));
                PolicyBundle b = PolicyBundle.load(dir);
                Flaky flaky = new Flaky(atEvaluate);
                AtomicInteger run = new AtomicInteger();
                AtomicInteger failedAlarmed = new AtomicInteger();
                Files.createDirectories(tmp.resolve("audit-" + name));
                qt().withExamples(40).forAll(traces()).checkAssert(items -> {
                    List<TraceQuery> trace = parse(lines(items, true));
                    Path audit = tmp.resolve("audit-" + name).resolve(run.incrementAndGet() + ".jsonl");
                    List<String> guard = viaGuard(b, keys, trace, audit, List.of(flaky));
                    TraceClock clock = new TraceClock(0);
                    List<StatefulDetector> detectors = new ArrayList<>();
                    b.policy().settings().detectors().forEach((n, config) -> detectors.add(n.equals("flaky") ? flaky
                            : BuiltinDetectors.create(n, config, b.contents())));
                    MonitorReplay r = MonitorReplay.withDetectors(b, detectors, MemoryStateStore.onClockTime(
                            DefaultGuard.DEFAULT_STATE_BYTES, clock, MonitorReplay.DEFAULT_MAX_CALLERS), clock);
                    long alarmsOnFailures = 0;
                    for (TraceQuery q : trace) {
                        MonitorReplay.Step step = r.accept(q);
                        if (Flaky.fails(q.features()[0]) && step.alarm()) {
                            alarmsOnFailures++;
                        }
                    }
                    assertThat(r.results().stream().map(CallerResult::toJson).toList()).isEqualTo(guard);
                    List<String> records;
                    try {
                        records = Files.readAllLines(audit);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    // every failure the Guard met is one the replay lists
                    long failures = onError.equals("deny")
                            ? records.stream().filter(l -> l.contains("internal_error")).count()
                            : records.stream().filter(l -> l.contains("monitoring:flaky:error")).count();
                    assertThat(r.detectorFailureCount()).isEqualTo(failures);
                    assertThat(r.detectorFailures()).hasSize((int) Math.min(failures,
                            MonitorReplay.LISTED_DETECTOR_FAILURES)).allSatisfy(f -> assertThat(f).contains(
                                    "detector flaky failed to " + (atEvaluate ? "give its signal" : "remember the answer"),
                                    "on_error: " + onError));
                    assertThat(r.refusals().get(MonitorReplay.Refusal.DETECTOR_FAILED))
                            .isEqualTo(onError.equals("deny") && atEvaluate ? failures : 0);
                    failedAlarmed.addAndGet((int) alarmsOnFailures);
                });
                if (!(onError.equals("deny") && atEvaluate)) {
                    // the failing queries themselves raised alarms: the comparison covers them
                    assertThat(failedAlarmed.get()).as(name).isGreaterThan(5);
                }
            }
        }
    }
    /**
     * The policy's monitoring question fails for some of one caller's queries ({@code c1} while its
     * rate signal is low; a Rego rule that errs for some inputs): a Guard denies those requests
     * ({@code internal_error}) under
     * {@code on_error: deny}, after counting them for rate limits and the detectors' state, and under
     * {@code degrade} answers them degraded with no monitoring rule applied; the other callers'
     * queries go on. The replay does the same, names every such line and goes on.
     */
    @Test
    void aMonitoringQuestionThatFailsForSomeLinesIsHandledAsTheGuardHandlesItUnderEitherOnError() throws Exception {
        for (String onError : List.of("deny", "degrade")) {
            Path dir = tmp.resolve("faulty-" + onError);
            Map<String, String> keys = ReplayFixtures.writeBundle(dir,
                    SHORT_BLOCKS.replace("name: replay-test", "name: replay-test\non_error: " + onError));
            Files.move(dir.resolve("policy.veil.yaml"), dir.resolve(FaultyPolicyEngine.POLICY));
            Files.writeString(dir.resolve(FaultyPolicyEngine.MARKER), FaultyPolicyEngine.MONITORING_FOR_C1 + "\n");
            PolicyBundle b = PolicyBundle.load(dir);
            AtomicInteger run = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            AtomicInteger flagged = new AtomicInteger();
            AtomicInteger c1Flagged = new AtomicInteger();
            Files.createDirectories(tmp.resolve("audit-faulty-" + onError));
            qt().withExamples(40).forAll(traces()).checkAssert(items -> {
                List<TraceQuery> trace = parse(lines(items, true));
                Path audit = tmp.resolve("audit-faulty-" + onError).resolve(run.incrementAndGet() + ".jsonl");
                List<String> guard = viaGuard(b, keys, trace, audit);
                MonitorReplay r = GuardReplayHarness.replayed(b, trace);
                assertThat(r.results().stream().map(CallerResult::toJson).toList()).isEqualTo(guard);
                List<String> records;
                try {
                    records = Files.readAllLines(audit);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                // every request of c1 whose monitoring question the Guard asked and saw fail
                long failures = records.stream().filter(l -> l.contains("\"observe\":\"error\"")).count();
                assertThat(r.monitoringFailureCount()).isEqualTo(failures);
                assertThat(r.monitoringFailures()).hasSize((int) Math.min(failures,
                        MonitorReplay.LISTED_DETECTOR_FAILURES)).allSatisfy(f -> assertThat(f).contains(
                                "(caller c1): the bundle's monitoring question failed: injected failure",
                                "on_error: " + onError));
                assertThat(r.refusals().get(MonitorReplay.Refusal.MONITORING_FAILED))
                        .isEqualTo(onError.equals("deny") ? failures : 0);
                assertThat(r.detectorFailureCount()).isZero();
                failed.addAndGet((int) failures);
                flagged.addAndGet((int) guard.stream().filter(l -> !l.contains("\"first_alarm\": null")).count());
                c1Flagged.addAndGet((int) guard.stream().filter(l -> l.startsWith("{\"caller\": \"c1\"")
                        && !l.contains("\"first_alarm\": null")).count());
            });
            assertThat(failed.get()).as("the generated traces must reach c1's monitoring question").isGreaterThan(10);
            assertThat(flagged.get()).as("the callers must still raise alarms").isGreaterThan(10);
            assertThat(c1Flagged.get()).as("c1's later queries must raise alarms").isGreaterThan(3);
        }
    }

    /**
     * The policy's access or validation question fails for every query of caller {@code c1}: a Guard
     * denies each such request ({@code internal_error}, whatever {@code on_error} says) before it
     * counts it for anything, and serves the other callers on. The replay refuses each such line
     * before monitoring ({@code access_failed}, {@code validation_failed}) and goes on.
     */
    @Test
    void anAccessOrValidationQuestionThatFailsForOneCallerIsRefusedAsTheGuardDeniesIt() throws Exception {
        for (String mode : List.of(FaultyPolicyEngine.ACCESS_FOR_C1, FaultyPolicyEngine.VALIDATION_FOR_C1)) {
            MonitorReplay.Refusal refusal = mode.equals(FaultyPolicyEngine.ACCESS_FOR_C1)
                    ? MonitorReplay.Refusal.ACCESS_FAILED : MonitorReplay.Refusal.VALIDATION_FAILED;
            String question = mode.equals(FaultyPolicyEngine.ACCESS_FOR_C1) ? "access" : "validation";
            Faulty f = faulty("q-" + mode, "deny", mode);
            PolicyBundle b = f.bundle();
            Map<String, String> keys = f.keys();
            AtomicInteger run = new AtomicInteger();
            AtomicInteger flagged = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            Files.createDirectories(tmp.resolve("audit-" + mode));
            qt().withExamples(30).forAll(traces()).checkAssert(items -> {
                List<TraceQuery> trace = parse(lines(items, true));
                List<String> guard = viaGuard(b, keys, trace,
                        tmp.resolve("audit-" + mode).resolve(run.incrementAndGet() + ".jsonl"));
                MonitorReplay r = GuardReplayHarness.replayed(b, trace);
                assertThat(r.results().stream().map(CallerResult::toJson).toList()).isEqualTo(guard);
                long c1 = trace.stream().filter(q -> q.caller().equals("c1")).count();
                assertThat(r.refusals().get(refusal)).isEqualTo(c1);
                if (c1 > 0) {
                    assertThat(r.firstRefusals().get(refusal)).contains("(caller c1): the bundle's " + question
                            + " question failed: injected failure", "whatever on_error says");
                }
                failed.addAndGet((int) c1);
                flagged.addAndGet((int) guard.stream().filter(l -> !l.contains("\"first_alarm\": null")).count());
            });
            assertThat(failed.get()).as(mode).isGreaterThan(10);
            assertThat(flagged.get()).as("the other callers must still raise alarms").isGreaterThan(10);
        }
    }

    /**
     * The monitoring question throws a {@link StackOverflowError} (an {@link Error}, not an
     * Exception) for some of c1's queries: the Guard's observe stage handles Exceptions as
     * {@code on_error} says, but an Error reaches its last line of defence, which denies the request
     * ({@code internal_error}) under either {@code on_error}, after the state batch. The replay refuses
     * those lines ({@code monitoring_failed}), names them, and goes on.
     */
    @Test
    void aStackOverflowInTheMonitoringQuestionIsDeniedAsInTheGuardUnderEitherOnError() throws Exception {
        for (String onError : List.of("deny", "degrade")) {
            Faulty f = faulty("soe-" + onError, onError, FaultyPolicyEngine.MONITORING_ERROR_FOR_C1);
            PolicyBundle b = f.bundle();
            Map<String, String> keys = f.keys();
            AtomicInteger run = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            Files.createDirectories(tmp.resolve("audit-soe-" + onError));
            qt().withExamples(30).forAll(traces()).checkAssert(items -> {
                List<TraceQuery> trace = parse(lines(items, true));
                Path audit = tmp.resolve("audit-soe-" + onError).resolve(run.incrementAndGet() + ".jsonl");
                List<String> guard = viaGuard(b, keys, trace, audit);
                MonitorReplay r = GuardReplayHarness.replayed(b, trace);
                assertThat(r.results().stream().map(CallerResult::toJson).toList()).isEqualTo(guard);
                long denied;
                try {
                    denied = Files.readAllLines(audit).stream().filter(l -> l.contains("internal_error")).count();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                assertThat(r.refusals().get(MonitorReplay.Refusal.MONITORING_FAILED)).isEqualTo(denied);
                assertThat(r.monitoringFailureCount()).isEqualTo(denied);
                assertThat(r.monitoringFailures()).allSatisfy(n -> assertThat(n).startsWith("not observed: ")
                        .contains("injected stack overflow", "whatever on_error says"));
                failed.addAndGet((int) denied);
            });
            assertThat(failed.get()).as("the generated traces must reach c1's monitoring question").isGreaterThan(10);
        }
    }

    /** A faulty bundle and its callers' API keys. */
    record Faulty(PolicyBundle bundle, Map<String, String> keys) {}

    /** A faulty bundle (FaultyPolicyEngine) of SHORT_BLOCKS under the given on_error and mode. */
    private Faulty faulty(String name, String onError, String mode) throws java.io.IOException {
        Path dir = tmp.resolve(name);
        Map<String, String> keys = ReplayFixtures.writeBundle(dir, SHORT_BLOCKS.replace("name: replay-test", "name: replay-test\non_error: " + onError));
        Files.move(dir.resolve("policy.veil.yaml"), dir.resolve(FaultyPolicyEngine.POLICY));
        Files.writeString(dir.resolve(FaultyPolicyEngine.MARKER), mode + "\n");
        return new Faulty(PolicyBundle.load(dir), keys);
    }
}
