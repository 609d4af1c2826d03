package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.PolicyBundle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Differential fuzzing of the two engines: the image-classifier policy in YAML and in Rego must give
 * the same six decision documents for every policy input document, or both refuse it with
 * {@link IllegalArgumentException} (the input document is read before either engine sees it). Where
 * {@link ImageClassifierTwinTest} draws inputs from the values the rules test, this test lets the
 * fuzzer build them from coverage of both engines (the Rego evaluator's included): any roles,
 * tenants, attributes, methods, signal names, levels and scores, model ages (also NaN, infinite,
 * negative), predictions with any numbers, and fields left out or of the wrong type.
 *
 * <p>A normal build runs the regression corpus in
 * {@code src/test/resources/dev/veil/policies/ImageClassifierTwinFuzzTestInputs/twins/}. To fuzz:
 * {@code JAZZER_FUZZ=1 mvn -pl policies -am test -Dtest=ImageClassifierTwinFuzzTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Djacoco.skip=true -Djazzer.hooks=true
 * '-Djazzer.instrument=dev.veil.**'} (without the last option Jazzer instruments this module's own
 * classes only, and the engines, which come as jars, do not guide it: 56 edges against 1,300); a failing input is written to that directory and
 * becomes a regression case. The first run found {@code infinite-model-age} there: an infinite
 * {@code model.age_days} was stale for the YAML engine and fresh for Rego; input documents now refuse
 * numbers that are not finite.
 */
class ImageClassifierTwinFuzzTest {
    private static final PolicyBundle YAML = PolicyBundle.classpath("veil-policies/image-classifier");
    private static final PolicyBundle REGO = PolicyBundle.classpath("veil-policies/image-classifier-rego");
    private static final List<String> ROLES = List.of("analyst", "researcher", "partner", "intern");
    private static final List<String> TENANTS = List.of("", "acme", "northwind");
    private static final List<String> ATTRIBUTES = List.of("contract", "region", "status");
    private static final List<String> VALUES = List.of("active", "expired", "eu", "uk", "us", "suspended");
    private static final List<String> METHODS = List.of("none", "api_key", "jwt");
    private static final List<String> LEVELS = List.of("none", "low", "medium", "high");

    @FuzzTest(maxDuration = "2m")
    void twins(FuzzedDataProvider data) {
        Map<String, Object> doc = new LinkedHashMap<>();
        if (data.consumeInt(0, 7) != 0) {
            doc.put("caller", caller(data));
        }
        if (data.consumeInt(0, 7) != 0) {
            doc.put("model", Map.of("name", "fashion", "version", "3", "age_days", number(data, 400)));
        }
        if (data.consumeBoolean()) {
            doc.put("request", Map.of("features", data.consumeInt(-1, 1000), "payload_bytes",
                    data.consumeLong(-1, 1 << 20), "names", List.of()));
        }
        int signals = data.consumeInt(0, 3);
        Map<String, Object> s = new LinkedHashMap<>();
        for (int i = 0; i < signals; i++) {
            String name = data.consumeBoolean() ? "rate" : data.consumeString(10);
            s.put(name, Map.of("level", pick(data, LEVELS, 8), "score", number(data, 500)));
        }
        doc.put("signals", s);
        if (data.consumeBoolean()) {
            doc.put("degraded", data.consumeBoolean());
        }
        if (data.consumeBoolean()) {
            double top = number(data, 1);
            doc.put("prediction", Map.of("top_label", data.consumeString(8), "top_score", top,
                    "margin", number(data, 1), "entropy", number(data, 3), "classes", data.consumeInt(0, 20)));
        }
        Object yaml;
        Object rego;
        try {
            yaml = YAML.evaluate(doc);
        } catch (IllegalArgumentException e) {
            yaml = "refused";
        }
        try {
            rego = REGO.evaluate(doc);
        } catch (IllegalArgumentException e) {
            rego = "refused";
        }
        assertThat(rego).as("input %s", doc).isEqualTo(yaml);
    }

    private static Map<String, Object> caller(FuzzedDataProvider data) {
        Map<String, Object> c = new LinkedHashMap<>();
        String method = pick(data, METHODS, 8);
        c.put("id", data.consumeString(12));
        c.put("method", method);
        List<String> roles = new ArrayList<>();
        for (int i = data.consumeInt(0, 3); i > 0; i--) {
            roles.add(pick(data, ROLES, 8));
        }
        c.put("roles", roles);
        c.put("tenant", pick(data, TENANTS, 8));
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (int i = data.consumeInt(0, 3); i > 0; i--) {
            attributes.put(pick(data, ATTRIBUTES, 8), pick(data, VALUES, 8));
        }
        c.put("attributes", attributes);
        return c;
    }

    /** One of the values, or now and then (1 in {@code odds}) any string. */
    private static String pick(FuzzedDataProvider data, List<String> values, int odds) {
        return data.consumeInt(0, odds - 1) == 0 ? data.consumeString(10) : data.pickValue(values);
    }

    /** A number near the range the rules test ({@code [0, scale]}), or any double (NaN, infinities). */
    private static double number(FuzzedDataProvider data, double scale) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> data.consumeDouble();
            case 1 -> data.consumeInt(-2, 1000) * scale / 1000;
            default -> data.consumeProbabilityDouble() * scale;
        };
    }
}
