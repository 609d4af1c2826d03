package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.veil.AuditLog;
import dev.veil.Credentials;
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
import dev.veil.policies.tools.DistributionFigures;
import dev.veil.policies.tools.FashionMnist;
import dev.veil.policies.tools.FashionMnistStats;
import dev.veil.policies.tools.Probes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image-classifier bundle end to end: a real {@link Guard} around a softmax-regression
 * classifier trained here on real Fashion-MNIST training images, fed real Fashion-MNIST test images
 * and probes, with a real hash-chained audit log. Skipped (with the reason) when the data set is not
 * installed; {@code scripts/test.sh} installs it.
 */
class ImageClassifierGuardTest {
    static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    static final int TRAINING_IMAGES = 6000;
    /**
     * Answers with an alert to the one analyst sending all 10,000 test images: 0, as policies/README.md
     * says (9 with knn's thresholds calibrated on 30 queries a caller): a recalibration that changes it
     * changes the README too.
     */
    static final int ALERTS_ON_10000 = 0;
    /**
     * Blocks of the one analyst sending all 10,000 test images, in their order: measured 0. In another
     * order (policies/README.md) knn blocks her once: the thresholds hold one caller in 5,000 among
     * callers of 150 images, and she sends 66 times as many.
     */
    static final int BLOCKS_ON_10000 = 0;

    static PolicyBundle bundle;
    static SoftmaxRegression classifier;
    static double[][] test;
    static int[] testLabels;

    @TempDir
    Path dir;
    MutableClock clock;
    AtomicInteger modelCalls;

    @BeforeAll
    static void trainOnRealData() {
        assumeThat(FashionMnist.available()).as(FashionMnist.MISSING).isTrue();
        bundle = PolicyBundle.classpath("veil-policies/image-classifier");
        double[][] x = FashionMnist.trainImages(TRAINING_IMAGES);
        int[] y = FashionMnist.trainLabels(TRAINING_IMAGES);
        classifier = SoftmaxRegression.train(x, y, FashionMnist.CLASSES, 5, 50, 0.5, 1);
        test = FashionMnist.testImages(Integer.MAX_VALUE);
        testLabels = FashionMnist.testLabels(Integer.MAX_VALUE);
    }

    @BeforeEach
    void setUp() {
        clock = new MutableClock(START);
        modelCalls = new AtomicInteger();
    }

    Model<double[]> model(Instant trainedAt) {
        return Model.ofVector(ModelInfo.of("fashion-softmax", "test-1", trainedAt), x -> {
            modelCalls.incrementAndGet();
            return classifier.predict(x);
        });
    }

    Guard<double[]> guard(String auditName, Instant trainedAt) {
        return Guard.builder(model(trainedAt))
                .policy(bundle)
                .audit(AuditLog.jsonLines(dir.resolve(auditName)))
                .clock(clock)
                .build();
    }

    Guard<double[]> guard(String auditName) {
        return guard(auditName, START.minus(Duration.ofDays(10)));
    }

    static Credentials analystKey() {
        return Credentials.apiKey(DemoKeys.key("image-classifier", "demo-analyst"));
    }

    static Response.Released released(Response r) {
        assertThat(r).as("%s", r).isInstanceOf(Response.Released.class);
        return (Response.Released) r;
    }

    static Reason denied(Response r) {
        assertThat(r).as("%s", r).isInstanceOf(Response.Denied.class);
        return ((Response.Denied) r).reason();
    }

    static void assertOnGrid(double score, double step) {
        double k = score / step;
        assertThat(Math.abs(k - Math.rint(k))).as("%s is a multiple of %s", score, step).isLessThan(1e-9);
    }

    void assertAuditIntact(String auditName) {
        assertThat(AuditLog.verify(dir.resolve(auditName)).ok()).isTrue();
    }

    @Test
    void theClassifierIsARealModel() {
        double[][] x = Arrays.copyOf(test, 2000);
        assertThat(classifier.accuracy(x, Arrays.copyOf(testLabels, 2000))).isGreaterThan(0.75);
    }

