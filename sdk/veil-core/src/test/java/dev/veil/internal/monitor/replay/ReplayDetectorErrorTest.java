package dev.veil.internal.monitor.replay;

import static dev.veil.internal.monitor.replay.GuardReplayHarness.parse;
import static dev.veil.internal.monitor.replay.ReplayFixtures.POLICY;
import static dev.veil.internal.monitor.replay.ReplayFixtures.T;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.Level;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.guard.DefaultGuard;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A built-in detector whose failure is an {@link Error} (an assertion, a stack overflow): the Guard
 * catches none of these around its built-in detectors, so the request reaches its last line of
 * defence and is denied ({@code internal_error}) whatever {@code on_error} says, and a failure while
 * remembering the answer stops its learning (no detector remembers that answer). The replay does
 * the same and goes on; it used to end with the Error. An {@link OutOfMemoryError} ends it.
 */
class ReplayDetectorErrorTest {
    @TempDir
    Path tmp;

    private static final double[] UNSURE = {0.5, 0.45, 0.05};
    private static final double[] SURE = {0.9, 0.05, 0.05};

    /** Throws the given Error in one phase on the inputs whose first feature is 0.3, otherwise silent. */
    private static StatefulDetector failing(String phase, Supplier<Error> error) {
        return new StatefulDetector() {
            private void maybe(Query q, String now) {
                if (phase.equals(now) && q.features().vector()[0] == 0.3) {
                    throw error.get();
                }
            }

            @Override
            public String name() {
                return "brittle";
            }

            @Override
            public Object plan(Query q, List<StateOp> ops) {
                maybe(q, "plan");
                return null;
            }

            @Override
            public Signal evaluate(Query q, Object context, Object[] results, int from) {
                maybe(q, "evaluate");
                return Signal.none("brittle");
            }

            @Override
            public void record(Query q, Object context, Prediction raw, List<StateOp> ops) {
                maybe(q, "record");
            }

            @Override
            public long bytesPerQuery() {
                return 0;
            }
        };
    }

    /** A replay of {@link ReplayFixtures#POLICY} under {@code on_error: degrade}, the failing detector first. */
    private MonitorReplay replay(StatefulDetector first) {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b" + System.nanoTime()),
                POLICY.replace("name: replay-test", "name: replay-test\non_error: degrade"));
        List<StatefulDetector> detectors = new ArrayList<>(List.of(first));
        b.policy().settings().detectors().forEach((n, c) -> detectors.add(BuiltinDetectors.create(n, c, b.contents())));
        TraceClock clock = new TraceClock(0);
        return MonitorReplay.withDetectors(b, detectors, MemoryStateStore.onClockTime(DefaultGuard.DEFAULT_STATE_BYTES,
                clock, MonitorReplay.DEFAULT_MAX_CALLERS), clock);
    }

    /** carol: her first input fails (first feature 0.3, an unsure answer), then four confident answers. */
    private static List<TraceQuery> carol() {
        List<String> lines = new ArrayList<>();
        lines.add(ReplayFixtures.line("carol", T, new double[] {0.3, 0.2, 0.3}, UNSURE));
        for (int i = 1; i <= 4; i++) {
            lines.add(ReplayFixtures.line("carol", T + i * 10_000L, new double[] {0.1 * i, 0.5, 0.5}, SURE));
        }
        return parse(lines);
    }

    private static Signal boundary(MonitorReplay.Step s) {
        return s.signals().stream().filter(sig -> sig.name().equals("boundary")).findFirst().orElseThrow();
    }

    @Test
    void anErrorWhileGivingTheSignalRefusesTheQueryEvenUnderDegrade() {
        MonitorReplay r = replay(failing("evaluate", () -> new AssertionError("brittle cannot score this one")));
        List<MonitorReplay.Step> steps = carol().stream().map(r::accept).toList();

        assertThat(steps.get(0).refusal()).isEqualTo(MonitorReplay.Refusal.DETECTOR_FAILED);
        assertThat(steps.subList(1, 5)).allSatisfy(s -> assertThat(s.refusal()).isNull());
        assertThat(r.detectorFailures()).singleElement().asString().contains("line 1 (caller carol)",
                "failed to give its signal: java.lang.AssertionError: brittle cannot score this one",
                "whatever on_error says, since the failure is an Error");
    }

    @Test
    void anErrorWhileRememberingTheAnswerLeavesItRememberedByNoDetector() {
        MonitorReplay r = replay(failing("record", () -> new AssertionError("brittle cannot remember this one")));
        List<MonitorReplay.Step> steps = carol().stream().map(r::accept).toList();

        assertThat(steps).allSatisfy(s -> assertThat(s.refusal()).isNull());
        // boundary (window 4, from 3 answers) saw only the three confident answers before the last
        // query: had it remembered the unsure first one, its share would be 1/4
        assertThat(boundary(steps.get(4)).score()).isEqualTo(0.0);
        assertThat(boundary(steps.get(4)).level()).isEqualTo(Level.NONE);
        assertThat(r.detectorFailures()).singleElement().asString().contains("line 1 (caller carol)",
                "failed to remember the answer: java.lang.AssertionError", "no detector remembers it");
    }

    @Test
    void anErrorWhilePlanningRefusesTheQueryBeforeItIsCounted() {
        MonitorReplay r = replay(failing("plan", StackOverflowError::new));
        List<MonitorReplay.Step> steps = carol().stream().map(r::accept).toList();

        assertThat(steps.get(0).refusal()).isEqualTo(MonitorReplay.Refusal.DETECTOR_FAILED);
        // not counted for the rate detector: carol's first observed query is her first counted one
        Signal rate = steps.get(1).signals().stream().filter(s -> s.name().equals("rate")).findFirst().orElseThrow();
        assertThat(rate.score()).isEqualTo(1.0);
    }

    @Test
    void anOutOfMemoryErrorEndsTheReplay() {
        for (String phase : List.of("plan", "evaluate", "record")) {
            MonitorReplay r = replay(failing(phase, () -> new OutOfMemoryError("test")));
            List<TraceQuery> trace = carol();
            assertThatThrownBy(() -> r.accept(trace.get(0))).as(phase).isInstanceOf(OutOfMemoryError.class);
        }
    }
}
