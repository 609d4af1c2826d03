package dev.veil.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/veil-policy.schema.json against the policies the project ships and a policy that configures
 * every built-in detector type with every key: the schema accepts what the engine accepts, and
 * refuses a key that no detector takes.
 */
class PolicySchemaTest {
    private static final Path ROOT = Path.of("..");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static Schema schema;

    /** Every built-in detector type, each key set (thresholds inline; rate-all and prada by type). */
    static final String EVERY_DETECTOR = """
            veil: 1
            name: every-detector
            authentication: { anonymous: true }
            access: { default: { effect: allow } }
            validation: { default: { shape: [784], range: { min: 0, max: 1 } } }
            monitoring:
              detectors:
                rate: { window_seconds: 60, low: 60, medium: 120, high: 240, scope: caller }
                rate-all: { type: rate, scope: global, window_seconds: 60, high: 5000 }
                near_duplicate: { index: both, window: 20, step: 1, quantum: 50, keep: 50, seed: 666,
                                  max_members_per_hash: 8, ttl_seconds: 3600, low: 20, medium: 26, high: 30 }
                knn: { k: 20, history: 100, min_history: 5, dimensions: 64, seed: 7919, ttl_seconds: 86400,
                       low: 0.14, medium: 0.125, high: 0.115 }
                knn_global: { window_seconds: 60, tables: 3, projections: 10, cell_width: 0.2, dimensions: 64,
                              seed: 104729, low: 8, medium: 10, high: 12 }
                confidence_climb: { window: 48, max_step: 0.075, min_points: 8, ttl_seconds: 3600, low: 2.5,
                                    medium: 3, high: 3.5 }
                class_focus: { window: 50, min_queries: 20, ttl_seconds: 3600, low: 0.6, medium: 0.8, high: 0.95 }
                boundary: { window: 20, min_queries: 10, margin: 0.1, ttl_seconds: 3600, low: 0.3, medium: 0.45,
                            high: 0.6 }
                prada: { type: extraction, test_every: 10, min_distances: 100, max_distances: 400, max_set: 200,
                         ttl_seconds: 86400, low: 0, medium: 0, delta: 0.9 }
                antithetic: { history: 6, matches: 2, tolerance: 0.01, min_changed: 8, features: 256, seed: 6271,
                              range: [0, 1], scope: caller, ttl_seconds: 3600, low: 0.25, medium: 0.28, high: 0.3 }
                smooth: { width: 28, floor: 0.238, window_seconds: 600, min_queries: 20, low: 0.2, medium: 0.25,
                          high: 0.3 }
                walk: { type: knn }
              rules:
                - { id: walk, when: { signals: { knn: high } }, action: block, cooldown_seconds: 600 }
            output: { default: { form: label_only } }
            """;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws IOException {
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        try (InputStream in = Files.newInputStream(ROOT.resolve("docs").resolve("veil-policy.schema.json"))) {
            schema = registry.getSchema(in);
        }
    }

    private static List<?> validate(JsonNode policy) {
        return schema.validate(policy);
    }

