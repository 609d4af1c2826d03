package dev.veil.internal.guard;

import static dev.veil.GuardFixtures.ALICE;
import static dev.veil.GuardFixtures.ERIN;
import static dev.veil.GuardFixtures.INFO_A;
import static dev.veil.GuardFixtures.NOW;
import static dev.veil.GuardFixtures.SCORES_A;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.ApiKeys;
import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import dev.veil.Credentials;
import dev.veil.ForwardingStateStore;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.GuardFixtures.BundleDir;
import dev.veil.Level;
import dev.veil.ManualClock;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Signal;
import dev.veil.Stage;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.Detector;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateUnavailableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.veil.QuietGuardLog;

/**
 * A failure in one part of a request is contained where the policy says, and never buys the
 * caller more than the policy allows: a spent privacy budget stays spent when the output question
 * fails, a detector that throws does not switch off the others' blocks, a detector or a store
 * that cannot remember an answered query is a failure (not a silent loss), and a logging question
 * that throws, even an {@link Error}, still yields one record that says so.
 */
@ExtendWith(QuietGuardLog.class)
class FailureContainmentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double[] VALID = {1, 2, 3};
    private static final double[] TRIPS = {1, 60, 3}; // the throwing detector fails on x[1] > 50

    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock(NOW);
    private final GuardFixtures.CountingModel model = new GuardFixtures.CountingModel(SCORES_A);
    private final List<Guard<?>> open = new ArrayList<>();
    private int bundles;
    private Path auditFile;

    @AfterEach
    void close() {
        open.forEach(Guard::close);
    }

    private BundleDir bundle() {
        return GuardFixtures.bundle(tmp.resolve("bundle-" + (++bundles)));
    }

    private Guard<double[]> guard(BundleDir b, Consumer<Guard.Builder<double[]>> more) {
        auditFile = tmp.resolve("audit-" + bundles + ".jsonl");
        Guard.Builder<double[]> builder = Guard.builder(model.as(INFO_A)).policy(b.load())
                .audit(AuditLog.jsonLines(auditFile)).clock(clock);
        more.accept(builder);
        Guard<double[]> g = builder.build();
        open.add(g);
        return g;
    }

    private static Request<double[]> ask(ApiKeys.Issued key, double... x) {
        return Request.of(Credentials.apiKey(key.plaintext()), x);
    }

    private static Response.Denied denied(Response r, ReasonCode code) {
        assertThat(r).as("response %s", r).isInstanceOf(Response.Denied.class);
        Response.Denied d = (Response.Denied) r;
        assertThat(d.reason().code()).as("%s", d.reasons()).isEqualTo(code);
        return d;
    }

    private static Response.Released released(Response r) {
        assertThat(r).as("response %s", r).isInstanceOf(Response.Released.class);
        return (Response.Released) r;
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> records(Guard<?> g, int n) throws IOException {
        g.close();
        AuditVerification v = AuditLog.verify(auditFile);
        assertThat(v.ok()).as("%s", v).isTrue();
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(auditFile)) {
            out.add(JSON.readValue(line, Map.class));
        }
        assertThat(out).hasSize(n);
        return out;
    }

    /** A custom detector that reports nothing; the tests' detectors override what they do. */
    abstract static class QuietDetector implements Detector {
        private final String name;

        QuietDetector(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Signal observe(Query query) {
            return new Signal(name, Level.NONE, 0);
        }

        @Override
        public long stateBytes() {
            return 0;
        }
    }

    /** A custom detector that throws on inputs whose second value exceeds 50, in observe or afterPrediction. */
    static class Tripwire extends QuietDetector {
        final boolean inObserve;

        Tripwire(boolean inObserve) {
            super("tripwire");
            this.inObserve = inObserve;
        }

        @Override
        public Signal observe(Query query) {
            if (inObserve && query.features().vector()[1] > 50) {
                throw new IllegalStateException("tripwire tripped");
            }
            return super.observe(query);
        }

        @Override
        public void afterPrediction(Query query, dev.veil.Prediction raw) {
            if (!inObserve && query.features().vector()[1] > 50) {
                throw new IllegalStateException("tripwire could not remember");
            }
        }
    }

    // ---------------------------------------------------------------- privacy budget

    /** Noisy answers at epsilon 1 against a budget of 2 per caller, denied when spent. */
    private static final String NOISY_BUDGET_2 = """
            default: {form: top_k, top_k: 2, round: 0.1, noise: {mechanism: laplace, epsilon: 1}}
            privacy: {per_caller_epsilon: 2, on_exhausted: deny}
            """;

    /** A Guard under on_error: degrade whose caller ALICE has had two noisy answers: her budget is spent. */
    private Guard<double[]> twoNoisyAnswers() {
        Guard<double[]> g = guard(bundle().set("on_error", "degrade").set("output", NOISY_BUDGET_2), b -> { });
        released(g.predict(ask(ALICE, VALID)));
        released(g.predict(ask(ALICE, VALID)));
        return g;
    }

    @Test
    void aSpentBudgetUnderOnExhaustedDenyStaysDeniedWhenTheOutputQuestionFailsUnderOnErrorDegrade() {
        Guard<double[]> g = twoNoisyAnswers();
        denied(g.predict(ask(ALICE, VALID)), ReasonCode.BUDGET_EXHAUSTED); // spent: marked for the period

        // the same policy, whose output question now throws
        g.reload(bundle().set("on_error", "degrade").set("output", NOISY_BUDGET_2)
                .policyFile(FaultyPolicyEngine.POLICY).file(FaultyPolicyEngine.MARKER, "output\n").load());
        Response.Denied spent = denied(g.predict(ask(ALICE, VALID)), ReasonCode.BUDGET_EXHAUSTED);
        // budget left, but nobody pays for the answer while the question fails: no free label either
        Response.Denied other = denied(g.predict(ask(ERIN, VALID)), ReasonCode.INTERNAL_ERROR);

        assertThat(spent.reason().stage()).isEqualTo(Stage.OUTPUT);
        assertThat(other.reason().stage()).isEqualTo(Stage.OUTPUT);
    }

    /** Spent by its last granted charge, the budget has no spent mark yet: still no free label. */
    @Test
    void aBudgetSpentExactlyByItsLastChargeGivesNoFreeLabelWhenTheOutputQuestionFails() {
        Guard<double[]> g = twoNoisyAnswers(); // exactly spent; no refused charge, so no mark

        g.reload(bundle().set("on_error", "degrade").set("output", NOISY_BUDGET_2)
                .policyFile(FaultyPolicyEngine.POLICY).file(FaultyPolicyEngine.MARKER, "output\n").load());

        for (int i = 0; i < 3; i++) {
            assertThat(g.predict(ask(ALICE, VALID))).isInstanceOf(Response.Denied.class);
        }
    }

    /** Without a privacy budget that denies, on_error: degrade still gives the label when the output question fails. */
    @Test
    void withoutABudgetThatDeniesAFailingOutputQuestionUnderDegradeGivesTheLabel() {
        Guard<double[]> g = guard(bundle().set("on_error", "degrade").policyFile(FaultyPolicyEngine.POLICY)
                .file(FaultyPolicyEngine.MARKER, "output\n"), b -> { });

        Response.Released r = released(g.predict(ask(ALICE, VALID)));

        assertThat(r.degraded()).isTrue();
        assertThat(r.prediction().scores()).isEmpty();
        assertThat(r.prediction().label()).isEqualTo("cat");
    }

    /**
     * A regression whose output step fails under on_error: degrade has no label to fall back on: it is
     * denied (internal_error at the output stage), not answered, and not failed a second time.
     */
    @Test
    void aRegressionWhoseOutputFailsUnderOnErrorDegradeIsDenied() throws IOException {
        auditFile = tmp.resolve("audit-regression.jsonl");
        Guard<double[]> g = Guard.builder(dev.veil.Model.ofVector(INFO_A,
                        x -> dev.veil.Prediction.regression(x[0] * 1.79e308)))
                .policy(bundle().set("on_error", "degrade").set("output", "default: {form: full, round: 0.01}").load())
                .audit(AuditLog.jsonLines(auditFile)).clock(clock).build();
        open.add(g);

        Response.Denied d = denied(g.predict(ask(ALICE, 0.95, 2, 3)), ReasonCode.INTERNAL_ERROR);
        released(g.predict(ask(ALICE, 1e-300, 2, 3)));

        assertThat(d.reason().stage()).isEqualTo(Stage.OUTPUT);
        assertThat(d.reason().message()).isEqualTo("stage output could not be evaluated");
        assertThat(((Map<String, Object>) records(g, 2).get(0).get("stages")).get("output")).isEqualTo("error");
    }

    // ---------------------------------------------------------------- detectors

    @Test
    void aDetectorThatThrowsUnderOnErrorDegradeLeavesTheOtherDetectorsBlocksInForce() throws IOException {
        Guard<double[]> g = guard(bundle().set("on_error", "degrade").set("monitoring", """
                detectors:
                  rate: {window_seconds: 60, high: 3}
                  tripwire: {}
                rules:
                  - {id: flood, when: {signals: {rate: high}}, action: block, cooldown_seconds: 600}
                """), b -> b.detector(new Tripwire(true)));

        Response.Released tripped = released(g.predict(ask(ALICE, TRIPS)));
        released(g.predict(ask(ALICE, VALID)));
        Response third = g.predict(ask(ALICE, TRIPS)); // the third in 60 s: rate is high, tripwire throws

        assertThat(tripped.degraded()).as("a failing detector degrades the answer").isTrue();
        assertThat(denied(third, ReasonCode.BLOCKED).reason().rule()).isEqualTo("flood");
        assertThat(model.calls()).isEqualTo(2);
        List<Map<String, Object>> recs = records(g, 3);
        assertThat((List<Object>) recs.get(0).get("rules")).contains("monitoring:tripwire:error");
        assertThat((Map<String, Object>) recs.get(0).get("signals")).containsKey("rate").doesNotContainKey("tripwire");
        assertThat(((Map<String, Object>) recs.get(0).get("stages")).get("observe")).isEqualTo("error");
    }

    /**
     * A failure on the request path reaches the service's log without what it may quote: a custom
     * detector whose message (and its cause's) quotes the input and the raw prediction, tripped on
     * every request under on_error: deny, gives one line a minute for the stage, with the failure's
     * class and stack trace only.
     */
    @Test
    void aFailureIsLoggedWithoutItsMessageAndAtMostOnceAMinutePerStage() {
        class Quoting extends QuietDetector {
            Quoting() {
                super("quoting");
            }

            @Override
            public Signal observe(Query query) {
                throw new IllegalStateException("saw input " + java.util.Arrays.toString(query.features().vector()),
                        new IllegalArgumentException("raw top score 0.987654"));
            }
        }
        Guard<double[]> g = guard(bundle().set("monitoring", "detectors: {quoting: {}}"), b -> b.detector(new Quoting()));
        List<java.util.logging.LogRecord> logged = guardLog(() -> {
            for (int i = 0; i < 3; i++) {
                denied(g.predict(ask(ALICE, 1, 2.71828, 3)), ReasonCode.INTERNAL_ERROR);
            }
        });
        assertThat(logged).singleElement().satisfies(r -> {
            assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.SEVERE);
            assertThat(r.getMessage()).startsWith("stage observe could not be evaluated for decision ")
                    .endsWith("; denying; logged at most once a minute per stage");
            java.io.StringWriter trace = new java.io.StringWriter();
            r.getThrown().printStackTrace(new java.io.PrintWriter(trace));
            assertThat(trace.toString()).contains("java.lang.IllegalStateException (its message is left out",
                    "java.lang.IllegalArgumentException (its message is left out", "Quoting.observe")
                    .doesNotContain("2.71828").doesNotContain("0.987654");
        });
    }

    /**
     * What Veil itself says of a custom detector that breaks the SPI's contract (a signal under another
     * name, or none) is its own text, not the input's: it is logged, and names the detector.
     */
    @Test
    void aDetectorThatBreaksTheContractIsNamedInTheLog() {
        class Misnamed extends QuietDetector {
            Misnamed() {
                super("mine");
            }

            @Override
            public Signal observe(Query query) {
                return new Signal("other", Level.NONE, 0);
            }
        }
        class Silent extends QuietDetector {
            Silent() {
                super("silent");
            }

            @Override
            public Signal observe(Query query) {
                return null;
            }
        }
        for (QuietDetector d : List.of(new Misnamed(), new Silent())) {
            Guard<double[]> g = guard(bundle().set("monitoring", "detectors: {" + d.name() + ": {}}"),
                    b -> b.detector(d));
            List<java.util.logging.LogRecord> logged = guardLog(() ->
                    denied(g.predict(ask(ALICE, VALID)), ReasonCode.INTERNAL_ERROR));
            assertThat(logged).singleElement().satisfies(r -> {
                java.io.StringWriter trace = new java.io.StringWriter();
                r.getThrown().printStackTrace(new java.io.PrintWriter(trace));
                assertThat(trace.toString()).doesNotContain("its message is left out").contains(d.name().equals("mine") ? "custom detector 'mine' returned a signal named 'other'; a "
                                + "detector's signal must carry the detector's name ('mine')"
                                : "custom detector 'silent' returned null; a detector must return a signal");
            });
        }
    }

    /**
     * A listener that throws on every denial (its message quoting what it was given) is logged once
     * a minute per callback, without the message, and never changes an answer.
     */
    @Test
    void aListenerThatThrowsOnEveryDenialIsLoggedAtMostOnceAMinuteWithoutItsMessage() {
        Guard<double[]> g = guard(bundle(), b -> b.listener(new dev.veil.GuardListener() {
            @Override
            public void onDenied(Response.Denied denial, String callerId, String tenant) {
                throw new IllegalStateException("cannot forward " + denial.reasons() + " of " + callerId);
            }
        }));

        List<java.util.logging.LogRecord> logged = guardLog(() -> {
            for (int i = 0; i < 3; i++) {
                denied(g.predict(ask(ALICE, 1, 2, 999.25)), ReasonCode.INVALID_INPUT);
            }
        });

        assertThat(logged).singleElement().satisfies(r -> {
            assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
            assertThat(r.getMessage()).isEqualTo("a GuardListener threw from onDenied; ignored; logged at most once a "
                    + "minute per callback");
            java.io.StringWriter trace = new java.io.StringWriter();
            r.getThrown().printStackTrace(new java.io.PrintWriter(trace));
            assertThat(trace.toString()).contains("java.lang.IllegalStateException (its message is left out")
                    .doesNotContain("999.25").doesNotContain("alice");
        });
    }

    /** What the Guard's logger published while {@code during} ran, at every level. */
    private static List<java.util.logging.LogRecord> guardLog(Runnable during) {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("dev.veil.Guard");
        List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Level before = jul.getLevel();
        jul.setLevel(java.util.logging.Level.ALL);
        jul.addHandler(h);
        try {
            during.run();
        } finally {
            jul.removeHandler(h);
            jul.setLevel(before);
        }
        return logged;
    }

    @Test
    void aDetectorThatThrowsUnderOnErrorDenyDeniesBeforeTheModel() {
        Guard<double[]> g = guard(bundle().set("monitoring", "detectors: {tripwire: {}}"),
                b -> b.detector(new Tripwire(true)));

        denied(g.predict(ask(ALICE, TRIPS)), ReasonCode.INTERNAL_ERROR);
        released(g.predict(ask(ALICE, VALID)));

        assertThat(model.calls()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"deny", "degrade"})
    void aDetectorThatCannotRememberAnAnsweredQueryIsAFailureNotASilentLoss(String onError) throws IOException {
        Guard<double[]> g = guard(bundle().set("on_error", onError).set("monitoring", "detectors: {tripwire: {}}"),
                b -> b.detector(new Tripwire(false)));

        Response r = g.predict(ask(ALICE, TRIPS));

        if (onError.equals("deny")) {
            assertThat(denied(r, ReasonCode.INTERNAL_ERROR).reason().stage()).isEqualTo(Stage.OBSERVE);
        } else {
            assertThat(released(r).degraded()).isTrue();
            assertThat(released(r).prediction().scores()).isEmpty();
        }
        assertThat(((Map<String, Object>) records(g, 1).get(0).get("stages")).get("observe")).isEqualTo("error");
    }

    /**
     * During an outage the access question still refuses whom it refuses; an input that fails
     * validation is refused state_unavailable under deny (the limits are read before its verdict is
     * reported, policy reference 6.1 and 6.4) and invalid_input under degrade.
     */
    @ParameterizedTest
    @ValueSource(strings = {"deny", "degrade"})
    void duringAnOutageAccessStillRefusesAndAnInvalidInputIsRefusedAsTheModeSays(String mode) {
        FlakyStore store = new FlakyStore();
        Guard<double[]> g = guard(bundle().set("on_state_unavailable", mode), b -> b.stateStore(store));
        store.down.set(true);

        denied(g.predict(ask(GuardFixtures.BOB, VALID)), ReasonCode.FORBIDDEN);
        denied(g.predict(ask(ALICE, 1, 2, 300)),
                mode.equals("deny") ? ReasonCode.STATE_UNAVAILABLE : ReasonCode.INVALID_INPUT);
        assertThat(model.calls()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"deny", "degrade", "local"})
    void aStoreThatRefusesTheAnsweredQuerysHistoryIsHandledAsOnStateUnavailableSays(String mode) throws IOException {
        FlakyStore store = new FlakyStore();
        Guard<double[]> g = guard(bundle().set("on_state_unavailable", mode).set("monitoring", """
                detectors:
                  class_focus: {}
                """), b -> b.stateStore(store));
        released(g.predict(ask(ALICE, VALID)));
        store.refuseSubmits.set(true);

        Response r = g.predict(ask(ALICE, 1, 2, 4)); // a new input (a resent one's answer is not remembered again)

        switch (mode) {
            case "deny" -> denied(r, ReasonCode.STATE_UNAVAILABLE);
            case "degrade" -> assertThat(released(r).degraded()).isTrue();
            default -> assertThat(released(r).degraded()).as("local state took the history").isFalse();
        }
        assertThat(model.calls()).isEqualTo(2);
        List<Map<String, Object>> recs = records(g, 2);
        if (mode.equals("degrade")) {
            assertThat((List<Object>) recs.get(1).get("rules")).contains("state:unavailable");
        }
    }

    /** A throttle at the third request of a caller in 60 s (or a block, {@code action}). */
    private static String thirdRequestIn60s(String action) {
        return """
                detectors:
                  rate: {window_seconds: 60, high: 3}
                rules:
                  - {id: slow-down, when: {signals: {rate: high}}, action: %s, cooldown_seconds: 600%s}
                """.formatted(action, action.equals("throttle") ? ", throttle_per_second: 0.01" : "");
    }

    /**
     * The store answers the request's batch, then refuses the one that writes the throttle a rule
     * set: that is the store being unavailable, and on_state_unavailable decides, whatever on_error
     * says (before, the failure went to on_error: internal_error, or a degraded answer under a
     * policy that says deny).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"deny, deny", "deny, degrade", "degrade, deny", "degrade, degrade"})
    void aThrottleThatCannotBeWrittenIsHandledAsOnStateUnavailableSays(String mode, String onError)
            throws IOException {
        FlakyStore store = new FlakyStore();
        Guard<double[]> g = guard(bundle().set("on_state_unavailable", mode).set("on_error", onError)
                .set("monitoring", thirdRequestIn60s("throttle")), b -> b.stateStore(store));
        released(g.predict(ask(ALICE, VALID)));
        released(g.predict(ask(ALICE, VALID)));
        store.refuseActions.set(true);

        Response r = g.predict(ask(ALICE, VALID)); // rate high: the throttle is not written

        assertThat(store.refused.get()).isEqualTo(1);
        Map<String, Object> rec = records(g, 3).get(2);
        Map<String, Object> stages = (Map<String, Object>) rec.get("stages");
        if (mode.equals("deny")) {
            Response.Denied d = denied(r, ReasonCode.STATE_UNAVAILABLE);
            assertThat(d.reason().stage()).isEqualTo(Stage.OBSERVE);
            assertThat(d.reason().rule()).isEqualTo("on_state_unavailable");
            assertThat(model.calls()).isEqualTo(2);
            assertThat(stages.get("observe")).isEqualTo("error");
        } else {
            assertThat(released(r).degraded()).isTrue();
            assertThat(released(r).prediction().scores()).isEmpty();
            assertThat((List<Object>) rec.get("rules")).contains("monitoring:slow-down", "state:unavailable");
            assertThat(stages.get("observe")).isEqualTo("degrade");
        }
    }

    /**
     * A block that cannot be written still denies the request that set it, under every
     * on_state_unavailable and on_error (degrade never turns a block into an answer); the record
     * says the block was not written ({@code state:unavailable}).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"deny, deny", "deny, degrade", "degrade, deny", "degrade, degrade",
        "local, deny"})
    void aBlockThatCannotBeWrittenStillDeniesTheRequestThatSetIt(String mode, String onError) throws IOException {
        FlakyStore store = new FlakyStore();
        Guard<double[]> g = guard(bundle().set("on_state_unavailable", mode).set("on_error", onError)
                .set("monitoring", thirdRequestIn60s("block")), b -> b.stateStore(store));
        released(g.predict(ask(ALICE, VALID)));
        released(g.predict(ask(ALICE, VALID)));
        store.refuseActions.set(true);

        Response.Denied d = denied(g.predict(ask(ALICE, VALID)), ReasonCode.BLOCKED);

        assertThat(d.reasons()).hasSize(1);
        assertThat(d.reason().rule()).isEqualTo("slow-down");
        assertThat(model.calls()).isEqualTo(2);
        Map<String, Object> rec = records(g, 3).get(2);
        assertThat(((Map<String, Object>) rec.get("stages")).get("observe")).isEqualTo("deny");
        if (!mode.equals("local")) { // local state took the block (and writes it to the store when it is back)
            assertThat((List<Object>) rec.get("rules")).contains("monitoring:slow-down", "state:unavailable");
        }
    }

    /**
     * The in-memory store, except that it refuses every call while {@link #down} is set, and its
     * {@link #submit}s alone while {@link #refuseSubmits} is (the store went away after a request
     * read it); {@link #refused} counts the refusals.
     */
    static final class FlakyStore extends ForwardingStateStore {
        final AtomicBoolean down = new AtomicBoolean();
        final AtomicBoolean refuseSubmits = new AtomicBoolean();
        /** Refuse the batches that write a monitoring action (a Block or a Throttle) alone. */
        final AtomicBoolean refuseActions = new AtomicBoolean();
        final java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();

        FlakyStore() {
            super(new MemoryStateStore(64 << 20, java.time.Clock.systemUTC(), 1000));
        }

        @Override
        public Object[] execute(StateOp... ops) {
            refuseIf(down.get(), "the store is down");
            refuseIf(refuseActions.get() && java.util.Arrays.stream(ops)
                    .anyMatch(o -> o instanceof StateOp.Block || o instanceof StateOp.Throttle),
                    "the store went away after this request read it");
            return inner.execute(ops);
        }

        @Override
        public void submit(StateOp... ops) {
            refuseIf(down.get() || refuseSubmits.get(), "the store went away after this request read it");
            inner.submit(ops);
        }

        private void refuseIf(boolean refuse, String why) {
            if (refuse) {
                refused.incrementAndGet();
                throw new StateUnavailableException(why);
            }
        }
    }

    /**
     * A request degraded because the store is down, next to noisy labels under a privacy budget:
     * the ledger (in the same store) cannot pay for the noise, so it is not asked a second time;
     * on_exhausted decides, and the record does not claim noise the answer did not carry.
     */
    @ParameterizedTest
    @ValueSource(strings = {"deny", "degrade"})
    void aDegradedAnswerWhoseNoiseCannotBePaidForWithTheStoreDownAsksTheStoreOnce(String onExhausted)
            throws IOException {
        FlakyStore store = new FlakyStore();
        Guard<double[]> g = guard(bundle().set("on_state_unavailable", "degrade").set("output", """
                default: {form: label_only, allow_label_change: true, noise: {mechanism: laplace, epsilon: 0.1}}
                privacy: {per_caller_epsilon: 10, on_exhausted: %s}
                """.formatted(onExhausted)), b -> b.stateStore(store));
        released(g.predict(ask(ALICE, VALID)));
        store.down.set(true);

        Response r = g.predict(ask(ALICE, VALID));

        assertThat(store.refused.get()).as("store calls refused for the one request").isEqualTo(1);
        if (onExhausted.equals("deny")) {
            denied(r, ReasonCode.BUDGET_EXHAUSTED);
            assertThat(((Response.Denied) r).reason().message()).contains("privacy ledger cannot be reached");
        } else {
            assertThat(released(r).prediction().applied()).containsExactly("label_only");
        }
        @SuppressWarnings("unchecked")
        List<Object> rules = (List<Object>) records(g, 2).get(1).get("rules");
        assertThat(rules).contains("state:unavailable", "output:degraded").doesNotContain("output:degraded_with_noise");
    }

    /**
     * Under on_state_unavailable: local no privacy budget is spent on local state: a release with
     * noise is refused as over budget, with the message of a global budget that cannot be read
     * (policy reference 5.6, degraded, and 6.4).
     */
    @Test
    void onLocalStateANoisyReleaseIsRefusedAsOverBudget() {
        FlakyStore store = new FlakyStore();
        Guard<double[]> g = guard(bundle().set("on_state_unavailable", "local").set("output", """
                default: {form: label_only, allow_label_change: true, noise: {mechanism: laplace, epsilon: 0.1}}
                privacy: {per_caller_epsilon: 10, on_exhausted: deny}
                """), b -> b.stateStore(store));
        released(g.predict(ask(ALICE, VALID)));
        store.down.set(true);

        Response.Denied d = denied(g.predict(ask(ALICE, VALID)), ReasonCode.BUDGET_EXHAUSTED);

        // an outage, not a spent budget: no renewal time (which would be false), only to retry
        assertThat(d.reason().message()).isEqualTo("the privacy ledger cannot be reached (the state store is "
                + "unavailable); retry later");
    }

    /** A custom detector that counts what it is asked to remember. */
    static final class Counter extends QuietDetector {
        final java.util.concurrent.atomic.AtomicInteger remembered = new java.util.concurrent.atomic.AtomicInteger();

        Counter() {
            super("counter");
        }

        @Override
        public void afterPrediction(Query query, dev.veil.Prediction raw) {
            remembered.incrementAndGet();
        }
    }

    /** One detector that cannot remember a query does not keep the others from remembering it. */
    @Test
    void aDetectorThatFailsToRememberDoesNotSilenceTheOthers() throws IOException {
        Counter counter = new Counter();
        Guard<double[]> g = guard(bundle().set("on_error", "degrade").set("monitoring",
                "detectors: {tripwire: {}, counter: {}}"), b -> b.detector(new Tripwire(false)).detector(counter));

        for (int i = 0; i < 5; i++) {
            assertThat(released(g.predict(ask(ALICE, TRIPS))).degraded()).isTrue();
        }

        assertThat(counter.remembered.get()).isEqualTo(5);
        assertThat((List<Object>) records(g, 5).get(0).get("rules")).contains("monitoring:tripwire:error");
    }

    /**
     * After one detector failed under on_error: degrade, the model question still reads the other
     * detectors' signals (policy reference 6.1, the input each question receives).
     */
    @Test
    void theModelQuestionReadsTheOtherDetectorsSignalsAfterOneFailed() throws IOException {
        Guard<double[]> g = guard(bundle().set("on_error", "degrade").set("monitoring", """
                detectors:
                  rate: {window_seconds: 60, medium: 1}
                  tripwire: {}
                """).set("model", """
                default: {}
                rules:
                  - {id: busy-needs-fresh, when: {signals: {rate: medium}}, max_age_days: 0.0001, on_stale: deny}
                """), b -> b.detector(new Tripwire(true)));

        denied(g.predict(ask(ALICE, TRIPS)), ReasonCode.MODEL_STALE);

        assertThat((List<Object>) records(g, 1).get(0).get("rules")).contains("monitoring:tripwire:error",
                "model:busy-needs-fresh");
    }

    /** A detector's failure stays said in the record's observe stage when a degrade rule also fires. */
    @Test
    void theObserveStageSaysErrorWhenADetectorFailedAndADegradeRuleFired() throws IOException {
        Guard<double[]> g = guard(bundle().set("on_error", "degrade").set("monitoring", """
                detectors:
                  rate: {window_seconds: 60, medium: 1}
                  tripwire: {}
                rules:
                  - {id: soften, when: {signals: {rate: medium}}, action: degrade}
                """), b -> b.detector(new Tripwire(true)));

        assertThat(released(g.predict(ask(ALICE, TRIPS))).degraded()).isTrue();

        Map<String, Object> rec = records(g, 1).get(0);
        assertThat((List<Object>) rec.get("rules")).contains("monitoring:tripwire:error", "monitoring:soften");
        assertThat(((Map<String, Object>) rec.get("stages")).get("observe")).isEqualTo("error");
    }

    /**
     * A store whose charges fail with {@code failure} while {@link #onCharge} is set; everything else,
     * submits too, goes through.
     */
    static final class FailingCharge extends ForwardingStateStore {
        final AtomicBoolean onCharge = new AtomicBoolean();
        private final java.util.function.Supplier<RuntimeException> failure;

        FailingCharge(java.util.function.Supplier<RuntimeException> failure) {
            super(new MemoryStateStore(64 << 20, java.time.Clock.systemUTC(), 1000));
            this.failure = failure;
        }

        @Override
        public Object[] execute(StateOp... ops) {
            if (onCharge.get() && ops.length == 1 && ops[0] instanceof StateOp.Charge) {
                throw failure.get();
            }
            return inner.execute(ops);
        }
    }

    /**
     * A charge the ledger could not be reached for is treated as over budget for that request only:
     * it marks no budget spent, or one timeout would refuse every caller's releases (the global mark)
     * for the rest of the period.
     */
    @Test
    void aChargeTheLedgerCouldNotTakeMarksNoBudgetSpent() {
        // a charge that times out
        FailingCharge store = new FailingCharge(
                () -> new dev.veil.spi.StateUnavailableException("did not answer the charge within 200 ms"));
        Guard<double[]> g = guard(bundle().set("output", """
                default: {form: top_k, top_k: 2, round: 0.1, noise: {mechanism: laplace, epsilon: 1}}
                privacy: {per_caller_epsilon: 10, global_epsilon: 100, on_exhausted: deny}
                """), b -> b.stateStore(store));
        released(g.predict(ask(ALICE, VALID)));
        store.onCharge.set(true);
        denied(g.predict(ask(ALICE, VALID)), ReasonCode.BUDGET_EXHAUSTED);
        store.onCharge.set(false);

        released(g.predict(ask(ALICE, VALID)));
        released(g.predict(ask(ERIN, VALID)));
    }

    /** An interrupted wait is not degraded around: on_error: degrade gives no label for it. */
    @Test
    void anInterruptedChargeIsDeniedEvenUnderOnErrorDegrade() {
        // what veil-redis throws for an interrupted wait
        FailingCharge store = new FailingCharge(
                () -> new dev.veil.VeilException("interrupted while waiting for the store", new InterruptedException()));
        Guard<double[]> g = guard(bundle().set("on_error", "degrade").set("output", """
                default: {form: top_k, top_k: 2, round: 0.1, noise: {mechanism: laplace, epsilon: 1}}
                privacy: {per_caller_epsilon: 10, on_exhausted: degrade}
                """), b -> b.stateStore(store));
        released(g.predict(ask(ALICE, VALID)));
        store.onCharge.set(true);

        assertThat(denied(g.predict(ask(ALICE, VALID)), ReasonCode.INTERNAL_ERROR).reason().stage())
                .isEqualTo(Stage.OUTPUT);
    }

    /** A store that fails otherwise than unreachable when the detectors' history is sent (closed, a bug). */
    static final class SubmitBroken extends ForwardingStateStore {
        SubmitBroken() {
            super(new MemoryStateStore(64 << 20, java.time.Clock.systemUTC(), 1000));
        }

        @Override
        public void submit(StateOp... ops) {
            throw new IllegalStateException("this store is closed");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"deny", "degrade"})
    void aStoreThatFailsToTakeTheHistoryIsADetectorFailureAtTheObserveStage(String onError) throws IOException {
        Guard<double[]> g = guard(bundle().set("on_error", onError).set("monitoring", "detectors: {class_focus: {}}"),
                b -> b.stateStore(new SubmitBroken()));

        Response r = g.predict(ask(ALICE, VALID));

        if (onError.equals("deny")) {
            assertThat(denied(r, ReasonCode.INTERNAL_ERROR).reason().stage()).isEqualTo(Stage.OBSERVE);
        } else {
            assertThat(released(r).degraded()).isTrue();
        }
        Map<String, Object> stages = (Map<String, Object>) records(g, 1).get(0).get("stages");
        assertThat(stages.get("model")).as("the model answered").isEqualTo("allow");
        assertThat(stages.get("observe")).isEqualTo("error");
    }

    /** A custom detector whose afterPrediction's wait is interrupted. */
    static final class InterruptedRemember extends QuietDetector {
        InterruptedRemember() {
            super("zz-interrupted");
        }

        @Override
        public void afterPrediction(Query query, dev.veil.Prediction raw) {
            throw new dev.veil.VeilException("interrupted while remembering", new InterruptedException());
        }
    }

    /** An interrupt denies whichever detector failed first. */
    @Test
    void anInterruptAfterAnotherDetectorsFailureIsStillDenied() {
        Guard<double[]> g = guard(bundle().set("on_error", "degrade").set("monitoring",
                "detectors: {tripwire: {}, zz-interrupted: {}}"),
                b -> b.detector(new Tripwire(false)).detector(new InterruptedRemember()));

        denied(g.predict(ask(ALICE, TRIPS)), ReasonCode.INTERNAL_ERROR);
    }

    /** A detector that throws in observe and again when it remembers is named once in the record. */
    @Test
    void aDetectorThatFailsTwiceIsNamedOnce() throws IOException {
        Detector both = new Tripwire(true) {
            @Override
            public void afterPrediction(Query query, dev.veil.Prediction raw) {
                throw new IllegalStateException("and again");
            }
        };
        Guard<double[]> g = guard(bundle().set("on_error", "degrade").set("monitoring", "detectors: {tripwire: {}}"),
                b -> b.detector(both));

        released(g.predict(ask(ALICE, TRIPS)));

        assertThat((List<Object>) records(g, 1).get(0).get("rules")).filteredOn("monitoring:tripwire:error"::equals)
                .hasSize(1);
    }

    /**
     * A shared store that stalls: its batches time out ({@link #execute} throws) while its
     * connection stays open, so {@link #submit} takes the ops without a word (and loses them).
     */
    static final class Stalled extends ForwardingStateStore {
        final AtomicBoolean stalled = new AtomicBoolean();
        final java.util.concurrent.atomic.AtomicInteger charges = new java.util.concurrent.atomic.AtomicInteger();

        Stalled() {
            super(new MemoryStateStore(64 << 20, java.time.Clock.systemUTC(), 1000));
        }

        @Override
        public Object[] execute(StateOp... ops) {
            for (StateOp op : ops) {
                if (op instanceof StateOp.Charge) {
                    charges.incrementAndGet();
                }
            }
            if (stalled.get()) {
                throw new StateUnavailableException("did not answer the state batch within 200 ms");
            }
            return inner.execute(ops);
        }

        @Override
        public void submit(StateOp... ops) {
            if (!stalled.get()) {
                inner.submit(ops);
            }
        }
    }

    @Test
    void underLocalStateTheAnswerDetectorsRememberLocallyWhileTheSharedStoreStalls() {
        Stalled store = new Stalled();
        Guard<double[]> g = guard(bundle().set("on_state_unavailable", "local").set("monitoring", """
                detectors:
                  class_focus: {window: 10, min_queries: 5, low: 0.5, medium: 0.7, high: 0.9}
                rules:
                  - {id: focus-block, when: {signals: {class_focus: high}}, action: block, cooldown_seconds: 600}
                """), b -> b.stateStore(store));
        store.stalled.set(true);

        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Response r = g.predict(ask(ALICE, 1, 2, 3 + i * 0.01)); // new inputs; the model always answers cat
            outcomes.add(r instanceof Response.Denied d ? d.reason().code().name() : "ok");
        }

        assertThat(outcomes).as("class_focus sees the answers on local state").contains("BLOCKED");
        assertThat(outcomes.indexOf("BLOCKED")).isLessThan(8);
    }

    @Test
    void underLocalStateANoisyReleaseDoesNotWaitForTheStalledStoreASecondTime() {
        Stalled store = new Stalled();
        Guard<double[]> g = guard(bundle().set("on_state_unavailable", "local").set("output", """
                default: {form: top_k, top_k: 2, round: 0.1, noise: {mechanism: laplace, epsilon: 1}}
                privacy: {per_caller_epsilon: 10, on_exhausted: deny}
                """), b -> b.stateStore(store));
        released(g.predict(ask(ALICE, VALID)));
        assertThat(store.charges.get()).isEqualTo(1);
        store.stalled.set(true);

        denied(g.predict(ask(ALICE, VALID)), ReasonCode.BUDGET_EXHAUSTED); // no budget is spent on local state

        assertThat(store.charges.get()).as("the charge was not sent to the store that just failed").isEqualTo(1);
    }

    // ---------------------------------------------------------------- logging

    @ParameterizedTest
    @ValueSource(strings = {"logging", "logging error"})
    void aLoggingQuestionThatThrowsStillGivesOneRecordThatSaysSo(String marker) throws IOException {
        Guard<double[]> g = guard(bundle().policyFile(FaultyPolicyEngine.POLICY)
                .file(FaultyPolicyEngine.MARKER, marker + "\n"), b -> { });

        Response.Released r = released(g.predict(ask(ALICE, VALID)));

        assertThat(r.prediction().label()).isEqualTo("cat");
        Map<String, Object> rec = records(g, 1).get(0);
        assertThat((List<Object>) rec.get("rules")).contains(DefaultGuard.LOGGING_ERROR);
        // the most protective treatment: the input masked, not digested (a digest of few possible values
        // is reversed by hashing every candidate), as when a policy says nothing of the input
        assertThat((List<Object>) rec.get("erased")).contains("/input/features", "/raw");
        assertThat((List<Object>) rec.get("masked")).doesNotContain("/input/features");
    }
}
