package dev.veil.internal.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.MonitoringAction;
import dev.veil.spi.ReleaseSpec;
import dev.veil.spi.StaleAction;
import java.util.List;
import java.util.Map;

/**
 * The {@code *.veil.yaml} format, version 1, as Jackson maps it: boxed fields are {@code null} when
 * absent, so that rules can override only what they name. {@link YamlPolicyCompiler} turns these
 * into the SPI's decision records. The grammar is documented in {@code docs/policy-reference.md}
 * and {@code docs/veil-policy.schema.json}.
 */
final class PolicyDocument {
    private PolicyDocument() {}

    record File(
            @JsonProperty(required = true) Integer veil,
            @JsonProperty(required = true) String name,
            String description,
            GuardSettings.OnError onError,
            GuardSettings.OnStateUnavailable onStateUnavailable,
            Authentication authentication,
            ModelSection model,
            AccessSection access,
            ValidationSection validation,
            MonitoringSection monitoring,
            OutputSection output,
            LoggingSection logging) {}

    /**
     * The request-independent keys alone, as a Rego bundle declares them at {@code data.veil.settings}
     * (docs/policy-reference.md, section 6.5).
     */
    record Settings(
            @JsonProperty(required = true) String name,
            String description,
            GuardSettings.OnError onError,
            GuardSettings.OnStateUnavailable onStateUnavailable,
            Authentication authentication,
            SettingsMonitoring monitoring,
            SettingsOutput output) {}

    record SettingsMonitoring(Map<String, Map<String, Object>> detectors) {}

    record SettingsOutput(Release degraded, Privacy privacy) {}

    record Authentication(Boolean anonymous, ApiKeys apiKeys, Jwt jwt) {}

    record ApiKeys(String file, String data) {}

    record Jwt(
            String issuer, List<String> audience, String jwks, List<String> algorithms, String subjectClaim,
            String rolesClaim, String tenantClaim, List<String> attributeClaims, Long clockSkewSeconds,
            List<String> types, Map<String, String> requiredClaims) {}

    /** Conditions; every one that is present must hold. */
    record When(
            Boolean authenticated,
            List<String> methods,
            List<String> callers,
            List<String> roles,
            List<String> rolesAll,
            List<String> tenants,
            Map<String, Object> attributes,
            Map<String, String> signals,
            Boolean degraded,
            Bounds modelAgeDays,
            Bounds topScore,
            Bounds margin,
            Bounds entropy,
            List<When> any,
            @JsonProperty("not") When not) {}

    record Bounds(Double gt, Double gte, Double lt, Double lte) {}

    // model
    record ModelSection(@JsonProperty("default") ModelOutcome defaults, List<ModelRule> rules) {}

    record ModelOutcome(Double maxAgeDays, StaleAction onStale) {}

    record ModelRule(@JsonProperty(required = true) String id, When when, Double maxAgeDays, StaleAction onStale) {}

    // access
    record AccessSection(@JsonProperty("default") AccessOutcome defaults, List<AccessRule> rules) {}

    record AccessOutcome(Effect effect, String message, Rate rateLimit, Long dailyQuota) {}

    record AccessRule(
            @JsonProperty(required = true) String id, When when, @JsonProperty(required = true) Effect effect,
            String message, Rate rateLimit, Long dailyQuota) {}

    enum Effect {
        ALLOW,
        DENY
    }

    record Rate(@JsonProperty(required = true) Double perSecond, Long burst) {}

    // validation
    record ValidationSection(@JsonProperty("default") Contract defaults, List<ValidationRule> rules) {}

    record ValidationRule(@JsonProperty(required = true) String id, When when, @JsonProperty(required = true) Contract contract) {}

    record Contract(
            List<Integer> shape,
            Range range,
            Map<String, Feature> features,
            Boolean allowUnknownFeatures,
            List<CrossField> crossField,
            Long maxPayloadBytes,
            Distribution distribution) {}

    record Range(Double min, Double max) {}

    record Feature(Boolean required, Double min, Double max) {}

    record CrossField(@JsonProperty(required = true) String id, @JsonProperty(required = true) String expr) {}

    /** {@code enabled: false} in a rule turns the default's check off for the callers it matches. */
    record Distribution(
            Boolean enabled, String stats, Double stdFloor, Double maxAbsZ, Double maxRmsZ, Boolean summary) {}

    // monitoring
    record MonitoringSection(Map<String, Map<String, Object>> detectors, List<MonitoringRule> rules) {}

    record MonitoringRule(
            @JsonProperty(required = true) String id, When when,
            @JsonProperty(required = true) MonitoringAction.Kind action, Long cooldownSeconds,
            Double throttlePerSecond) {}

    // output
    record OutputSection(
            @JsonProperty("default") Release defaults, Release degraded, Privacy privacy, List<OutputRule> rules) {}

    record OutputRule(@JsonProperty(required = true) String id, When when, @JsonProperty(required = true) Release release) {}

    record Release(
            ReleaseSpec.Form form, Integer topK, Double round, Double minConfidence, ReverseSigmoid reverseSigmoid,
            Noise noise, Boolean allowLabelChange) {}

    /** A mapping, or the word {@code none} ({@link #NONE}): in a rule, no reverse sigmoid whatever the default has. */
    record ReverseSigmoid(@JsonProperty(required = true) Double beta, @JsonProperty(required = true) Double gamma) {
        /** {@code reverse_sigmoid: none}; compare by identity. */
        static final ReverseSigmoid NONE = new ReverseSigmoid(null, null);

        @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
        ReverseSigmoid {
        }

        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static ReverseSigmoid of(String word) {
            return none(word, NONE, "beta, gamma", "reverse sigmoid");
        }
    }

    /** A mapping, or the word {@code none} ({@link #NONE}): in a rule, no noise whatever the default has. */
    record Noise(
            @JsonProperty(required = true) ReleaseSpec.Noise.Mechanism mechanism,
            @JsonProperty(required = true) Double epsilon, Double delta, Double sensitivity, List<Double> bounds) {
        /** {@code noise: none}; compare by identity. */
        static final Noise NONE = new Noise(null, null, null, null, null);

        @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
        Noise {
        }

        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static Noise of(String word) {
            return none(word, NONE, "mechanism, epsilon, delta, sensitivity, bounds", "noise");
        }
    }

    /** How a rule turns off the default's noise or reverse sigmoid (as {@code round: 0} turns off rounding). */
    static final String NONE_WORD = "none";

    /**
     * {@code none} for a release setting given as a word instead of its mapping (whose {@code keys}
     * the error lists); any other word is an error.
     */
    private static <T> T none(String word, T none, String keys, String setting) {
        if (NONE_WORD.equals(word)) {
            return none;
        }
        throw new IllegalArgumentException("expected a mapping (" + keys + "), or none to release without the "
                + "default's " + setting + ", was '" + word + "'");
    }

    record Privacy(
            @JsonProperty(required = true) Double perCallerEpsilon, Double globalEpsilon, Long periodSeconds,
            GuardSettings.PrivacyBudget.OnExhausted onExhausted, Double perCallerDelta, Double globalDelta) {}

    // logging
    record LoggingSection(@JsonProperty("default") Logging defaults, List<LoggingRule> rules) {}

    record Logging(
            dev.veil.spi.FieldMode input, dev.veil.spi.FieldMode output, dev.veil.spi.FieldMode raw,
            dev.veil.spi.FieldMode caller) {}

    record LoggingRule(@JsonProperty(required = true) String id, When when, @JsonProperty(required = true) Logging logging) {}
}
