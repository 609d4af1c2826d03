package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.cli.CliTestSupport.Result;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorReplayCommandTest {
    @TempDir
    Path tmp;

    Path bundle;

    /**
     * alice: three calm queries. carol: hesitant answers 10 s apart: boundary high (block) at her 4th
     * query, once 3 answers are remembered; her 5th is refused (blocked). bob: 9 queries a second
     * apart, no scores: rate medium (alert) at 4, high (block) at 7, then blocked. The last caller's
     * id needs escaping.
     */
    static final String TRACE = """
            {"caller": "alice", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.301], "scores": [0.9, 0.05, 0.05]}
            {"caller": "carol", "ts_ms": 1700000000500, "features": [0.1, 0.2, 0.302], "scores": [0.5, 0.5, 0]}
            {"caller": "bob", "ts_ms": 1700000001000, "features": [0.5, 0.5, 0.5]}
            {"caller": "bob", "ts_ms": 1700000002000, "features": [0.5, 0.5, 0.5]}
            {"caller": "bob", "ts_ms": 1700000003000, "features": [0.5, 0.5, 0.5]}
            {"caller": "bob", "ts_ms": 1700000004000, "features": [0.5, 0.5, 0.5]}
            {"caller": "bob", "ts_ms": 1700000005000, "features": [0.5, 0.5, 0.5]}
            {"caller": "bob", "ts_ms": 1700000006000, "features": [0.5, 0.5, 0.5]}
            {"caller": "bob", "ts_ms": 1700000007000, "features": [0.5, 0.5, 0.5]}
            {"caller": "bob", "ts_ms": 1700000008000, "features": [0.5, 0.5, 0.5]}
            {"caller": "bob", "ts_ms": 1700000009000, "features": [0.5, 0.5, 0.5]}
            {"caller": "carol", "ts_ms": 1700000010500, "features": [0.1, 0.2, 0.303], "scores": [0.5, 0.5, 0]}
            {"caller": "alice", "ts_ms": 1700000020000, "features": [0.1, 0.2, 0.304], "scores": [0.9, 0.05, 0.05]}
            {"caller": "carol", "ts_ms": 1700000020500, "features": [0.1, 0.2, 0.305], "scores": [0.5, 0.5, 0]}
            {"caller": "carol", "ts_ms": 1700000030500, "features": [0.1, 0.2, 0.306], "scores": [0.5, 0.5, 0]}
            {"caller": "alice", "ts_ms": 1700000040000, "features": [0.1, 0.2, 0.307], "scores": [0.9, 0.05, 0.05]}
            {"caller": "carol", "ts_ms": 1700000040500, "features": [0.1, 0.2, 0.308], "scores": [0.5, 0.5, 0]}
            {"caller": "d\\u00e4n \\"q\\"\\\\", "ts_ms": 1700000050000, "features": [0, 0, 0]}
            """;

    static final String EXPECTED = """
            {"caller": "alice", "queries": 3, "first_alarm": null, "detectors": {"rate": null, "boundary": null, "everyone": null}}
            {"caller": "carol", "queries": 5, "first_alarm": 3, "detectors": {"rate": null, "boundary": 3, "everyone": null}}
            {"caller": "bob", "queries": 9, "first_alarm": 4, "detectors": {"rate": 4, "boundary": null, "everyone": null}}
            {"caller": "d\u00e4n \\"q\\"\\\\", "queries": 1, "first_alarm": null, "detectors": {"rate": null, "boundary": null, "everyone": null}}
            callers: 4, flagged: 2
            """;

    @BeforeEach
    void writeBundle() {
        bundle = ReplayFiles.bundle(tmp.resolve("bundle"), ReplayFiles.POLICY);
    }

    private Path trace(String text) throws IOException {
        Path p = Files.createTempFile(tmp, "trace", ".jsonl");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void aTraceNoQueryOfWhichReachesTheDetectorsIsAnErrorNotACleanRun() throws IOException {
        // every line one feature short: validation refuses all, and "flagged: 0" would say nothing
        Path t = trace("""
                {"caller": "a", "ts_ms": 1700000000000, "features": [0.1, 0.2]}
                {"caller": "i", "ts_ms": 1700000001000, "features": [0.1, 0.2, 0.3], "roles": ["intern"]}
                {"caller": "b", "ts_ms": 1700000002000, "features": [0.1, 0.2]}
                """);
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(t));
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).startsWith("veil monitor replay: " + t + ": no query of the trace reached the detectors: "
                + "the bundle refused every one before monitoring, as a Guard would (access_denied 1, invalid_input 2; "
                + "first: line 1 (caller a): ").contains("check the trace's callers and features against the bundle's access and validation sections");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aTraceTheAccessRulesRefuseWholeIsAnErrorNotACleanRun() throws IOException {
        Path t = trace("""
                {"caller": "i1", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3], "roles": ["intern"]}
                {"caller": "i2", "ts_ms": 1700000001000, "features": [0.1, 0.2, 0.3], "roles": ["intern"]}
                """);
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(t));
        assertFails(r, 2, "veil monitor replay: " + t + ": the bundle's access rules refused every query of the trace "
                + "(line 1 (caller i1): access rule no-interns: denied by rule no-interns), so no detector "
                + "saw any: give the trace's lines the \"roles\", \"tenant\" and \"attributes\" its callers have, as "
                + "the bundle's access section expects (e.g. \"roles\": [\"analyst\"])");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void linesWithoutRolesOrTenantAreMonitoredOnABundleWhoseAccessNeedsRoles() throws IOException {
        // the replay contract's minimal format against the shipped bundle, which allows only callers with roles
        // a 20 x 12 block of 0.6 (a trouser's silhouette), which the bundle's validation lets through
        String x = java.util.stream.IntStream.range(0, 784)
                .mapToObj(i -> i / 28 >= 4 && i / 28 < 24 && i % 28 >= 8 && i % 28 < 20 ? "0.6" : "0")
                .collect(java.util.stream.Collectors.joining(", ", "[", "]"));
        Path t = trace("{\"caller\": \"a\", \"ts_ms\": 1700000000000, \"features\": " + x + "}\n"
                + "{\"caller\": \"a\", \"ts_ms\": 1700000001000, \"features\": " + x + "}\n");
        Result r = veil("monitor", "replay", "--bundle", "../../policies/bundles/image-classifier", "--trace", s(t));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines().get(0)).startsWith("{\"caller\": \"a\", \"queries\": 2, ");
        assertThat(r.errLines()).contains("veil monitor replay: note: 2 queries without roles, tenant or attributes, which the "
                + "bundle's access rules deny (first: line 1 (caller a): access rule default: no access rule allows "
                + "this caller; ask the ML platform team for the analyst role), were monitored as from callers "
                + "access lets through, without a rate limit or quota: give the lines the \"roles\", \"tenant\" and "
                + "\"attributes\" their callers have to apply the access rules");
        assertThat(r.err()).doesNotContain("refused before monitoring");
    }

    @Test
    void aRuleThatRefusesAnUndescribedLineByNameOrMethodRefusesItAsInAGuard() throws IOException {
        // mallory is refused by a rule naming her, not by the default: replayed as a Guard refuses her,
        // so her lines do not reach the global detector alice is counted by. Caller "anonymous" is a
        // request without credentials, which the rule for unauthenticated callers lets through.
        Path b = ReplayFiles.bundle(tmp.resolve("named"), ReplayFiles.POLICY
                .replace("default: { effect: allow, rate_limit: { per_second: 1, burst: 3 } }",
                        "default: { effect: deny }")
                .replace("- { id: no-interns, when: { roles: [intern] }, effect: deny }",
                        "- { id: banned, when: { callers: [mallory] }, effect: deny }\n"
                                + "    - { id: guests, when: { authenticated: false }, effect: allow }\n"
                                + "    - { id: others, when: { authenticated: true }, effect: allow }")
                .replace("everyone: { type: rate, scope: global, window_seconds: 60, high: 1000 }",
                        "everyone: { type: rate, scope: global, window_seconds: 60, high: 3 }")
                .replace("- { id: busy, when: { signals: { rate: medium } }, action: alert }",
                        "- { id: busy, when: { signals: { everyone: high } }, action: alert }"));
        Result r = veil("monitor", "replay", "--bundle", s(b), "--trace", s(trace("""
                {"caller": "mallory", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3]}
                {"caller": "mallory", "ts_ms": 1700000000100, "features": [0.1, 0.2, 0.3]}
                {"caller": "mallory", "ts_ms": 1700000000200, "features": [0.1, 0.2, 0.3]}
                {"caller": "anonymous", "ts_ms": 1700000000300, "features": [0.1, 0.2, 0.3]}
                {"caller": "alice", "ts_ms": 1700000000400, "features": [0.1, 0.2, 0.3]}
                """)));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).contains(
                "{\"caller\": \"alice\", \"queries\": 1, \"first_alarm\": null, \"detectors\": {\"rate\": null, "
                        + "\"boundary\": null, \"everyone\": null}}");
        assertThat(r.errLines()).contains("veil monitor replay: note: first access_denied: line 1 (caller mallory): "
                + "access rule banned: denied by rule banned").noneMatch(l -> l.contains("without roles, tenant or attributes"));
    }

    /**
     * A replay whose store forgot histories to make room says so (a trace of thousands of callers
     * active at once reaches the default cap, as a Guard would); a trace that fits gets no note.
     * (The note itself: a real overflow needs a trace of hundreds of MB.)
     */
    @Test
    void historiesForgottenToMakeRoomGetANote() throws IOException {
        java.io.StringWriter none = new java.io.StringWriter();
        MonitorCommand.printEvictionNote(new java.io.PrintWriter(none, true), "veil monitor replay", 0);
        assertThat(none.toString()).isEmpty();
        java.io.StringWriter some = new java.io.StringWriter();
        MonitorCommand.printEvictionNote(new java.io.PrintWriter(some, true), "veil monitor replay", 3);
        assertThat(some.toString()).isEqualTo("veil monitor replay: note: the in-memory store reached its cap (the "
                + "Guard's default stateMemory, 256 MiB) and forgot 3 detector histories, windows or fingerprint indexes to make "
                + "room, those used least first, as a Guard with that cap would: callers quieter than the rest may be "
                + "flagged later or not at all; a Guard with a larger Guard.Builder.stateMemory, or on Redis (--redis), "
                + "would keep them" + System.lineSeparator());
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace("""
                {"caller": "a", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3]}
                """)));
        assertThat(r.errLines()).noneMatch(l -> l.contains("reached its cap"));
    }

    /**
     * Scores of different lengths in one trace (top-k answers, two models) replay, but the answer
     * detectors name classes by position and mix them: a note says so, and none when every line agrees.
     */
    @Test
    void scoresOfDifferentLengthsGetANote() throws IOException {
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace("""
                {"caller": "a", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3], "scores": [0.7, 0.2, 0.1]}
                {"caller": "a", "ts_ms": 1700000000100, "features": [0.1, 0.2, 0.4]}
                {"caller": "b", "ts_ms": 1700000000200, "features": [0.1, 0.2, 0.5], "scores": [0.9, 0.1]}
                {"caller": "a", "ts_ms": 1700000000300, "features": [0.1, 0.2, 0.6], "scores": [0.5]}
                {"caller": "a", "ts_ms": 1700000000400, "features": [0.1, 0.2, 0.7], "scores": [0.6, 0.3, 0.1]}
                """)));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.errLines()).contains("veil monitor replay: note: 2 lines have scores of another length than the "
                + "first line with scores (3 values; first: line 3, 2 values): the answer detectors name classes by "
                + "position, so their counts mix classes of different answers; give every line the model's whole "
                + "score vector, in one class order (not a top-k answer), and one model per trace");
        Result same = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace("""
                {"caller": "a", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3], "scores": [0.7, 0.2, 0.1]}
                {"caller": "a", "ts_ms": 1700000000100, "features": [0.1, 0.2, 0.4]}
                {"caller": "a", "ts_ms": 1700000000200, "features": [0.1, 0.2, 0.5], "scores": [0.1, 0.2, 0.7]}
                """)));
        assertThat(same.exit()).as(same.toString()).isZero();
        assertThat(same.errLines()).noneMatch(l -> l.contains("another length"));
    }

    /** Seconds read as milliseconds parse (early 1970) but make every caller 1000 times faster: a note says so. */
    @Test
    void timesThatLookLikeSecondsGetANote() throws IOException {
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace("""
                {"caller": "a", "ts_ms": 1764547200, "features": [0.1, 0.2, 0.3]}
                {"caller": "a", "ts_ms": 1764547210, "features": [0.1, 0.2, 0.3]}
                """)));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.errLines()).contains("veil monitor replay: note: 2 lines have a ts_ms between 1000000000 and "
                + "9999999999 (first: line 1), early 1970 in milliseconds: if the trace's times are seconds since the "
                + "epoch, multiply them by 1000 (read as milliseconds, every caller looks 1000 times faster to the rate "
                + "windows)");
        Result ms = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace("""
                {"caller": "a", "ts_ms": 1764547200000, "features": [0.1, 0.2, 0.3]}
                """)));
        assertThat(ms.errLines()).noneMatch(l -> l.contains("seconds"));
    }

    @Test
    void linesThatGoBackInTimeAreReplayedInFileOrderWithANote() throws IOException {
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace("""
                {"caller": "a", "ts_ms": 1700000060000, "features": [0.1, 0.2, 0.3]}
                {"caller": "b", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3]}
                {"caller": "a", "ts_ms": 1700000120000, "features": [0.1, 0.2, 0.3]}
                {"caller": "b", "ts_ms": 1700000001000, "features": [0.1, 0.2, 0.3]}
                """)));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.errLines()).contains("veil monitor replay: note: 2 lines are earlier than the line before them "
                + "(first: line 2); the trace is replayed in file order, so windows and rates see those queries out "
                + "of time order: sort the trace by ts_ms for the results a live service would give");
    }

    @Test
    void callerIdsStayIntactUnderACLocale() throws Exception {
        Path t = trace("{\"caller\": \"\u540d\", \"ts_ms\": 1700000000000, \"features\": [0.1, 0.2, 0.3]}\n"
                + "{\"caller\": \"\u524d\", \"ts_ms\": 1700000001000, \"features\": [0.1, 0.2, 0.3]}\n");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.veil.cli.VeilCli", "monitor", "replay", "--bundle",
                s(bundle), "--trace", s(t));
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("LANG", "C");
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("{\"caller\": \"\u540d\"", "{\"caller\": \"\u524d\"");
    }

    @Test
    void aLineWhoseFeaturesASmoothDetectorCannotTakeIsRefusedAndNamedNotTheEndOfTheReplay() throws IOException {
        // no shape fixed: smooth reads any input as an image 3 wide, and 4 features are none (a Guard
        // denies such a request before counting it); the replay goes on past it
        Path b = ReplayFiles.bundle(tmp.resolve("no-shape"), ReplayFiles.POLICY
                .replace("default: { shape: [3], range: { min: 0, max: 1 } }", "default: { shape: [] }")
                .replace("everyone: { type: rate, scope: global, window_seconds: 60, high: 1000 }",
                        "smooth: { width: 3, min_queries: 1 }"));
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < 6; i++) { // bob: a 3x3 image a second, with one of 4 features as his 3rd query
            t.append("{\"caller\": \"bob\", \"ts_ms\": ").append(1_700_000_000_000L + i * 1000L)
                    .append(", \"features\": ").append(i == 2 ? "[0.1, 0.2, 0.3, 0.4]" : "[0, 1, 0, 1, 0, 1, 0, 1, 0]")
                    .append("}\n");
        }
        Result r = veil("monitor", "replay", "--bundle", s(b), "--trace", s(trace(t.toString())));

        assertThat(r.exit()).as(r.toString()).isZero();
        // the refused query holds its index (2) but counts for no rate: medium (5) is reached at index 5
        assertThat(r.outLines()).containsExactly(
                "{\"caller\": \"bob\", \"queries\": 6, \"first_alarm\": 5, \"detectors\": {\"rate\": 5, "
                        + "\"boundary\": null, \"smooth\": null}}",
                "callers: 1, flagged: 1");
        assertThat(r.errLines()).contains("veil monitor replay: note: not observed: line 3 (caller bob): detector smooth: "
                + "width is 3 but 4 features do not form an image of rows 3 wide with at least 3 rows (a Guard denies "
                + "such a request, internal_error, before it counts it: the bundle's validation fixes no shape that "
                + "the detector can take)");
        // said once: the count of such denials, then the line itself, not again as the first of its kind; a
        // detector's failure is no refusal before monitoring
        assertThat(r.errLines()).contains("veil monitor replay: note: queries denied because monitoring failed on "
                + "them (a detector or the bundle's monitoring question), as a Guard denies them (internal_error): "
                + "detector_failed 1");
        assertThat(r.errLines()).noneMatch(l -> l.contains("refused before monitoring"));
        assertThat(r.errLines()).noneMatch(l -> l.contains("first detector_failed"));
    }

    @Test
    void aLineWithEmptyFeaturesIsRefusedByValidationAsInAGuardNotTheEndOfTheReplay() throws IOException {
        // a Guard given no features refuses them at validation (shape [3])
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace("""
                {"caller": "a", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3]}
                {"caller": "a", "ts_ms": 1700000001000, "features": []}
                {"caller": "a", "ts_ms": 1700000002000, "features": {}}
                {"caller": "a", "ts_ms": 1700000003000, "features": [0.1, 0.2, 0.3]}
                {"caller": "a", "ts_ms": 1700000004000, "features": [0.1, 0.2, 0.3]}
                """)));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).containsExactly(
                "{\"caller\": \"a\", \"queries\": 5, \"first_alarm\": null, \"detectors\": {\"rate\": null, "
                        + "\"boundary\": null, \"everyone\": null}}",
                "callers: 1, flagged: 0");
        assertThat(r.errLines()).contains("veil monitor replay: note: queries refused before monitoring, as a Guard "
                + "would refuse them: invalid_input 2","veil monitor replay: note: first invalid_input: line 2 (caller a): "
                + "default:shape: expected 3 features (shape [3]), got 0", "veil monitor replay: note: invalid_input "
                + "lines: 2, 3");
    }

    /** Every refused line can be found: the first 20 of each reason are named, with the count beyond. */
    @Test
    void theRefusedLinesOfEachReasonAreNamedUpTo20() throws IOException {
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            t.append("{\"caller\": \"a\", \"ts_ms\": ").append(1700000000000L + 1000L * i).append(", \"features\": ")
                    .append(i % 2 == 0 ? "[0.1, 0.2, 0.3]" : "[0.1]").append("}\n");
        }
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace(t.toString())));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.errLines()).contains("veil monitor replay: note: invalid_input lines: 2, 4, 6, 8, 10");
        StringBuilder m = new StringBuilder();
        for (int i = 0; i < 26; i++) { // 25 refused, then one observed; 10 s apart, within every rate
            m.append("{\"caller\": \"a\", \"ts_ms\": ").append(1700000000000L + 10_000L * i).append(", \"features\": ")
                    .append(i < 25 ? "[0.1]" : "[0.1, 0.2, 0.3]").append("}\n");
        }
        Result many = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace(m.toString())));
        assertThat(many.errLines()).contains("veil monitor replay: note: invalid_input lines: 1, 2, 3, 4, 5, 6, 7, 8, "
                + "9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 (the first 20 of 25)");
    }

    /**
     * A Rego bundle whose monitoring decision is undefined for caller mallory (a rule that cannot be
     * evaluated for some inputs): a Guard fails those requests as its on_error says; the replay
     * refuses (deny) or observes without a rule (degrade) each such line, names it, and goes on.
     */
    @Test
    void aLineTheMonitoringQuestionFailsOnIsHandledAsOnErrorSaysNotTheEndOfTheReplay() throws IOException {
        for (String onError : List.of("deny", "degrade")) {
            Path b = regoBundle(tmp.resolve("rego-" + onError), onError, ALLOW_ALL, THREE_IN_0_1,
                    busyButMallory("")); // undefined for mallory
            Result r = aliceAlarmedMalloryNot(b, onError);
            String why = "line 2 (caller mallory): the bundle's monitoring question failed: "
                    + "data.veil.monitoring.decision is undefined for this input: the rule must answer every input (give "
                    + "it a default, or end its else chain without a condition)";
            // mallory's four lines, each named; under deny refused (their rate tokens counted: no alarm but
            // no refusal either, as in a Guard), under degrade observed without a rule
            assertThat(r.errLines()).as(onError).filteredOn(l -> l.contains("monitoring question failed")).hasSize(4);
            if (onError.equals("deny")) {
                assertThat(r.errLines()).contains("veil monitor replay: note: not observed: " + why + " (a Guard denies "
                        + "such a request, internal_error, as the bundle's on_error: deny says, after counting it for "
                        + "rate limits, quotas and the detectors' state)",
                        "veil monitor replay: note: queries denied because monitoring failed on them (a detector or "
                                + "the bundle's monitoring question), as a Guard denies them (internal_error): "
                                + "monitoring_failed 4");
                // the monitoring question ran: those queries were not refused before it
                assertThat(r.errLines()).noneMatch(l -> l.contains("refused before monitoring"));
            } else {
                assertThat(r.errLines()).hasSize(4).contains("veil monitor replay: note: " + why + "; no monitoring "
                        + "rule was applied to it (a Guard answers such a request degraded, as the bundle's on_error: "
                        + "degrade says, and its detectors remember the answer)");
            }
        }
    }

    /**
     * A Rego bundle whose access decision is undefined for caller mallory and whose validation
     * decision is undefined for caller trent (rules that cannot be evaluated for some inputs): a
     * Guard denies each such request (internal_error, whatever on_error says) before it counts it for
     * anything, and goes on serving the next; the replay refuses each such line before monitoring,
     * counts it with its reason, and goes on.
     */
    @Test
    void aLineTheAccessOrValidationQuestionFailsOnIsRefusedBeforeMonitoringNotTheEndOfTheReplay() throws IOException {
        Path b = regoBundle(tmp.resolve("rego-access"), "deny", """
                decision := {"allow": true, "rule": "all", "message": "", "rate_limit": null, "daily_quota": 0} if {
                    input.caller.id != "mallory"
                }
                """, """
                decision := {"rule": "default", "contract": {"shape": [3], "min": 0, "max": 1, "features": {},
                    "allow_unknown_features": true, "cross_field": [], "max_payload_bytes": 0, "distribution": null}} if {
                    input.caller.id != "trent"
                }
                """, """
                decision := {"actions": [a | some a in alert; input.signals.rate.level == "medium"]}

                alert := [{"action": "alert", "rule": "busy", "signal": "rate", "cooldown_seconds": 0,
                    "throttle_per_second": 0}]
                """);
        Result r = veil("monitor", "replay", "--bundle", s(b), "--trace", s(trace(rounds(4, "alice", "mallory", "trent"))));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).containsExactly(
                "{\"caller\": \"alice\", \"queries\": 4, \"first_alarm\": 2, \"detectors\": {\"rate\": 2}}",
                "{\"caller\": \"mallory\", \"queries\": 4, \"first_alarm\": null, \"detectors\": {\"rate\": null}}",
                "{\"caller\": \"trent\", \"queries\": 4, \"first_alarm\": null, \"detectors\": {\"rate\": null}}",
                "callers: 3, flagged: 1");
        String undefined = " is undefined for this input: the rule must answer every input (give it a default, or end "
                + "its else chain without a condition) (a Guard denies such a request, internal_error, whatever "
                + "on_error says, before it counts it for rate limits, quotas or the detectors' state)";
        assertThat(r.errLines()).containsExactly(
                "veil monitor replay: note: queries refused before monitoring, as a Guard would refuse them: "
                        + "access_failed 4, validation_failed 4",
                "veil monitor replay: note: first access_failed: line 2 (caller mallory): the bundle's access question "
                        + "failed: data.veil.access.decision" + undefined,
                "veil monitor replay: note: first validation_failed: line 3 (caller trent): the bundle's validation "
                        + "question failed: data.veil.validation.decision" + undefined,
                "veil monitor replay: note: access_failed lines: 2, 5, 8, 11",
                "veil monitor replay: note: validation_failed lines: 3, 6, 9, 12");
    }

    /** Every line denied because the monitoring question failed on it: nothing observed, but nothing refused before monitoring. */
    @Test
    void aTraceTheMonitoringQuestionFailsOnWholeIsAnErrorThatSaysSo() throws IOException {
        Path b = regoBundle(tmp.resolve("rego-none"), "deny", ALLOW_ALL, THREE_IN_0_1, """
                decision := {"actions": []} if {
                    input.caller.id == "nobody"
                }
                """);
        Path t = trace("""
                {"caller": "a", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3]}
                {"caller": "b", "ts_ms": 1700000001000, "features": [0.1, 0.2, 0.3]}
                """);
        Result r = veil("monitor", "replay", "--bundle", s(b), "--trace", s(t));
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).startsWith("veil monitor replay: " + t + ": no query of the trace was observed: the bundle "
                + "refused every one before monitoring, or monitoring failed on it, as a Guard would deny it "
                + "(monitoring_failed 2; first: line 1 (caller a): the bundle's monitoring question failed: ")
                .contains(", and its monitoring question, which failed");
        assertThat(r.out()).isEmpty();
    }

    /**
     * A Rego monitoring question that runs too deep for one caller (a chain of 6,000 functions, each
     * calling the next; Rego has no recursion): the engine stops it at its own depth limit, or turns a
     * stack overflow into a failure, as an ordinary exception (no StackOverflowError reaches the
     * replay or a Guard), so the bundle's on_error decides, as for any failing rule; the replay goes on.
     */
    @Test
    void aRegoMonitoringQuestionThatRunsTooDeepForOneLineIsThatLinesFailure() throws IOException {
        StringBuilder chain = new StringBuilder();
        int depth = 6_000;
        for (int i = 0; i < depth; i++) {
            chain.append("f").append(i).append("(x) := f").append(i + 1).append("(x)\n");
        }
        chain.append("f").append(depth).append("(x) := x\n");
        for (String onError : List.of("deny", "degrade")) {
            Path b = regoBundle(tmp.resolve("rego-deep-" + onError), onError, ALLOW_ALL, THREE_IN_0_1, busyButMallory("""
                     else := {"actions": []} if {
                        f0(1) == 1
                    }
                    """ + chain));
            Result r = aliceAlarmedMalloryNot(b, onError);
            assertThat(r.errLines()).as(onError).filteredOn(l -> l.contains("(caller mallory): the bundle's monitoring "
                    + "question failed: ")).hasSize(4).allSatisfy(l -> assertThat(l).containsAnyOf(
                            // the depth limit, or a stack overflow before it, which the engine reports redacted
                            "eval_recursion_error", "eval_internal_error").contains("on_error: " + onError)
                            .doesNotContain("StackOverflowError"));
        }
    }

    /** Rego access that lets every caller in, without a rate limit or quota. */
    private static final String ALLOW_ALL = """
            decision := {"allow": true, "rule": "all", "message": "", "rate_limit": null, "daily_quota": 0}
            """;

    /** Rego validation: 3 values in [0, 1]. */
    private static final String THREE_IN_0_1 = """
            decision := {"rule": "default", "contract": {"shape": [3], "min": 0, "max": 1, "features": {},
                "allow_unknown_features": true, "cross_field": [], "max_payload_bytes": 0, "distribution": null}}
            """;

    /**
     * Rego monitoring: the alert {@code busy} at rate {@code medium}, for every caller but mallory;
     * {@code elseForMallory} follows that rule (an else branch and what it calls, or nothing: the
     * decision is then undefined for her).
     */
    private static String busyButMallory(String elseForMallory) {
        return """
                alert := [{"action": "alert", "rule": "busy", "signal": "rate", "cooldown_seconds": 0,
                    "throttle_per_second": 0}]

                decision := {"actions": [a | some a in alert; input.signals.rate.level == "medium"]} if {
                    input.caller.id != "mallory"
                }""" + elseForMallory + "\n";
    }

    /**
     * Replays four rounds of alice and mallory on {@code b} (a {@link #busyButMallory} bundle) and
     * checks that it ran and that alice's third query alarmed and none of mallory's did.
     */
    private Result aliceAlarmedMalloryNot(Path b, String onError) throws IOException {
        Result r = veil("monitor", "replay", "--bundle", s(b), "--trace", s(trace(rounds(4, "alice", "mallory"))));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).as(onError).containsExactly(
                "{\"caller\": \"alice\", \"queries\": 4, \"first_alarm\": 2, \"detectors\": {\"rate\": 2}}",
                "{\"caller\": \"mallory\", \"queries\": 4, \"first_alarm\": null, \"detectors\": {\"rate\": null}}",
                "callers: 2, flagged: 1");
        return r;
    }

    /** A Rego bundle: the given access, validation and monitoring rules, one rate detector (low 2, medium 3). */
    private static Path regoBundle(Path b, String onError, String access, String validation, String monitoring)
            throws IOException {
        return regoBundleWith(b, """
                name: rego-replay
                on_error: %s
                authentication: { anonymous: true }
                monitoring:
                  detectors:
                    rate: { window_seconds: 60, low: 2, medium: 3, high: 100 }
                """.formatted(onError), access, validation, monitoring);
    }

    /**
     * A Rego bundle: {@code settings} as {@code veil/settings/data.yaml}, the given access, validation
     * and monitoring rules, and model, output (labels only) and logging rules that always answer.
     */
    static Path regoBundleWith(Path b, String settings, String access, String validation, String monitoring)
            throws IOException {
        Files.createDirectories(b.resolve("veil/settings"));
        Files.writeString(b.resolve("veil/settings/data.yaml"), settings);
        rego(b, "access", access);
        rego(b, "validation", validation);
        rego(b, "monitoring", monitoring);
        rego(b, "model", """
                decision := {"rule": "default", "stale": false, "action": "alert"}
                """);
        rego(b, "output", """
                decision := {"rule": "default", "release": {"form": "label_only", "top_k": 1, "round": 0,
                    "min_confidence": 0, "reverse_sigmoid": null, "noise": null, "allow_label_change": false}}
                """);
        rego(b, "logging", """
                decision := {"rule": "default", "input": "digest", "output": "keep", "raw": "mask", "caller": "keep"}
                """);
        return b;
    }

    /** {@code n} rounds of one query each of {@code callers}, in turn, a second apart: features [0.1, 0.2, 0.3]. */
    private static String rounds(int n, String... callers) {
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < n; i++) {
            for (String caller : callers) {
                t.append("{\"caller\": \"").append(caller).append("\", \"ts_ms\": ")
                        .append(1_700_000_000_000L + i * 1000L).append(", \"features\": [0.1, 0.2, 0.3]}\n");
            }
        }
        return t.toString();
    }

    private static void rego(Path bundle, String question, String rules) throws IOException {
        Files.writeString(bundle.resolve("veil/" + question + ".rego"), "package veil." + question + "\n\nimport rego.v1\n\n"
                + rules);
    }

    @Test
    void printsOneExactLinePerCallerThenTheSummary() throws IOException {
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace(TRACE)));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(EXPECTED.replace("\n", System.lineSeparator()));
        assertThat(r.errLines()).containsExactly(
                "veil monitor replay: note: queries refused before monitoring, as a Guard would refuse them: blocked 2",
                "veil monitor replay: note: first blocked: line 11 (caller bob): blocked until 2023-11-14T22:23:28Z",
                "veil monitor replay: note: blocked lines: 11, 17");
    }

    @Test
    void aLineOfACallerWithATenantKeepsTheContractsFormatAndAddsTheTenantLast() throws IOException {
        // the contract: {"caller": ..., "queries": N, "first_alarm": I or null, "detectors": {...}}, in that order
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace("""
                {"caller": "u", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3], "tenant": "acme"}
                {"caller": "u", "ts_ms": 1700000001000, "features": [0.1, 0.2, 0.3], "tenant": "globex"}
                {"caller": "u", "ts_ms": 1700000002000, "features": [0.1, 0.2, 0.3]}
                """)));
        assertThat(r.exit()).as(r.toString()).isZero();
        String detectors = "\"detectors\": {\"rate\": null, \"boundary\": null, \"everyone\": null}";
        assertThat(r.outLines()).containsExactly(
                "{\"caller\": \"u\", \"queries\": 1, \"first_alarm\": null, " + detectors + ", \"tenant\": \"acme\"}",
                "{\"caller\": \"u\", \"queries\": 1, \"first_alarm\": null, " + detectors + ", \"tenant\": \"globex\"}",
                "{\"caller\": \"u\", \"queries\": 1, \"first_alarm\": null, " + detectors + "}",
                "callers: 3, flagged: 0");
    }

    @Test
    void aGzipTraceAndOneReadFromAPipeReplayAsThePlainFile() throws Exception {
        Path plain = trace(TRACE);
        Path gz = tmp.resolve("trace.jsonl.gz");
        try (java.io.OutputStream o = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write(TRACE.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Result expected = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(plain));
        assertThat(expected.out()).isEqualTo(EXPECTED);

        Result zipped = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(gz));
        assertThat(zipped.out()).as(zipped.toString()).isEqualTo(EXPECTED);
        assertThat(zipped.exit()).isZero();

        Path fifo = tmp.resolve("trace.fifo");
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0,
                "mkfifo is not available");
        Thread writer = new Thread(() -> {
            try {
                Files.writeString(fifo, TRACE);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        Result piped = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(fifo));
        writer.join(10_000);
        assertThat(piped.out()).as(piped.toString()).isEqualTo(EXPECTED);
    }

    @Test
    void aTraceOfDashIsReadFromStandardInput() throws Exception {
        Path t = trace(TRACE);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.veil.cli.VeilCli", "monitor", "replay", "--bundle",
                s(bundle), "--trace", "-");
        pb.redirectInput(t.toFile());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).isEqualTo(EXPECTED);

        Path bad = trace("{\"caller\": \"x\", \"ts_ms\": 1, \"features\": [0.1, 0.2]]}\n");
        pb.redirectInput(bad.toFile()).redirectError(ProcessBuilder.Redirect.PIPE);
        p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isEqualTo(2);
        assertThat(err).startsWith("veil monitor replay: <stdin>:1: invalid JSON at column ");
    }

    @Test
    void aTruncatedGzipTraceIsAnErrorNamingTheFile() throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.OutputStream o = new java.util.zip.GZIPOutputStream(bytes)) {
            o.write(TRACE.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Path gz = tmp.resolve("cut.jsonl.gz");
        Files.write(gz, java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2));
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(gz));
        assertFails(r, 2, gz + ": cannot be read: ");

        // a whole member followed by bytes that are no gzip member (a damaged second one): an error,
        // not a trace that quietly ends after the first member
        byte[] garbage = java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() + 3);
        garbage[bytes.size()] = 0x1f;
        garbage[bytes.size() + 1] = 0x74;
        Path tail = tmp.resolve("tail.jsonl.gz");
        Files.write(tail, garbage);
        assertFails(veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(tail)), 2, tail + ": cannot be read: ");
    }

    @Test
    void anEmptyTraceHasNoCallers() throws IOException {
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(trace("\n\n")));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).containsExactly("callers: 0, flagged: 0");
        assertThat(r.errLines()).containsExactly("veil monitor replay: note: the trace holds no query (it is empty "
                + "or blank)");
    }

    @Test
    void aMalformedLineFailsWithFileAndLineAndPrintsNothing() throws IOException {
        List<String> lines = TRACE.lines().toList();
        String[][] cases = {
            {"{\"caller\": \"x\", \"ts_ms\": 1, \"features\": [1, 2, 1e400]}",
                "features[2] is not a finite number: 1e400"},
            {"{\"ts_ms\": 1, \"features\": [1]}", "missing caller (a non-empty string)"},
            {"{\"caller\": \"x\", \"ts_ms\": \"soon\", \"features\": [1]}",
                "ts_ms must be an integer (milliseconds since the epoch), found the string \"soon\""},
            {"{\"caller\": \"x\", \"ts_ms\": 1, \"features\": [1], \"scores\": \"high\"}",
                "scores must be an array of numbers, found the string \"high\""},
            {"not json", "invalid JSON at column 1: Unrecognized token 'not': was expecting (JSON String, Number, "
                + "Array, Object or token 'null', 'true' or 'false')"},
        };
        for (String[] c : cases) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < lines.size(); i++) {
                text.append(i == 5 ? c[0] : lines.get(i)).append('\n');
            }
            Path t = trace(text.toString());
            Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(t));
            assertFails(r, 2, "veil monitor replay: " + t + ":6: " + c[1]);
            assertThat(r.errLines()).hasSize(1);
        }
    }

    @Test
    void missingFilesAndBadBundlesAreUsageErrors() throws IOException {
        Path t = trace(TRACE);
        assertFails(veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(tmp.resolve("none.jsonl"))), 2,
                "veil monitor replay: --trace " + tmp.resolve("none.jsonl") + ": no such file");
        assertFails(veil("monitor", "replay", "--bundle", s(tmp.resolve("nobundle")), "--trace", s(t)), 2,
                "--bundle " + tmp.resolve("nobundle") + ": no such file or directory");
        Path broken = ReplayFiles.bundle(tmp.resolve("broken"), ReplayFiles.POLICY.replace("high: 8", "high: 8.5"));
        assertFails(veil("monitor", "replay", "--bundle", s(broken), "--trace", s(t)), 2,
                "veil monitor replay: bundle " + broken + " does not load (1 error):",
                "high must be an integer, was 8.5");
        Path custom = ReplayFiles.bundle(tmp.resolve("custom"), ReplayFiles.POLICY.replace(
                "everyone: { type: rate, scope: global, window_seconds: 60, high: 1000 }", "my_custom: {}"));
        assertFails(veil("monitor", "replay", "--bundle", s(custom), "--trace", s(t)), 2,
                "veil monitor replay: bundle " + custom + ": monitoring.detectors.my_custom: 'my_custom' is a custom detector "
                        + "(added in code with Guard.Builder.detector); a replay runs built-in detectors only");
        assertFails(veil("monitor", "replay", "--bundle", s(bundle)), 2, "Missing required option: '--trace=FILE'");
        assertFails(veil("monitor"), 2, "Missing command: choose one of replay");
    }

    @Test
    void moreCallersWithRateLimitStateThanMaxCallersIsAnErrorNotCallersSilentlyLeftUnmonitored() throws IOException {
        // every caller keeps rate-limit state (the bundle's default rule has a rate limit)
        Path t = trace("""
                {"caller": "a", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3]}
                {"caller": "b", "ts_ms": 1700000001000, "features": [0.1, 0.2, 0.3]}
                {"caller": "a", "ts_ms": 1700000002000, "features": [0.1, 0.2, 0.3]}
                {"caller": "c", "ts_ms": 1700000003000, "features": [0.1, 0.2, 0.3]}
                """);
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(t), "--max-callers", "2");
        assertFails(r, 2, "veil monitor replay: " + t + ":4: caller c is one caller more than the 2 that may have "
                + "rate-limit or quota state at once (--max-callers): a Guard with this bound would refuse it "
                + "(rate_limited, rule max_callers), and every new caller after it, so the replay would stop "
                + "monitoring them; raise --max-callers (the JVM may need more memory, -Xmx) or replay with --redis, "
                + "which has no such bound; nothing was printed");
        Result roomy = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(t), "--max-callers", "3");
        assertThat(roomy.exit()).as(roomy.toString()).isZero();
        assertThat(roomy.outLines()).last().isEqualTo("callers: 3, flagged: 0");
        assertFails(veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(t), "--max-callers", "0"), 2,
                "--max-callers must be at least 1, was 0");
        assertThat(veil("monitor", "replay", "--help").out()).contains("--max-callers=N", "default: 100000");
    }

    /** Runs {@code veil args...} in a JVM of its own: its standard error is all the process printed there. */
    private static Result veilProcess(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "-cp", System.getProperty("java.class.path"), "dev.veil.cli.VeilCli"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int exit = p.waitFor();
        return new Result(exit, out, new String(err.get(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void atTheCallerBoundOnlyTheCommandsOwnAdviceIsPrinted() throws Exception {
        // the in-memory store's own warning names Guard.Builder.maxCallers, which a CLI user cannot call
        Path t = trace("""
                {"caller": "a", "ts_ms": 1700000000000, "features": [0.1, 0.2, 0.3]}
                {"caller": "b", "ts_ms": 1700000001000, "features": [0.1, 0.2, 0.3]}
                {"caller": "c", "ts_ms": 1700000003000, "features": [0.1, 0.2, 0.3]}
                """);
        Result limiter = veilProcess("monitor", "replay", "--bundle", s(bundle), "--trace", s(t), "--max-callers", "2");
        assertFails(limiter, 2, "--max-callers");
        assertThat(limiter.errLines()).as(limiter.toString()).singleElement().asString()
                .startsWith("veil monitor replay: " + t + ":3: caller c is one caller more than the 2");

        // no rate limit; carol and henry are blocked for probing at their 4th query, where one cool-down
        // fits: henry's block overflows the table, and alice (line 9) finds herself blocked
        Path noLimit = ReplayFiles.bundle(tmp.resolve("no-limit"), ReplayFiles.POLICY.replace(
                "default: { effect: allow, rate_limit: { per_second: 1, burst: 3 } }", "default: { effect: allow }"));
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            for (String c : List.of("carol", "henry")) {
                lines.append("{\"caller\": \"").append(c).append("\", \"ts_ms\": ")
                        .append(1_700_000_000_000L + 10_000L * i + (c.equals("henry") ? 1 : 0))
                        .append(", \"features\": [0.1, 0.2, ").append(0.3 + i * 0.01) // a new input each time
                        .append("], \"scores\": [0.5, 0.5, 0]}\n");
            }
        }
        lines.append("{\"caller\": \"alice\", \"ts_ms\": 1700000050000, \"features\": [0.1, 0.2, 0.3]}\n");
        Result coolDowns = veilProcess("monitor", "replay", "--bundle", s(noLimit), "--trace",
                s(trace(lines.toString())), "--max-callers", "1");
        assertFails(coolDowns, 2, "--max-callers");
        assertThat(coolDowns.errLines()).as(coolDowns.toString()).singleElement().asString()
                .contains(":9: caller alice needs a block or throttle while 1 callers have one (--max-callers)");
    }

    @Test
    void aBadOrUnreachableRedisIsAUsageError() throws IOException {
        Path t = trace(TRACE);
        assertFails(veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(t), "--redis", "http://x"), 2,
                "veil monitor replay: --redis: not a Redis URL: 'http://x'");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Result r = veil("monitor", "replay", "--bundle", s(bundle), "--trace", s(t), "--redis",
                "redis://:secret-pw@127.0.0.1:" + port);
        assertFails(r, 2, "veil monitor replay: --redis: ", "127.0.0.1:" + port);
        assertThat(r.err()).doesNotContain("secret-pw");
    }
}