    @Test
    void theShippedPoliciesAndExamplesValidate() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Stream.concat(Files.walk(ROOT.resolve("policies").resolve("bundles")),
                Files.walk(ROOT.resolve("docs").resolve("examples")))) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".veil.yaml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(3);
        for (Path f : files) {
            assertThat(validate(YAML.readTree(f.toFile()))).as(f.toString()).isEmpty();
        }
    }

    @Test
    void aPolicyWithEveryDetectorTypeValidatesAndLoads() throws IOException {
        JsonNode policy = YAML.readTree(EVERY_DETECTOR);
        assertThat(validate(policy)).isEmpty();
        Path dir = Files.createDirectories(tmp.resolve("every"));
        Files.writeString(dir.resolve("every.veil.yaml"), EVERY_DETECTOR);
        assertThat(PolicyBundle.load(dir).policy().settings().detectors()).hasSize(12);
    }

    /** Each {detector, key, YAML value} set on its own in {@code policy}: the schema refuses it. */
    private static void requireEachInvalid(String policy, String[][] bad) throws IOException {
        for (String[] b : bad) {
            ObjectNode p = (ObjectNode) YAML.readTree(policy);
            ObjectNode detector = (ObjectNode) p.get("monitoring").get("detectors").get(b[0]);
            detector.set(b[1], YAML.readTree(b[2]));
            assertThat(validate(p)).as("%s.%s = %s", b[0], b[1], b[2]).isNotEmpty();
        }
    }

    /** feature_sweep takes at most 64 features, so it has a tabular policy of its own, with every key. */
    static final String FEATURE_SWEEP = """
            veil: 1
            name: every-sweep
            authentication: { anonymous: true }
            access: { default: { effect: allow } }
            validation: { default: { shape: [12] } }
            monitoring:
              detectors:
                feature_sweep: { scope: caller, window_seconds: 86400, history: 50, tolerance: 2, width: 1,
                                 widths: { "0": 1000, "3": 0.05 }, sweep: ["0", "1"], optional: ["11"], seed: 17,
                                 low: 2, medium: 3, high: 6 }
                sweep-all: { type: feature_sweep, scope: global, window_seconds: 600, sweep: ["0"], low: 0, medium: 0,
                             high: 3 }
              rules:
                - { id: sweep, when: { signals: { feature_sweep: medium } }, action: block, cooldown_seconds: 600 }
            output: { default: { form: label_only } }
            """;

    @Test
    void aPolicyWithEveryFeatureSweepKeyValidatesAndLoadsAndBadValuesFail() throws IOException {
        assertThat(validate(YAML.readTree(FEATURE_SWEEP))).isEmpty();
        Path dir = Files.createDirectories(tmp.resolve("sweep"));
        Files.writeString(dir.resolve("sweep.veil.yaml"), FEATURE_SWEEP);
        assertThat(PolicyBundle.load(dir).policy().settings().detectors()).hasSize(2);
        String[][] bad = {
            {"feature_sweep", "scope", "\"tenant\""},
            {"feature_sweep", "history", "0"},
            {"feature_sweep", "window_seconds", "604801"},
            {"feature_sweep", "width", "0"},
            {"feature_sweep", "widths", "{\"0\": -1}"},
            {"feature_sweep", "sweep", "[]"},
            {"feature_sweep", "optional", "[1]"},
            {"feature_sweep", "low", "1"},
            {"feature_sweep", "neighbours", "5"},
            {"sweep-all", "history", "10"}, // history and tolerance are for scope caller
            {"sweep-all", "tolerance", "0"},
            {"feature_sweep", "tolerance", "4"},
            {"feature_sweep", "history", "2001"},
        };
        requireEachInvalid(FEATURE_SWEEP, bad);
    }

    @Test
    void jwtTokenTypesAndRequiredClaimsValidateAndLoad() throws Exception {
        String policy = """
                veil: 1
                name: typed-tokens
                authentication:
                  jwt: { issuer: "https://idp.test/", audience: [veil], jwks: jwks.json, algorithms: [ES256],
                         types: [at+jwt, JWT], required_claims: { token_use: access } }
                access: { default: { effect: allow } }
                validation: { default: { shape: [3], range: { min: 0, max: 1 } } }
                output: { default: { form: label_only } }
                """;
        assertThat(validate(YAML.readTree(policy))).isEmpty();
        Path dir = Files.createDirectories(tmp.resolve("typed"));
        Files.writeString(dir.resolve("typed.veil.yaml"), policy);
        Files.writeString(dir.resolve("jwks.json"), new com.nimbusds.jose.jwk.JWKSet(
                new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("e1").generate()
                        .toPublicJWK()).toString());
        assertThat(PolicyBundle.load(dir).policy().settings().authentication().jwt().types())
                .containsExactly("at+jwt", "JWT");
        for (String bad : List.of("required_claims: { email_verified: true }", "types: [\" \"]", "types: at+jwt")) {
            ObjectNode p = (ObjectNode) YAML.readTree(policy);
            JsonNode value = YAML.readTree("{" + bad + "}");
            ObjectNode jwt = (ObjectNode) p.get("authentication").get("jwt");
            value.fields().forEachRemaining(f -> jwt.set(f.getKey(), f.getValue()));
            assertThat(validate(p)).as(bad).isNotEmpty();
        }
    }

    @Test
    void anUnknownKeyOrABadValueOfABuiltInDetectorFails() throws IOException {
        String[][] bad = {
            {"knn", "neighbours", "5"},
            {"near_duplicate", "keep", "0"},
            {"knn_global", "cell_width", "0"},
            {"confidence_climb", "high", "0.4"},
            {"class_focus", "window", "1"},
            {"boundary", "margin", "\"wide\""},
            {"prada", "high", "0.9"}, // extraction's high threshold is delta
            {"rate", "scope", "\"GLOBAL\""},
            {"walk", "k", "0"},
            {"antithetic", "range", "[0]"},
            {"antithetic", "tolerance", "0"},
            {"antithetic", "history", "65"},
            {"antithetic", "high", "1.5"},
            {"antithetic", "low", "0.005"},
            {"antithetic", "tolerance", "1e-300"},
            {"antithetic", "scope", "\"tenants\""},
            {"smooth", "width", "2"},
            {"smooth", "floor", "0"},
            {"smooth", "high", "1.5"},
            {"smooth", "window", "60"},
        };
        requireEachInvalid(EVERY_DETECTOR, bad);
        ObjectNode custom = (ObjectNode) YAML.readTree(EVERY_DETECTOR);
        ((ObjectNode) custom.get("monitoring").get("detectors")).set("mine", YAML.readTree("{k: 5}"));
        assertThat(validate(custom)).as("a custom detector's entry other than {}").isNotEmpty();
        ((ObjectNode) custom.get("monitoring").get("detectors")).set("mine", YAML.readTree("{}"));
        assertThat(validate(custom)).isEmpty();
        ObjectNode fromData = (ObjectNode) YAML.readTree(EVERY_DETECTOR);
        ObjectNode knn = (ObjectNode) fromData.get("monitoring").get("detectors").get("knn");
        knn.remove(List.of("low", "medium", "high"));
        knn.put("thresholds", "monitoring.thresholds.knn");
        assertThat(validate(fromData)).as("thresholds from the bundle's data").isEmpty();
        ObjectNode nearDuplicate = (ObjectNode) fromData.get("monitoring").get("detectors").get("near_duplicate");
        nearDuplicate.remove(List.of("low", "medium", "high"));
        nearDuplicate.put("keep", 5);
        nearDuplicate.put("thresholds", "monitoring.thresholds.near_duplicate");
        assertThat(validate(fromData)).as("keep against thresholds from the bundle's data, not the defaults").isEmpty();
    }

    /**
     * Conditions that would hold for every caller or for none, names that would never match as
     * written, and names that are only (Unicode) space: the schema refuses what the engine refuses.
     */
    @Test
    void conditionsThatCannotBeMeantAreRefusedBySchemaAndEngine() throws IOException {
        String policy = """
                veil: 1
                name: conditions
                authentication: { anonymous: true }
                access:
                  default: { effect: deny }
                  rules:
                    - { id: vip, when: { WHEN }, effect: allow }
                validation: { default: { shape: [2] } }
                output: { default: { form: label_only } }
                """;
        List<String> good = List.of("attributes: { tier: [gold, ''], level: 1 }", "tenants: ['', acme]",
                "roles: [analyst, 'data team']", "any: [{ roles: [a] }], not: { callers: [b] }");
        List<String> bad = List.of("attributes: {}", "roles: ['intern ']", "tenants: ['acme ']", "roles: ['']",
                "roles_all: [\"\\u00a0\"]", "callers: [\"a\\tb\"]", "attributes: { 'tier ': gold }",
                "attributes: { tier: [gold, ' silver'] }", "any: [{ roles: [a] }, {}]", "not: {}");
        int n = 0;
        for (String when : good) {
            String text = policy.replace("WHEN", when);
            assertThat(validate(YAML.readTree(text))).as(when).isEmpty();
            Path dir = Files.createDirectories(tmp.resolve("good" + n++));
            Files.writeString(dir.resolve("p.veil.yaml"), text);
            assertThat(PolicyBundle.load(dir).name()).isEqualTo("conditions");
        }
        for (String when : bad) {
            String text = policy.replace("WHEN", when);
            assertThat(validate(YAML.readTree(text))).as(when).isNotEmpty();
            Path dir = Files.createDirectories(tmp.resolve("bad" + n++));
            Files.writeString(dir.resolve("p.veil.yaml"), text);
            assertThatThrownBy(() -> PolicyBundle.load(dir)).as(when).isInstanceOf(PolicyLoadException.class);
        }
        for (String[] blank : new String[][] {{"name: conditions", "name: \"\\u00a0\""},
                {"id: vip", "id: \"\\u2003\""}}) {
            String text = policy.replace("WHEN", "roles: [a]").replace(blank[0], blank[1]);
            assertThat(validate(YAML.readTree(text))).as(blank[1]).isNotEmpty();
            Path dir = Files.createDirectories(tmp.resolve("blank" + n++));
            Files.writeString(dir.resolve("p.veil.yaml"), text);
            assertThatThrownBy(() -> PolicyBundle.load(dir)).as(blank[1]).isInstanceOf(PolicyLoadException.class);
        }
    }

    /**
     * What the engine refuses inside one object, the schema refuses too where JSON Schema can say it
     * (the rest is listed in docs/policy-reference.md section 11); each case next to one both accept.
     */
    @Test
    void whatTheEngineRefusesInsideOneObjectTheSchemaRefuses() throws IOException {
        String base = """
                veil: 1
                name: one-object
                authentication: { anonymous: true }
                access: { default: { effect: allow } }
                validation: { default: { shape: [784], range: { min: 0, max: 1 } } }
                output: { default: { form: label_only } }
                """;
        String noise = "noise: { mechanism: laplace, epsilon: 0.5 }";
        String[][] cases = { // {section, refused, accepted}
            {"output", "degraded: { form: full, round: 0.1 }", "degraded: { form: label_only, round: 0.1 }"},
            {"output", "degraded: { form: top_k, top_k: 1 }", "degraded: { form: label_only }"},
            {"output", "degraded: { form: label_only, " + noise + " }",
                "degraded: { form: label_only, " + noise + ", allow_label_change: true }"},
            {"output", "default: { form: label_only, " + noise + ", allow_label_change: false }",
                "default: { form: top_k, top_k: 2, " + noise + " }"},
            {"detectors", "knn: { low: 0, medium: 0, high: 0 }", "knn: { low: 0, medium: 0 }"},
            {"detectors", "class_focus: { low: 0, medium: 0, high: 0 }", "class_focus: { low: 0 }"},
            {"detectors", "near_duplicate: { low: 0, medium: 0, high: 0 }", "near_duplicate: { high: 30 }"},
            {"detectors", "boundary: { low: 0, medium: 0, high: 0 }", "boundary: { low: 0, medium: 0 }"},
            {"detectors", "extraction: { low: 0, medium: 0, delta: 0 }", "extraction: { low: 0, medium: 0 }"},
            {"detectors", "knn: { history: 10 }", "knn: { history: 20 }"},
            {"detectors", "knn: { min_history: 21 }", "knn: { min_history: 20 }"},
            {"detectors", "extraction: { max_distances: 99 }", "extraction: { min_distances: 20, max_distances: 20 }"},
            {"detectors", "antithetic: { history: 4 }", "antithetic: { history: 4, matches: 1 }"},
            {"detectors", "antithetic: { gap: 5 }", "antithetic: { gap: 4 }"},
            {"detectors", "antithetic: { matches: 3 }", "antithetic: { matches: 3, history: 8 }"},
            {"detectors", "knn: { pool: 2 }", "knn: { pool: 2, width: 28 }"},
            {"detectors", "knn_global: { width: 28 }", "knn_global: { pool: 4, width: 28 }"},
            {"detectors", "antithetic: { pool: 1, width: 28 }", "antithetic: { pool: 1 }"},
            // a key against another key's default, the other key left out
            {"detectors", "extraction: { delta: 0 }", "extraction: { low: 0.5, delta: 0 }"},
            {"detectors", "extraction: { medium: 0, delta: 0 }", "extraction: { medium: 0.5, delta: 0 }"},
            {"detectors", "knn: { k: 1000 }", "knn: { k: 1000, history: 1000 }"},
            {"detectors", "knn: { k: 101 }", "knn: { k: 100 }"},
            {"detectors", "near_duplicate: { keep: 1 }", "near_duplicate: { keep: 1, low: 1, medium: 0, high: 0 }"},
            {"detectors", "near_duplicate: { keep: 29 }", "near_duplicate: { keep: 30 }"},
            {"detectors", "near_duplicate: { keep: 25, high: 25 }", "near_duplicate: { keep: 26, high: 26 }"},
            {"detectors", "near_duplicate: { high: 51 }", "near_duplicate: { high: 50 }"},
            {"detectors", "boundary: { min_queries: 1000 }", "boundary: { min_queries: 1000, window: 1000 }"},
            {"detectors", "boundary: { min_queries: 21 }", "boundary: { min_queries: 20 }"},
            {"detectors", "class_focus: { min_queries: 1000 }", "class_focus: { min_queries: 1000, window: 1000 }"},
            {"detectors", "class_focus: { min_queries: 51 }", "class_focus: { min_queries: 50 }"},
            {"detectors", "confidence_climb: { min_points: 256 }",
                "confidence_climb: { min_points: 256, window: 256 }"},
            {"detectors", "confidence_climb: { min_points: 49 }", "confidence_climb: { min_points: 48 }"},
            {"detectors", "antithetic: { min_changed: 784 }", "antithetic: { min_changed: 784, features: 784 }"},
            {"detectors", "antithetic: { min_changed: 257 }", "antithetic: { min_changed: 256 }"},
            {"detectors", "knn: { seed: 99999999999999999999 }", "knn: { seed: 9223372036854775807 }"},
            {"detectors", "near_duplicate: { seed: -9223372036854775809 }",
                "near_duplicate: { seed: -9223372036854775808 }"},
        };
        int n = 0;
        for (String[] c : cases) {
            for (int i = 1; i <= 2; i++) {
                String release = c[i].startsWith("default") ? c[i] : "default: { form: label_only }, " + c[i];
                String policy = c[0].equals("output")
                        ? base.replace("output: { default: { form: label_only } }",
                                "output: { " + release + ", privacy: { per_caller_epsilon: 10 } }")
                        : base + "monitoring: { detectors: { " + c[i] + " } }\n";
                boolean refused = i == 1;
                assertThat(validate(YAML.readTree(policy)).isEmpty()).as("schema on %s", c[i]).isEqualTo(!refused);
                Path dir = Files.createDirectories(tmp.resolve("case" + n++));
                Files.writeString(dir.resolve("p.veil.yaml"), policy);
                boolean loads;
                try {
                    PolicyBundle.load(dir);
                    loads = true;
                } catch (PolicyLoadException e) {
                    loads = false;
                }
                assertThat(loads).as("engine on %s", c[i]).isEqualTo(!refused);
            }
        }
    }

    /** A rule turns off the default's noise and reverse sigmoid with none; the default cannot use it. */
    @Test
    void aRulesNoneForNoiseAndReverseSigmoidValidatesAndLoads() throws IOException {
        String policy = """
                veil: 1
                name: none-in-a-rule
                authentication: { anonymous: true }
                access: { default: { effect: allow } }
                validation: { default: { shape: [2] } }
                output:
                  default: { form: top_k, top_k: 2, noise: { mechanism: laplace, epsilon: 0.5 },
                             reverse_sigmoid: { beta: 0.5, gamma: 0.2 } }
                  privacy: { per_caller_epsilon: 10 }
                  rules:
                    - { id: plain, when: { roles: [research] }, release: { noise: none, reverse_sigmoid: none } }
                """;
        assertThat(validate(YAML.readTree(policy))).isEmpty();
        Path dir = Files.createDirectories(tmp.resolve("none"));
        Files.writeString(dir.resolve("none.veil.yaml"), policy);
        assertThat(PolicyBundle.load(dir).name()).isEqualTo("none-in-a-rule");

        ObjectNode inDefault = (ObjectNode) YAML.readTree(policy);
        ((ObjectNode) inDefault.get("output").get("default")).put("noise", "none");
        assertThat(validate(inDefault)).as("none in output.default").isNotEmpty();
        ObjectNode other = (ObjectNode) YAML.readTree(policy);
        ((ObjectNode) other.get("output").get("rules").get(0).get("release")).put("noise", "off");
        assertThat(validate(other)).as("a word other than none").isNotEmpty();
        ObjectNode noBudget = (ObjectNode) YAML.readTree(policy);
        ((ObjectNode) noBudget.get("output").get("default")).remove("noise");
        ((ObjectNode) noBudget.get("output")).remove("privacy");
        assertThat(validate(noBudget)).as("noise: none needs no output.privacy").isEmpty();
    }
}
