package dev.veil.policies;

import static dev.veil.policies.CreditApplications.typical;
import static dev.veil.policies.CreditApplications.typicalWith;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Reason;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Stage;
import dev.veil.policies.tools.CreditTraffic;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tabular-credit bundle end to end: a real {@link Guard} around a small logistic credit score,
 * the demo keys from DEMO-KEYS.md, and a real audit log.
 */
class TabularCreditGuardTest {
    static final Instant START = Instant.parse("2026-12-01T09:00:00Z");
    static final List<String> DECISIONS = List.of("approve", "refer", "decline");

    @TempDir
    Path dir;
    MutableClock clock;
    AtomicInteger modelCalls;

    @BeforeEach
    void setUp() {
        clock = new MutableClock(START);
        modelCalls = new AtomicInteger();
    }

    /** A logistic score: the probability p of repaying; approve p^2, refer 2p(1-p), decline (1-p)^2. */
    static Prediction score(Map<String, Double> a) {
        double z = 2.0 + 0.8 * Math.log10(a.get("income") + 1) - 0.3 * a.get("loan_amount") / (a.get("income") + 1)
                - 3.0 * a.get("debt_ratio") + 0.05 * a.get("credit_history_years") + 0.03 * a.get("years_employed")
                - 4.0;
        double p = 1 / (1 + Math.exp(-z));
        return Prediction.classification(DECISIONS, new double[] {p * p, 2 * p * (1 - p), (1 - p) * (1 - p)});
    }

    Guard<Map<String, Double>> guard(String audit, Instant trainedAt) {
        Model<Map<String, Double>> model = Model.of(ModelInfo.of("credit-score", "test-1", trainedAt), a -> {
            modelCalls.incrementAndGet();
            return score(a);
        }, Features::named);
        return Guard.builder(model)
                .policy(PolicyBundle.load(Path.of("bundles/tabular-credit")))
                .audit(AuditLog.jsonLines(dir.resolve(audit)))
                .clock(clock)
                .build();
    }

    Guard<Map<String, Double>> guard(String audit) {
        return guard(audit, START.minus(Duration.ofDays(30)));
    }

    static Credentials key(String caller) {
        return Credentials.apiKey(DemoKeys.key("tabular-credit", caller));
    }

    static Response.Released released(Response r) {
        assertThat(r).as("%s", r).isInstanceOf(Response.Released.class);
        return (Response.Released) r;
    }

    static Reason denied(Response r) {
        assertThat(r).as("%s", r).isInstanceOf(Response.Denied.class);
        return ((Response.Denied) r).reason();
    }

    static String top(Map<String, Double> a) {
        Prediction p = score(a);
        return p.labels().get(p.topIndex());
    }

    static void assertOnGrid(double score) {
        double k = score / 0.01;
        assertThat(Math.abs(k - Math.rint(k))).as("%s is a multiple of 0.01", score).isLessThan(1e-9);
    }

    @Test
    void everyDemoKeyAuthenticatesAsItsCallerAndNothingElseDoes() {
        Map<String, String> keys = DemoKeys.of("tabular-credit");
        assertThat(keys).containsOnlyKeys("demo-underwriter", "demo-broker-app", "demo-risk-researcher");
        for (Map.Entry<String, String> k : keys.entrySet()) {
            Path audit = dir.resolve(k.getKey() + ".jsonl");
            String id;
            try (Guard<Map<String, Double>> g = guard(audit.getFileName().toString())) {
                id = released(g.predict(Request.of(Credentials.apiKey(k.getValue()), typical()))).decisionId();
            }
            JsonNode rec = AuditRecords.byDecision(AuditRecords.read(audit), id);
            assertThat(rec.path("caller").path("id").asText()).isEqualTo(k.getKey());
            assertThat(rec.path("caller").path("method").asText()).isEqualTo("api_key");
        }
        String broker = keys.get("demo-broker-app");
        String wrong = broker.substring(0, broker.length() - 2) + (broker.endsWith("AA") ? "BB" : "AA");
        try (Guard<Map<String, Double>> g = guard("wrong.jsonl")) {
            assertThat(denied(g.predict(Request.of(Credentials.apiKey(wrong), typical()))).code())
                    .isEqualTo(ReasonCode.UNAUTHENTICATED);
            // no JWT is configured: a bearer token is refused whatever it holds
            Reason jwt = denied(g.predict(Request.of(Credentials.bearer("eyJhbGciOiJFUzI1NiJ9.e30.c2ln"), typical())));
            assertThat(jwt.code()).isEqualTo(ReasonCode.UNAUTHENTICATED);
            assertThat(denied(g.predict(Request.of(Credentials.anonymous(), typical()))).code())
                    .isEqualTo(ReasonCode.UNAUTHENTICATED);
        }
        assertThat(modelCalls.get()).isEqualTo(3);
    }