    @Test
    void theBundlesStatisticsAreThoseOfTheRealTrainingSet() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Object shipped = json.readValue(Path.of("bundles/image-classifier/training/stats/data.json").toFile(),
                Map.class);
        Map<String, Object> computed = FashionMnistStats.statistics(
                FashionMnist.stream(FashionMnist.DEFAULT_DIR.resolve(FashionMnist.TRAIN_IMAGES)));
        assertThat(computed).containsEntry("samples", 60000L);
        assertThat(shipped).isEqualTo(json.readValue(json.writeValueAsString(computed), Map.class));
    }

    @Test
    void realTestImagesFromTheAnalystAreReleasedAsTheTopThreeRoundedTo005() {
        try (Guard<double[]> g = guard("analyst.jsonl")) {
            int released = 0;
            for (int i = 0; i < 100; i++) {
                clock.advance(Duration.ofSeconds(2));
                Response r = g.predict(Request.of(analystKey(), test[i]));
                if (r instanceof Response.Denied d) {
                    assertThat(d.reason().code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
                    continue;
                }
                released++;
                Response.Released ok = released(r);
                assertThat(ok.degraded()).isFalse();
                ReleasedPrediction p = ok.prediction();
                Prediction raw = classifier.predict(test[i]);
                assertThat(p.label()).isEqualTo(raw.labels().get(raw.topIndex()));
                assertThat(p.scores()).hasSize(3);
                assertThat(p.scores().get(0).label()).isEqualTo(p.label());
                for (int k = 0; k < 3; k++) {
                    assertOnGrid(p.scores().get(k).score(), 0.05);
                    if (k > 0) {
                        assertThat(p.scores().get(k).score()).isLessThanOrEqualTo(p.scores().get(k - 1).score());
                    }
                }
                assertThat(p.applied()).anyMatch(s -> s.contains("top_k")).anyMatch(s -> s.contains("round"));
            }
            assertThat(released).isGreaterThanOrEqualTo(98);
        }
        assertAuditIntact("analyst.jsonl");
        List<JsonNode> records = AuditRecords.read(dir.resolve("analyst.jsonl"));
        assertThat(records).hasSize(100);
        for (JsonNode rec : records) {
            assertThat(rec.path("caller").path("id").asText()).isEqualTo("demo-analyst");
            assertThat(rec.path("input").path("features").asText()).startsWith("sha256:");
            assertThat(rec.path("masked").toString()).contains("/input/features");
        }
    }

    @Test
    void probesAreRefusedAsOutOfDistributionAndNeverReachTheModel() {
        Random r = new Random(5);
        List<double[]> probes = new ArrayList<>(List.of(Probes.blank(), Probes.saturated()));
        for (int i = 0; i < 10; i++) {
            probes.add(Probes.uniformNoise(r, 1.0));
            probes.add(Probes.saltAndPepper(r, 1.0, Probes.blank()));
            probes.add(Probes.saltAndPepper(r, 0.2, test[r.nextInt(test.length)]));
        }
        try (Guard<double[]> g = guard("probes.jsonl")) {
            for (double[] p : probes) {
                clock.advance(Duration.ofSeconds(2));
                Reason why = denied(g.predict(Request.of(analystKey(), p)));
                assertThat(why.code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
                assertThat(why.stage()).isEqualTo(Stage.VALIDATION);
                assertThat(why.rule()).isEqualTo("default:distribution");
            }
        }
        assertThat(modelCalls.get()).isZero();
        assertAuditIntact("probes.jsonl");
    }

    @Test
    void everyProbeOfTheFamiliesThePolicyDocumentsAsRefusedIsRefused() {
        var contract = DistributionFigures.contract(bundle, "analyst", "acme");
        List<DistributionFigures.Family> families = DistributionFigures.families(test,
                DistributionFigures.PROBES_PER_FAMILY);
        assertThat(families).filteredOn(DistributionFigures.Family::asserted)
                .extracting(DistributionFigures.Family::name)
                .containsExactly("blank (all 0)", "saturated (all 1)", "uniform noise U[0, 1]",
                        "salt-and-pepper, every pixel 0 or 1", "salt-and-pepper, 20% of a real test image");
        for (DistributionFigures.Family f : families) {
            if (f.asserted()) {
                Map<String, Integer> r = DistributionFigures.refusals(contract, f.probes().toArray(double[][]::new));
                assertThat(r.get("total")).as(f.name()).isEqualTo(f.probes().size());
                assertThat(r).as(f.name()).doesNotContainKeys("invalid_input:shape", "invalid_input:range", "other");
            }
        }
    }

    @Test
    void atMostHalfAPercentOfTheRealTestImagesAreRefused() {
        int refused = 0;
        int shown = 0;
        int alerted = 0;
        List<Integer> blockedAt = new ArrayList<>();
        Map<String, Integer> alerts = new java.util.TreeMap<>();
        // 18 s apart: the analyst's 5,000-a-day quota and the 60-a-minute alert are never reached
        try (Guard<double[]> g = guard("false-refusals.jsonl")) {
            for (int i = 0; i < test.length; i++) {
                clock.advance(Duration.ofSeconds(18));
                Response r = g.predict(Request.of(analystKey(), test[i]));
                if (r instanceof Response.Denied d && d.reason().code() == ReasonCode.BLOCKED) {
                    // the caller waits out the day's block and sends this image again, so that every
                    // image still reaches validation once
                    blockedAt.add(i);
                    clock.advance(Duration.ofDays(1));
                    r = g.predict(Request.of(analystKey(), test[i]));
                }
                if (r instanceof Response.Denied d) {
                    assertThat(d.reason().code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
                    refused++;
                } else {
                    Response.Released ok = (Response.Released) r;
                    if (!ok.alerts().isEmpty()) {
                        // one caller with 10,000 real images: its recent images may, rarely, be alike
                        // enough for knn's degrade and block (high; see BLOCKS_ON_10000); the bundle
                        // has no rule at medium
                        assertThat(ok.alerts()).isSubsetOf("knn-degrade", "knn-block");
                        ok.alerts().forEach(a -> alerts.merge(a, 1, Integer::sum));
                        alerted++;
                    }
                    assertThat(ok.degraded()).isEqualTo(ok.alerts().contains("knn-block"));
                    shown++;
                }
            }
        }
        assertThat(refused + shown).isEqualTo(10_000);
        System.out.println("one analyst, 10,000 real test images: alerted " + alerted + " " + alerts
                + ", blocked at test images " + blockedAt);
        assertThat(alerted).as("answers with an alert").isLessThanOrEqualTo(ALERTS_ON_10000);
        assertThat(blockedAt).as("queries refused by a block").hasSizeLessThanOrEqualTo(BLOCKS_ON_10000);
        assertThat(refused).as("false refusals among the 10,000 real test images").isLessThanOrEqualTo(50);
        // the Guard refuses exactly what the bundle's contract refuses (the figure in policies/README.md)
        int byContract = DistributionFigures.refusals(DistributionFigures.contract(bundle, "analyst", "acme"), test)
                .get("total");
        assertThat(refused).isEqualTo(byContract);
        assertThat(modelCalls.get()).isEqualTo(shown);
        assertAuditIntact("false-refusals.jsonl");
    }

    @Test
    void aJwtSignedWithTheDemoKeyAuthenticates() {
        try (Guard<double[]> g = guard("jwt.jsonl")) {
            String token = DemoTokens.sign("alice@example.com", List.of("analyst"), "acme", Map.of(), clock.instant());
            Response.Released ok = released(g.predict(Request.of(Credentials.bearer(token), test[0])));
            assertThat(ok.prediction().scores()).hasSize(3);

            String research = DemoTokens.sign("rita@example.com", List.of("researcher"), "acme", Map.of(),
                    clock.instant());
            clock.advance(Duration.ofSeconds(1));
            ReleasedPrediction full = released(g.predict(Request.of(Credentials.bearer(research), test[1])))
                    .prediction();
            assertThat(full.scores()).hasSize(10);
            full.scores().forEach(s -> assertOnGrid(s.score(), 0.01));
            String id = ok.decisionId();
            g.close();
            JsonNode rec = AuditRecords.byDecision(AuditRecords.read(dir.resolve("jwt.jsonl")), id);
            assertThat(rec.path("caller").path("id").asText()).isEqualTo("alice@example.com");
            assertThat(rec.path("caller").path("method").asText()).isEqualTo("jwt");
        }
        assertAuditIntact("jwt.jsonl");
    }

    @Test
    void tokensThatAreNotFromTheDemoIssuerAreRefused() throws Exception {
        ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("image-classifier-demo-es256").keyUse(KeyUse.SIGNATURE)
                .algorithm(JWSAlgorithm.ES256).generate();
        ECKey demo = DemoTokens.privateKey();
        Instant now = clock.instant();
        Map<String, String> cases = Map.of(
                DemoTokens.sign(stranger, DemoTokens.ISSUER, "eve", List.of("analyst"), "acme", Map.of(), now,
                        Duration.ofMinutes(5)), "bad signature",
                DemoTokens.sign(demo, "https://evil.example.com/", "eve", List.of("analyst"), "acme", Map.of(), now,
                        Duration.ofMinutes(5)), "wrong issuer 'https://evil.example.com/'",
                DemoTokens.sign(demo, DemoTokens.ISSUER, "eve", List.of("analyst"), "acme", Map.of(),
                        now.minus(Duration.ofHours(2)), Duration.ofMinutes(5)), "token expired");
        try (Guard<double[]> g = guard("bad-jwt.jsonl")) {
            for (Map.Entry<String, String> c : cases.entrySet()) {
                Reason why = denied(g.predict(Request.of(Credentials.bearer(c.getKey()), test[0])));
                assertThat(why.code()).isEqualTo(ReasonCode.UNAUTHENTICATED);
                assertThat(why.message()).startsWith(c.getValue());
            }
        }
        assertThat(modelCalls.get()).isZero();
    }

    @Test
    void thePartnersNoisyReleasesSpendItsBudgetUntilItIsDegradedToLabels() {
        Credentials partner = Credentials.apiKey(DemoKeys.key("image-classifier", "demo-partner-app"));
        List<String> ids = new ArrayList<>();
        try (Guard<double[]> g = guard("partner.jsonl")) {
            // per_caller_epsilon 5 at epsilon 0.5 a release: 10 noisy answers
            for (int i = 0; i < 10; i++) {
                clock.advance(Duration.ofSeconds(1));
                Response.Released ok = released(g.predict(Request.of(partner, test[i])));
                assertThat(ok.degraded()).isFalse();
                assertThat(ok.prediction().applied()).first().asString().startsWith("noise(laplace");
                assertThat(ok.prediction().applied().get(1)).as("the label is the raw top").isEqualTo("keep_label");
                assertThat(ok.prediction().scores()).hasSize(3);
                Prediction raw = classifier.predict(test[i]);
                assertThat(ok.prediction().label()).isEqualTo(raw.labels().get(raw.topIndex()));
                ids.add(ok.decisionId());
            }
            clock.advance(Duration.ofSeconds(1));
            Response.Released spent = released(g.predict(Request.of(partner, test[10])));
            assertThat(spent.degraded()).isTrue();
            assertThat(spent.prediction().scores()).isEmpty();
            assertThat(spent.prediction().label()).isNotNull();
            ids.add(spent.decisionId());
            // the budget renews with the next period (one day)
            clock.advance(Duration.ofDays(1));
            assertThat(released(g.predict(Request.of(partner, test[11]))).degraded()).isFalse();
        }
        assertAuditIntact("partner.jsonl");
        List<JsonNode> records = AuditRecords.read(dir.resolve("partner.jsonl"));
        for (String id : ids) {
            JsonNode rec = AuditRecords.byDecision(records, id);
            assertThat(rec.path("input").has("features")).as("partner input kept in the audit log").isFalse();
            assertThat(rec.path("erased").toString()).contains("/input/features");
            assertThat(rec.path("caller").path("tenant").asText()).isEqualTo("northwind");
        }
        assertThat(AuditRecords.byDecision(records, ids.get(10)).path("rules").toString())
                .contains("output:budget_exhausted");
    }

    /**
     * Framing: another tenant's account sends near copies of an image an honest analyst is about to
     * send. The analyst's query is then close to other callers' queries, so the signals that count
     * them fire on it; they degrade that answer but do not block her (a one-day block was what one
     * such query cost before).
     */
    @Test
    void anotherCallersNearCopiesDegradeAnHonestCallerButDoNotBlockHer() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        double[] x = test[40];
        try (Guard<double[]> g = guard("framing.jsonl")) {
            for (int i = 0; i < 5; i++) {
                // a partner's accounts, one copy each: one account's second near copy is its own
                // near_duplicate block
                Credentials partner = Credentials.bearer(DemoTokens.sign("framer-" + i + "@northwind.example",
                        List.of("partner"), "northwind", Map.of("contract", "active", "region", "eu"),
                        clock.instant()));
                clock.advance(Duration.ofSeconds(1));
                double[] copy = x.clone();
                for (int p = 0; p < copy.length; p++) {
                    if (copy[p] > 0) {
                        copy[p] = Math.max(0, Math.min(1, copy[p] + 0.01 * random.nextGaussian()));
                    }
                }
                g.predict(Request.of(partner, copy)); // whatever the partner gets
            }
            clock.advance(Duration.ofSeconds(10));
            Response.Released hers = released(g.predict(Request.of(analystKey(), x.clone())));
            assertThat(hers.alerts()).as("the signals that count other callers' queries fired on her query")
                    .containsAnyOf("near-duplicate-global-degrade", "knn-global-degrade")
                    .noneMatch(rule -> rule.endsWith("-block"));
            assertThat(hers.degraded()).isTrue();
            clock.advance(Duration.ofSeconds(30));
            Response.Released next = released(g.predict(Request.of(analystKey(), test[30])));
            assertThat(next.degraded()).as("her next, unrelated query").isFalse();
        }
        assertAuditIntact("framing.jsonl");
    }

    @Test
    void aFloodIsFlaggedThenDegradedThenBlocked() {
        List<Integer> firstAlert = new ArrayList<>();
        try (Guard<double[]> g = guard("flood.jsonl")) {
            int n = 0;
            Response r;
            do {
                n++;
                clock.advance(Duration.ofMillis(200)); // 5 a second: the analyst's rate limit, never exceeded
                // real images, rotating through the first thousand, so none is refused as a probe
                r = g.predict(Request.of(analystKey(), test[(n * 7) % 1000 == 0 ? 1 : (n * 7) % 1000]));
                if (r instanceof Response.Released ok) {
                    if (n < 60) {
                        assertThat(ok.alerts()).isEmpty();
                    } else if (n < 120) {
                        assertThat(ok.alerts()).containsExactly("rate-alert");
                        assertThat(ok.degraded()).isFalse();
                    } else {
                        assertThat(ok.alerts()).containsExactly("rate-alert", "rate-degrade");
                        assertThat(ok.degraded()).isTrue();
                        assertThat(ok.prediction().scores()).isEmpty();
                    }
                    if (!ok.alerts().isEmpty() && firstAlert.isEmpty()) {
                        firstAlert.add(n);
                    }
                }
            } while (r instanceof Response.Released && n < 1000);
            assertThat(firstAlert).containsExactly(60);
            assertThat(n).isEqualTo(180);
            Reason blocked = denied(r);
            assertThat(blocked.code()).isEqualTo(ReasonCode.BLOCKED);
            assertThat(blocked.stage()).isEqualTo(Stage.OBSERVE);
            assertThat(blocked.rule()).isEqualTo("rate-block");

            // blocked at the door for 15 minutes, even when calm
            clock.advance(Duration.ofMinutes(14));
            Reason stillBlocked = denied(g.predict(Request.of(analystKey(), test[1])));
            assertThat(stillBlocked.code()).isEqualTo(ReasonCode.BLOCKED);
            assertThat(stillBlocked.stage()).isEqualTo(Stage.ACCESS);
            clock.advance(Duration.ofMinutes(2));
            assertThat(released(g.predict(Request.of(analystKey(), test[1]))).degraded()).isFalse();
        }
        assertAuditIntact("flood.jsonl");
    }

    @Test
    void aResearcherFloodIsThrottledNotBlocked() {
        Credentials researcher = Credentials.apiKey(DemoKeys.key("image-classifier", "demo-researcher"));
        try (Guard<double[]> g = guard("research-flood.jsonl")) {
            for (int n = 1; n < 180; n++) {
                clock.advance(Duration.ofMillis(100));
                released(g.predict(Request.of(researcher, test[n])));
            }
            clock.advance(Duration.ofMillis(100));
            Response.Released last = released(g.predict(Request.of(researcher, test[180])));
            assertThat(last.alerts()).containsExactly("rate-alert", "rate-degrade", "rate-throttle-researchers");
            // from now on 1 a second for 5 minutes: of the next 10 requests, 100 ms apart, one passes
            int passed = 0;
            for (int n = 181; n < 191; n++) {
                clock.advance(Duration.ofMillis(100));
                Response r = g.predict(Request.of(researcher, test[n]));
                if (r instanceof Response.Denied d) {
                    assertThat(d.reason().code()).isEqualTo(ReasonCode.RATE_LIMITED);
                } else {
                    passed++;
                }
            }
            assertThat(passed).isEqualTo(1);
        }
    }

    @Test
    void aModelOlderThanNinetyDaysAnswersWithLabelsOnly() {
        try (Guard<double[]> g = guard("stale.jsonl", START.minus(Duration.ofDays(91)))) {
            Response.Released ok = released(g.predict(Request.of(analystKey(), test[0])));
            assertThat(ok.degraded()).isTrue();
            assertThat(ok.prediction().scores()).isEmpty();
            Prediction raw = classifier.predict(test[0]);
            assertThat(ok.prediction().label()).isEqualTo(raw.labels().get(raw.topIndex()));
        }
        assertAuditIntact("stale.jsonl");
    }
}
