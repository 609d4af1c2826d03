package dev.veil.policies;

import static dev.veil.policies.Docs.apiKey;
import static dev.veil.policies.Docs.at;
import static dev.veil.policies.Docs.caller;
import static dev.veil.policies.Docs.input;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.veil.AuditLog;
import dev.veil.AuthMethod;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.internal.validation.Violation;
import dev.veil.policies.tools.FashionMnist;
import dev.veil.policies.tools.Probes;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.ReleaseSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The image-classifier bundle's decisions, rule by rule, on hand-built inputs: every question asked
 * with {@link PolicyBundle#evaluate}, and the validation contract applied as the Guard applies it.
 * Needs no data set. Each test runs on the bundle loaded from the class path and from the directory.
 */
class ImageClassifierPolicyTest {
    static final String NAME = "image-classifier";
    static PolicyBundle fromClasspath;
    static PolicyBundle fromDirectory;
    /** The same policy written in Rego (bundles/image-classifier-rego): every rule test runs on it too. */
    static PolicyBundle rego;

    @BeforeAll
    static void load() {
        fromClasspath = PolicyBundle.classpath("veil-policies/" + NAME);
        fromDirectory = PolicyBundle.load(Path.of("bundles", NAME));
        rego = PolicyBundle.load(Path.of("bundles", NAME + "-rego"));
    }

    static Stream<Named<PolicyBundle>> bundles() {
        return Stream.of(Named.of("class path", fromClasspath), Named.of("directory", fromDirectory),
                Named.of("rego", rego));
    }

    static Map<String, Object> analyst() {
        return apiKey("demo-analyst", List.of("analyst"), "acme", Map.of("department", "quality"));
    }

    static Map<String, Object> researcher() {
        return apiKey("demo-researcher", List.of("researcher"), "acme", Map.of());
    }

    static Map<String, Object> partner(String contract, String region) {
        return apiKey("demo-partner-app", List.of("partner"), "northwind",
                Map.of("contract", contract, "region", region));
    }

    static Map<String, Object> ask(PolicyBundle b, Docs.Input in) {
        return Docs.evaluate(b, in.features(784).build());
    }

    // ------------------------------------------------------------------ loading

    @Test
    void bothLoadsAreTheSamePolicy() {
        for (PolicyBundle b : List.of(fromClasspath, fromDirectory)) {
            assertThat(b.name()).isEqualTo(NAME);
            assertThat(b.revision()).isEqualTo("2026-12-01.7");
            assertThat(b.engine()).isEqualTo("yaml");
            assertThat(b.contents().data()).containsKey("training");
        }
        assertThat(fromClasspath.source()).isNotEqualTo(fromDirectory.source());
        List<Docs.Input> corpus = List.of(
                input(analyst()).prediction("coat", 0.6, 0.3, 1.0, 10),
                input(researcher()).signal("rate", "high", 200).prediction("bag", 0.9, 0.8, 0.3, 10),
                input(partner("active", "eu")).degraded(true).modelAgeDays(100).prediction("shirt", 0.4, 0.1, 1.5, 10),
                input(caller("anonymous", "none", List.of(), "", Map.of())));
        for (Docs.Input in : corpus) {
            assertThat(ask(fromClasspath, in)).isEqualTo(ask(fromDirectory, in));
        }
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void settingsAcceptApiKeysAndEs256TokensFromTheDemoIssuer(PolicyBundle b) {
        GuardSettings s = b.policy().settings();
        assertThat(s.onError()).isEqualTo(GuardSettings.OnError.DENY);
        assertThat(s.authentication().allowAnonymous()).isFalse();
        assertThat(s.authentication().apiKeys().file()).isEqualTo("keys.json");
        GuardSettings.Jwt jwt = s.authentication().jwt();
        assertThat(jwt.issuer()).isEqualTo("https://login.example.com/");
        assertThat(jwt.audience()).containsExactly("image-classifier");
        assertThat(jwt.jwks()).isEqualTo("jwks.json");
        assertThat(jwt.algorithms()).containsExactly("ES256");
        assertThat(jwt.attributeClaims()).containsExactly("contract", "region", "status");
        assertThat(s.detectors()).containsOnlyKeys("rate", "near_duplicate", "near_duplicate_global", "knn",
                "knn_global", "antithetic", "antithetic_tenant", "smooth", "smooth_tenant", "confidence_climb",
                "class_focus", "boundary");
        // smooth counted over each tenant's queries too: probes spread over a tenant's accounts
        assertThat(s.detectors().get("smooth_tenant")).isEqualTo(Map.of("type", "smooth", "scope", "tenant"));
        // near_duplicate's two indexes are two detectors, so that the global one can be kept from blocking
        assertThat(s.detectors().get("near_duplicate")).isEqualTo(Map.of("index", "caller", "low", 13, "medium", 32,
                "high", 40));
        assertThat(s.detectors().get("near_duplicate_global")).isEqualTo(Map.of("type", "near_duplicate", "index",
                "global", "thresholds", "monitoring.thresholds.near_duplicate_global"));
        // the calibrated thresholds come from the bundle's data (monitoring/thresholds/data.json)
        // and the distance detectors measure on 4x4 tile means of the 28x28 image
        assertThat(s.detectors().get("knn")).isEqualTo(Map.of("thresholds", "monitoring.thresholds.knn", "pool", 4,
                "width", 28));
        assertThat(s.detectors().get("knn_global")).isEqualTo(Map.of("thresholds", "monitoring.thresholds.knn_global",
                "pool", 4, "width", 28, "cell_width", 0.1));
        assertThat(s.detectors().get("antithetic")).isEqualTo(Map.of("thresholds",
                "monitoring.thresholds.antithetic", "range", java.util.List.of(0, 1), "gap", 3, "history", 12));
        assertThat(s.detectors().get("rate")).containsEntry("window_seconds", 60).containsEntry("low", 60)
                .containsEntry("medium", 120).containsEntry("high", 180);
    }

    @Test
    void theBundlesJwksIsThePublicHalfOfTheDemoSigningKey() throws Exception {
        JWKSet jwks = JWKSet.load(Path.of("bundles", NAME, "jwks.json").toFile());
        assertThat(jwks.getKeys()).hasSize(1);
        ECKey published = (ECKey) jwks.getKeys().get(0);
        assertThat(published.isPrivate()).isFalse();
        assertThat(published.getCurve()).isEqualTo(Curve.P_256);
        assertThat(published).isEqualTo(DemoTokens.privateKey().toPublicJWK());
    }

    @Test
    void everyDemoKeyAuthenticatesAsItsDocumentedCaller(@TempDir Path dir) {
        Map<String, String> keys = DemoKeys.of(NAME);
        assertThat(keys).containsOnlyKeys("demo-analyst", "demo-researcher", "demo-partner-app");
        AtomicInteger calls = new AtomicInteger();
        double[] scores = {0.02, 0.01, 0.03, 0.04, 0.6, 0.01, 0.2, 0.03, 0.05, 0.01};
        Model<double[]> model = Model.ofVector(ModelInfo.of("stub", "1", Instant.now().minus(Duration.ofDays(1))),
                x -> {
                    calls.incrementAndGet();
                    return Prediction.classification(FashionMnist.CLASSES, scores.clone());
                });
        Path audit = dir.resolve("audit.jsonl");
        double[] image = meanImage(fromClasspath);
        List<String> ids = new ArrayList<>();
        try (Guard<double[]> g = Guard.builder(model).policy(fromClasspath).audit(AuditLog.jsonLines(audit)).build()) {
            for (String key : keys.values()) {
                Response r = g.predict(Request.of(Credentials.apiKey(key), image));
                assertThat(r).isInstanceOf(Response.Released.class);
                assertThat(((Response.Released) r).prediction().label()).isEqualTo("coat");
                ids.add(r.decisionId());
            }
            String analyst = keys.get("demo-analyst");
            String forged = analyst.substring(0, analyst.length() - 1) + (analyst.endsWith("A") ? "B" : "A");
            Response r = g.predict(Request.of(Credentials.apiKey(forged), image));
            assertThat(((Response.Denied) r).reason().code()).isEqualTo(ReasonCode.UNAUTHENTICATED);
        }
        assertThat(calls.get()).isEqualTo(3);
        List<String> callers = new ArrayList<>(keys.keySet());
        List<JsonNode> records = AuditRecords.read(audit);
        for (int i = 0; i < ids.size(); i++) {
            assertThat(AuditRecords.byDecision(records, ids.get(i)).path("caller").path("id").asText())
                    .isEqualTo(callers.get(i));
        }
    }

    // ------------------------------------------------------------------ access

    @ParameterizedTest
    @MethodSource("bundles")
    void analystsAreAllowedAtFivePerSecondAndFiveThousandADay(PolicyBundle b) {
        for (String method : List.of("api_key", "jwt")) {
            Map<String, Object> d = ask(b, input(caller("a", method, List.of("analyst"), "acme", Map.of())));
            assertThat(at(d, "access.allow")).isEqualTo(true);
            assertThat(at(d, "access.rule")).isEqualTo("analysts");
            assertThat(at(d, "access.rate_limit")).isEqualTo(Map.of("per_second", 5.0, "burst", 20));
            assertThat(at(d, "access.daily_quota")).isEqualTo(5000);
        }
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void researchersGetHigherLimits(PolicyBundle b) {
        Map<String, Object> d = ask(b, input(researcher()));
        assertThat(at(d, "access.rule")).isEqualTo("researchers");
        assertThat(at(d, "access.allow")).isEqualTo(true);
        assertThat(at(d, "access.rate_limit")).isEqualTo(Map.of("per_second", 20.0, "burst", 50));
        assertThat(at(d, "access.daily_quota")).isEqualTo(50000);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void thePartnerTenantIsAllowedOnlyWithAnActiveContractInTheEuOrUk(PolicyBundle b) {
        for (String region : List.of("eu", "uk")) {
            Map<String, Object> d = ask(b, input(partner("active", region)));
            assertThat(at(d, "access.rule")).isEqualTo("partner");
            assertThat(at(d, "access.allow")).isEqualTo(true);
            assertThat(at(d, "access.rate_limit")).isEqualTo(Map.of("per_second", 2.0, "burst", 5));
            assertThat(at(d, "access.daily_quota")).isEqualTo(1000);
        }
        List<Map<String, Object>> refused = List.of(
                partner("ended", "eu"),
                partner("active", "us"),
                apiKey("p", List.of("partner"), "northwind", Map.of("region", "eu")),          // no contract
                apiKey("p", List.of("partner"), "contoso", Map.of("contract", "active", "region", "eu")),
                apiKey("p", List.of("viewer"), "northwind", Map.of("contract", "active", "region", "eu")));
        for (Map<String, Object> c : refused) {
            Map<String, Object> d = ask(b, input(c));
            assertThat(at(d, "access.allow")).as("%s", c).isEqualTo(false);
            assertThat(at(d, "access.rule")).isEqualTo("default");
            assertThat(at(d, "access.rate_limit")).isNull();
            assertThat(at(d, "access.daily_quota")).isEqualTo(0);
        }
    }

    /** Researcher and analyst are acme's staff roles: held in another tenant (a partner's IdP), they open nothing. */
    @ParameterizedTest
    @MethodSource("bundles")
    void staffRolesHeldOutsideAcmeAreRefused(PolicyBundle b) {
        for (Map<String, Object> c : List.of(
                caller("rob", "jwt", List.of("researcher"), "northwind", Map.of("contract", "active", "region", "eu")),
                caller("ann", "jwt", List.of("analyst", "partner"), "northwind", Map.of("contract", "active",
                        "region", "eu")),
                apiKey("x", List.of("researcher"), "", Map.of()))) {
            Map<String, Object> d = ask(b, input(c));
            assertThat(at(d, "access.allow")).as("%s", c).isEqualTo(false);
            assertThat(at(d, "access.rule")).isEqualTo("internal-roles");
            assertThat(at(d, "access.message")).isEqualTo("the researcher and analyst roles are for the staff of "
                    + "tenant acme; ask the ML platform team");
        }
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void suspendedAccountsAreRefusedWhateverTheirRole(PolicyBundle b) {
        for (String role : List.of("analyst", "researcher")) {
            Map<String, Object> d = ask(b, input(caller("s", "jwt", List.of(role), "acme",
                    Map.of("status", "suspended"))));
            assertThat(at(d, "access.allow")).isEqualTo(false);
            assertThat(at(d, "access.rule")).isEqualTo("suspended");
            assertThat(at(d, "access.message")).isEqualTo("this account is suspended; ask the ML platform team");
        }
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void everybodyElseIsRefused(PolicyBundle b) {
        List<Map<String, Object>> others = List.of(
                caller("anonymous", "none", List.of(), "", Map.of()),
                apiKey("intern", List.of("intern"), "acme", Map.of()),
                caller("bob", "jwt", List.of(), "acme", Map.of()));
        for (Map<String, Object> c : others) {
            Map<String, Object> d = ask(b, input(c));
            assertThat(at(d, "access.allow")).isEqualTo(false);
            assertThat(at(d, "access.rule")).isEqualTo("default");
            assertThat(at(d, "access.message"))
                    .isEqualTo("no access rule allows this caller; ask the ML platform team for the analyst role");
        }
    }

    // ------------------------------------------------------------------ validation

    @ParameterizedTest
    @MethodSource("bundles")
    void theDefaultContractIs28By28InZeroOneWithTheDistributionCheck(PolicyBundle b) {
        Map<String, Object> d = ask(b, input(analyst()));
        assertThat(at(d, "validation.rule")).isEqualTo("default");
        assertThat(at(d, "validation.contract.shape")).isEqualTo(List.of(28, 28));
        assertThat(at(d, "validation.contract.min")).isEqualTo(0.0);
        assertThat(at(d, "validation.contract.max")).isEqualTo(1.0);
        assertThat(at(d, "validation.contract.max_payload_bytes")).isEqualTo(16384);
        assertThat(at(d, "validation.contract.distribution")).isEqualTo(Map.of("stats", "training.stats", "features", 784, "std_floor", 0.05,
                "max_abs_z", 19.0, "max_rms_z", 2.5, "summary", List.of("mean", "roughness", "std")));
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void researchersGetALooserDistributionCheckWithTheSummaryKept(PolicyBundle b) {
        Map<String, Object> d = ask(b, input(researcher()));
        assertThat(at(d, "validation.rule")).isEqualTo("researchers-synthetic");
        assertThat(at(d, "validation.contract.shape")).isEqualTo(List.of(28, 28));
        assertThat(at(d, "validation.contract.max_payload_bytes")).isEqualTo(16384);
        assertThat(at(d, "validation.contract.distribution")).isEqualTo(Map.of("stats", "training.stats", "features", 784, "std_floor", 0.05,
                "max_abs_z", 0.0, "max_rms_z", 4.0, "summary", List.of("mean", "roughness", "std")));
    }

    static CompiledContract contract(PolicyBundle b, String role) {
        return Docs.contract(b, "c", AuthMethod.API_KEY, Set.of(role), "acme", Map.of(), 784, List.of());
    }

    /** The training mean image, from the bundle's own statistics: the most typical input there is. */
    static double[] meanImage(PolicyBundle b) {
        return contract(b, "analyst").contract().distribution().mean();
    }

    static double[] brightened(double[] image, double by) {
        double[] x = image.clone();
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.min(1, x[i] + by);
        }
        return x;
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void theContractRefusesEachKindOfMalformedInputWithItsOwnReason(PolicyBundle b) {
        CompiledContract c = contract(b, "analyst");
        double[] ok = meanImage(b);
        assertThat(c.check(Features.of(ok), -1)).isNull();

        assertThat(c.check(Features.of(Arrays.copyOf(ok, 783)), -1))
                .isEqualTo(new Violation(ReasonCode.INVALID_INPUT, "shape",
                        "expected 784 features (shape [28, 28]), got 783"));
        double[] bright = ok.clone();
        bright[29] = 1.5;
        assertThat(c.check(Features.of(bright), -1)).isEqualTo(new Violation(ReasonCode.INVALID_INPUT, "range",
                "value at index 29 (position [1, 1] of shape [28, 28]) is 1.5, outside the allowed range [0, 1]",
                "value at index 29 (position [1, 1] of shape [28, 28]) is outside the allowed range [0, 1]"));
        double[] nan = ok.clone();
        nan[0] = Double.NaN;
        assertThat(c.check(Features.of(nan), -1).rule()).isEqualTo("finite");
        assertThat(c.check(Features.of(ok), 16385)).isEqualTo(new Violation(ReasonCode.PAYLOAD_TOO_LARGE, "payload",
                "the payload is 16385 bytes, above the limit of 16384 bytes"));
        assertThat(c.check(Features.of(ok), 16384)).isNull();
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void blankSaturatedNoiseAndSaltAndPepperProbesAreOutOfDistributionForEveryRole(PolicyBundle b) {
        Random r = new Random(42);
        List<double[]> probes = new ArrayList<>(List.of(Probes.blank(), Probes.saturated()));
        for (int i = 0; i < 20; i++) {
            probes.add(Probes.uniformNoise(r, 1.0));
            probes.add(Probes.saltAndPepper(r, 1.0, Probes.blank()));
        }
        for (String role : List.of("analyst", "researcher", "partner")) {
            CompiledContract c = contract(b, role);
            for (double[] p : probes) {
                Violation v = c.check(Features.of(p), -1);
                assertThat(v).as("%s, probe %s", role, Arrays.toString(Arrays.copyOf(p, 4))).isNotNull();
                assertThat(v.code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
                assertThat(v.rule()).isEqualTo("distribution");
            }
        }
        assertThat(contract(b, "analyst").check(Features.of(Probes.blank()), -1).message())
                .isEqualTo("the input's standard deviation is 0.000, outside the range seen in training");
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void aSyntheticImagePassesForResearchersButNotForAnalysts(PolicyBundle b) {
        double[] synthetic = brightened(meanImage(b), 0.4);
        Violation v = contract(b, "analyst").check(Features.of(synthetic), -1);
        assertThat(v.code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
        assertThat(v.message()).isEqualTo("the input as a whole is too far from the training data (its RMS z-score "
                + "over all 784 features is above the policy's limit)");
        assertThat(contract(b, "researcher").check(Features.of(synthetic), -1)).isNull();
        // brighter still, the image leaves the training range of mean brightness: refused for researchers too
        assertThat(contract(b, "researcher").check(Features.of(brightened(meanImage(b), 0.5)), -1).message())
                .startsWith("the input's mean is 0.7");
    }

    // ------------------------------------------------------------------ monitoring

    @SuppressWarnings("unchecked")
    static List<Object> actions(Map<String, Object> d) {
        return (List<Object>) at(d, "monitoring.actions");
    }

    static Object action(String action, String rule, int cooldown, double throttle) {
        return Map.of("action", action, "rule", rule, "signal", "rate", "cooldown_seconds", cooldown,
                "throttle_per_second", throttle);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void theRateLadderAlertsThenDegradesThenBlocks(PolicyBundle b) {
        assertThat(actions(ask(b, input(analyst()).signal("rate", "none", 10)))).isEmpty();
        assertThat(actions(ask(b, input(analyst()).signal("rate", "low", 60))))
                .containsExactly(action("alert", "rate-alert", 0, 0.0));
        assertThat(actions(ask(b, input(analyst()).signal("rate", "medium", 120))))
                .containsExactly(action("alert", "rate-alert", 0, 0.0), action("degrade", "rate-degrade", 0, 0.0));
        for (Map<String, Object> c : List.of(analyst(), partner("active", "eu"))) {
            assertThat(actions(ask(b, input(c).signal("rate", "high", 180)))).containsExactly(
                    action("alert", "rate-alert", 0, 0.0), action("degrade", "rate-degrade", 0, 0.0),
                    action("block", "rate-block", 900, 0.0));
        }
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void researchersAreThrottledInsteadOfBlocked(PolicyBundle b) {
        assertThat(actions(ask(b, input(researcher()).signal("rate", "high", 400)))).containsExactly(
                action("alert", "rate-alert", 0, 0.0), action("degrade", "rate-degrade", 0, 0.0),
                action("throttle", "rate-throttle-researchers", 300, 1.0));
    }

    /**
     * A signal that counts every tenant's queries can be raised by somebody else (one near copy of
     * what an honest caller will send), so it degrades but never blocks; the caller's own probing
     * signals, and the tenant's antithetic pairs, still block for a day. No rule fires at medium: an
     * alert there flagged about 2% of honest callers (policies/README.md).
     */
    @ParameterizedTest
    @MethodSource("bundles")
    @SuppressWarnings("unchecked")
    void probingActsOnlyAtHighAndSignalsThatCountOtherCallersNeverBlock(PolicyBundle b) {
        Map<String, String> shared = Map.of("near_duplicate_global", "near-duplicate-global", "knn_global",
                "knn-global");
        Map<String, String> own = Map.of("near_duplicate", "near-duplicate", "knn", "knn", "antithetic",
                "antithetic", "antithetic_tenant", "antithetic-tenant", "smooth", "smooth");
        for (Map<String, Object> c : List.of(analyst(), partner("active", "eu"))) {
            shared.forEach((signal, id) -> assertThat(actions(ask(b, input(c).signal(signal, "high", 1))))
                    .as(signal).extracting(a -> ((Map<String, Object>) a).get("rule"))
                    .containsExactly(id + "-degrade"));
            own.forEach((signal, id) -> assertThat(actions(ask(b, input(c).signal(signal, "high", 1))))
                    .as(signal).extracting(a -> ((Map<String, Object>) a).get("rule"))
                    .containsExactly(id + "-degrade", id + "-block"));
            for (String signal : List.of("near_duplicate_global", "knn_global", "near_duplicate", "knn", "antithetic",
                    "antithetic_tenant", "smooth", "confidence_climb", "class_focus", "boundary")) {
                assertThat(actions(ask(b, input(c).signal(signal, "medium", 1)))).as(signal).isEmpty();
            }
        }
    }

    // ------------------------------------------------------------------ model

    @ParameterizedTest
    @MethodSource("bundles")
    void aModelOlderThanNinetyDaysIsStaleAndDegraded(PolicyBundle b) {
        Map<String, Object> fresh = ask(b, input(analyst()).modelAgeDays(89.9));
        assertThat(at(fresh, "model")).isEqualTo(Map.of("rule", "default", "stale", false, "action", "degrade"));
        Map<String, Object> stale = ask(b, input(analyst()).modelAgeDays(90.1));
        assertThat(at(stale, "model")).isEqualTo(Map.of("rule", "default", "stale", true, "action", "degrade"));
    }

    // ------------------------------------------------------------------ output

    static Map<String, Object> release(String form, int topK, double round, Object noise) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("form", form);
        m.put("top_k", topK);
        m.put("round", round);
        m.put("min_confidence", 0.0);
        m.put("reverse_sigmoid", null);
        m.put("noise", noise);
        m.put("allow_label_change", false);
        return m;
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void analystsGetTheTopThreeRoundedToAStepOf005(PolicyBundle b) {
        Map<String, Object> d = ask(b, input(analyst()).prediction("coat", 0.5, 0.05, 1.4, 10));
        assertThat(at(d, "output.rule")).isEqualTo("default");
        assertThat(at(d, "output.release")).isEqualTo(release("top_k", 3, 0.05, null));
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void researchersGetAllScoresRoundedToAStepOf001(PolicyBundle b) {
        Map<String, Object> d = ask(b, input(researcher()).prediction("coat", 0.5, 0.05, 1.4, 10));
        assertThat(at(d, "output.rule")).isEqualTo("researchers-full");
        assertThat(at(d, "output.release")).isEqualTo(release("full", 0, 0.01, null));
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void thePartnerGetsLaplaceNoiseChargedToAPrivacyBudget(PolicyBundle b) {
        Map<String, Object> d = ask(b, input(partner("active", "eu")).prediction("coat", 0.9, 0.85, 0.4, 10));
        assertThat(at(d, "output.rule")).isEqualTo("partner-noisy");
        assertThat(at(d, "output.release")).isEqualTo(release("top_k", 3, 0.05,
                Map.of("mechanism", "laplace", "epsilon", 0.5, "delta", 0.0, "sensitivity", 2.0)));
        GuardSettings.PrivacyBudget budget = b.policy().settings().privacy();
        assertThat(budget).isEqualTo(new GuardSettings.PrivacyBudget(5, 200, 86400,
                GuardSettings.PrivacyBudget.OnExhausted.DEGRADE));
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void degradedAnswersAreLabelsOnly(PolicyBundle b) {
        ReleaseSpec degraded = b.policy().settings().degradedRelease();
        assertThat(degraded.form()).isEqualTo(ReleaseSpec.Form.LABEL_ONLY);
        assertThat(degraded.noise()).isNull();
    }

    // ------------------------------------------------------------------ logging

    static Map<String, Object> logging(String rule, String in, String out, String raw, String caller) {
        return Map.of("rule", rule, "input", in, "output", out, "raw", raw, "caller", caller);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void inputsAreLoggedAsDigestsAndThePartnersAreMasked(PolicyBundle b) {
        assertThat(at(ask(b, input(analyst())), "logging"))
                .isEqualTo(logging("default", "digest", "keep", "mask", "keep"));
        assertThat(at(ask(b, input(partner("active", "eu"))), "logging"))
                .isEqualTo(logging("partner-inputs-masked", "mask", "keep", "mask", "keep"));
        // a degraded partner answer keeps the partner's masking (first match), so its raw summary stays masked
        assertThat(at(ask(b, input(partner("active", "eu")).degraded(true)), "logging"))
                .isEqualTo(logging("partner-inputs-masked", "mask", "keep", "mask", "keep"));
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void degradedAnswersKeepTheirRawSummaryForReview(PolicyBundle b) {
        assertThat(at(ask(b, input(analyst()).degraded(true)), "logging"))
                .isEqualTo(logging("degraded-keep-raw", "digest", "keep", "keep", "keep"));
    }
}
