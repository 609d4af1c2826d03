package dev.veil.conformance;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.Prediction;
import dev.veil.Reason;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Stage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * Veil's invariants, checked on <em>your</em> Guard: extend this class in your test sources, say
 * how to build your Guard around a model, which callers your policy allows and refuses, what valid
 * inputs look like and how much a released prediction may carry, and the inherited tests check, on
 * generated requests (QuickTheories), that
 *
 * <ul>
 *   <li>a denied request never reaches the model, and a released one reached it exactly once;
 *   <li>every request, allowed or denied, gets exactly one audit record, also when 8 threads ask
 *       at once, and the audit log's hash chain verifies ({@link AuditLog#verify(Path)});
 *   <li>every response carries a decision id that appears in the audit log exactly once, in a
 *       record that agrees with the response (allowed or not, and the deciding reason code);
 *   <li>a released prediction never carries more than the policy allows: at most
 *       {@link ReleaseLimits#maxScores()} scores, each on the {@link ReleaseLimits#roundingStep()}
 *       grid, in [0, 1], highest first, with the model's own top label;
 *   <li>garbage credentials (random text, well-formed unknown keys, the allowed key or token with a
 *       character changed, cut short or extended, sent as the wrong kind, no credentials unless the
 *       policy admits anonymous callers) are always refused as {@code unauthenticated};
 *   <li>NaN and infinite inputs are always refused as {@code invalid_input}.
 * </ul>
 *
 * <p>The kit wraps your model to count its calls and hands the wrapped model to
 * {@link #newGuard(Model, Path)}, once for every generated example (so rate limits, quotas and
 * monitoring state start fresh each time); the Guard must wrap exactly that model and write its
 * audit log to exactly that file. It only uses Veil's exported API ({@code dev.veil},
 * {@code dev.veil.spi}), {@link AuditLog#verify(Path)} and the audit file read as JSON lines.
 *
 * <p>An implementation for a loan model with three named features:
 *
 * <pre>{@code
 * class LoanGuardContractTest extends GuardContract<Map<String, Double>> {
 *     static final PolicyBundle POLICY = PolicyBundle.classpath("loan-bundle");   // load once
 *
 *     protected Model<Map<String, Double>> model() {
 *         return Model.of(ModelInfo.of("loan-scorer", "1", Instant.now()), new LoanModel()::predict,
 *                 Features::named);
 *     }
 *
 *     protected Guard<Map<String, Double>> newGuard(Model<Map<String, Double>> model, Path auditFile) {
 *         return Guard.builder(model).policy(POLICY).audit(AuditLog.jsonLines(auditFile)).build();
 *     }
 *
 *     protected Map<String, Double> inputFor(double[] f) {
 *         Map<String, Double> m = new LinkedHashMap<>();
 *         m.put("income", f[0]);
 *         m.put("loan_amount", f[1]);
 *         m.put("age", f[2]);
 *         return m;
 *     }
 *
 *     protected FeatureSpace featureSpace() {       // inside what the policy accepts
 *         return FeatureSpace.builder().feature("income", 20_000, 1_000_000)
 *                 .feature("loan_amount", 0, 400_000).feature("age", 18, 120).build();
 *     }
 *
 *     protected Credentials allowedCredentials() { return Credentials.apiKey(ANALYST_KEY); }
 *     protected Credentials forbiddenCredentials() { return Credentials.apiKey(INTERN_KEY); }
 *     protected ReleaseLimits releaseLimits() { return ReleaseLimits.of(2, 0.05); }  // top_k: 2, round: 0.05
 * }
 * }</pre>
 *
 * <p>Each property runs {@link #examples()} generated examples (default 25); QuickTheories prints
 * the seed of a failing run, and {@code -DQT_SEED=<seed>} replays it. The properties write their
 * audit files under a temporary directory that is deleted afterwards.
 *
 * @param <I> the model's input type
 */
public abstract class GuardContract<I> {

    private static final double GRID_TOLERANCE = 1e-6;

    // ---------------------------------------------------------------- what an implementation provides

    /** Your model: its identity, predict function and feature view. The kit wraps it to count calls. */
    protected abstract Model<I> model();

    /**
     * Builds your Guard (policy, detectors, listener, clock as in production) around {@code model}
     * with its audit log in {@code auditFile}, e.g.
     * {@code Guard.builder(model).policy(POLICY).audit(AuditLog.jsonLines(auditFile)).build()}.
     * Called once per generated example: load the policy bundle once, outside this method. The kit
     * closes the Guard.
     *
     * @param model the wrapped model: the Guard must call this one
     * @param auditFile where the Guard must write its audit log (the file does not exist yet)
     */
    protected abstract Guard<I> newGuard(Model<I> model, Path auditFile);

    /**
     * Your model input for a feature vector of {@code featureSpace().size()} values, in the order of
     * {@link #featureSpace()}. Called also with values outside the space, NaN and infinities: pass
     * them through so that the Guard sees them (a NaN must stay a NaN value: {@code Features.named}
     * keeps it, and only a {@code null} value marks a feature absent).
     */
    protected abstract I inputFor(double[] features);

    /** The valid feature vectors: every vector in this space, from the allowed caller, must pass validation. */
    protected abstract FeatureSpace featureSpace();

    /** Credentials of a caller your policy serves (e.g. {@code Credentials.apiKey(key)} with a key in the bundle). */
    protected abstract Credentials allowedCredentials();

    /**
     * Credentials of a caller who authenticates but whom your access policy refuses
     * ({@code forbidden}), e.g. a valid key of a role no rule allows.
     */
    protected abstract Credentials forbiddenCredentials();

    /** The most a released prediction may carry under your policy, degraded answers included. */
    protected abstract ReleaseLimits releaseLimits();

    /**
     * Whether your policy admits callers without credentials ({@code authentication.anonymous:
     * true}); when false (the default) requests without credentials are among the garbage that must
     * be refused.
     */
    protected boolean anonymousAllowed() {
        return false;
    }

    /** Generated examples per property (default 25). */
    protected int examples() {
        return 25;
    }

    /** How many times QuickTheories may try to shrink a failing example to a smaller one (default 100). */
    protected int shrinkCycles() {
        return 100;
    }

    // ---------------------------------------------------------------- the contract

    /** The fixture itself: the allowed caller with the middle of the feature space is served. */
    @Test
    public void anAllowedCallerWithATypicalInputIsServed() {
        double[] middle = featureSpace().middle();
        withSession(s -> {
            Exchange x = s.send(new Probe(Probe.Kind.VALID, allowedCredentials(), middle, "allowed caller, middle"));
            if (!(x.response() instanceof Response.Released)) {
                throw new AssertionError("allowedCredentials() with the middle of featureSpace() "
                        + Arrays.toString(middle) + " was denied: " + ((Response.Denied) x.response()).reasons()
                        + ". The contract needs a caller and inputs the policy serves: check allowedCredentials(), "
                        + "featureSpace() and inputFor()");
            }
            checkReach(x);
            checkRelease(x);
            s.close();
            checkAudit(s);
        });
    }

    /** The fixture itself: the forbidden caller authenticates and is refused by the access policy. */
    @Test
    public void theForbiddenCallerIsRefusedByTheAccessPolicy() {
        withSession(s -> {
            Exchange x = s.send(new Probe(Probe.Kind.FORBIDDEN, forbiddenCredentials(), featureSpace().middle(),
                    "forbidden caller, middle"));
            Reason r = x.response() instanceof Response.Denied d ? d.reason() : null;
            if (r == null || r.code() != ReasonCode.FORBIDDEN) {
                throw new AssertionError("forbiddenCredentials() must authenticate and be refused by the access "
                        + "policy (forbidden), but the response was " + describe(x.response()));
            }
            checkReach(x);
            s.close();
            checkAudit(s);
        });
    }

    /**
     * Requests of every kind (valid, out of the feature space, non-finite, forbidden, garbage
     * credentials) in random order: a denied request never reaches the model, a released one
     * reached it exactly once.
     */
    @Test
    public void deniedRequestsNeverReachTheModel() {
        Probes probes = probes();
        forAll(sequences(probes.any(), 12), xs -> {
            for (Exchange x : xs) {
                checkReach(x);
                checkKind(x);
            }
        });
    }

    /** Exactly one audit record per request, whatever its outcome, and the hash chain verifies. */
    @Test
    public void everyRequestGetsExactlyOneAuditRecordAndTheChainVerifies() {
        Probes probes = probes();
        forAllSessions(sequences(probes.any(), 12), this::checkAudit);
    }

    /** As {@link #everyRequestGetsExactlyOneAuditRecordAndTheChainVerifies()} with 8 threads asking at once. */
    @Test
    public void concurrentRequestsGetExactlyOneAuditRecordEach() {
        Probes probes = probes();
        Gen<List<Probe>> batches = lists().of(probes.any()).ofSizeBetween(8, 48);
        qt().withExamples(Math.max(4, examples() / 3)).withShrinkCycles(shrinkCycles()).forAll(batches)
                .checkAssert(batch -> withSession(s -> {
                    sendConcurrently(s, batch, 8);
                    s.close();
                    checkAudit(s);
                    checkTotalModelCalls(s);
                }));
    }

    /**
     * Every response carries a decision id, no two responses share one, and the audit log holds
     * exactly one record with it, agreeing with the response.
     */
    @Test
    public void everyDecisionIdAppearsInTheAuditLogExactlyOnce() {
        Probes probes = probes();
        forAllSessions(sequences(probes.any(), 12), s -> {
            Set<String> ids = new HashSet<>();
            for (Exchange x : s.exchanges()) {
                String id = x.response().decisionId();
                if (id == null || id.isBlank()) {
                    throw new AssertionError("response without a decision id for " + x.probe());
                }
                if (!ids.add(id)) {
                    throw new AssertionError("two responses share the decision id " + id);
                }
            }
            checkAuditMatchesResponses(s);
        });
    }

    /** Released predictions of valid requests never carry more than {@link #releaseLimits()} allows. */
    @Test
    public void releasedPredictionsNeverCarryMoreThanThePolicyAllows() {
        Probes probes = probes();
        AtomicInteger released = new AtomicInteger();
        forAll(sequences(probes.valid(), 8), xs -> {
            for (Exchange x : xs) {
                checkReach(x);
                if (x.response() instanceof Response.Released) {
                    released.incrementAndGet();
                    checkRelease(x);
                }
            }
        });
        if (released.get() == 0) {
            throw new AssertionError("no generated valid request was released, so the release limits were never "
                    + "checked: check allowedCredentials(), featureSpace() and inputFor()");
        }
    }

    /** Garbage credentials are always refused as {@code unauthenticated}, never reach the model, and are audited. */
    @Test
    public void garbageCredentialsAreAlwaysDenied() {
        Probes probes = probes();
        forAllSessions(sequences(probes.garbage(), 6), s -> {
            for (Exchange x : s.exchanges()) {
                checkKind(x);
                checkReach(x);
            }
            checkAuditMatchesResponses(s);
        });
    }

    /**
     * NaN and infinite features from the allowed caller are always refused as {@code invalid_input}
     * and never reach the model (one request per fresh Guard, so that no rate limit interferes).
     */
    @Test
    public void nonFiniteInputsAreAlwaysDenied() {
        Probes probes = probes();
        forAllSessions(sequences(probes.nonFinite(), 1), s -> {
            Exchange x = s.exchanges().get(0);
            Reason r = x.response() instanceof Response.Denied d ? d.reason() : null;
            if (r == null || r.code() != ReasonCode.INVALID_INPUT) {
                throw new AssertionError(x.probe() + " must be refused as invalid_input, but the response was "
                        + describe(x.response()));
            }
            checkReach(x);
            checkAuditMatchesResponses(s);
        });
    }

    // ---------------------------------------------------------------- checks

    /** Released: the model was called exactly once; denied before the model: not at all. */
    private static void checkReach(Exchange x) {
        if (x.callsBefore() < 0) {
            return;
        }
        int calls = x.callsAfter() - x.callsBefore();
        if (x.response() instanceof Response.Released) {
            if (calls != 1) {
                throw new AssertionError(x.probe() + " was released after " + calls + " model call(s), expected "
                        + "exactly 1 (does newGuard wrap the model it is given?)");
            }
        } else {
            Reason r = ((Response.Denied) x.response()).reason();
            if (mayFollowTheModel(r) ? calls > 1 : calls != 0) {
                throw new AssertionError(x.probe() + " was denied (" + r + ") but the model was called " + calls
                        + " time(s)");
            }
        }
    }

    /** Reasons that can be given after the model was asked. */
    private static boolean mayFollowTheModel(Reason r) {
        return r.code() == ReasonCode.MODEL_ERROR || r.code() == ReasonCode.BUDGET_EXHAUSTED
                || r.code() == ReasonCode.AUDIT_UNAVAILABLE
                || r.code() == ReasonCode.INTERNAL_ERROR && (r.stage() == Stage.OUTPUT || r.stage() == Stage.AUDIT);
    }

    /** What each kind of probe must get whatever else happened before it. */
    private static void checkKind(Exchange x) {
        Response r = x.response();
        switch (x.probe().kind()) {
            case GARBAGE -> {
                if (!(r instanceof Response.Denied d) || d.reason().code() != ReasonCode.UNAUTHENTICATED) {
                    throw new AssertionError(x.probe() + " must be refused as unauthenticated, but the response was "
                            + describe(r));
                }
            }
            case FORBIDDEN -> {
                if (!(r instanceof Response.Denied d) || d.reason().code() != ReasonCode.FORBIDDEN) {
                    throw new AssertionError(x.probe() + " must be refused as forbidden, but the response was "
                            + describe(r));
                }
            }
            case NON_FINITE -> {
                if (!(r instanceof Response.Denied)) {
                    throw new AssertionError(x.probe() + " must be refused, but the response was " + describe(r));
                }
            }
            case VALID, OUT_OF_SPACE -> { }
        }
    }

    /** A released prediction within the limits, checked against the raw prediction it came from. */
    private void checkRelease(Exchange x) {
        ReleaseLimits limits = releaseLimits();
        ReleasedPrediction p = ((Response.Released) x.response()).prediction();
        Prediction raw = x.raw();
        String what = x.probe() + " released " + p;
        if (p.scores().size() > limits.maxScores()) {
            throw new AssertionError(what + ": " + p.scores().size() + " scores, the policy allows at most "
                    + limits.maxScores() + " (" + limits + ")");
        }
        double previous = Double.POSITIVE_INFINITY;
        Set<String> labels = new HashSet<>();
        for (ReleasedPrediction.ScoredLabel s : p.scores()) {
            double v = s.score();
            if (!(v >= 0 && v <= 1)) {
                throw new AssertionError(what + ": score " + v + " of '" + s.label() + "' is not in [0, 1]");
            }
            checkGrid(what, v, limits.roundingStep());
            if (v > previous) {
                throw new AssertionError(what + ": scores are not listed highest first");
            }
            previous = v;
            if (!labels.add(s.label())) {
                throw new AssertionError(what + ": label '" + s.label() + "' is released twice");
            }
            if (raw != null && !raw.labels().contains(s.label())) {
                throw new AssertionError(what + ": label '" + s.label() + "' is not one of the model's labels");
            }
        }
        if (raw == null) {
            return;
        }
        if (raw.kind() == Prediction.Kind.CLASSIFICATION) {
            String top = raw.labels().get(raw.topIndex());
            if (!limits.labelMayChange() && !top.equals(p.label())) {
                throw new AssertionError(what + ": the released label '" + p.label() + "' is not the model's top "
                        + "label '" + top + "' (say ReleaseLimits...allowingLabelChange() if the policy allows it)");
            }
            if (p.label() == null || !raw.labels().contains(p.label())) {
                throw new AssertionError(what + ": the released label '" + p.label() + "' is not one of the model's "
                        + "labels");
            }
        } else if (p.value().isPresent()) {
            checkGrid(what, p.value().getAsDouble(), limits.roundingStep());
        }
    }

    private static void checkGrid(String what, double v, double step) {
        if (step > 0) {
            double k = v / step;
            if (Math.abs(k - Math.rint(k)) > GRID_TOLERANCE * Math.max(1, Math.abs(k))) {
                throw new AssertionError(what + ": " + v + " is not a multiple of the rounding step " + step);
            }
        }
    }

    /** The audit log holds one record per request and its chain verifies. */
    private void checkAudit(Session s) {
        List<Exchange> xs = s.exchanges();
        if (!Files.exists(s.auditFile())) {
            throw new AssertionError("no audit log at " + s.auditFile() + " after " + xs.size()
                    + " request(s): newGuard must write the audit log to the auditFile it is given");
        }
        AuditVerification v = AuditLog.verify(s.auditFile());
        if (!v.ok()) {
            throw new AssertionError("the audit log's hash chain is broken after " + xs.size() + " request(s): " + v);
        }
        if (v.records() != xs.size()) {
            throw new AssertionError(xs.size() + " request(s) but " + v.records() + " audit record(s): exactly one "
                    + "record per request");
        }
        checkAuditMatchesResponses(s);
    }

    /** Each response's decision id is in exactly one record, which agrees with the response. */
    private void checkAuditMatchesResponses(Session s) {
        if (!Files.exists(s.auditFile())) {
            throw new AssertionError("no audit log at " + s.auditFile() + ": newGuard must write the audit log to the "
                    + "auditFile it is given");
        }
        List<AuditTrail.Entry> entries = AuditTrail.read(s.auditFile());
        Map<String, List<AuditTrail.Entry>> byId = new HashMap<>();
        for (AuditTrail.Entry e : entries) {
            byId.computeIfAbsent(e.decisionId(), k -> new ArrayList<>()).add(e);
        }
        for (Exchange x : s.exchanges()) {
            Response r = x.response();
            List<AuditTrail.Entry> found = byId.getOrDefault(r.decisionId(), List.of());
            if (found.size() != 1) {
                throw new AssertionError("decision " + r.decisionId() + " (" + x.probe() + ") appears in "
                        + found.size() + " audit records, expected exactly 1");
            }
            AuditTrail.Entry e = found.get(0);
            if (e.allowed() != r.allowed()) {
                throw new AssertionError("audit line " + e.line() + " says allowed=" + e.allowed() + " but decision "
                        + r.decisionId() + " was " + describe(r));
            }
            if (r instanceof Response.Denied d && !d.reason().code().code().equals(e.firstReasonCode())) {
                throw new AssertionError("audit line " + e.line() + " gives reason " + e.firstReasonCode()
                        + " but decision " + r.decisionId() + " was " + describe(r));
            }
        }
        if (entries.size() != s.exchanges().size()) {
            throw new AssertionError(s.exchanges().size() + " request(s) but " + entries.size() + " audit line(s)");
        }
    }

    /** With several threads: the model was called once per released answer and never for early denials. */
    private void checkTotalModelCalls(Session s) {
        int released = 0;
        int after = 0;
        int maybe = 0;
        for (Exchange x : s.exchanges()) {
            if (x.response() instanceof Response.Released) {
                released++;
            } else {
                Reason r = ((Response.Denied) x.response()).reason();
                if (r.code() == ReasonCode.AUDIT_UNAVAILABLE) {
                    maybe++;
                } else if (mayFollowTheModel(r)) {
                    after++;
                }
            }
        }
        int calls = s.counting().calls();
        if (calls < released + after || calls > released + after + maybe) {
            throw new AssertionError(s.exchanges().size() + " concurrent request(s), " + released + " released and "
                    + after + " denied after the model, but the model was called " + calls + " time(s)");
        }
    }

    private static String describe(Response r) {
        if (r instanceof Response.Denied d) {
            return "denied " + d.reasons();
        }
        Response.Released ok = (Response.Released) r;
        return "released " + ok.prediction() + (ok.degraded() ? " (degraded)" : "");
    }

    // ---------------------------------------------------------------- running

    private Probes probes() {
        FeatureSpace space = Objects.requireNonNull(featureSpace(), "featureSpace() returned null");
        Credentials allowed = Objects.requireNonNull(allowedCredentials(), "allowedCredentials() returned null");
        Credentials forbidden = Objects.requireNonNull(forbiddenCredentials(), "forbiddenCredentials() returned null");
        return new Probes(space, allowed, forbidden, anonymousAllowed());
    }

    private static Gen<List<Probe>> sequences(Gen<Probe> probe, int maxLength) {
        return lists().of(probe).ofSizeBetween(1, maxLength);
    }

    /** Each example: a fresh Guard, the probes sent one after the other, then the check on the exchanges. */
    private void forAll(Gen<List<Probe>> gen, Consumer<List<Exchange>> check) {
        forAllSessions(gen, s -> check.accept(s.exchanges()));
    }

    /** Each example: a fresh Guard, the probes sent one after the other, the Guard closed, then the check. */
    private void forAllSessions(Gen<List<Probe>> gen, Consumer<Session> check) {
        qt().withExamples(examples()).withShrinkCycles(shrinkCycles()).forAll(gen)
                .checkAssert(probes -> withSession(s -> {
                    for (Probe p : probes) {
                        s.send(p);
                    }
                    s.close();
                    check.accept(s);
                }));
    }

    private void sendConcurrently(Session s, List<Probe> batch, int threads) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = first; i < batch.size(); i += threads) {
                        s.sendUncounted(batch.get(i));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new AssertionError("concurrent requests failed: " + e, e);
        } finally {
            pool.shutdownNow();
        }
    }

    private final AtomicInteger sessions = new AtomicInteger();

    private void withSession(Consumer<Session> body) {
        Path dir;
        try {
            dir = Files.createTempDirectory("veil-guard-contract-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the audit logs", e);
        }
        try {
            Path auditFile = dir.resolve("audit-" + sessions.incrementAndGet() + ".jsonl");
            CountingModel<I> counting = new CountingModel<>(Objects.requireNonNull(model(), "model() returned null"));
            Guard<I> guard = newGuard(counting.model(), auditFile);
            if (guard == null) {
                throw new AssertionError("newGuard returned null");
            }
            try (Session s = new Session(auditFile, counting, guard)) {
                body.accept(s);
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary file left behind is harmless
        }
    }

    /** One request and what came back; {@code callsBefore < 0} when sent concurrently. */
    private record Exchange(Probe probe, Response response, int callsBefore, int callsAfter, Prediction raw) {}

    /** A Guard under test with its counted model, its audit file and the exchanges so far. */
    private final class Session implements AutoCloseable {
        private final Path auditFile;
        private final CountingModel<I> counting;
        private final Guard<I> guard;
        private final List<Exchange> exchanges = Collections.synchronizedList(new ArrayList<>());
        private boolean closed;

        Session(Path auditFile, CountingModel<I> counting, Guard<I> guard) {
            this.auditFile = auditFile;
            this.counting = counting;
            this.guard = guard;
        }

        Path auditFile() {
            return auditFile;
        }

        CountingModel<I> counting() {
            return counting;
        }

        List<Exchange> exchanges() {
            synchronized (exchanges) {
                return List.copyOf(exchanges);
            }
        }

        /** Sends one probe from the only thread asking. */
        Exchange send(Probe p) {
            int before = counting.calls();
            Response r = predict(p);
            int after = counting.calls();
            Exchange x = new Exchange(p, r, before, after, after == before + 1 ? counting.last() : null);
            exchanges.add(x);
            return x;
        }

        /** Sends one probe while other threads ask too (no per-request call count). */
        void sendUncounted(Probe p) {
            exchanges.add(new Exchange(p, predict(p), -1, -1, null));
        }

        private Response predict(Probe p) {
            Response r = guard.predict(Request.of(p.credentials(), inputFor(p.features())));
            if (r == null) {
                throw new AssertionError("Guard.predict returned null for " + p);
            }
            return r;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                guard.close();
            }
        }
    }
}
