package dev.veil;

import static dev.veil.GuardFixtures.ALICE;
import static dev.veil.GuardFixtures.BOB;
import static dev.veil.GuardFixtures.INFO_A;
import static dev.veil.GuardFixtures.LABELS;
import static dev.veil.GuardFixtures.NOW;
import static dev.veil.GuardFixtures.SCORES_A;
import static dev.veil.GuardFixtures.at;
import static dev.veil.GuardFixtures.auditRecords;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.GuardFixtures.BundleDir;
import dev.veil.ReleasedPrediction.ScoredLabel;
import dev.veil.spi.Detector;
import dev.veil.spi.Query;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the Guard does with user code that misbehaves on the request path: custom detectors that
 * write the arrays they are shown or throw Errors, feature views, models and detectors that report
 * an interrupt, listeners that overflow the stack or block while the Guard closes.
 */
@ExtendWith(QuietGuardLog.class)
@Timeout(60)
class GuardUserCodeTest {
    private static final double[] VALID = {1, 2, 3};
    private static final List<ScoredLabel> RELEASE_A =
            List.of(new ScoredLabel("cat", 0.6), new ScoredLabel("dog", 0.3));

    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock(NOW);
    private final List<Guard<?>> open = new ArrayList<>();
    private int bundles;
    private Path auditFile;

    @AfterEach
    void closeGuards() {
        for (Guard<?> g : open) {
            try {
                g.close();
            } catch (RuntimeException | Error ignored) {
                // a test's Guard may have been left in any state
            }
        }
        Thread.interrupted(); // never leak an interrupt into the next test
    }

    private BundleDir bundle() {
        return GuardFixtures.bundle(tmp.resolve("bundle-" + (++bundles)));
    }

    private <I> Guard<I> guard(BundleDir b, Model<I> model, Consumer<Guard.Builder<I>> more) {
        return guard(b, model, AuditLog.jsonLines(tmp.resolve("audit-" + bundles + ".jsonl"))
                .async(AuditLog.DEFAULT_QUEUE_CAPACITY, Duration.ofSeconds(30)), more);
    }

    private <I> Guard<I> guard(BundleDir b, Model<I> model, AuditLog log, Consumer<Guard.Builder<I>> more) {
        auditFile = log.file();
        Guard.Builder<I> builder = Guard.builder(model).policy(b.load()).audit(log).clock(clock);
        more.accept(builder);
        Guard<I> g = builder.build();
        open.add(g);
        return g;
    }

    private static Request<double[]> ask(ApiKeys.Issued key, double... x) {
        return Request.of(Credentials.apiKey(key.plaintext()), x);
    }

    private List<Map<String, Object>> audited(Guard<?> g) {
        g.close();
        AuditVerification v = AuditLog.verify(auditFile);
        assertThat(v.ok()).as("audit chain: %s", v.message()).isTrue();
        return auditRecords(auditFile);
    }

    /** A custom detector whose afterPrediction runs {@code after} (and sees nothing otherwise). */
    private static Detector detector(String name, java.util.function.BiConsumer<Query, Prediction> after) {
        return detector(name, q -> new Signal(name, Level.NONE, 0), after);
    }

    /** A custom detector that observes nothing and throws {@code thrown} from observe (when not null). */
    private static Detector throwingInObserve(String name, Throwable thrown) {
        return detector(name, q -> {
            throw GuardFixtures.sneakyThrow(thrown);
        }, (q, raw) -> { });
    }

