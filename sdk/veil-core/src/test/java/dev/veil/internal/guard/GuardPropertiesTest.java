package dev.veil.internal.guard;

import static dev.veil.GuardFixtures.ALICE;
import static dev.veil.GuardFixtures.BOB;
import static dev.veil.GuardFixtures.CAROL;
import static dev.veil.GuardFixtures.ERIN;
import static dev.veil.GuardFixtures.INFO_A;
import static dev.veil.GuardFixtures.LABELS;
import static dev.veil.GuardFixtures.NOW;
import static dev.veil.GuardFixtures.at;
import static dev.veil.GuardFixtures.auditRecords;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.GuardFixtures.BundleDir;
import dev.veil.Level;
import dev.veil.ManualClock;
import dev.veil.Model;
import dev.veil.PolicyBundle;
import dev.veil.PredictFunction;
import dev.veil.Prediction;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction.ScoredLabel;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Signal;
import dev.veil.Stage;
import dev.veil.spi.Detector;
import dev.veil.spi.Query;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Properties of the Guard over generated request streams, against real components: bundles
 * written to a temporary directory, keys from {@link dev.veil.ApiKeys#issue}, tokens of a test
 * identity provider, failures injected through the real extension points (a {@link dev.veil.FeatureView},
 * a custom {@link Detector}, the model, and the test-only {@link FaultyPolicyEngine}), and real
 * audit files checked with {@link AuditLog#verify}.
 */
class GuardPropertiesTest {
    /** Denials decided at or after the model stage: the only denials for which the model may have been called. */
    private static final Set<ReasonCode> AFTER_MODEL = EnumSet.of(ReasonCode.MODEL_ERROR,
            ReasonCode.BUDGET_EXHAUSTED, ReasonCode.AUDIT_UNAVAILABLE);

    @TempDir
    static Path tmp;

    private static final AtomicInteger FILES = new AtomicInteger();
    private static ExecutorService pool;

    @BeforeAll
    static void startPool() {
        pool = Executors.newFixedThreadPool(8);
        GuardFixtures.quietGuardLog(true); // every injected failure is logged; the assertions say what matters
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
        GuardFixtures.quietGuardLog(false);
    }

    private static Path newAuditFile() {
        return tmp.resolve("audit-" + FILES.incrementAndGet() + ".jsonl");
    }

    private static BundleDir newBundle() {
        return GuardFixtures.bundle(tmp.resolve("bundle-" + FILES.incrementAndGet()));
    }

    // ---------------------------------------------------------------- generated requests

    /** What a generated request presents. */
    enum Cred {
        ALICE, ERIN, BOB_FORBIDDEN, CAROL_EXPIRED, UNKNOWN_KEY, MALFORMED_KEY, GARBAGE_TOKEN, FORGED_TOKEN,
        EXPIRED_TOKEN, VALID_TOKEN, ANONYMOUS
    }

    /**
     * What a generated request asks; {@code MODEL_THROWS} and {@code MODEL_NAN} are valid inputs the model fails on.
     */
    enum Input {
        VALID, NAN, POSITIVE_INFINITY, NEGATIVE_INFINITY, OUT_OF_RANGE, TOO_SHORT, TOO_LONG, MODEL_THROWS, MODEL_NAN
    }

    /** One request of a stream, and how far the clock moves before it. */
    record Req(Cred cred, Input input, double value, int advanceMillis, boolean closeBefore) {
        @Override
        public String toString() {
            return cred + "/" + input + "(" + value + ")+" + advanceMillis + "ms" + (closeBefore ? "/close" : "");
        }
    }

    private static Gen<Req> requests(boolean mayClose) {
        Gen<Cred> cred = Generate.frequency(
                Pair.of(6, arbitrary().pick(Cred.ALICE, Cred.ERIN, Cred.VALID_TOKEN)),
                Pair.of(3, arbitrary().enumValues(Cred.class)));
        Gen<Input> input = Generate.frequency(
                Pair.of(5, arbitrary().constant(Input.VALID)),
                Pair.of(4, arbitrary().enumValues(Input.class)));
        Gen<Integer> advance = arbitrary().pick(0, 0, 0, 0, 200, 1000, 3000, 31_000);
        Gen<Boolean> close = mayClose ? integers().between(0, 150).map(i -> i == 0) : arbitrary().constant(false);
        return cred.zip(input, doubles().between(0, 100), advance, close, Req::new);
    }

    private static Credentials credentials(Cred c) {
        return switch (c) {
            case ALICE -> Credentials.apiKey(ALICE.plaintext());
            case ERIN -> Credentials.apiKey(ERIN.plaintext());
            case BOB_FORBIDDEN -> Credentials.apiKey(BOB.plaintext());
            case CAROL_EXPIRED -> Credentials.apiKey(CAROL.plaintext());
            case UNKNOWN_KEY -> Credentials.apiKey("veil_zzzzzzzz_" + "Q".repeat(43));
            case MALFORMED_KEY -> Credentials.apiKey("veil_" + "\u0000".repeat(3));
            case GARBAGE_TOKEN -> Credentials.bearer("eyJ.garbage.!!");
            case FORGED_TOKEN -> Credentials.bearer(GuardFixtures.forgedToken("dana", List.of("analyst"), NOW));
            case EXPIRED_TOKEN -> Credentials.bearer(GuardFixtures.expiredToken("dana", List.of("analyst"), NOW));
            case VALID_TOKEN -> Credentials.bearer(GuardFixtures.token("dana", List.of("analyst"), NOW));
            case ANONYMOUS -> Credentials.anonymous();
        };
    }

    private static double[] vector(Input i, double v) {
        return switch (i) {
            case VALID -> new double[] {v, 100 - v, 1};
            case NAN -> new double[] {v, Double.NaN, 1};
            case POSITIVE_INFINITY -> new double[] {Double.POSITIVE_INFINITY, v, 1};
            case NEGATIVE_INFINITY -> new double[] {v, 1, Double.NEGATIVE_INFINITY};
            case OUT_OF_RANGE -> new double[] {v, 100.000001 + v, 1};
            case TOO_SHORT -> new double[] {v, 1};
            case TOO_LONG -> new double[] {v, 1, 2, 3};
            case MODEL_THROWS -> new double[] {13, v, 1};
            case MODEL_NAN -> new double[] {17, v, 1};
        };
    }

    /**
     * The model of the properties: throws for an input starting with 13, answers a NaN score for
     * one starting with 17, and otherwise scores from the input; counts its calls.
     */
    static final class ScriptedModel implements PredictFunction<double[]> {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public Prediction predict(double[] x) throws Exception {
            calls.incrementAndGet();
            if (x[0] == 13) {
                throw new IOException("scripted failure");
            }
            if (x[0] == 17) {
                return Prediction.classification(LABELS, new double[] {0.5, Double.NaN, 0.1});
            }
            return Prediction.classification(LABELS, new double[] {x[0] + 0.5, x[1] + 0.25, x[2]});
        }
    }

    /** Access limits, a block on floods, noise charged to a small budget: every denial code can occur. */
    private static final String LIMITED_ACCESS = """
            default: {effect: deny, message: only analysts may ask}
            rules:
              - {id: analysts, when: {roles: [analyst]}, effect: allow, rate_limit: {per_second: 1, burst: 4},
                 daily_quota: 10}
            """;
    private static final String FLOOD_BLOCK = """
            detectors:
              rate: {window_seconds: 10, medium: 4, high: 6}
            rules:
              - {id: busy, when: {signals: {rate: medium}}, action: alert}
              - {id: flood, when: {signals: {rate: high}}, action: block, cooldown_seconds: 30}
            """;
    private static final String NOISY_OUTPUT = """
            default: {form: top_k, top_k: 2, round: 0.1}
            privacy: {per_caller_epsilon: 3, on_exhausted: deny}
            rules:
              - {id: near-boundary, when: {margin: {lt: 0.3}}, release: {noise: {mechanism: laplace, epsilon: 1}}}
            """;

    private static PolicyBundle streamPolicy() {
        return newBundle().set("access", LIMITED_ACCESS).set("monitoring", FLOOD_BLOCK).set("output", NOISY_OUTPUT)
                .load();
    }

    // ---------------------------------------------------------------- (a) deny before model

    @Test
    void theModelIsCalledOnlyForReleasesAndDenialsAtOrAfterTheModel() {
        PolicyBundle policy = streamPolicy();
        Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        qt().withExamples(60).withShrinkCycles(30)
                .forAll(lists().of(requests(true)).ofSizeBetween(1, 40))
                .checkAssert(stream -> {
                    ScriptedModel model = new ScriptedModel();
                    ManualClock clock = new ManualClock(NOW);
                    Guard<double[]> g = Guard.builder(Model.ofVector(INFO_A, model)).policy(policy)
                            .audit(AuditLog.jsonLines(newAuditFile())).clock(clock).build();
                    boolean closed = false;
                    try {
                        for (Req q : stream) {
                            clock.advance(Duration.ofMillis(q.advanceMillis()));
                            if (q.closeBefore()) {
                                g.close();
                                closed = true;
                            }
                            int before = model.calls.get();
                            Response r = g.predict(Request.of(credentials(q.cred()), vector(q.input(), q.value())));
                            int delta = model.calls.get() - before;
                            seen.add(r instanceof Response.Denied dd ? dd.reason().code().code() : "released");
                            assertThat(delta).as("model calls for %s answered %s", q, r).isBetween(0, 1);
                            if (delta == 1) {
                                assertThat(r instanceof Response.Released
                                        || AFTER_MODEL.contains(((Response.Denied) r).reason().code()))
                                        .as("%s reached the model and was answered %s", q, r).isTrue();
                            }
                            if (closed) {
                                assertThat(r).as("%s after close", q).isInstanceOfSatisfying(Response.Denied.class,
                                        d -> assertThat(d.reason().code()).isEqualTo(ReasonCode.AUDIT_UNAVAILABLE));
                            }
                            if (r instanceof Response.Released || closed) {
                                // A release needs the model; a closed Guard asks it nothing.
                                assertThat(delta).as("model calls for %s answered %s", q, r)
                                        .isEqualTo(closed ? 0 : 1);
                            }
                            if (r instanceof Response.Denied d && !AFTER_MODEL.contains(d.reason().code())) {
                                assertThat(d.reason().stage()).as("%s", d.reasons())
                                        .isIn(Stage.ACCESS, Stage.VALIDATION, Stage.OBSERVE, Stage.MODEL);
                            }
                            if (delta == 1 && (q.input() == Input.MODEL_THROWS || q.input() == Input.MODEL_NAN)) {
                                assertThat(r).as("%s", q).isInstanceOfSatisfying(Response.Denied.class,
                                        d -> assertThat(d.reason().code()).isEqualTo(ReasonCode.MODEL_ERROR));
                            }
                        }
                    } finally {
                        g.close();
                    }
                });
        // The generator reaches every kind of outcome the property is about, not just one.
        assertThat(seen).contains("released", "unauthenticated", "forbidden", "invalid_input", "model_error");
    }

    // ---------------------------------------------------------------- (b) fail closed

    /** Where a failure is injected. */
    enum Fault {
        FEATURE_VIEW_THROWS, FEATURE_VIEW_THROWS_CHECKED, FEATURE_VIEW_RETURNS_NULL,
        DETECTOR_THROWS, DETECTOR_THROWS_CHECKED, DETECTOR_RETURNS_NULL, DETECTOR_MISNAMES_SIGNAL,
        MODEL_THROWS, MODEL_THROWS_UNCHECKED,
        ACCESS_QUESTION, VALIDATION_QUESTION, MONITORING_QUESTION, MODEL_QUESTION, OUTPUT_QUESTION, LOGGING_QUESTION,
        MONITORING_QUESTION_CHECKED, OUTPUT_QUESTION_CHECKED, ACCESS_QUESTION_CHECKED;

        boolean engine() {
            return name().endsWith("_QUESTION") || name().endsWith("_QUESTION_CHECKED");
        }

        String marker() {
            String q = name().replace("_QUESTION_CHECKED", "").replace("_QUESTION", "")
                    .toLowerCase(java.util.Locale.ROOT);
            return name().endsWith("_CHECKED") ? q + " checked" : q;
        }
    }

    /** A custom detector that fails when asked to, and otherwise reports nothing. */
    static final class ProbeDetector implements Detector {
        private final Fault fault;

        ProbeDetector(Fault fault) {
            this.fault = fault;
        }

        @Override
        public String name() {
            return "probe";
        }

        @Override
        public Signal observe(Query query) {
            return switch (fault) {
                case DETECTOR_THROWS -> throw new IllegalStateException("detector bug");
                case DETECTOR_THROWS_CHECKED -> throw GuardFixtures.sneakyThrow(new IOException("detector store down"));
                case DETECTOR_RETURNS_NULL -> null;
                case DETECTOR_MISNAMES_SIGNAL -> new Signal("rate", Level.NONE, 0);
                default -> new Signal("probe", Level.NONE, 0);
            };
        }

        @Override
        public long stateBytes() {
            return 0;
        }
    }

    private static final Map<String, PolicyBundle> FAULT_BUNDLES = new java.util.concurrent.ConcurrentHashMap<>();

    /** The YAML engine's bundle, or for a failing question the faulty engine's; {@code probe} is enabled in both. */
    private static PolicyBundle faultBundle(Fault fault, boolean degrade) {
        String marker = fault.engine() ? fault.marker() : "yaml";
        return FAULT_BUNDLES.computeIfAbsent(marker + "/" + degrade, k -> {
            BundleDir b = newBundle()
                    .set("on_error", degrade ? "degrade" : "deny")
                    .set("monitoring", "detectors: {probe: {}}");
            if (fault.engine()) {
                b.policyFile(FaultyPolicyEngine.POLICY).file(FaultyPolicyEngine.MARKER, marker + "\n");
            }
            PolicyBundle loaded = b.load();
            assertThat(loaded.engine()).isEqualTo(fault.engine() ? "faulty" : "yaml");
            return loaded;
        });
    }

    private record Expected(ReasonCode code, Stage stage, boolean degradedRelease, boolean normalRelease,
            boolean modelCalled) {
        static Expected deny(ReasonCode code, Stage stage, boolean modelCalled) {
            return new Expected(code, stage, false, false, modelCalled);
        }

        static final Expected DEGRADED = new Expected(null, null, true, false, true);
        static final Expected NORMAL = new Expected(null, null, false, true, true);
    }

    private static Expected expected(Fault f, boolean degrade) {
        return switch (f) {
            case FEATURE_VIEW_THROWS, FEATURE_VIEW_THROWS_CHECKED, FEATURE_VIEW_RETURNS_NULL ->
                    Expected.deny(ReasonCode.INVALID_INPUT, Stage.ACCESS, false);
            case DETECTOR_THROWS, DETECTOR_THROWS_CHECKED, DETECTOR_RETURNS_NULL, DETECTOR_MISNAMES_SIGNAL,
                    MONITORING_QUESTION,
                    MONITORING_QUESTION_CHECKED ->
                    degrade ? Expected.DEGRADED : Expected.deny(ReasonCode.INTERNAL_ERROR, Stage.OBSERVE, false);
            case MODEL_THROWS, MODEL_THROWS_UNCHECKED -> Expected.deny(ReasonCode.MODEL_ERROR, Stage.MODEL, true);
            case ACCESS_QUESTION, ACCESS_QUESTION_CHECKED ->
                    Expected.deny(ReasonCode.INTERNAL_ERROR, Stage.ACCESS, false);
            case VALIDATION_QUESTION -> Expected.deny(ReasonCode.INTERNAL_ERROR, Stage.VALIDATION, false);
            case MODEL_QUESTION -> Expected.deny(ReasonCode.INTERNAL_ERROR, Stage.MODEL, false);
            case OUTPUT_QUESTION, OUTPUT_QUESTION_CHECKED ->
                    degrade ? Expected.DEGRADED : Expected.deny(ReasonCode.INTERNAL_ERROR, Stage.OUTPUT, true);
            case LOGGING_QUESTION -> Expected.NORMAL;
        };
    }

    @Test
    void everyInjectedFailureFailsClosed() {
        // Every injection point under both failure modes, each with generated inputs.
        for (Fault fault : Fault.values()) {
            for (boolean degrade : new boolean[] {false, true}) {
                qt().withExamples(4).withShrinkCycles(10)
                        .forAll(doubles().between(0, 100))
                        .checkAssert(v -> checkFailsClosed(fault, degrade, v));
            }
        }
    }

    private static void checkFailsClosed(Fault fault, boolean degrade, double v) {
        AtomicInteger calls = new AtomicInteger();
        double[] raw = {v + 0.5, 100 - v + 0.25, 1};
        PredictFunction<double[]> predict = x -> {
            calls.incrementAndGet();
            if (fault == Fault.MODEL_THROWS) {
                throw new IOException("model server down");
            }
            if (fault == Fault.MODEL_THROWS_UNCHECKED) {
                throw new ArithmeticException("model bug");
            }
            return Prediction.classification(LABELS, raw.clone());
        };
        Model<double[]> model = Model.of(INFO_A, predict, x -> switch (fault) {
            case FEATURE_VIEW_THROWS -> throw new IllegalArgumentException("unreadable input");
            case FEATURE_VIEW_THROWS_CHECKED -> throw GuardFixtures.sneakyThrow(
                    new IOException("feature store down"));
            case FEATURE_VIEW_RETURNS_NULL -> null;
            default -> Features.of(x);
        });
        Path audit = newAuditFile();
        Guard<double[]> g = Guard.builder(model).policy(faultBundle(fault, degrade))
                .audit(AuditLog.jsonLines(audit)).clock(new ManualClock(NOW))
                .detector(new ProbeDetector(fault)).build();
        Response r;
        try {
            r = g.predict(Request.of(Credentials.apiKey(ALICE.plaintext()), new double[] {v, 100 - v, 1}));
        } finally {
            g.close();
        }

        Expected e = expected(fault, degrade);
        String topLabel = LABELS.get(Prediction.classification(LABELS, raw.clone()).topIndex());
        if (e.code() != null) {
            assertThat(r).as("%s, on_error %s", fault, degrade ? "degrade" : "deny")
                    .isInstanceOf(Response.Denied.class);
            Response.Denied d = (Response.Denied) r;
            assertThat(d.reason().code()).as("%s %s", fault, d.reasons()).isEqualTo(e.code());
            assertThat(d.reason().stage()).as("%s %s", fault, d.reasons()).isEqualTo(e.stage());
            assertThat(d.reason().message()).doesNotContain("injected", "store down", "server down");
        } else {
            assertThat(r).as("%s", fault).isInstanceOf(Response.Released.class);
            Response.Released ok = (Response.Released) r;
            assertThat(ok.prediction().label()).isEqualTo(topLabel);
            if (e.degradedRelease()) {
                assertThat(ok.degraded()).as("%s", fault).isTrue();
                assertThat(ok.prediction().scores()).as("%s", fault).isEmpty();
                assertThat(ok.prediction().applied()).containsExactly("label_only");
            } else {
                assertThat(ok.degraded()).isFalse();
                assertThat(ok.prediction().scores()).hasSizeLessThanOrEqualTo(2)
                        .allSatisfy(s -> assertOnGrid(s.score(), 0.1));
            }
        }
        assertThat(calls.get()).as("model calls for %s", fault).isEqualTo(e.modelCalled() ? 1 : 0);
        List<Map<String, Object>> records = auditRecords(audit);
        assertThat(records).as("audit records for %s", fault).hasSize(1);
        assertThat(records.get(0).get("decision_id")).isEqualTo(r.decisionId());
        assertThat(AuditLog.verify(audit).ok()).isTrue();
        if (fault == Fault.LOGGING_QUESTION) {
            // The most protective treatment when the logging question fails: the input masked.
            assertThat(at(records.get(0), "input", "features")).isNull();
            assertThat(at(records.get(0), "result", "released")).asString().startsWith("sha256:");
            assertThat(records.get(0).get("raw")).isNull();
        }
    }

    static void assertOnGrid(double score, double step) {
        double k = score / step;
        assertThat(Math.abs(k - Math.rint(k))).as("%s is a multiple of %s", score, step).isLessThan(1e-9);
        assertThat(score).isBetween(0.0, 1.0);
    }

    // ---------------------------------------------------------------- (c) one audit record per request

    @Test
    void exactlyOneAuditRecordPerRequestAlsoUnderEightThreads() {
        PolicyBundle policy = streamPolicy();
        qt().withExamples(12).withShrinkCycles(5)
                .forAll(lists().of(lists().of(requests(false)).ofSizeBetween(0, 30)).ofSize(8))
                .checkAssert(streams -> {
                    ScriptedModel model = new ScriptedModel();
                    ManualClock clock = new ManualClock(NOW);
                    Path audit = newAuditFile();
                    Guard<double[]> g = Guard.builder(Model.ofVector(INFO_A, model)).policy(policy)
                            .audit(AuditLog.jsonLines(audit)).clock(clock).build();
                    List<Response> responses = Collections.synchronizedList(new ArrayList<>());
                    try {
                        List<Future<?>> running = new ArrayList<>();
                        for (List<Req> stream : streams) {
                            running.add(pool.submit(() -> {
                                for (Req q : stream) {
                                    clock.advance(Duration.ofMillis(q.advanceMillis()));
                                    responses.add(g.predict(Request.of(credentials(q.cred()),
                                            vector(q.input(), q.value()))));
                                }
                                return null;
                            }));
                        }
                        for (Future<?> f : running) {
                            f.get(60, TimeUnit.SECONDS);
                        }
                    } catch (Exception e) {
                        throw new AssertionError("a request thread failed", e);
                    } finally {
                        g.close();
                    }

                    int total = streams.stream().mapToInt(List::size).sum();
                    assertThat(responses).hasSize(total);
                    List<Map<String, Object>> records = auditRecords(audit);
                    assertThat(records).hasSize(total);
                    Set<Object> recordIds = new HashSet<>();
                    records.forEach(rec -> recordIds.add(rec.get("decision_id")));
                    Set<String> responseIds = new HashSet<>();
                    responses.forEach(r -> responseIds.add(r.decisionId()));
                    assertThat(recordIds).as("decision ids are unique").hasSize(total);
                    assertThat(recordIds).isEqualTo(new HashSet<Object>(responseIds));
                    AuditVerification v = AuditLog.verify(audit);
                    assertThat(v.ok()).as(v.message()).isTrue();
                    assertThat(v.records()).isEqualTo(total);
                    assertThat(model.calls.get()).isEqualTo((int) responses.stream()
                            .filter(r -> r.allowed() || AFTER_MODEL.contains(((Response.Denied) r).reason().code()))
                            .count());
                });
    }

    // ---------------------------------------------------------------- (d) raw scores never leave

    private static Gen<double[]> rawScores() {
        Gen<Double> score = Generate.frequency(
                Pair.of(6, doubles().between(0, 1)),
                Pair.of(2, arbitrary().pick(0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0)),
                Pair.of(1, arbitrary().pick(Double.MIN_VALUE, 1e-300, 1e-12)),
                Pair.of(1, doubles().between(1, 1e6)),
                Pair.of(1, arbitrary().pick(1e300, Double.MAX_VALUE)));
        return lists().of(score).ofSizeBetween(1, 8).map(l -> l.stream().mapToDouble(Double::doubleValue).toArray());
    }

    @Test
    void noReleasedScoreIsOffTheGridOrBeyondTopK() {
        PolicyBundle policy = newBundle()
                .set("validation", "default: {shape: []}")
                .set("monitoring", """
                        detectors:
                          rate: {window_seconds: 60, medium: 15}
                        rules:
                          - {id: busy, when: {signals: {rate: medium}}, action: degrade}
                        """)
                .set("output", """
                        default: {form: top_k, top_k: 1, round: 0.1}
                        privacy: {per_caller_epsilon: 1000000, on_exhausted: degrade}
                        rules:
                          - {id: near-boundary, when: {margin: {lt: 0.2}},
                             release: {noise: {mechanism: laplace, epsilon: 0.5}}}
                          - {id: confident, when: {top_score: {gt: 0.9}}, release: {form: full, top_k: 1}}
                        """)
                .load();
        qt().withExamples(40).withShrinkCycles(30)
                .forAll(lists().of(rawScores()).ofSizeBetween(1, 25))
                .checkAssert(inputs -> {
                    PredictFunction<double[]> echo = x -> Prediction.classification(labels(x.length), x.clone());
                    Guard<double[]> g = Guard.builder(Model.ofVector(INFO_A, echo)).policy(policy)
                            .audit(AuditLog.jsonLines(newAuditFile())).clock(new ManualClock(NOW)).build();
                    try {
                        for (double[] scores : inputs) {
                            Response r = g.predict(Request.of(Credentials.apiKey(ALICE.plaintext()), scores));
                            assertThat(r).as("scores %s", java.util.Arrays.toString(scores))
                                    .isInstanceOf(Response.Released.class);
                            Response.Released ok = (Response.Released) r;
                            List<ScoredLabel> released = ok.prediction().scores();
                            assertThat(released).as("released %s for %s", released, java.util.Arrays.toString(scores))
                                    .hasSizeLessThanOrEqualTo(1)
                                    .allSatisfy(s -> assertOnGrid(s.score(), 0.1));
                            double max = java.util.Arrays.stream(scores).max().orElseThrow();
                            List<String> top = new ArrayList<>();
                            for (int i = 0; i < scores.length; i++) {
                                if (scores[i] == max) {
                                    top.add("c" + i);
                                }
                            }
                            assertThat(ok.prediction().label()).as("label for %s", java.util.Arrays.toString(scores))
                                    .isIn(top);
                        }
                    } finally {
                        g.close();
                    }
                });
    }

    private static List<String> labels(int n) {
        List<String> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add("c" + i);
        }
        return l;
    }
}
