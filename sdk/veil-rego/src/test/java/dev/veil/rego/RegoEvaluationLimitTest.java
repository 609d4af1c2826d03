package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.Prediction;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Stage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Rego question that never finishes does not hold the request thread: each evaluation has a time
 * limit (system property {@code veil.rego.timeout}, 1s unless set) and stops when its thread is
 * interrupted; the Guard then fails closed with {@code internal_error} and logs the question and
 * the limit. So does a question whose answer the Guard cannot use (a rate limit too slow for the
 * limiters to count), naming what is wrong with it.
 */
class RegoEvaluationLimitTest {
    /**
     * About 10^10 steps for a caller with an id: never finishes in a test's lifetime (over one range,
     * built once: a range built again for each i would reach the limit of values built first).
     */
    private static final String LOOPING_ACCESS = """
            package veil.access

            import rego.v1

            ids := numbers.range(1, 100000 + count(input.caller.id))

            heavy if {
                some i in ids
                some j in ids
                i * j == -1
            }

            decision := {"allow": false, "rule": "heavy", "message": "", "rate_limit": null, "daily_quota": 0} if {
                heavy
            } else := {"allow": true, "rule": "all", "message": "", "rate_limit": null, "daily_quota": 0}
            """;

    private static final Logger GUARD_LOG = Logger.getLogger("dev.veil.Guard");

    @TempDir
    Path dir;

    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Guard<double[]> guard;

    @BeforeEach
    void listen() {
        GUARD_LOG.setUseParentHandlers(false);
        GUARD_LOG.addHandler(capture);
    }

    @AfterEach
    void restore() {
        GUARD_LOG.removeHandler(capture);
        GUARD_LOG.setUseParentHandlers(true);
        System.clearProperty("veil.rego.timeout");
        if (guard != null) {
            guard.close();
        }
    }