    @Test
    void brokersGetTheDecisionOnlyAndUnderwritersTheTopTwo() {
        Map<String, Double> a = typical();
        String id;
        try (Guard<Map<String, Double>> g = guard("release.jsonl")) {
            ReleasedPrediction broker = released(g.predict(Request.of(key("demo-broker-app"), a))).prediction();
            assertThat(broker.label()).isEqualTo(top(a));
            assertThat(broker.scores()).isEmpty();
            assertThat(broker.applied()).containsExactly("label_only");

            Response.Released uw = released(g.predict(Request.of(key("demo-underwriter"), a)));
            id = uw.decisionId();
            ReleasedPrediction p = uw.prediction();
            assertThat(p.label()).isEqualTo(top(a));
            assertThat(p.scores()).hasSize(2);
            assertThat(p.scores().get(0).label()).isEqualTo(top(a));
            assertThat(p.scores().get(0).score()).isGreaterThanOrEqualTo(p.scores().get(1).score());
            p.scores().forEach(s -> assertOnGrid(s.score()));
        }
        List<JsonNode> records = AuditRecords.read(dir.resolve("release.jsonl"));
        assertThat(records).hasSize(2);
        JsonNode brokerRecord = records.get(0);
        // masked, not digested: a digest of an application's few possible values can be reversed by brute force
        assertThat(brokerRecord.path("input").has("features")).isFalse();
        assertThat(brokerRecord.path("erased").toString()).contains("/input/features");
        assertThat(records.toString()).doesNotContain("sha256:");
        assertThat(brokerRecord.has("raw")).isFalse();
        assertThat(brokerRecord.path("erased").toString()).contains("/raw");
        JsonNode uwRecord = AuditRecords.byDecision(records, id);
        assertThat(uwRecord.path("raw").path("top_label").asText()).isEqualTo(top(a));
        assertThat(AuditLog.verify(dir.resolve("release.jsonl")).ok()).isTrue();
    }

    @Test
    void researchersGetNoisyScoresUntilTheirBudgetIsSpentAndAreThenRefused() {
        try (Guard<Map<String, Double>> g = guard("research.jsonl")) {
            for (int i = 0; i < 10; i++) { // per_caller_epsilon 5 at 0.5 a release
                clock.advance(Duration.ofSeconds(2));
                ReleasedPrediction p = released(g.predict(Request.of(key("demo-risk-researcher"), typical())))
                        .prediction();
                assertThat(p.applied()).first().asString().startsWith("noise(gaussian");
                assertThat(p.applied().get(1)).as("the label is the raw top").isEqualTo("keep_label");
                assertThat(p.scores()).hasSize(3);
                p.scores().forEach(s -> assertOnGrid(s.score()));
                assertThat(p.label()).isEqualTo(top(typical()));
            }
            clock.advance(Duration.ofSeconds(2));
            Reason spent = denied(g.predict(Request.of(key("demo-risk-researcher"), typical())));
            assertThat(spent.code()).isEqualTo(ReasonCode.BUDGET_EXHAUSTED);
            assertThat(spent.stage()).isEqualTo(Stage.OUTPUT);
            // other callers are not affected
            assertThat(released(g.predict(Request.of(key("demo-underwriter"), typical()))).degraded()).isFalse();
        }
    }

