package dev.veil.internal.monitor.replay;

import static dev.veil.internal.monitor.replay.ReplayFixtures.CONFIDENT;
import static dev.veil.internal.monitor.replay.ReplayFixtures.POLICY;
import static dev.veil.internal.monitor.replay.ReplayFixtures.T;
import static dev.veil.internal.monitor.replay.ReplayFixtures.UNSURE;
import static dev.veil.internal.monitor.replay.ReplayFixtures.X;
import static dev.veil.internal.monitor.replay.ReplayFixtures.line;
import static dev.veil.internal.monitor.replay.ReplayFixtures.reader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.PolicyBundle;
import dev.veil.internal.guard.DefaultGuard;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.GuardSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorReplayTest {
    @TempDir
    Path tmp;

    private static List<String> run(PolicyBundle b, List<String> trace) {
        MonitorReplay r = replay(b, trace);
        List<String> out = new ArrayList<>();
        r.results().forEach(c -> out.add(c.toJson()));
        out.add(r.summary());
        return out;
    }

    private static MonitorReplay replay(PolicyBundle b, List<String> trace) {
        TraceClock clock = new TraceClock(0);
        MemoryStateStore store = MemoryStateStore.onClockTime(DefaultGuard.DEFAULT_STATE_BYTES, clock,
                MonitorReplay.DEFAULT_MAX_CALLERS);
        MonitorReplay r = MonitorReplay.of(b, store, clock);
        r.replay(reader(trace), "trace.jsonl");
        return r;
    }

    /**
     * alice: 4 calm queries. bob: 10 queries a second apart without scores: rate medium (alert) at
     * 4, high (block) at 7, then blocked. carol: low-margin answers: boundary high (block) at 3
     * once 3 answers are remembered. dave: like carol but without scores: silent. erin: an intern,
     * denied by access. frank: 6 queries at once (3 rate limited, so never evaluated), then one
     * more: rate medium at 6. grace: 3 invalid inputs (never observed), then one valid. henry: two
     * confident answers, then low margins, a query a second: rate medium at 4, boundary high at 6
     * (block). ivan: his second query is earlier than his first.
     */
    private static MonitorReplay bounded(PolicyBundle b, int maxCallers) {
        TraceClock clock = new TraceClock(0);
        return MonitorReplay.of(b, MemoryStateStore.onClockTime(DefaultGuard.DEFAULT_STATE_BYTES, clock, maxCallers),
                clock);
    }

    @Test
    void atTheCallerBoundANewCallerIsRefusedAsByAGuardOrTheReplayFailsWhenAskedTo() {
        // each caller keeps rate-limit state (the default rule's rate_limit); the store holds 2
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        List<String> trace = List.of(line("alice", T, X, null), line("bob", T + 1, X, null),
                line("carol", T + 2, X, null));
        MonitorReplay asGuard = bounded(b, 2);
        asGuard.replay(reader(trace), "t");
        assertThat(asGuard.refusals().get(MonitorReplay.Refusal.RATE_LIMITED)).isEqualTo(1);

        assertThatThrownBy(() -> bounded(b, 2).failAtCallerBound().replay(reader(trace), "t"))
                .isInstanceOfSatisfying(CallerBoundException.class, e -> {
                    assertThat(e.kind()).isEqualTo(CallerBoundException.Kind.RATE_LIMITER);
                    assertThat(e.line()).isEqualTo(3);
                    assertThat(e.caller()).isEqualTo("carol");
                });
        MonitorReplay roomy = bounded(b, 3).failAtCallerBound();
        roomy.replay(reader(trace), "t");
        assertThat(roomy.refusals().values()).containsOnly(0L);
    }

    @Test
    void aFullCoolDownTableFailsAReplayAskedToFailAtTheBound() {
        // no rate limit, so no rate-limit state; carol and henry are blocked for probing at their 4th query,
        // where one cool-down fits: henry's block overflows the table, and alice (line 9) finds herself blocked
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY.replace(
                "default: { effect: allow, rate_limit: { per_second: 1, burst: 3 } }", "default: { effect: allow }"));
        List<String> trace = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            trace.add(line("carol", T + 10_000L * i, X, UNSURE));
            trace.add(line("henry", T + 10_000L * i + 1, X, UNSURE));
        }
        trace.add(line("alice", T + 50_000L, X, CONFIDENT));
        assertThatThrownBy(() -> bounded(b, 1).failAtCallerBound().replay(reader(trace), "t"))
                .isInstanceOfSatisfying(CallerBoundException.class, e -> {
                    assertThat(e.kind()).isEqualTo(CallerBoundException.Kind.COOL_DOWNS);
                    assertThat(e.line()).isEqualTo(9);
                    assertThat(e.caller()).isEqualTo("alice");
                });
        MonitorReplay roomy = bounded(b, 2).failAtCallerBound();
        roomy.replay(reader(trace), "t");
        assertThat(roomy.summary()).isEqualTo("callers: 3, flagged: 2");
    }

    @Test
    void aRuleOnSeveralSignalsIsCreditedToEveryDetectorItNeeded() {
        // two rate detectors; the rule fires only when both are low (3 in 60 s), at the caller's third query
        for (String signals : List.of("{ rate: low, burst: low }", "{ burst: low, rate: low }")) {
            String policy = POLICY.replace("everyone: { type: rate, scope: global, window_seconds: 60, high: 1000 }",
                    "burst: { type: rate, window_seconds: 60, low: 3 }")
                    .replace("    - { id: busy,", "    - { id: both, when: { signals: " + signals + " }, action: alert }\n"
                            + "    - { id: busy,");
            PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b" + signals.hashCode()), policy);
            List<String> trace = List.of(line("alice", T, X, null), line("alice", T + 1000, X, null),
                    line("alice", T + 2000, X, null));
            assertThat(run(b, trace)).as(signals).containsExactly(
                    "{\"caller\": \"alice\", \"queries\": 3, \"first_alarm\": 2, \"detectors\": {\"rate\": 2, "
                            + "\"boundary\": null, \"burst\": 2}}",
                    "callers: 1, flagged: 1");
        }
    }

    @Test
    void pausesLongerThanTheShortestTimeToLiveWrittenAreCounted() {
        // boundary keeps each caller's answers for 1 h (its default ttl_seconds); rate's window counts by time
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        long min = 60_000L;
        MonitorReplay r = replay(b, List.of(
                line("alice", T, X, CONFIDENT),
                line("bob", T + 50 * min, X, CONFIDENT),
                line("bob", T + 100 * min, X, CONFIDENT),
                line("alice", T + 120 * min, X, CONFIDENT), // alice: 2 h since line 1, the trace: 20 min
                line("bob", T + 300 * min, X, CONFIDENT))); // everybody: 3 h
        assertThat(r.ttlPauses()).isEqualTo(2);
        assertThat(r.firstTtlPause()).isEqualTo(new MonitorReplay.TtlPause(4, "alice", 1, false, 120 * min, 60 * min));

        // no history written before the pause (no answers): nothing Redis could keep longer
        MonitorReplay silent = replay(b, List.of(line("alice", T, X, null), line("alice", T + 120 * min, X, null)));
        assertThat(silent.ttlPauses()).isZero();
        assertThat(silent.firstTtlPause()).isNull();
    }

    @Test
    void handWrittenTraceGivesTheExpectedResults() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        assertThat(run(b, ReplayFixtures.handTrace(false))).containsExactlyElementsOf(ReplayFixtures.HAND_EXPECTED);
    }

    @Test
    void attributesFromTheTraceLineMeetTheAccessRulesAsInAGuard() {
        String policy = POLICY.replace("    - { id: no-interns,", "    - { id: free-tier, when: { attributes: { tier: "
                + "free } }, effect: deny, message: \"the free tier may not query\" }\n    - { id: no-interns,");
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), policy);
        String free = "{\"caller\": \"alice\", \"ts_ms\": " + T + ", \"features\": [0.1, 0.2, 0.3], "
                + "\"attributes\": {\"tier\": \"free\"}}";
        String gold = "{\"caller\": \"bob\", \"ts_ms\": " + (T + 1) + ", \"features\": [0.1, 0.2, 0.3], "
                + "\"attributes\": {\"tier\": \"gold\"}}";
        MonitorReplay r = replay(b, List.of(free, gold));
        assertThat(r.refusals().get(MonitorReplay.Refusal.ACCESS_DENIED)).isEqualTo(1);
        assertThat(r.firstRefusals().get(MonitorReplay.Refusal.ACCESS_DENIED))
                .isEqualTo("line 1 (caller alice): access rule free-tier: the free tier may not query");
        assertThat(r.undescribed()).isZero();
    }

    @Test
    void refusalsAreCountedByReason() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        MonitorReplay r = replay(b, ReplayFixtures.handTrace(false));
        Map<MonitorReplay.Refusal, Long> expected = new LinkedHashMap<>();
        expected.put(MonitorReplay.Refusal.ACCESS_DENIED, 2L); // erin
        expected.put(MonitorReplay.Refusal.ACCESS_FAILED, 0L);
        expected.put(MonitorReplay.Refusal.BLOCKED, 2L + 2 + 1); // bob 8, 9; carol 4, 5; henry 7
        expected.put(MonitorReplay.Refusal.RATE_LIMITED, 3L); // frank 3, 4, 5
        expected.put(MonitorReplay.Refusal.QUOTA_EXHAUSTED, 0L);
        expected.put(MonitorReplay.Refusal.INVALID_INPUT, 3L); // grace
        expected.put(MonitorReplay.Refusal.VALIDATION_FAILED, 0L);
        expected.put(MonitorReplay.Refusal.DETECTOR_FAILED, 0L);
        expected.put(MonitorReplay.Refusal.MONITORING_FAILED, 0L);
        assertThat(r.refusals()).containsExactlyEntriesOf(expected);
        List<String> trace = ReplayFixtures.handTrace(false);
        int erin = 1 + trace.indexOf(trace.stream().filter(l -> l.contains("erin")).findFirst().orElseThrow());
        int grace = 1 + trace.indexOf(trace.stream().filter(l -> l.contains("grace")).findFirst().orElseThrow());
        assertThat(r.firstRefusals().get(MonitorReplay.Refusal.ACCESS_DENIED))
                .isEqualTo("line " + erin + " (caller erin): access rule no-interns: interns may not query");
        assertThat(r.firstRefusals().get(MonitorReplay.Refusal.INVALID_INPUT))
                .startsWith("line " + grace + " (caller grace): default:range: ");
        assertThat(r.queries()).isEqualTo(ReplayFixtures.handTrace(false).size());
    }

    @Test
    void detectorsThatReadAnswersStaySilentWithoutScores() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        List<String> withScores = new ArrayList<>();
        List<String> without = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            withScores.add(line("carol", T + i * 20_000L, X, UNSURE));
            without.add(line("carol", T + i * 20_000L, X, null));
        }
        assertThat(run(b, withScores).get(0)).contains("\"first_alarm\": 3", "\"boundary\": 3");
        assertThat(run(b, without).get(0)).isEqualTo("{\"caller\": \"carol\", \"queries\": 6, \"first_alarm\": null, "
                + "\"detectors\": {\"rate\": null, \"boundary\": null, \"everyone\": null}}");
    }

    /**
     * Detector state expires on the trace's time, as it would in a live Guard, however fast the
     * replay runs: a pause longer than {@code ttl_seconds} in the trace forgets the history.
     */
    @Test
    void detectorHistoryExpiresOnTheTracesTime() {
        String policy = POLICY.replace("    - { id: busy,", "    - { id: copies, when: { signals: { near: high } }, "
                + "action: alert }\n    - { id: busy,").replace("everyone: { type: rate,",
                "near: { type: knn, k: 2, min_history: 2, history: 10, ttl_seconds: 60, low: 0.3, medium: 0.2, "
                        + "high: 0.1 }\n    everyone: { type: rate,");
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), policy);
        long pause = 2 * 3600_000L; // far beyond the 60 s time to live, and replayed in milliseconds
        List<String> trace = new ArrayList<>();
        long[] times = {T, T + 1000, T + pause, T + pause + 1000, T + pause + 2000};
        for (int i = 0; i < times.length; i++) {
            trace.add(line("carol", times[i], near(i), CONFIDENT));
        }
        // nearly the same input again and again: knn near 0 (high) once 2 distinct earlier queries are
        // remembered, which after the pause is at the fifth query, not the third
        assertThat(run(b, trace).get(0)).contains("\"first_alarm\": 4", "\"near\": 4");
        List<String> together = new ArrayList<>(trace.subList(0, 2));
        together.add(line("carol", T + 2000, near(2), CONFIDENT));
        assertThat(run(b, together).get(0)).contains("\"first_alarm\": 2", "\"near\": 2");
    }

    private static double[] near(int i) {
        return new double[] {X[0], X[1], X[2] + i * 0.001};
    }

    @Test
    void aBlockedCallerIsRefusedUntilTheCoolDownEnds() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        List<String> trace = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            trace.add(line("carol", T + i * 10_000L, X, UNSURE));
        }
        // blocked at 3 (T + 30 s) for 600 s: refused at T + 40 s and T + 629 s, observed again at T + 631 s
        trace.add(line("carol", T + 40_000, X, UNSURE));
        trace.add(line("carol", T + 629_000, X, UNSURE));
        trace.add(line("carol", T + 631_000, X, UNSURE));
        MonitorReplay r = replay(b, trace);
        assertThat(r.refusals().get(MonitorReplay.Refusal.BLOCKED)).isEqualTo(2);
        assertThat(r.results().get(0).firstAlarm()).isEqualTo(3L);
        // the last query is evaluated: its history still holds low margins, so it is blocked again
        TraceClock clock = new TraceClock(0);
        MonitorReplay steps = MonitorReplay.of(b, new MemoryStateStore(1 << 24, clock, 100), clock);
        TraceReader in = new TraceReader(reader(trace), "t");
        List<MonitorReplay.Step> seen = new ArrayList<>();
        TraceQuery q;
        while ((q = in.next()) != null) {
            seen.add(steps.accept(q));
        }
        assertThat(seen).extracting(MonitorReplay.Step::refusal).containsExactly(null, null, null, null,
                MonitorReplay.Refusal.BLOCKED, MonitorReplay.Refusal.BLOCKED, null);
        assertThat(seen.get(6).actions()).extracting(a -> a.rule()).containsExactly("probing");
        assertThat(seen.get(3).alarm()).isTrue();
        assertThat(seen.get(2).alarm()).isFalse();
    }

    @Test
    void namedFeaturesAreValidatedAsAGuardValidatesThem() {
        String policy = POLICY.replace("default: { shape: [3], range: { min: 0, max: 1 } }", """
                default:
                    shape: []
                    features:
                      a: { min: 0, max: 1 }
                      b: { min: 0, max: 1 }
                      c: { required: false, min: 0, max: 1 }
                    cross_field:
                      - { id: a-below-b, expr: "a <= b" }""");
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), policy);
        List<String> trace = List.of(
                "{\"caller\": \"x\", \"ts_ms\": 1000, \"features\": {\"a\": 0.1, \"b\": 0.2, \"c\": null}}",
                "{\"caller\": \"y\", \"ts_ms\": 2000, \"features\": {\"b\": 0.2, \"a\": 0.1}}",
                "{\"caller\": \"z\", \"ts_ms\": 3000, \"features\": {\"a\": 0.5, \"b\": 0.2}}",
                "{\"caller\": \"w\", \"ts_ms\": 4000, \"features\": {\"b\": 0.2, \"c\": 0.1}}",
                "{\"caller\": \"v\", \"ts_ms\": 5000, \"features\": [0.1, 0.2]}");
        MonitorReplay r = replay(b, trace);
        assertThat(r.refusals().get(MonitorReplay.Refusal.INVALID_INPUT)).isEqualTo(3);
        assertThat(r.firstRefusals().get(MonitorReplay.Refusal.INVALID_INPUT))
                .isEqualTo("line 3 (caller z): default:a-below-b: rule 'a-below-b' failed: a <= b"); // no values: a trace is real traffic
    }

    @Test
    void tenantAndRolesComeFromTheTraceLine() {
        String policy = POLICY.replace("- { id: no-interns, when: { roles: [intern] }, effect: deny, message: "
                + "\"interns may not query\" }", "- { id: no-interns, when: { roles: [intern] }, effect: deny }\n"
                + "    - { id: trial, when: { tenants: [trial] }, effect: deny }");
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), policy);
        List<String> trace = List.of(
                "{\"caller\": \"x\", \"ts_ms\": 1, \"features\": [0, 0, 0], \"tenant\": \"trial\"}",
                "{\"caller\": \"y\", \"ts_ms\": 2, \"features\": [0, 0, 0], \"roles\": [\"intern\", \"analyst\"]}",
                "{\"caller\": \"z\", \"ts_ms\": 3, \"features\": [0, 0, 0], \"tenant\": \"paying\", \"roles\": []}");
        MonitorReplay r = replay(b, trace);
        assertThat(r.refusals().get(MonitorReplay.Refusal.ACCESS_DENIED)).isEqualTo(2);
        assertThat(r.firstRefusals().get(MonitorReplay.Refusal.ACCESS_DENIED)).startsWith("line 1 (caller x)");
    }

    @Test
    void tenantScopedRateCountsTheTenantsCallersTogether() {
        String policy = POLICY.replace("everyone: { type: rate, scope: global, window_seconds: 60, high: 1000 }",
                "team: { type: rate, scope: tenant, window_seconds: 60, high: 3 }")
                .replace("    - { id: busy,", "    - { id: team, when: { signals: { team: high } }, action: alert }\n"
                        + "    - { id: busy,");
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), policy);
        List<String> trace = List.of(
                "{\"caller\": \"a\", \"ts_ms\": 1000, \"features\": [0, 0, 0], \"tenant\": \"t1\"}",
                "{\"caller\": \"b\", \"ts_ms\": 2000, \"features\": [0, 0, 0], \"tenant\": \"t1\"}",
                "{\"caller\": \"c\", \"ts_ms\": 3000, \"features\": [0, 0, 0], \"tenant\": \"t2\"}",
                "{\"caller\": \"d\", \"ts_ms\": 4000, \"features\": [0, 0, 0], \"tenant\": \"t1\"}");
        assertThat(run(b, trace)).containsExactly(
                "{\"caller\": \"a\", \"queries\": 1, \"first_alarm\": null, \"detectors\": "
                        + "{\"rate\": null, \"boundary\": null, \"team\": null}, \"tenant\": \"t1\"}",
                "{\"caller\": \"b\", \"queries\": 1, \"first_alarm\": null, \"detectors\": "
                        + "{\"rate\": null, \"boundary\": null, \"team\": null}, \"tenant\": \"t1\"}",
                "{\"caller\": \"c\", \"queries\": 1, \"first_alarm\": null, \"detectors\": "
                        + "{\"rate\": null, \"boundary\": null, \"team\": null}, \"tenant\": \"t2\"}",
                "{\"caller\": \"d\", \"queries\": 1, \"first_alarm\": 0, \"detectors\": "
                        + "{\"rate\": null, \"boundary\": null, \"team\": 0}, \"tenant\": \"t1\"}",
                "callers: 4, flagged: 1");
    }

    /** Callers of one id in two tenants are two callers, in their state and in the results. */
    @Test
    void oneIdInTwoTenantsIsTwoCallers() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        List<String> trace = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            trace.add("{\"caller\": \"svc\", \"ts_ms\": " + (T + i) + ", \"features\": [0.1, 0.2, 0.3], "
                    + "\"tenant\": \"globex\"}");
        }
        for (int i = 0; i < 5; i++) {
            trace.add("{\"caller\": \"svc\", \"ts_ms\": " + (T + 10 + 1000L * i) + ", \"features\": [0.1, 0.2, 0.3], "
                    + "\"tenant\": \"acme\"}");
        }
        // rate medium (5 in the window) alerts acme's svc at its own fifth query; globex's 3 do not count
        assertThat(run(b, trace)).containsExactly(
                "{\"caller\": \"svc\", \"queries\": 3, \"first_alarm\": null, "
                        + "\"detectors\": {\"rate\": null, \"boundary\": null, \"everyone\": null}, \"tenant\": \"globex\"}",
                "{\"caller\": \"svc\", \"queries\": 5, \"first_alarm\": 4, "
                        + "\"detectors\": {\"rate\": 4, \"boundary\": null, \"everyone\": null}, \"tenant\": \"acme\"}",
                "callers: 2, flagged: 1");
    }

    @Test
    void throttleLimitsTheCallersLaterQueries() {
        String policy = POLICY.replace("    - { id: busy,", "    - { id: slow, when: { signals: { rate: low } }, "
                + "action: throttle, cooldown_seconds: 60, throttle_per_second: 0.1 }\n    - { id: busy,");
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), policy);
        List<String> trace = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            trace.add(line("bob", T + i * 1000L, X, CONFIDENT));
        }
        MonitorReplay r = replay(b, trace);
        // rate low (3 in the window) throttles bob to one query per 10 s from query 2 on; the throttle's
        // bucket starts with one token: query 3 passes, 4 and 5 (a second apart) are refused
        assertThat(r.results().get(0).firstAlarm()).isEqualTo(2L);
        assertThat(r.refusals().get(MonitorReplay.Refusal.RATE_LIMITED)).isEqualTo(2);
    }

    @Test
    void aCustomDetectorCannotBeReplayed() {
        String policy = POLICY.replace("everyone: { type: rate, scope: global, window_seconds: 60, high: 1000 }",
                "knn_custom: {}");
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), policy);
        TraceClock clock = new TraceClock(0);
        assertThatThrownBy(() -> MonitorReplay.of(b, new MemoryStateStore(1 << 24, clock, 100), clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("monitoring.detectors.knn_custom: 'knn_custom' is a custom detector (added in "
                        + "code with Guard.Builder.detector); a replay runs built-in detectors only");
    }

    @Test
    void aMalformedLineStopsTheReplayWithFileAndLine() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        List<String> trace = List.of(line("a", T, X, null), "", "{\"caller\": \"a\", \"ts_ms\": 5, \"features\": [1, "
                + "\"x\"]}");
        assertThatThrownBy(() -> replay(b, trace)).isInstanceOf(TraceFormatException.class)
                .hasMessage("trace.jsonl:3: features[1] must be a number, found the string \"x\"");
    }

    @Test
    void replayingTheSameTraceTwiceGivesTheSameOutput() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        List<String> trace = ReplayFixtures.handTrace(false);
        assertThat(run(b, trace)).isEqualTo(run(b, trace));
    }

    @Test
    void guardSettingsKeepTheDetectorsInThePolicysOrder() {
        Map<String, Map<String, Object>> detectors = new LinkedHashMap<>();
        for (int i = 30; i > 0; i--) {
            detectors.put("d" + i, Map.of());
        }
        GuardSettings s = new GuardSettings("n", null, null, null, null, detectors, null);
        assertThat(s.detectors().keySet()).containsExactlyElementsOf(detectors.keySet());
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        assertThat(b.policy().settings().detectors().keySet()).containsExactly("rate", "boundary", "everyone");
        assertThatThrownBy(() -> s.detectors().put("x", Map.of())).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void linesPastTheLargestIntAreNamedByTheirNumbers() {
        // the trace's lines 2^31 and 2^31 + 1: one earlier than the line before it, one the access rules refuse
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY);
        TraceReader in = new TraceReader(reader(List.of(line("alice", T + 1000, X, null), line("bob", T, X, null),
                line("erin", T + 2000, X, null))), "t", Integer.MAX_VALUE - 1L);
        MonitorReplay r = replay(b, List.of());
        TraceQuery q;
        while ((q = in.next()) != null) {
            r.accept(q);
        }
        assertThat(r.backwards().first()).isEqualTo(2_147_483_648L);
        assertThat(r.firstRefusal()).startsWith("line 2147483649 (caller erin): access rule no-interns");
    }
    /**
     * A caller's query index, first alarm and detector indexes go past 2^31 - 1 (a trace of more
     * than 2^31 lines for one caller): they count on, as longs, instead of wrapping to negative
     * numbers (which read as "no alarm").
     */
    @Test
    void perCallerIndexesGoPastTheLargestInt() {
        PolicyBundle b = ReplayFixtures.bundle(tmp.resolve("b"), POLICY.replace("rate_limit: { per_second: 1, burst: 3 }",
                "rate_limit: { per_second: 1000, burst: 1000 }"));
        TraceClock clock = new TraceClock(0);
        MonitorReplay r = MonitorReplay.of(b, dev.veil.internal.state.MemoryStateStore.onClockTime(
                dev.veil.internal.guard.DefaultGuard.DEFAULT_STATE_BYTES, clock, MonitorReplay.DEFAULT_MAX_CALLERS), clock);
        r.presetQueries("bob", "", Integer.MAX_VALUE - 2L);
        List<String> lines = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) { // bob, a query a second: rate medium (an alert) at his 5th in the window
            lines.add(ReplayFixtures.line("bob", ReplayFixtures.T + i * 1000L, new double[] {0.5, 0.5, 0.5}, null));
        }
        List<MonitorReplay.Step> steps = new java.util.ArrayList<>();
        GuardReplayHarness.parse(lines).forEach(q -> steps.add(r.accept(q)));
        assertThat(steps.get(0).index()).isEqualTo(Integer.MAX_VALUE - 2L);
        assertThat(steps.get(9).index()).isEqualTo(Integer.MAX_VALUE + 7L);
        CallerResult bob = r.results().get(0);
        assertThat(bob.queries()).isEqualTo(Integer.MAX_VALUE + 8L);
        long alarm = Integer.MAX_VALUE - 2L + steps.stream().filter(MonitorReplay.Step::alarm).findFirst().orElseThrow()
                .index() - steps.get(0).index();
        assertThat(alarm).isGreaterThan(Integer.MAX_VALUE);
        assertThat(bob.toJson()).startsWith("{\"caller\": \"bob\", \"queries\": " + (Integer.MAX_VALUE + 8L)
                + ", \"first_alarm\": " + alarm + ", \"detectors\": {\"rate\": " + alarm + ", ");
        assertThat(r.summary()).isEqualTo("callers: 1, flagged: 1");
    }
}
