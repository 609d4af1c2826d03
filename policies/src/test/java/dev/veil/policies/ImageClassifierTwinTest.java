package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.veil.PolicyBundle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * The twin check of issue 4: the image-classifier policy written once as {@code *.veil.yaml} and
 * once in Rego (bundles/image-classifier-rego) gives the same six decision documents for every
 * policy input: callers of every role, tenant, method and attribute combination the rules test,
 * signals at every level, model ages around the 90-day limit, predictions with any margin,
 * degraded or not.
 */
class ImageClassifierTwinTest {
    static PolicyBundle yaml;
    static PolicyBundle rego;

    @BeforeAll
    static void load() {
        yaml = PolicyBundle.classpath("veil-policies/image-classifier");
        rego = PolicyBundle.classpath("veil-policies/image-classifier-rego");
    }

    static <T> Gen<T> oneOf(List<T> values) {
        return Generate.pick(values);
    }

    /** An attribute value, or null for "not set". */
    static Gen<String> attribute(String... values) {
        List<String> l = new ArrayList<>();
        l.add(null);
        l.addAll(List.of(values));
        return oneOf(l);
    }

    static Gen<Map<String, Object>> callers() {
        Gen<String> method = oneOf(List.of("none", "api_key", "jwt"));
        // Weighted towards the partner's rule, whose four conditions must all hold.
        Gen<List<String>> roles = oneOf(List.of(List.of(), List.of("analyst"), List.of("researcher"),
                List.of("partner"), List.of("partner"), List.of("partner"), List.of("intern"),
                List.of("analyst", "researcher"), List.of("analyst", "partner"), List.of("partner", "researcher")));
        Gen<String> tenant = oneOf(List.of("", "acme", "northwind", "northwind"));
        Gen<Map<String, String>> attributes = attribute("active", "active", "expired").zip(attribute("eu", "uk", "us"),
                attribute("suspended", "active"), (contract, region, status) -> {
                    Map<String, String> a = new LinkedHashMap<>();
                    if (contract != null) {
                        a.put("contract", contract);
                    }
                    if (region != null) {
                        a.put("region", region);
                    }
                    if (status != null) {
                        a.put("status", status);
                    }
                    return a;
                });
        return method.zip(roles, tenant, attributes, (m, r, t, a) -> {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("id", m.equals("none") ? "anonymous" : "caller-" + r.size() + t);
            c.put("method", m);
            c.put("roles", m.equals("none") ? List.of() : r);
            c.put("tenant", m.equals("none") ? "" : t);
            c.put("attributes", m.equals("none") ? Map.of() : a);
            return c;
        });
    }

    static Gen<Double> modelAges() {
        return SourceDSL.integers().between(0, 4).zip(SourceDSL.doubles().between(0, 400), (k, d) ->
                k == 0 ? 90.0 : k == 1 ? Math.nextUp(90.0) : d);
    }

    static Gen<Map<String, Object>> predictions() {
        Gen<Double> unit = SourceDSL.doubles().between(0, 1);
        return SourceDSL.booleans().all().zip(unit, unit, (present, score, margin) -> present
                ? Map.<String, Object>of("top_label", "coat", "top_score", score, "margin", margin * score,
                        "entropy", 2.3 * (1 - score), "classes", 10)
                : null);
    }

    /** The detectors the bundles configure. */
    static final List<String> DETECTORS = List.of("rate", "near_duplicate", "near_duplicate_global", "knn",
            "knn_global", "antithetic", "antithetic_tenant", "smooth", "confidence_climb", "class_focus",
            "boundary");

    /** Signals of any of the detectors, each at any level or absent; mostly one or two present. */
    static Gen<Map<String, Object>> signals() {
        Gen<String> level = oneOf(List.of("none", "low", "medium", "high", "absent", "absent", "absent", "absent",
                "absent", "absent"));
        Gen<List<String>> levels = SourceDSL.lists().of(level).ofSize(DETECTORS.size());
        return levels.map(ls -> {
            Map<String, Object> s = new LinkedHashMap<>();
            for (int i = 0; i < DETECTORS.size(); i++) {
                if (!ls.get(i).equals("absent")) {
                    s.put(DETECTORS.get(i), Map.of("level", ls.get(i), "score", 100.0));
                }
            }
            return s;
        });
    }

    static Gen<Map<String, Object>> inputs() {
        return callers().zip(modelAges(), signals(), SourceDSL.booleans().all(), (c, age, signals, degraded) -> {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("caller", c);
            doc.put("model", Map.of("name", "fashion", "version", "3", "age_days", age));
            doc.put("request", Map.of("features", 784, "payload_bytes", 6272, "names", List.of()));
            doc.put("signals", signals);
            doc.put("degraded", degraded);
            return doc;
        }).zip(predictions(), (doc, p) -> {
            if (p != null) {
                doc.put("prediction", p);
            }
            return doc;
        });
    }

    @Test
    void bothBundlesAreTheSamePolicy() {
        assertThat(yaml.engine()).isEqualTo("yaml");
        assertThat(rego.engine()).isEqualTo("rego");
        assertThat(rego.name()).isEqualTo(yaml.name());
        assertThat(rego.policy().settings()).isEqualTo(yaml.policy().settings());
    }

    @Test
    void bothEnginesGiveTheSameDecisionDocumentsForEveryInput() {
        qt().withExamples(1000).forAll(inputs()).checkAssert(in ->
                assertThat(rego.evaluate(in)).as("input %s", in).isEqualTo(yaml.evaluate(in)));
    }
}
