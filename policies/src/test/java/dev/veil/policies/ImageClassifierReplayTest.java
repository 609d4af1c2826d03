package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.veil.PolicyBundle;
import dev.veil.internal.guard.DefaultGuard;
import dev.veil.internal.monitor.replay.CallerResult;
import dev.veil.internal.monitor.replay.MonitorReplay;
import dev.veil.internal.monitor.replay.TraceClock;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.policies.tools.BenignTraffic;
import dev.veil.policies.tools.FashionMnist;
import dev.veil.policies.tools.Nes;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A trace in the replay contract's minimal format ({@code caller}, {@code ts_ms}, {@code features},
 * {@code scores}: no roles, no tenant) replays on the shipped image-classifier bundle, whose access
 * rules allow only callers with roles: its callers are monitored (the trace does not say who they
 * are), an NES attacker is flagged within the 50 queries, and honest callers sending real
 * test images are not. Skipped when the data set is not installed.
 */
class ImageClassifierReplayTest {

    @Test
    void aTraceWithoutRolesIsMonitoredOnTheShippedBundle() throws Exception {
        assumeThat(FashionMnist.available()).as(FashionMnist.MISSING).isTrue();
        SoftmaxRegression model = BenignTraffic.model();
        double[][] test = FashionMnist.testImages(2_000);
        int[] labels = FashionMnist.testLabels(2_000);
        double[] start = null; // the first t-shirt the model gets right, as the attack tests start from
        for (int i = 0; i < labels.length && start == null; i++) {
            if (labels[i] == 0 && model.predict(test[i]).topIndex() == 0) {
                start = test[i];
            }
        }

        StringBuilder trace = new StringBuilder();
        long ts = 1_764_547_200_000L;
        SplittableRandom r = new SplittableRandom(5);
        for (int q = 0; q < 60; q++) {
            // 20 honest callers, one real test image each per round, and one NES attacker: x +- 0.05 u
            for (int c = 0; c < 20; c++) {
                line(trace, "honest-" + c, ts += 50, test[q * 20 + c], model);
            }
            double[] u = new double[start.length];
            for (int i = 0; i < u.length; i++) {
                u[i] = Nes.gaussian(r);
            }
            double[] probe = new double[start.length];
            for (int i = 0; i < probe.length; i++) {
                probe[i] = Nes.clip(start[i] + (q % 2 == 0 ? 0.05 : -0.05) * u[i]);
            }
            line(trace, "attacker", ts += 50, probe, model);
        }

        TraceClock clock = new TraceClock(0);
        MonitorReplay replay = MonitorReplay.of(PolicyBundle.load(java.nio.file.Path.of("bundles/image-classifier")),
                MemoryStateStore.onClockTime(DefaultGuard.DEFAULT_STATE_BYTES, clock, MonitorReplay.DEFAULT_MAX_CALLERS), clock);
        replay.replay(new ByteArrayInputStream(trace.toString().getBytes(StandardCharsets.UTF_8)), "trace");

        Map<String, CallerResult> byCaller = replay.results().stream()
                .collect(Collectors.toMap(CallerResult::caller, Function.identity()));
        assertThat(replay.refusals().get(MonitorReplay.Refusal.ACCESS_DENIED)).isZero();
        assertThat(replay.undescribed()).as("every line: the bundle allows only callers with roles")
                .isEqualTo(replay.queries());
        assertThat(byCaller.get("attacker").firstAlarm()).isNotNull().isLessThan(50);
        assertThat(byCaller.values().stream().filter(c -> c.caller().startsWith("honest-"))
                .filter(c -> c.firstAlarm() != null).map(CallerResult::caller)).isEmpty();
    }

    private static void line(StringBuilder out, String caller, long ts, double[] x, SoftmaxRegression model) {
        out.append("{\"caller\": \"").append(caller).append("\", \"ts_ms\": ").append(ts).append(", \"features\": ")
                .append(Arrays.toString(x)).append(", \"scores\": ").append(Arrays.toString(model.predict(x).scores()))
                .append("}\n");
    }
}
