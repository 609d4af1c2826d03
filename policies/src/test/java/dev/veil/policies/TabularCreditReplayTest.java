package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.PolicyBundle;
import dev.veil.internal.guard.DefaultGuard;
import dev.veil.internal.monitor.replay.MonitorReplay;
import dev.veil.internal.monitor.replay.TraceClock;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.policies.tools.CreditTraffic;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped tabular-credit bundle replays and calibrates on a trace of named features as it is,
 * under its own contract (policies/README.md, "Thresholds and their provenance"): the trace that
 * {@link CreditTraffic} writes passes the bundle's validation line by line.
 */
class TabularCreditReplayTest {
    @TempDir
    Path tmp;

    @Test
    void aTraceOfNamedApplicationsPassesTheBundlesOwnContract() throws IOException {
        Path trace = tmp.resolve("benign.jsonl");
        CreditTraffic.main(new String[] {trace.toString(), "300", "30", "11", "0.02"});
        assertThat(Files.readAllLines(trace).get(0)).contains("\"features\":{\"income\":");

        PolicyBundle bundle = PolicyBundle.load(Path.of("bundles/tabular-credit"));
        TraceClock clock = new TraceClock(0);
        MonitorReplay replay = MonitorReplay.of(bundle,
                MemoryStateStore.onClockTime(DefaultGuard.DEFAULT_STATE_BYTES, clock, MonitorReplay.DEFAULT_MAX_CALLERS), clock);
        try (InputStream in = Files.newInputStream(trace)) {
            replay.replay(in, trace.toString());
        }
        assertThat(replay.results()).hasSize(300);
        assertThat(replay.queries()).isGreaterThan(300L * 30);
        // every application reached the detectors: none refused by validation (or anything else)
        assertThat(replay.refusals().values()).allMatch(n -> n == 0);
        assertThat(replay.firstRefusals()).isEmpty();
    }
}
