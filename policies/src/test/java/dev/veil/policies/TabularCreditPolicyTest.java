package dev.veil.policies;

import static dev.veil.policies.Docs.apiKey;
import static dev.veil.policies.Docs.at;
import static dev.veil.policies.Docs.input;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.PolicyBundle;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.ReleaseSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tabular-credit bundle's decisions, rule by rule, on hand-built policy inputs
 * ({@link PolicyBundle#evaluate}), on the bundle loaded from the class path and from the directory.
 * The input contract itself is tested in {@link TabularCreditValidationTest}.
 */
class TabularCreditPolicyTest {
    static final String NAME = "tabular-credit";
    static final List<String> NAMES =
            CreditApplications.FEATURES.stream().map(CreditApplications.Feature::name).toList();
    static PolicyBundle fromClasspath;
    static PolicyBundle fromDirectory;

    @BeforeAll
    static void load() {
        fromClasspath = PolicyBundle.classpath("veil-policies/" + NAME);
        fromDirectory = PolicyBundle.load(Path.of("bundles", NAME));
    }

    static Stream<Named<PolicyBundle>> bundles() {
        return Stream.of(Named.of("class path", fromClasspath), Named.of("directory", fromDirectory));
    }

    static Map<String, Object> underwriter() {
        return apiKey("demo-underwriter", List.of("underwriter"), "bank", Map.of("desk", "retail-lending"));
    }

    static Map<String, Object> broker(String contract) {
        return apiKey("demo-broker-app", List.of("broker"), "brokerline", Map.of("contract", contract));
    }

    static Map<String, Object> researcher(String tenant) {
        return apiKey("demo-risk-researcher", List.of("researcher"), tenant, Map.of());
    }

    static Map<String, Object> ask(PolicyBundle b, Docs.Input in) {
        return Docs.evaluate(b, in.names(NAMES).build());
    }

    @Test
    void bothLoadsAreTheSamePolicy() {
        for (PolicyBundle b : List.of(fromClasspath, fromDirectory)) {
            assertThat(b.name()).isEqualTo(NAME);
            assertThat(b.revision()).isEqualTo("2026-12-02.1");
        }
        for (Docs.Input in : List.of(input(underwriter()).prediction("approve", 0.7, 0.5, 0.8, 3),
                input(broker("active")).signal("rate", "high", 300).modelAgeDays(200),
                input(researcher("bank")).degraded(true).prediction("refer", 0.5, 0.1, 1.0, 3))) {
            assertThat(ask(fromClasspath, in)).isEqualTo(ask(fromDirectory, in));
        }
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void onlyApiKeysAuthenticate(PolicyBundle b) {
        GuardSettings.AuthenticationSettings auth = b.policy().settings().authentication();
        assertThat(auth.apiKeys().file()).isEqualTo("keys.json");
        assertThat(auth.jwt()).isNull();
        assertThat(auth.allowAnonymous()).isFalse();
    }

    // ------------------------------------------------------------------ access

    static void assertAllowed(Map<String, Object> d, String rule, double perSecond, int burst, int quota) {
        assertThat(at(d, "access.allow")).isEqualTo(true);
        assertThat(at(d, "access.rule")).isEqualTo(rule);
        assertThat(at(d, "access.rate_limit")).isEqualTo(Map.of("per_second", perSecond, "burst", burst));
        assertThat(at(d, "access.daily_quota")).isEqualTo(quota);
    }

    static void assertDenied(Map<String, Object> d, String rule, String message) {
        assertThat(at(d, "access.allow")).isEqualTo(false);
        assertThat(at(d, "access.rule")).isEqualTo(rule);
        assertThat(at(d, "access.message")).isEqualTo(message);
        assertThat(at(d, "access.rate_limit")).isNull();
    }

    static final String NOBODY = "only underwriters, broker apps and credit-risk researchers may score applications; "
            + "ask the credit platform team for a key";

    @ParameterizedTest
    @MethodSource("bundles")
    void underwritersOfTheBankAreAllowed(PolicyBundle b) {
        assertAllowed(ask(b, input(underwriter())), "underwriters", 20.0, 40, 20000);
        assertDenied(ask(b, input(apiKey("u", List.of("underwriter"), "otherbank", Map.of()))), "default", NOBODY);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void brokersAreAllowedWhileTheirContractIsActive(PolicyBundle b) {
        assertAllowed(ask(b, input(broker("active"))), "brokers", 2.0, 5, 500);
        assertDenied(ask(b, input(broker("ended"))), "default", NOBODY);
        assertDenied(ask(b, input(apiKey("b", List.of("broker"), "brokerline", Map.of()))), "default", NOBODY);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void researchersOfTheBankAreAllowedSlowly(PolicyBundle b) {
        assertAllowed(ask(b, input(researcher("bank"))), "researchers", 1.0, 5, 200);
        assertDenied(ask(b, input(researcher("university"))), "default", NOBODY);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void suspendedKeysAndEverybodyElseAreRefused(PolicyBundle b) {
        assertDenied(ask(b, input(apiKey("u", List.of("underwriter"), "bank", Map.of("status", "suspended")))),
                "suspended", "this key is suspended; ask the credit platform team");
        assertDenied(ask(b, input(apiKey("x", List.of("analyst"), "bank", Map.of()))), "default", NOBODY);
        assertDenied(ask(b, input(Docs.caller("anonymous", "none", List.of(), "", Map.of()))), "default", NOBODY);
    }

    // ------------------------------------------------------------------ validation decision

    @ParameterizedTest
    @MethodSource("bundles")
    void everyCallerGetsTheOneContract(PolicyBundle b) {
        Map<String, Object> features = new LinkedHashMap<>();
        for (CreditApplications.Feature f : CreditApplications.FEATURES) {
            features.put(f.name(), Map.of("required", f.required(), "min", f.min(), "max", f.max()));
        }
        for (Map<String, Object> c : List.of(underwriter(), broker("active"), researcher("bank"))) {
            Map<String, Object> d = ask(b, input(c));
            assertThat(at(d, "validation.rule")).isEqualTo("default");
            assertThat(at(d, "validation.contract.shape")).isEqualTo(List.of());
            assertThat(at(d, "validation.contract.features")).isEqualTo(features);
            assertThat(at(d, "validation.contract.allow_unknown_features")).isEqualTo(false);
            assertThat(at(d, "validation.contract.max_payload_bytes")).isEqualTo(2048);
            assertThat(at(d, "validation.contract.distribution")).isNull();
            assertThat(at(d, "validation.contract.cross_field")).isEqualTo(List.of(
                    Map.of("id", "employed-after-14", "expr", "years_employed <= age - 14"),
                    Map.of("id", "credit-history-after-16", "expr", "credit_history_years <= age - 16"),
                    Map.of("id", "loan-vs-income", "expr", "loan_amount <= 20 * income"),
                    Map.of("id", "repaid-before-90", "expr", "age + loan_term_months / 12 <= 90")));
        }
    }

    // ------------------------------------------------------------------ monitoring and model

    static Object action(String action, String rule, int cooldown) {
        return Map.of("action", action, "rule", rule, "signal", "rate", "cooldown_seconds", cooldown,
                "throttle_per_second", 0.0);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void aHundredApplicationsInTenMinutesAlertAndThreeHundredBlockExternalCallers(PolicyBundle b) {
        assertThat(at(ask(b, input(broker("active")).signal("rate", "none", 99)), "monitoring.actions"))
                .isEqualTo(List.of());
        assertThat(at(ask(b, input(broker("active")).signal("rate", "low", 100)), "monitoring.actions"))
                .isEqualTo(List.of(action("alert", "rate-alert", 0)));
        for (Map<String, Object> c : List.of(broker("active"), researcher("bank"))) {
            assertThat(at(ask(b, input(c).signal("rate", "high", 300)), "monitoring.actions"))
                    .isEqualTo(List.of(action("alert", "rate-alert", 0), action("block", "rate-block", 3600)));
        }
        assertThat(at(ask(b, input(underwriter()).signal("rate", "high", 300)), "monitoring.actions"))
                .isEqualTo(List.of(action("alert", "rate-alert", 0)));
        assertThat(b.policy().settings().detectors().get("rate")).isEqualTo(Map.of("window_seconds", 600, "low", 100,
                "high", 300));
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void aClimbingConfidenceBlocksExternalCallersForWhomADegradeChangesNothing(PolicyBundle b) {
        // brokers and researchers get the decision only, degraded or not (a red-team review: a
        // bisection among decoys reached confidence_climb high and went on answered)
        List<Object> external = List.of(climb("alert", "confidence-climb-alert", 0),
                climb("degrade", "confidence-climb-degrade", 0), climb("block", "confidence-climb-block", 3600));
        for (Map<String, Object> c : List.of(broker("active"), researcher("bank"))) {
            assertThat(at(ask(b, input(c).signal("confidence_climb", "high", 4)), "monitoring.actions"))
                    .isEqualTo(external);
        }
        assertThat(at(ask(b, input(underwriter()).signal("confidence_climb", "high", 4)), "monitoring.actions"))
                .isEqualTo(external.subList(0, 2));
        assertThat(at(ask(b, input(broker("active")).signal("confidence_climb", "medium", 3.2)), "monitoring.actions"))
                .isEqualTo(external.subList(0, 1));
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void aSweepOfOneFeatureIsAnAlertAtItsSecondValueAndBlocksExternalCallersAtItsThird(PolicyBundle b) {
        // a second value of one feature is what an honest correction looks like: an alert only
        for (String signal : List.of("feature_sweep", "feature_sweep_global")) {
            String rule = signal.replace('_', '-');
            assertThat(at(ask(b, input(broker("active")).signal(signal, "low", 2)), "monitoring.actions"))
                    .isEqualTo(List.of(sweep(signal, "alert", rule + "-alert", 0)));
            for (Map<String, Object> c : List.of(broker("active"), researcher("bank"))) {
                assertThat(at(ask(b, input(c).signal(signal, "medium", 3)), "monitoring.actions")).as(signal)
                        .isEqualTo(List.of(sweep(signal, "alert", rule + "-alert", 0),
                                sweep(signal, "degrade", rule + "-degrade", 0),
                                sweep(signal, "block", rule + "-block", 3600)));
            }
            assertThat(at(ask(b, input(underwriter()).signal(signal, "medium", 3)), "monitoring.actions")).as(signal)
                    .isEqualTo(List.of(sweep(signal, "alert", rule + "-alert", 0),
                            sweep(signal, "degrade", rule + "-degrade", 0)));
        }
        // underwriters' what-if checks have a limit of their own: six values of one feature
        assertThat(at(ask(b, input(underwriter()).signal("feature_sweep", "high", 6)), "monitoring.actions"))
                .isEqualTo(List.of(sweep("feature_sweep", "alert", "feature-sweep-alert", 0),
                        sweep("feature_sweep", "degrade", "feature-sweep-degrade", 0),
                        sweep("feature_sweep", "block", "feature-sweep-block-all", 3600)));
        assertThat(at(ask(b, input(underwriter()).signal("feature_sweep_global", "high", 4)), "monitoring.actions"))
                .isEqualTo(List.of(sweep("feature_sweep_global", "alert", "feature-sweep-global-alert", 0),
                        sweep("feature_sweep_global", "degrade", "feature-sweep-global-degrade", 0)));
    }

    static Object sweep(String signal, String action, String rule, int cooldown) {
        return Map.of("action", action, "rule", rule, "signal", signal, "cooldown_seconds", cooldown,
                "throttle_per_second", 0.0);
    }

    static Object climb(String action, String rule, int cooldown) {
        return Map.of("action", action, "rule", rule, "signal", "confidence_climb", "cooldown_seconds", cooldown,
                "throttle_per_second", 0.0);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void aModelOlderThan180DaysMustNotDecide(PolicyBundle b) {
        assertThat(at(ask(b, input(underwriter()).modelAgeDays(179.9)), "model"))
                .isEqualTo(Map.of("rule", "default", "stale", false, "action", "deny"));
        assertThat(at(ask(b, input(underwriter()).modelAgeDays(180.1)), "model"))
                .isEqualTo(Map.of("rule", "default", "stale", true, "action", "deny"));
    }

    // ------------------------------------------------------------------ output and logging

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
    void externalCallersGetTheLabelOnlyAndUnderwritersTheTopTwo(PolicyBundle b) {
        Docs.Input broker = input(broker("active")).prediction("approve", 0.7, 0.5, 0.8, 3);
        assertThat(at(ask(b, broker), "output")).isEqualTo(Map.of("rule", "default",
                "release", release("label_only", 0, 0.0, null)));
        Docs.Input uw = input(underwriter()).prediction("approve", 0.7, 0.5, 0.8, 3);
        assertThat(at(ask(b, uw), "output")).isEqualTo(Map.of("rule", "underwriters-top2",
                "release", release("top_k", 2, 0.01, null)));
        assertThat(b.policy().settings().degradedRelease().form()).isEqualTo(ReleaseSpec.Form.LABEL_ONLY);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void researchersGetGaussianNoiseAgainstABudgetThatDeniesWhenSpent(PolicyBundle b) {
        Docs.Input r = input(researcher("bank")).prediction("refer", 0.5, 0.1, 1.0, 3);
        assertThat(at(ask(b, r), "output")).isEqualTo(Map.of("rule", "researchers-gaussian",
                "release", release("full", 0, 0.01, Map.of("mechanism", "gaussian", "epsilon", 0.5,
                        "delta", 0.00001, "sensitivity", Math.sqrt(2)))));
        assertThat(b.policy().settings().privacy()).isEqualTo(new GuardSettings.PrivacyBudget(5, 100, 86400,
                GuardSettings.PrivacyBudget.OnExhausted.DENY));
    }

    static Map<String, Object> logging(String rule, String raw) {
        return Map.of("rule", rule, "input", "mask", "output", "keep", "raw", raw, "caller", "keep");
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void applicationsAreMaskedInTheLogAndUnderwritersRawSummariesKept(PolicyBundle b) {
        assertThat(at(ask(b, input(broker("active"))), "logging")).isEqualTo(logging("default", "mask"));
        assertThat(at(ask(b, input(researcher("bank"))), "logging")).isEqualTo(logging("default", "mask"));
        assertThat(at(ask(b, input(underwriter())), "logging")).isEqualTo(logging("underwriters-raw-kept", "keep"));
    }
}
