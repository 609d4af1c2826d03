package dev.veil.internal.monitor.replay;

import dev.veil.Alert;
import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.GuardListener;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Request;
import dev.veil.internal.guard.DefaultGuard;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.Detector;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * One trace through a real {@link Guard} and through {@link MonitorReplay}, each result in the replay's
 * per-caller output format, for tests that compare the two (here and in other modules, on the shipped
 * bundles). The Guard's model answers with each line's scores (labels "0", "1", ... as many as the
 * scores), was trained a day before the trace's earliest line (so that a bundle's {@code max_age_days}
 * does not make it stale within a trace shorter than that), and its clock starts at that line's
 * time and is at each line's time when the line is asked.
 */
public final class GuardReplayHarness {
    private GuardReplayHarness() {}

    /** The trace's earliest time: the Guard's clock starts there. */
    static long firstMillis(List<TraceQuery> trace) {
        return trace.stream().mapToLong(TraceQuery::timeMillis).min().orElse(0);
    }

    /** When the Guard's model was trained: a day before the trace's earliest line (not before 1970). */
    static Instant trainedAt(List<TraceQuery> trace) {
        return Instant.ofEpochMilli(Math.max(0, firstMillis(trace) - Duration.ofDays(1).toMillis()));
    }

    /** Results as the Guard's alerts show them, in the replay's output format. */
    public static List<String> viaGuard(PolicyBundle b, Map<String, String> keys, List<TraceQuery> trace, Path audit) {
        return viaGuard(b, keys, trace, audit, List.of());
    }

    /**
     * As above, with custom detectors added to the Guard (the policy lists them). Every line needs
     * scores. A {@code model_stale} alert fails the comparison: it would mean the harness's model, not
     * the trace, decided.
     */
    public static List<String> viaGuard(PolicyBundle b, Map<String, String> keys, List<TraceQuery> trace, Path audit,
            List<Detector> detectors) {
        TraceClock clock = new TraceClock(firstMillis(trace));
        Map<Integer, List<String>> labels = new LinkedHashMap<>();
        Model<TraceQuery> model = Model.of(ModelInfo.of("m", "1", trainedAt(trace)),
                q -> Prediction.classification(labels.computeIfAbsent(q.scores().length,
                        n -> IntStream.range(0, n).mapToObj(Integer::toString).toList()), q.scores()),
                q -> Features.of(q.features()));
        List<Alert> alerts = new ArrayList<>();
        List<String> names = new ArrayList<>(b.policy().settings().detectors().keySet());
        Map<String, int[]> perCaller = new LinkedHashMap<>(); // queries, first alarm, first per detector...
        Map<String, String> tenants = new LinkedHashMap<>(); // the tenant each caller's lines name (one key each)
        Guard.Builder<TraceQuery> builder = Guard.builder(model).policy(b).audit(AuditLog.jsonLines(audit)).clock(clock)
                .listener(new GuardListener() {
                    @Override
                    public void onAlert(Alert a) {
                        alerts.add(a);
                    }
                });
        detectors.forEach(builder::detector);
        try (Guard<TraceQuery> g = builder.build()) {
            for (TraceQuery q : trace) {
                clock.set(q.timeMillis());
                alerts.clear();
                g.predict(Request.of(Credentials.apiKey(keys.get(q.caller())), q));
                tenants.put(q.caller(), q.tenant());
                int[] s = perCaller.computeIfAbsent(q.caller(), k -> {
                    int[] a = new int[2 + names.size()];
                    java.util.Arrays.fill(a, -1);
                    a[0] = 0;
                    return a;
                });
                int index = s[0]++;
                for (Alert a : alerts) {
                    if ("model_stale".equals(a.action())) {
                        throw new IllegalStateException("line " + q.line() + ": the harness's model (trained "
                                + trainedAt(trace) + ") is stale at " + Instant.ofEpochMilli(q.timeMillis())
                                + " under rule " + a.rule() + ": the trace spans more than the bundle's max_age_days"
                                + " allows; shorten it or raise max_age_days in the test's copy of the bundle");
                    }
                    s[1] = s[1] < 0 ? index : s[1];
                    int d = names.indexOf(a.signal());
                    s[2 + d] = s[2 + d] < 0 ? index : s[2 + d];
                }
            }
        }
        List<String> out = new ArrayList<>();
        perCaller.forEach((caller, s) -> {
            Map<String, Long> d = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                d.put(names.get(i), s[2 + i] < 0 ? null : (long) s[2 + i]);
            }
            out.add(new CallerResult(caller, tenants.get(caller), s[0], s[1] < 0 ? null : (long) s[1], d).toJson());
        });
        return out;
    }

    /** The same trace through {@link MonitorReplay}, as {@code veil monitor replay} runs it. */
    public static List<String> viaReplay(PolicyBundle b, List<TraceQuery> trace) {
        return replayed(b, trace).results().stream().map(CallerResult::toJson).toList();
    }

    /** The trace replayed in memory, on the trace's own clock, as {@code veil monitor replay} does. */
    public static MonitorReplay replayed(PolicyBundle b, List<TraceQuery> trace) {
        TraceClock clock = new TraceClock(0);
        MonitorReplay r = MonitorReplay.of(b, MemoryStateStore.onClockTime(DefaultGuard.DEFAULT_STATE_BYTES, clock,
                MonitorReplay.DEFAULT_MAX_CALLERS), clock);
        trace.forEach(r::accept);
        return r;
    }

    /** Trace lines (the replay's format) as the replay reads them. */
    public static List<TraceQuery> parse(List<String> lines) {
        TraceReader in = new TraceReader(ReplayFixtures.reader(lines), "t");
        List<TraceQuery> out = new ArrayList<>();
        TraceQuery q;
        while ((q = in.next()) != null) {
            out.add(q);
        }
        return out;
    }
}