    private static Detector detector(String name, java.util.function.Function<Query, Signal> observe,
            java.util.function.BiConsumer<Query, Prediction> after) {
        return new Detector() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Signal observe(Query query) {
                return observe.apply(query);
            }

            @Override
            public void afterPrediction(Query query, Prediction raw) {
                after.accept(query, raw);
            }

            @Override
            public long stateBytes() {
                return 0;
            }
        };
    }

    private static final String ONE_BUSY_RULE = """
            detectors:
              rate: {window_seconds: 60, low: 1}
            rules:
              - {id: busy, when: {signals: {rate: low}}, action: alert}
            """;

    // ------------------------------------------------------------------ custom detectors get copies

    /**
     * A custom detector that works on the raw scores in place (sorting them to read the margin, a
     * common idiom) must not change the answer: the release is computed after the detectors ran.
     */
    @Test
    void aDetectorThatSortsTheRawScoresInPlaceDoesNotChangeTheReleasedAnswer() {
        Guard<double[]> g = guard(bundle().set("monitoring", "detectors: {margin: {}}")
                        .set("logging", "default: {raw: keep}"),
                Model.ofVector(INFO_A, x -> Prediction.classification(LABELS, SCORES_A.clone())),
                b -> b.detector(detector("margin", (q, raw) -> Arrays.sort(raw.scores()))));

        Response r = g.predict(ask(ALICE, VALID));

        List<Map<String, Object>> recs = audited(g);
        assertThat(r).isInstanceOf(Response.Released.class);
        assertThat(((Response.Released) r).prediction().scores())
                .as("the model said cat 0.6, dog 0.3, fox 0.1; the release must pair those labels with those scores")
                .isEqualTo(RELEASE_A);
        assertThat(at(recs.get(0), "raw", "top_label")).isEqualTo("cat");
    }

    /**
     * Query.features().vector() of a custom detector is a copy: a detector that normalises it in
     * place changes neither what the audit record says the caller sent nor what the built-in
     * detectors and the model read.
     */
    @Test
    void aDetectorThatNormalisesTheQueryVectorInPlaceDoesNotChangeWhatIsRecorded() {
        AtomicReference<double[]> modelSaw = new AtomicReference<>();
        AtomicReference<double[]> afterSaw = new AtomicReference<>();
        Guard<double[]> g = guard(bundle().set("monitoring", "detectors: {norm: {}}")
                        .set("logging", "default: {input: keep}"),
                Model.of(INFO_A, x -> {
                    modelSaw.set(x.clone());
                    return Prediction.classification(LABELS, SCORES_A.clone());
                }, x -> Features.ofOwned(x)),
                b -> b.detector(detector("norm", query -> {
                    double[] v = query.features().vector();
                    for (int i = 0; i < v.length; i++) {
                        v[i] /= 3; // scale to [0, 1] for its own distance computation
                    }
                    return new Signal("norm", Level.NONE, 0);
                }, (query, raw) -> afterSaw.set(query.features().vector().clone()))));

        g.predict(ask(ALICE, 1, 2, 3));
        Object recorded = at(audited(g).get(0), "input", "features");
        assertThat(recorded).isEqualTo(List.of(1.0, 2.0, 3.0));
        assertThat(modelSaw.get()).containsExactly(1, 2, 3);
        assertThat(afterSaw.get()).as("the custom detectors' own copy, as they left it")
                .containsExactly(1.0 / 3, 2.0 / 3, 1.0);
    }

    // ------------------------------------------------------------------ interrupts are kept

    /**
     * A predict function with its own timeout (as Guard's Javadoc advises) waits on a future and the
     * request thread is interrupted: Future.get throws InterruptedException and clears the flag. The
     * Guard denies (model_error), writes the record, and restores the flag for the caller.
     */
    @Test
    void anInterruptTheModelReportsAsInterruptedExceptionIsKeptForTheCaller() {
        Guard<double[]> g = guard(bundle(), Model.ofVector(INFO_A, x -> {
            Thread.currentThread().interrupt(); // the service cancels the request while the model waits
            java.util.concurrent.CompletableFuture<Prediction> f = new java.util.concurrent.CompletableFuture<>();
            return f.get(5, TimeUnit.SECONDS); // throws InterruptedException, flag cleared
        }), b -> { });

        Response r = g.predict(ask(ALICE, VALID));
        boolean kept = Thread.interrupted();

        assertThat(r).isInstanceOf(Response.Denied.class);
        assertThat(((Response.Denied) r).reason().code()).isEqualTo(ReasonCode.MODEL_ERROR);
        assertThat(kept).as("the interrupt the model's wait consumed is restored for the caller").isTrue();
        assertThat(audited(g)).hasSize(1);
    }

    /**
     * A feature view interrupted (one that fetches the input lazily): the flag is kept, and the
     * denial is internal_error, not invalid_input: a server-side cancel is not the client's fault.
     */
    @Test
    void anInterruptedFeatureViewIsAnInternalErrorAndKeepsTheInterrupt() {
        Guard<double[]> g = guard(bundle(), Model.of(INFO_A,
                x -> Prediction.classification(LABELS, SCORES_A.clone()), x -> {
                    throw GuardFixtures.sneakyThrow(new InterruptedException("feature fetch interrupted"));
                }), b -> { });

        Response r = g.predict(ask(ALICE, VALID));
        boolean kept = Thread.interrupted();

        assertThat(kept).as("feature view's interrupt kept").isTrue();
        Response.Denied d = (Response.Denied) r;
        assertThat(d.reason().code()).isEqualTo(ReasonCode.INTERNAL_ERROR);
        assertThat(d.reason().stage()).isEqualTo(Stage.ACCESS);
        assertThat(d.reason().message()).contains("interrupted");
        List<Map<String, Object>> recs = audited(g);
        assertThat(recs).hasSize(1);
        assertThat(at(recs.get(0), "stages", "access")).isEqualTo("error");
    }

    /** A custom detector's observe or afterPrediction interrupted: denied (even under degrade), flag kept. */
    @ParameterizedTest(name = "on_error {0}")
    @ValueSource(strings = {"deny", "degrade"})
    void anInterruptADetectorReportsDeniesAndIsKeptForTheCaller(String onError) {
        Guard<double[]> g = guard(bundle().set("on_error", onError).set("monitoring", "detectors: {waits: {}}"),
                Model.ofVector(INFO_A, x -> Prediction.classification(LABELS, SCORES_A.clone())),
                b -> b.detector(throwingInObserve("waits", new InterruptedException("detector wait interrupted"))));
        Response r = g.predict(ask(ALICE, VALID));
        boolean keptObserve = Thread.interrupted();
        assertThat(audited(g)).hasSize(1);

        Guard<double[]> g2 = guard(bundle().set("on_error", onError).set("monitoring", "detectors: {learns: {}}"),
                Model.ofVector(INFO_A, x -> Prediction.classification(LABELS, SCORES_A.clone())),
                b -> b.detector(detector("learns", (q, raw) -> {
                    throw GuardFixtures.sneakyThrow(new InterruptedException("detector store interrupted"));
                })));
        Response r2 = g2.predict(ask(ALICE, VALID));
        boolean keptAfter = Thread.interrupted();

        assertThat(keptObserve).as("observe's interrupt kept").isTrue();
        assertThat(keptAfter).as("afterPrediction's interrupt kept").isTrue();
        assertThat(((Response.Denied) r).reason().code()).isEqualTo(ReasonCode.INTERNAL_ERROR);
        assertThat(((Response.Denied) r2).reason().code()).isEqualTo(ReasonCode.INTERNAL_ERROR);
        assertThat(audited(g2)).hasSize(1);
    }

    /**
     * The listeners of an interrupted request run with the flag clear, and it is set again after
     * them: a listener that hands the denial on (a blocking queue, an HTTP call) would otherwise fail
     * and lose it. Both when the model reports the interrupt (InterruptedException, flag cleared) and
     * when it sets the flag and throws a wrapper (flag still set when the record is appended, which
     * an async log's wait for queue space would refuse).
     */
    @ParameterizedTest
    @ValueSource(strings = {"reported", "pending"})
    void theListenersOfAnInterruptedRequestRunWithTheFlagClearAndItIsSetAfterThem(String how) throws Exception {
        java.util.concurrent.atomic.AtomicReference<Boolean> flagInListener = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.BlockingQueue<Response.Denied> handedOn = new java.util.concurrent.ArrayBlockingQueue<>(4);
        GuardListener l = new GuardListener() {
            @Override
            public void onDenied(Response.Denied denied, String callerId) {
                flagInListener.set(Thread.currentThread().isInterrupted());
                try {
                    handedOn.offer(denied, 1, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Guard<double[]> g = guard(bundle(), Model.ofVector(INFO_A, x -> {
            Thread.currentThread().interrupt(); // the service cancels the request while the model waits
            if (how.equals("pending")) {
                throw new IllegalStateException("model call cancelled"); // flag left set, as many wrappers do
            }
            return new java.util.concurrent.CompletableFuture<Prediction>().get(5, TimeUnit.SECONDS);
        }), b -> b.listener(l));

        Response r = g.predict(ask(ALICE, VALID));
        boolean kept = Thread.interrupted();

        assertThat(r).isInstanceOf(Response.Denied.class);
        assertThat(flagInListener.get()).as("flag seen by the listener").isFalse();
        assertThat(handedOn).hasSize(1);
        assertThat(kept).as("flag after predict").isTrue();
        assertThat(audited(g)).hasSize(1);
    }

    /** An interrupt pending when the request reaches the durable log: one record, released, flag kept. */
    @Test
    void anInterruptPendingAtTheDurableAppendKeepsOneRecordAndTheFlag() {
        Guard<double[]> g = guard(bundle(), Model.ofVector(INFO_A, x -> {
            Thread.currentThread().interrupt(); // a model that ignores the interrupt and answers
            return Prediction.classification(LABELS, SCORES_A.clone());
        }), AuditLog.jsonLines(tmp.resolve("durable.jsonl")).durable(), b -> { });

        Response r = g.predict(ask(ALICE, VALID));
        boolean kept = Thread.interrupted();

        assertThat(r).isInstanceOf(Response.Released.class);
        assertThat(kept).isTrue();
        assertThat(audited(g)).hasSize(1);
    }

    // ------------------------------------------------------------------ listeners that throw Errors

    /**
     * A listener whose callbacks overflow the stack (a recursive log formatter) is a listener
     * failure like any other: ignored, and predict returns the answer its record says.
     */
    @Test
    void aListenerThatOverflowsTheStackDoesNotMakePredictThrow() {
        GuardListener overflowing = new GuardListener() {
            @Override
            public void onDenied(Response.Denied denied, String callerId) {
                throw new StackOverflowError();
            }

            @Override
            public void onAlert(Alert alert) {
                throw new StackOverflowError();
            }
        };
        Guard<double[]> g = guard(bundle().set("monitoring", ONE_BUSY_RULE),
                Model.ofVector(INFO_A, x -> Prediction.classification(LABELS, SCORES_A.clone())),
                b -> b.listener(overflowing));

        Response refused = g.predict(ask(BOB, VALID));
        Response answered = g.predict(ask(ALICE, VALID));

        assertThat(refused).isInstanceOf(Response.Denied.class);
        assertThat(answered).isInstanceOf(Response.Released.class);
        assertThat(audited(g)).extracting(r -> at(r, "result", "allowed")).containsExactly(false, true);
    }

    /** OutOfMemoryError from a listener goes on (as GuardListener says), after the record was written. */
    @Test
    void aListenerOutOfMemoryErrorGoesOnAfterTheRecordWasWritten() {
        GuardListener oom = new GuardListener() {
            @Override
            public void onAlert(Alert alert) {
                throw new OutOfMemoryError("listener");
            }
        };
        Guard<double[]> g = guard(bundle().set("monitoring", ONE_BUSY_RULE),
                Model.ofVector(INFO_A, x -> Prediction.classification(LABELS, SCORES_A.clone())),
                b -> b.listener(oom));

        assertThatThrownBy(() -> g.predict(ask(ALICE, VALID))).isInstanceOf(OutOfMemoryError.class);
        assertThat(audited(g)).extracting(r -> at(r, "result", "allowed")).containsExactly(true);
    }

    // ------------------------------------------------------------------ Errors from a custom detector

    /**
     * Detector: "A signal of another name, like an exception, is a failure of the monitoring stage,
     * which the policy's on_error turns into a denial (the default) or a degraded answer." So is an
     * AssertionError (or any Error but the JVM's own), from observe or afterPrediction.
     */
    @ParameterizedTest(name = "on_error {0}, {1}")
    @CsvSource({"deny, observe", "deny, afterPrediction", "degrade, observe", "degrade, afterPrediction"})
    @SuppressWarnings("unchecked")
    void aDetectorsAssertionErrorIsADetectorFailure(String onError, String where) {
        Detector asserts = where.equals("observe") ? throwingInObserve("asserts", new AssertionError("detector bug"))
                : detector("asserts", (q, raw) -> {
                    throw new AssertionError("afterPrediction bug");
                });
        Guard<double[]> g = guard(bundle().set("on_error", onError).set("monitoring", "detectors: {asserts: {}}"),
                Model.ofVector(INFO_A, x -> Prediction.classification(LABELS, SCORES_A.clone())),
                b -> b.detector(asserts));

        Response r = g.predict(ask(ALICE, VALID));
        Response again = g.predict(ask(ALICE, VALID));

        List<Map<String, Object>> recs = audited(g);
        assertThat(recs).hasSize(2);
        assertThat(at(recs.get(0), "stages", "observe")).isEqualTo("error");
        if (onError.equals("degrade")) {
            assertThat((List<Object>) recs.get(0).get("rules")).contains("monitoring:asserts:error");
            assertThat(((Response.Released) r).degraded()).isTrue();
        } else {
            Response.Denied d = (Response.Denied) r;
            assertThat(d.reason().code()).isEqualTo(ReasonCode.INTERNAL_ERROR);
            assertThat(d.reason().stage()).isEqualTo(Stage.OBSERVE);
        }
        assertThat(again.getClass()).as("the Guard serves on").isEqualTo(r.getClass());
    }

    /** What a caller gets, and what is recorded, for Errors thrown by user code; the Guard serves afterwards. */
    @Test
    void errorsFromUserCodeFailClosedWithOneRecordAndTheGuardServesAfterwards() {
        java.util.concurrent.atomic.AtomicInteger mode = new java.util.concurrent.atomic.AtomicInteger();
        Guard<double[]> g = guard(bundle().set("monitoring", "detectors: {after: {}}")
                        .set("logging", "default: {raw: keep}"),
                Model.of(INFO_A, x -> {
                    if (mode.get() == 1) {
                        throw new OutOfMemoryError("model: Java heap space");
                    }
                    return Prediction.classification(LABELS, SCORES_A.clone());
                }, x -> {
                    if (mode.get() == 2) {
                        throw new StackOverflowError();
                    }
                    if (mode.get() == 3) {
                        throw new OutOfMemoryError("view");
                    }
                    return Features.of(x);
                }),
                b -> b.detector(detector("after", (q, raw) -> {
                    if (mode.get() == 4) {
                        throw new AssertionError("afterPrediction bug");
                    }
                    if (mode.get() == 5) {
                        throw GuardFixtures.sneakyThrow(new java.io.IOException("checked, sneaky"));
                    }
                })));
        List<Response> rs = new ArrayList<>();
        for (int m = 0; m <= 5; m++) {
            mode.set(m);
            rs.add(g.predict(ask(ALICE, VALID)));
        }
        mode.set(0);
        Response after = g.predict(ask(ALICE, VALID));
        List<Map<String, Object>> recs = audited(g);
        assertThat(recs).hasSize(7);
        assertThat(rs.get(0)).isInstanceOf(Response.Released.class);
        assertThat(rs.subList(1, 6)).allMatch(r -> r instanceof Response.Denied);
        assertThat(after).isInstanceOf(Response.Released.class);
    }

    // ------------------------------------------------------------------ close and listeners

    /**
     * A request whose onAlert blocks (a slow alert sink) has its record written and its answer
     * decided: close() does not wait for it, logs nothing about it, and the caller gets its answer.
     */
    @Test
    void closeDoesNotWaitForARequestWhoseRecordIsWrittenAndWhoseListenerBlocks() throws Exception {
        CountDownLatch inListener = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        GuardListener slow = new GuardListener() {
            @Override
            public void onAlert(Alert alert) {
                inListener.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Guard<double[]> g = guard(bundle().set("monitoring", ONE_BUSY_RULE),
                Model.ofVector(INFO_A, x -> Prediction.classification(LABELS, SCORES_A.clone())),
                b -> b.listener(slow).closeTimeout(Duration.ofSeconds(5)));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (LogCapture log = LogCapture.warnings("dev.veil.Guard")) {
            GuardFixtures.quietGuardLog(false);
            Future<Response> f = pool.submit(() -> g.predict(ask(ALICE, VALID)));
            assertThat(inListener.await(10, TimeUnit.SECONDS)).isTrue();
            long t0 = System.nanoTime();
            g.close();
            assertThat(System.nanoTime() - t0).as("close did not wait for the listener")
                    .isLessThan(TimeUnit.SECONDS.toNanos(4));
            release.countDown();
            Response r = f.get(10, TimeUnit.SECONDS);
            assertThat(r).isInstanceOf(Response.Released.class);
            assertThat(auditRecords(auditFile)).hasSize(1);
            assertThat(log.messages()).noneMatch(m -> m.contains("still running"));
        } finally {
            GuardFixtures.quietGuardLog(true);
            release.countDown();
            pool.shutdownNow();
        }
    }

    /** What close logs of a request it stopped waiting for is what that request gets. */
    @Test
    void closeLogsWhatARequestItStoppedWaitingForGets() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        Guard<double[]> g = guard(bundle(), Model.ofVector(INFO_A, x -> {
            asked.countDown();
            answer.await(10, TimeUnit.SECONDS);
            return Prediction.classification(LABELS, SCORES_A.clone());
        }), b -> b.closeTimeout(Duration.ofMillis(100)));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (LogCapture log = LogCapture.warnings("dev.veil.Guard")) {
            GuardFixtures.quietGuardLog(false);
            Future<Response> f = pool.submit(() -> g.predict(ask(ALICE, VALID)));
            assertThat(asked.await(10, TimeUnit.SECONDS)).isTrue();
            g.close();
            answer.countDown();
            Response.Denied d = (Response.Denied) f.get(10, TimeUnit.SECONDS);
            assertThat(d.reason().code()).isEqualTo(ReasonCode.AUDIT_UNAVAILABLE);
            assertThat(auditRecords(auditFile)).isEmpty();
            assertThat(log.messages()).anyMatch(m -> m.startsWith("1 request(s) whose audit record the log had not taken were still running")
                    && m.contains("refused with audit_unavailable"));
        } finally {
            GuardFixtures.quietGuardLog(true);
            answer.countDown();
            pool.shutdownNow();
        }
    }
}