    @Test
    void aQuestionThatNeverFinishesIsDeniedWithinTheDefaultLimitOfOneSecond() {
        Guard<double[]> g = guard(LOOPING_ACCESS);
        long t0 = System.nanoTime();
        Response r = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> ask(g));
        long tookMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(tookMillis).isBetween(1000L, 15_000L);
        deniedAtAccess(r);
        assertThat(causeLogged()).startsWith("data.veil.access.decision could not be evaluated: evaluation took "
                        + "longer than its limit of 1s (system property veil.rego.timeout")
                .contains("stopped at policy/access.rego:", "eval_cancel_error: timeout");
    }

    @Test
    void theServiceSetsTheLimitWithASystemProperty() {
        System.setProperty("veil.rego.timeout", "250ms");
        Guard<double[]> g = guard(LOOPING_ACCESS);
        System.clearProperty("veil.rego.timeout"); // read when the bundle loads
        long t0 = System.nanoTime();
        Response r = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> ask(g));
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(250L, 15_000L);
        deniedAtAccess(r);
        assertThat(causeLogged()).contains("limit of 250ms");
    }

    @Test
    void aLimitThatIsNotAPositiveDurationOfAtMostADayDoesNotLoad() {
        for (String bad : List.of("0", "0s", "-1s", "soon", "1 s", "PT-1S", "PT25H", "999999999999ms")) {
            System.setProperty("veil.rego.timeout", bad);
            Throwable e = catchThrowable(() -> guard(LOOPING_ACCESS));
            assertThat(e).as(bad).isInstanceOf(PolicyLoadException.class);
            assertThat(e.getMessage()).as(bad).contains("system property veil.rego.timeout: invalid value '" + bad
                    + "': expected how long one evaluation of a policy question may take, greater than 0 and at "
                    + "most 1 day, in milliseconds or seconds (1500ms, 2s) or as an ISO-8601 duration (PT2S); unset, "
                    + "it is 1s");
        }
        for (String good : List.of("1500ms", "2s", "PT0.5S", "PT24H")) {
            System.setProperty("veil.rego.timeout", good);
            PolicyBundle.load(write(LOOPING_ACCESS));
        }
    }

    @Test
    void anInterruptedRequestStopsItsEvaluationAndIsDenied() throws Exception {
        System.setProperty("veil.rego.timeout", "600s"); // only the interrupt can stop it
        Guard<double[]> g = guard(LOOPING_ACCESS);
        AtomicReference<Response> response = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread request = new Thread(() -> {
            response.set(ask(g));
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        request.start();
        Thread.sleep(300);
        request.interrupt();
        request.join(15_000);
        assertThat(request.isAlive()).as("the request still runs 15 s after its interrupt").isFalse();
        deniedAtAccess(response.get());
        assertThat(stillInterrupted.get()).as("the request thread keeps its interrupt").isTrue();
        assertThat(causeLogged()).startsWith("data.veil.access.decision could not be evaluated: the request thread "
                + "was interrupted; evaluation stopped");
    }

    @Test
    void anInterruptedRequestIsDeniedWhateverThePolicysSize() {
        // a constant decision takes no evaluation step: it must fail as a long one does, or whether an
        // interrupted request is answered would depend on how many steps its policy happens to take
        Guard<double[]> g = guard("""
                package veil.access

                decision := {"allow": true, "rule": "all", "message": "", "rate_limit": null, "daily_quota": 0}
                """);
        assertThat(ask(g).allowed()).as("not interrupted").isTrue();
        Thread.currentThread().interrupt();
        Response r;
        try {
            r = ask(g);
        } finally {
            assertThat(Thread.interrupted()).as("the request thread keeps its interrupt").isTrue();
        }
        deniedAtAccess(r);
        assertThat(causeLogged()).startsWith("data.veil.access.decision could not be evaluated: the request thread "
                + "was interrupted; evaluation stopped");
    }

    @Test
    void anInterruptedEvaluationStopsWithoutALimit() throws Exception {
        Rego r = Rego.compile(Map.of("p.rego", """
                package p

                import rego.v1

                ids := numbers.range(1, 100000)

                forever if {
                    some i in ids
                    some j in ids
                    i * j == -1
                }
                """), Map.of());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread t = new Thread(() -> {
            failure.set(catchThrowable(() -> r.evaluate("data.p.forever", null)));
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        t.start();
        Thread.sleep(200);
        t.interrupt();
        t.join(15_000);
        assertThat(t.isAlive()).as("the evaluation still runs 15 s after its interrupt").isFalse();
        assertThat(failure.get()).isInstanceOf(RegoException.class);
        RegoException e = (RegoException) failure.get();
        assertThat(e.code()).isEqualTo("eval_cancel_error");
        assertThat(e.errors().get(0).message()).isEqualTo("interrupted");
        assertThat(stillInterrupted.get()).isTrue();
    }

    /**
     * A loop of few steps whose every step is a costly builtin (a million numbers written as JSON) is
     * stopped at the limit too: a builtin's answer counts as many steps as it holds values. Before,
     * the limit was read every 1,024 steps only, and such a loop ran for minutes (a review).
     */
    @Test
    void aLoopOfFewCostlyBuiltinCallsIsStoppedAtTheLimit() {
        Rego r = Rego.compile(Map.of("p.rego", """
                package p

                import rego.v1

                big := numbers.range(1, 1000000 + count(input))

                slow := [n | some i in numbers.range(1, 2000); n := count(json.marshal(big))]
                """), Map.of()).timeout(Duration.ofMillis(250));
        long t0 = System.nanoTime();
        Throwable e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> catchThrowable(() -> r.evaluate("data.p.slow", Map.of())));
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(250L, 10_000L);
        assertThat(e).isInstanceOf(RegoException.class);
        assertThat(((RegoException) e).code()).isEqualTo("eval_cancel_error");
        assertThat(((RegoException) e).errors().get(0).message()).isEqualTo("timeout");
    }

    /**
     * Comprehensions and number ranges may build at most 2,000,000 values in one evaluation: a policy
     * that builds more fails with a message saying so, instead of exhausting the heap of the service
     * it runs in (two ranges of 9 million numbers did, with a 512 MB heap, before the time limit came).
     */
    @Test
    void anEvaluationThatBuildsTooManyValuesFailsBeforeTheHeapIsExhausted() {
        Rego ranges = Rego.compile(Map.of("p.rego", """
                package p

                import rego.v1

                many if {
                    x := numbers.range(1, 1000000)
                    y := numbers.range(2, 1000000)
                    z := numbers.range(3, 1000000)
                    count(x) + count(y) + count(z) > 0
                }
                """), Map.of());
        RegoException e = (RegoException) catchThrowable(() -> ranges.evaluate("data.p.many", null));
        assertThat(e.code()).isEqualTo("eval_cancel_error");
        assertThat(e.errors().get(0).message()).isEqualTo("the evaluation built more than 2000000 values in "
                + "comprehensions, number ranges and partial rules, the limit of one evaluation (against exhausting the"
                + " memory of the process it runs in): loop over fewer values");
        Rego comprehension = Rego.compile(Map.of("p.rego", """
                package p

                import rego.v1

                pairs := {[i, j] | some i in numbers.range(1, 1500); some j in numbers.range(1, 1500)}
                """), Map.of());
        assertThat(catchThrowable(() -> comprehension.evaluate("data.p.pairs", null)))
                .isInstanceOf(RegoException.class).hasMessageContaining("built more than 2000000 values");
        Rego fits = Rego.compile(Map.of("p.rego", """
                package p

                import rego.v1

                pairs := count({[i, j] | some i in numbers.range(1, 700); some j in numbers.range(1, 700)})
                """), Map.of());
        // 490,000 pairs, and the inner range's 700 numbers built again for each i: 980,700 values
        assertThat(fits.evaluate("data.p.pairs", null)).isEqualTo(490_000L);
    }

    /**
     * A partial rule's members count against the limit of values built, and as steps: a set of
     * pairs over one range ran 14 s past a 1 s limit (a review).
     */
    @Test
    void aPartialRuleOfManyMembersIsStoppedToo() {
        Rego r = Rego.compile(Map.of("p.rego", """
                package p

                import rego.v1

                ids := numbers.range(1, 2000 + count(input))

                pairs contains [i, j] if {
                    some i in ids
                    some j in ids
                }
                """), Map.of()).timeout(Duration.ofMillis(250));
        long t0 = System.nanoTime();
        Throwable e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> catchThrowable(() -> r.evaluate("data.p.pairs", Map.of())));
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000L);
        assertThat(e).isInstanceOf(RegoException.class);
        assertThat(((RegoException) e).code()).isEqualTo("eval_cancel_error");
    }

    /**
     * A constant made by one costly builtin (ranges of 900,000 numbers) is still folded at load, so
     * that requests neither rebuild it nor count it against the limit of values built (a review: the
     * step count after a builtin's answer had stopped the fold at its few milliseconds).
     */
    @Test
    void aLargeConstantIsFoldedAndNotCountedPerEvaluation() {
        Rego r = Rego.compile(Map.of("p.rego", """
                package p

                import rego.v1

                r := numbers.range(1, 900000)

                r2 := numbers.range(1, 900000)

                q := count(r) + count(r2) + count([1 | some x in r; x <= 300000 + count(input)])
                """), Map.of());
        assertThat(r.evaluate("data.p.q", Map.of())).isEqualTo(2_100_000L);
    }

    /**
     * A builtin's error quotes its operand, which may be a value of the request (here the caller's id;
     * the raw top label at the output question): the Guard's log names the question, the place and
     * the builtin, not the operand.
     */
    @Test
    void aBuiltinErrorIsLoggedWithoutTheValueItQuotes() {
        Guard<double[]> g = guard("""
                package veil.access

                import rego.v1

                decision := {"allow": false, "rule": "numbered", "message": "", "rate_limit": null, "daily_quota": 0} if {
                    to_number(input.caller.id) > 100
                } else := {"allow": true, "rule": "all", "message": "", "rate_limit": null, "daily_quota": 0}
                """);
        deniedAtAccess(ask(g));
        LogRecord r = logged.stream().filter(l -> l.getLevel() == Level.SEVERE && l.getThrown() != null)
                .findFirst().orElseThrow(() -> new AssertionError("nothing logged with a cause: " + logged));
        assertThat(r.getThrown().getMessage()).startsWith("data.veil.access.decision failed: policy/access.rego:")
                .contains("eval_builtin_error: to_number: (message left out: it may quote the request");
        assertThat(trace(r.getThrown())).doesNotContain("\"anonymous\"").doesNotContain("ParseFloat");
    }

    /** The logging question's failure is logged the same way (the record is still written, most protected). */
    @Test
    void aLoggingQuestionsBuiltinErrorIsLoggedWithoutTheValueItQuotes() {
        Path b = write("""
                package veil.access

                decision := {"allow": true, "rule": "all", "message": "", "rate_limit": null, "daily_quota": 0}
                """);
        write(b, "policy/logging.rego", """
                package veil.logging

                import rego.v1

                decision := {"rule": "cleared", "input": "keep", "output": "keep", "raw": "keep", "caller": "keep"} if {
                    to_number(input.caller.id) > 3
                } else := {"rule": "default", "input": "digest", "output": "keep", "raw": "mask", "caller": "digest"}
                """);
        assertThat(ask(guardOn(b))).isInstanceOf(Response.Released.class);
        StringBuilder all = new StringBuilder();
        for (LogRecord r : logged) {
            all.append(r.getMessage()).append('\n').append(r.getThrown() == null ? "" : trace(r.getThrown()));
        }
        assertThat(all.toString()).contains("logging question unavailable", "eval_builtin_error: to_number:")
                .doesNotContain("\"anonymous\"").doesNotContain("ParseFloat");
    }

    /**
     * A Rego access decision whose rate limit refills in more than 366 days fails the request, and the
     * Guard's log names the field and the bound; a constant one does not load (as in a YAML policy).
     */
    @Test
    void anAccessDecisionWithARateLimitTooSlowToCountIsDeniedAndTheLogSaysWhy() {
        String slow = """
                package veil.access

                import rego.v1

                decision := {"allow": true, "rule": "slow", "message": "", "rate_limit": {"per_second": rate,
                    "burst": 100}, "daily_quota": 0}

                rate := 0.000001 if input.caller.id == "anonymous" else := 5
                """;
        assertThat(catchThrowable(() -> PolicyBundle.load(write(slow.replace("rate,", "0.000001,")))))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("access decision: rate_limit: a bucket of burst 100 at per_second 1.0E-6");
        Guard<double[]> g = guard(slow);
        deniedAtAccess(ask(g));
        assertThat(causeLogged()).isEqualTo("access decision: rate_limit: a bucket of burst 100 at per_second 1.0E-6"
                + " takes 1157 days to refill, longer than the 366 days a rate limit may take: per_second must be at"
                + " least burst / 31622400 (0.00000317 for burst 100); raise per_second or lower burst");
    }

    /**
     * A Rego access decision whose rate limit is faster than one request a nanosecond (the in-memory
     * store's Bucket4j cannot build its bucket) fails the request, and the log says why; a constant one
     * does not load. The fastest, 1e9 per second, is taken.
     */
    @Test
    void anAccessDecisionWithARateLimitTooFastToCountIsDeniedAndTheLogSaysWhy() {
        String fast = """
                package veil.access

                import rego.v1

                decision := {"allow": true, "rule": "fast", "message": "", "rate_limit": {"per_second": rate,
                    "burst": 1}, "daily_quota": 0}

                rate := 1e10 if input.caller.id == "anonymous" else := 1e9
                """;
        String message = "access decision: rate_limit: per_second 1.0E10 is faster than one request a nanosecond, the"
                + " fastest a rate limit can be counted at (the in-memory state store's Bucket4j refills at most one"
                + " token a nanosecond): per_second must be at most 1e9 (1000000000); lower it";
        assertThat(catchThrowable(() -> PolicyBundle.load(write(fast.replace("rate,", "1e10,")))))
                .isInstanceOf(PolicyLoadException.class).hasMessageContaining(message);
        PolicyBundle.load(write(fast.replace("rate,", "1e9,")));
        Guard<double[]> g = guard(fast);
        deniedAtAccess(ask(g));
        assertThat(causeLogged()).isEqualTo(message);
    }

    private String causeLogged() {
        LogRecord r = logged.stream().filter(l -> l.getLevel() == Level.SEVERE && l.getThrown() != null)
                .findFirst().orElseThrow(() -> new AssertionError("nothing logged with a cause: " + logged));
        assertThat(r.getMessage()).startsWith("stage access could not be evaluated for decision ");
        return r.getThrown().getMessage();
    }

    private static void deniedAtAccess(Response r) {
        assertThat(r).as("response %s", r).isInstanceOf(Response.Denied.class);
        Response.Denied d = (Response.Denied) r;
        assertThat(d.reason().code()).as("code of %s", d.reasons()).isEqualTo(ReasonCode.INTERNAL_ERROR);
        assertThat(d.reason().stage()).isEqualTo(Stage.ACCESS);
    }

    private static Response ask(Guard<double[]> g) {
        return g.predict(Request.of(Credentials.anonymous(), new double[] {0.5, 0.5}));
    }

    private Guard<double[]> guard(String access) {
        return guardOn(write(access));
    }

    private Guard<double[]> guardOn(Path bundle) {
        Model<double[]> model = Model.ofVector(ModelInfo.of("m", "1", Instant.parse("2026-01-01T00:00:00Z")),
                x -> Prediction.classification(List.of("yes", "no"), new double[] {x[0], 1 - x[0]}));
        guard = Guard.builder(model).policy(PolicyBundle.load(bundle))
                .audit(AuditLog.jsonLines(dir.resolve("audit.jsonl"))).build();
        return guard;
    }

    /** A logged failure as printed: its messages and its causes'. */
    private static String trace(Throwable t) {
        java.io.StringWriter out = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }

    private Path write(String access) {
        Path b = dir.resolve("bundle");
        write(b, "veil/settings/data.yaml", """
                name: rego-limit
                authentication: { anonymous: true }
                """);
        write(b, "policy/access.rego", access);
        write(b, "policy/validation.rego", """
                package veil.validation

                decision := {"rule": "default", "contract": {"shape": [2], "min": 0, "max": 1, "features": {},
                    "allow_unknown_features": true, "cross_field": [], "max_payload_bytes": 0, "distribution": null}}
                """);
        write(b, "policy/monitoring.rego", """
                package veil.monitoring

                decision := {"actions": []}
                """);
        write(b, "policy/model.rego", """
                package veil.model

                decision := {"rule": "default", "stale": false, "action": "alert"}
                """);
        write(b, "policy/output.rego", """
                package veil.output

                decision := {"rule": "default", "release": {"form": "top_k", "top_k": 1, "round": 0,
                    "min_confidence": 0, "reverse_sigmoid": null, "noise": null, "allow_label_change": false}}
                """);
        write(b, "policy/logging.rego", """
                package veil.logging

                decision := {"rule": "default", "input": "digest", "output": "keep", "raw": "mask", "caller": "keep"}
                """);
        return b;
    }

    private static void write(Path bundle, String name, String text) {
        try {
            Path p = bundle.resolve(name);
            Files.createDirectories(p.getParent());
            Files.writeString(p, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