    @Test
    void impossibleApplicationsNeverReachTheModel() {
        try (Guard<Map<String, Double>> g = guard("invalid.jsonl")) {
            Map<String, Map<String, Double>> cases = Map.of(
                    "default:employed-after-14", typicalWith("age", 20, "credit_history_years", 2, "years_employed", 7),
                    "default:loan-vs-income", typicalWith("income", 1000, "loan_amount", 50_000),
                    "default:features", typicalWith("age", null));
            for (Map.Entry<String, Map<String, Double>> c : cases.entrySet()) {
                clock.advance(Duration.ofSeconds(1));
                Reason why = denied(g.predict(Request.of(key("demo-underwriter"), c.getValue())));
                assertThat(why.code()).isEqualTo(ReasonCode.INVALID_INPUT);
                assertThat(why.stage()).isEqualTo(Stage.VALIDATION);
                assertThat(why.rule()).isEqualTo(c.getKey());
            }
        }
        assertThat(modelCalls.get()).isZero();
    }

    @Test
    void aModelOlderThan180DaysIsRefused() {
        try (Guard<Map<String, Double>> g = guard("stale.jsonl", START.minus(Duration.ofDays(181)))) {
            Reason why = denied(g.predict(Request.of(key("demo-underwriter"), typical())));
            assertThat(why.code()).isEqualTo(ReasonCode.MODEL_STALE);
            assertThat(why.stage()).isEqualTo(Stage.MODEL);
        }
        assertThat(modelCalls.get()).isZero();
    }

    @Test
    void aBrokerScoringThreeHundredApplicationsInTenMinutesIsBlockedForAnHour() {
        try (Guard<Map<String, Double>> g = guard("flood.jsonl")) {
            Response r;
            int n = 0;
            // independent applicants: one application with the loan raised step by step is a walk
            // that the knn detector blocks long before the rate ladder (TabularCreditMonitoringTest)
            SplittableRandom applicants = new SplittableRandom(3);
            do {
                n++;
                clock.advance(Duration.ofMillis(600)); // under the broker's 2 a second
                r = g.predict(Request.of(key("demo-broker-app"), CreditTraffic.applicant(applicants)));
                if (r instanceof Response.Released ok) {
                    assertThat(ok.alerts()).isEqualTo(n < 100 ? List.of() : List.of("rate-alert"));
                }
            } while (r instanceof Response.Released && n < 400);
            assertThat(n).isEqualTo(300);
            Reason why = denied(r);
            assertThat(why.code()).isEqualTo(ReasonCode.BLOCKED);
            assertThat(why.rule()).isEqualTo("rate-block");
            clock.advance(Duration.ofMinutes(59));
            assertThat(denied(g.predict(Request.of(key("demo-broker-app"), typical()))).code())
                    .isEqualTo(ReasonCode.BLOCKED);
            clock.advance(Duration.ofMinutes(2));
            assertThat(released(g.predict(Request.of(key("demo-broker-app"), typical()))).alerts()).isEmpty();
        }
        assertThat(AuditLog.verify(dir.resolve("flood.jsonl")).ok()).isTrue();
    }

    @Test
    void underwritersAreFlaggedButNeverBlockedByTheSameLadder() {
        try (Guard<Map<String, Double>> g = guard("underwriter-flood.jsonl")) {
            for (int n = 1; n <= 400; n++) {
                clock.advance(Duration.ofMillis(100)); // 10 a second, under the underwriters' 20
                Response.Released ok = released(g.predict(Request.of(key("demo-underwriter"), typical())));
                assertThat(ok.alerts()).isEqualTo(n < 100 ? List.of() : List.of("rate-alert"));
                assertThat(ok.degraded()).isFalse();
            }
        }
    }
}
