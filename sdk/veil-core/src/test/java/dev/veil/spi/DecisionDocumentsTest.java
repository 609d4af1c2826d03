package dev.veil.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.policy.Documents;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

class DecisionDocumentsTest {
    static final String POLICY = """
            veil: 1
            name: docs
            authentication: { api_keys: { file: keys.json }, anonymous: true }
            model:
              default: { max_age_days: 100, on_stale: degrade }
              rules:
                - { id: partners, when: { tenants: [partner] }, max_age_days: 30, on_stale: deny }
            access:
              default: { effect: deny }
              rules:
                - { id: banned, when: { callers: [mallory] }, effect: deny, message: "mallory is banned" }
                - id: analysts
                  when: { roles: [analyst] }
                  effect: allow
                  rate_limit: { per_second: 2.5, burst: 10 }
                  daily_quota: 1000
                - { id: partners, when: { tenants: [partner] }, effect: allow, rate_limit: { per_second: 3 } }
            validation:
              default:
                shape: [4]
                range: { min: 0, max: 1 }
                max_payload_bytes: 4096
                distribution: { stats: training.stats, max_rms_z: 4 }
              rules:
                - id: named
                  when: { roles: [research] }
                  contract:
                    shape: []
                    range: {}
                    features: { age: { min: 0, max: 120 }, income: { required: false } }
                    cross_field: [ { id: adult, expr: "age >= 18" } ]
                    distribution: { enabled: false }
                - id: partners
                  when: { tenants: [partner] }
                  contract: { distribution: { summary: false, max_abs_z: 6, std_floor: 0.1 } }
            monitoring:
              detectors:
                rate: { window_seconds: 60, low: 10, medium: 20, high: 30 }
              rules:
                - { id: alert-busy, when: { signals: { rate: low } }, action: alert }
                - { id: throttle-busy, when: { signals: { rate: medium } }, action: throttle, cooldown_seconds: 60,
                    throttle_per_second: 0.5 }
                - { id: block-flood, when: { signals: { rate: high } }, action: block, cooldown_seconds: 600 }
            output:
              default: { form: top_k, top_k: 3, round: 0.05 }
              privacy: { per_caller_epsilon: 10 }
              rules:
                - { id: research-full, when: { roles: [research] }, release: { form: full, round: 0.01 } }
                - id: near-boundary
                  when: { margin: { lt: 0.1 } }
                  release: { noise: { mechanism: laplace, epsilon: 0.5 }, reverse_sigmoid: { beta: 0.3, gamma: 0.7 } }
            logging:
              rules:
                - { id: partners, when: { tenants: [partner] }, logging: { input: mask, caller: digest } }
            """;
    static final String STATS = """
            {"stats": {"mean": [0.5, 0.5, 0.5, 0.5], "std": [0.2, 0.2, 0.2, 0.2],
                       "summary": {"mean": [0.1, 0.9], "std": [0.01, 0.5], "roughness": [0.0, 0.6]},
                       "samples": 100}}
            """;

    static PolicyBundle bundle;
    static DecisionDocuments reader;

    @BeforeAll
    static void load(@TempDir Path dir) throws IOException {
        write(dir, "docs.veil.yaml", POLICY);
        write(dir, "keys.json", "{\"keys\": []}");
        write(dir, "training/data.json", STATS);
        bundle = PolicyBundle.load(dir);
        reader = new DecisionDocuments(bundle.contents());
    }

    static void write(Path dir, String file, String text) {
        try {
            Files.createDirectories(dir.resolve(file).getParent());
            Files.writeString(dir.resolve(file), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Gen<Map<String, Object>> inputs() {
        Gen<String> id = Generate.pick(List.of("alice", "mallory", "p1"));
        Gen<List<String>> roles = Generate.pick(List.of(List.of(), List.of("analyst"), List.of("research"),
                List.of("analyst", "research")));
        Gen<String> tenant = Generate.pick(List.of("", "acme", "partner"));
        Gen<String> level = Generate.pick(List.of("none", "low", "medium", "high"));
        Gen<Double> margin = SourceDSL.doubles().between(0, 1);
        Gen<Double> age = SourceDSL.doubles().between(0, 200);
        return id.zip(roles, tenant, (i, r, t) -> new Object[] {i, r, t}).zip(level, margin, age, (a, l, m, g) -> {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("caller", Map.of("id", a[0], "method", "api_key", "roles", a[1], "tenant", a[2]));
            doc.put("model", Map.of("age_days", g));
            doc.put("signals", Map.of("rate", Map.of("level", l, "score", 1.0)));
            doc.put("prediction", Map.of("top_label", "cat", "top_score", 0.6, "margin", m, "entropy", 1.0,
                    "classes", 3));
            return doc;
        });
    }

    @Test
    void everyDecisionTheYamlEngineWritesReadsBackToTheSameDocument() {
        qt().withExamples(150).forAll(inputs()).checkAssert(in -> {
            Map<String, Object> all = bundle.evaluate(in);
            assertThat(Documents.access(reader.access(all.get("access")))).isEqualTo(all.get("access"));
            assertThat(Documents.validation(reader.validation(all.get("validation")))).isEqualTo(all.get("validation"));
            assertThat(Documents.monitoring(reader.monitoring(all.get("monitoring")))).isEqualTo(all.get("monitoring"));
            assertThat(Documents.model(reader.model(all.get("model")))).isEqualTo(all.get("model"));
            assertThat(Documents.output(reader.output(all.get("output")))).isEqualTo(all.get("output"));
            assertThat(Documents.logging(reader.logging(all.get("logging")))).isEqualTo(all.get("logging"));
        });
    }

    @Test
    void equalValidationDocumentsGiveTheSameContractInstance() {
        Map<String, Object> doc = bundle.evaluate(Map.of());
        Object v = copy(doc.get("validation"));
        assertThat(reader.validation(v).contract()).isSameAs(reader.validation(copy(v)).contract());
        assertThat(reader.validation(v).contract().distribution().stats()).isEqualTo("training.stats");
    }

    /**
     * An input document's numbers must be finite: JSON (and so the Rego engine) cannot hold NaN or
     * an infinity, and an infinite model age was stale for the YAML engine and fresh for Rego
     * (found by policies' ImageClassifierTwinFuzzTest).
     */
    @Test
    void inputDocumentNumbersMustBeFinite() {
        for (double v : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            assertThatThrownBy(() -> bundle.evaluate(Map.of("model", Map.of("age_days", v))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("model.age_days must be a finite number, was " + v);
            assertThatThrownBy(() -> bundle.evaluate(Map.of("signals", Map.of("rate", Map.of("score", v)))))
                    .hasMessage("signals.rate.score must be a finite number, was " + v);
            assertThatThrownBy(() -> bundle.evaluate(Map.of("prediction", Map.of("margin", v))))
                    .hasMessage("prediction.margin must be a finite number, was " + v);
        }
        assertThat(bundle.evaluate(Map.of("model", Map.of("age_days", Double.MAX_VALUE)))).containsKey("model");
    }

    /** A deep copy of a JSON-like document. */
    static Object copy(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> c = new LinkedHashMap<>();
            m.forEach((k, v) -> c.put((String) k, copy(v)));
            return c;
        }
        if (o instanceof List<?> l) {
            List<Object> c = new ArrayList<>();
            l.forEach(e -> c.add(copy(e)));
            return c;
        }
        return o;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> edited(String question, Map<String, Object> input, Consumer<Map<String, Object>> change) {
        Map<String, Object> d = (Map<String, Object>) copy(bundle.evaluate(input).get(question));
        change.accept(d);
        return d;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> at(Map<String, Object> d, String key) {
        return (Map<String, Object>) d.get(key);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> first(Map<String, Object> d, String key) {
        return (Map<String, Object>) ((List<?>) d.get(key)).get(0);
    }

    static final Map<String, Object> ANALYST =
            Map.of("caller", Map.of("id", "alice", "method", "api_key", "roles", List.of("analyst")));

    @Test
    void accessErrorsNameTheFieldAndWhatWasExpected() {
        assertThatThrownBy(() -> reader.access(edited("access", ANALYST, d -> d.remove("message"))))
                .hasMessage("access decision: missing field 'message' (every field is required; null where the "
                        + "reference allows it)");
        assertThatThrownBy(() -> reader.access(edited("access", ANALYST, d -> d.put("alow", true))))
                .hasMessage("access decision: unknown field 'alow' (fields: allow, rule, message, rate_limit, "
                        + "daily_quota)");
        assertThatThrownBy(() -> reader.access(edited("access", ANALYST, d -> d.put("allow", "true"))))
                .hasMessage("access decision: allow: expected true or false, was \"true\"");
        assertThatThrownBy(() -> reader.access(edited("access", ANALYST, d -> at(d, "rate_limit").put("burst", 2.5))))
                .hasMessage("access decision: rate_limit.burst: expected an integer >= 1, was 2.5");
        assertThatThrownBy(() -> reader.access(edited("access", ANALYST, d -> at(d, "rate_limit").put("per_second", 0))))
                .hasMessage("access decision: rate_limit.per_second: expected a number > 0, was 0");
        assertThatThrownBy(() -> reader.access(edited("access", ANALYST, d -> {
            at(d, "rate_limit").put("per_second", 0.000001);
            at(d, "rate_limit").put("burst", 100);
        }))).hasMessage("access decision: rate_limit: a bucket of burst 100 at per_second 1.0E-6 takes 1157 days to"
                + " refill, longer than the 366 days a rate limit may take: per_second must be at least burst /"
                + " 31622400 (0.00000317 for burst 100); raise per_second or lower burst");
        assertThatThrownBy(() -> reader.access(edited("access", ANALYST, d -> {
            at(d, "rate_limit").put("per_second", 2e9);
            at(d, "rate_limit").put("burst", 1);
        }))).hasMessage("access decision: rate_limit: per_second 2.0E9 is faster than one request a nanosecond, the"
                + " fastest a rate limit can be counted at (the in-memory state store's Bucket4j refills at most one"
                + " token a nanosecond): per_second must be at most 1e9 (1000000000); lower it");
        assertThatThrownBy(() -> reader.access(edited("access", ANALYST, d -> d.put("daily_quota", -1))))
                .hasMessage("access decision: daily_quota: expected an integer >= 0, was -1");
        assertThatThrownBy(() -> reader.access(edited("access", Map.of(), d -> d.put("daily_quota", 5))))
                .hasMessage("access decision: daily_quota: must be 0 when allow is false");
        assertThatThrownBy(() -> reader.access(List.of()))
                .hasMessage("access decision: expected an object, was a list");
        assertThatThrownBy(() -> reader.access(null))
                .hasMessage("access decision: expected an object, was null");
        // JSON has one number type: 10.0 is the integer 10.
        assertThat(reader.access(edited("access", ANALYST, d -> d.put("daily_quota", new BigDecimal("10.0"))))
                .dailyQuota()).isEqualTo(10);
    }

    @Test
    void validationErrorsNameTheFieldAndWhatWasExpected() {
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(),
                d -> at(at(d, "contract"), "distribution").put("stats", "training.missing"))))
                .hasMessage("validation decision: contract.distribution.stats: no value at data path "
                        + "'training.missing' in the bundle's data (revision ''); data.training holds [stats]. Data "
                        + "comes from files named data.json or data.yaml, placed by their directory: training/data.json "
                        + "holds data.training");
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(),
                d -> at(at(d, "contract"), "distribution").put("features", 5))))
                .hasMessage("validation decision: contract.distribution.features: the statistics at data path "
                        + "'training.stats' have 4 features, was 5");
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(),
                d -> at(d, "contract").put("shape", List.of(5)))))
                .hasMessage("validation decision: contract.distribution.features: the statistics have 4 features but "
                        + "the shape [5] has 5");
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(),
                d -> at(at(d, "contract"), "distribution").put("summary", List.of("mean", "median")))))
                .hasMessage("validation decision: contract.distribution.summary[1]: expected one of mean, roughness, "
                        + "std (each once), was \"median\"");
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(),
                d -> at(d, "contract").put("shape", List.of(0)))))
                .hasMessage("validation decision: contract.shape[0]: expected an integer >= 1 and <= 2147483647, was 0");
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(), d -> at(d, "contract").put("min", 2))))
                .hasMessage("validation decision: contract.max: must be >= min (2), was 1");
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(),
                d -> at(d, "contract").put("cross_field", List.of(Map.of("id", "x", "expr", "age >="))))))
                .hasMessageStartingWith("validation decision: contract.cross_field: ");
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(),
                d -> at(d, "contract").put("features", Map.of("age", Map.of("required", true, "min", 0))))))
                .hasMessage("validation decision: contract.features.age: missing field 'max' (every field is required; "
                        + "null where the reference allows it)");
        Map<String, Object> five = new java.util.LinkedHashMap<>();
        for (String f : List.of("a", "b", "c", "d", "e")) {
            five.put(f, Map.of("required", true, "min", 0, "max", 1));
        }
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(),
                d -> at(d, "contract").put("features", five))))
                .hasMessage("validation decision: contract.features: 5 features must be in every request (5 required "
                        + "[a, b, c, d, e]) but the shape [4] holds 4 values: no request can carry them all; make some "
                        + "optional (required: false) or fix the shape");
        Map<String, Object> oneOptional = new java.util.LinkedHashMap<>();
        for (String f : List.of("a", "b", "c", "d")) {
            oneOptional.put(f, Map.of("required", !f.equals("c"), "min", 0, "max", 1));
        }
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(),
                d -> at(d, "contract").put("features", oneOptional))))
                .hasMessage("validation decision: contract.distribution: feature 'c' is optional (required: false) "
                        + "but the contract has a distribution check, which needs a value for every feature and refuses "
                        + "every request without one; make the feature required, or turn the distribution check off");
        // The YAML loader refuses an optional feature a rule reads at the contract's cross_field; so does the reader.
        Map<String, Object> research = Map.of("caller", Map.of("id", "r", "method", "api_key", "roles",
                List.of("research")));
        assertThatThrownBy(() -> reader.validation(edited("validation", research, d -> at(d, "contract")
                .put("cross_field", List.of(Map.of("id", "adult", "expr", "age >= 18"),
                        Map.of("id", "earns", "expr", "income > 0"))))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("validation decision: contract.cross_field: feature 'income' is optional (required: false) "
                        + "but cross_field rule 'earns' reads it, and a rule refuses every request without a feature it "
                        + "reads; make the feature required, or leave it out of the rule");
        assertThat(reader.validation(edited("validation", research, d -> { })).contract().crossField()).hasSize(1);
    }

    /** The rule id is what the audit record and the reasons show: every question's is refused when blank. */
    @Test
    void aBlankRuleIdIsRefusedInEveryQuestion() {
        String expected = ": expected a rule id, a non-blank string (white space alone, no-break spaces included, "
                + "is blank), was ";
        for (String blank : List.of("", " ", "\u00a0\t")) {
            String shown = "\"" + blank + "\"";
            assertThatThrownBy(() -> reader.access(edited("access", ANALYST, d -> d.put("rule", blank))))
                    .hasMessage("access decision: rule" + expected + shown);
            assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(), d -> d.put("rule", blank))))
                    .hasMessage("validation decision: rule" + expected + shown);
            assertThatThrownBy(() -> reader.monitoring(Map.of("actions", List.of(Map.of("action", "alert", "rule",
                    blank, "signal", "rate", "cooldown_seconds", 0, "throttle_per_second", 0)))))
                    .hasMessage("monitoring decision: actions[0].rule" + expected + shown);
            assertThatThrownBy(() -> reader.model(edited("model", Map.of(), d -> d.put("rule", blank))))
                    .hasMessage("model decision: rule" + expected + shown);
            assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> d.put("rule", blank))))
                    .hasMessage("output decision: rule" + expected + shown);
            assertThatThrownBy(() -> reader.logging(edited("logging", Map.of(), d -> d.put("rule", blank))))
                    .hasMessage("logging decision: rule" + expected + shown);
        }
        assertThat(reader.access(edited("access", ANALYST, d -> d.put("rule", " x "))).rule()).isEqualTo(" x ");
    }

    @Test
    void monitoringModelOutputAndLoggingErrorsNameTheField() {
        Map<String, Object> busy = Map.of("signals", Map.of("rate", Map.of("level", "high", "score", 40)));
        assertThatThrownBy(() -> reader.monitoring(Map.of("actions", List.of(Map.of("action", "block", "rule", "r",
                "signal", "rate", "cooldown_seconds", 0, "throttle_per_second", 0)))))
                .hasMessage("monitoring decision: actions[0].cooldown_seconds: expected an integer >= 1 for block, was 0");
        assertThatThrownBy(() -> reader.monitoring(Map.of("actions", List.of(Map.of("action", "alert", "rule", "r",
                "signal", "rate", "cooldown_seconds", 0, "throttle_per_second", 1)))))
                .hasMessage("monitoring decision: actions[0].throttle_per_second: must be 0 for alert (only throttle "
                        + "takes it), was 1");
        // A throttle the limiters cannot count (its one token refills in more than 366 days) fails here, naming
        // the field, not when the Guard applies it.
        assertThatThrownBy(() -> reader.monitoring(Map.of("actions", List.of(Map.of("action", "throttle", "rule", "r",
                "signal", "rate", "cooldown_seconds", 60, "throttle_per_second", 0.00000001)))))
                .hasMessage("monitoring decision: actions[0].throttle_per_second: a throttle at throttle_per_second"
                        + " 1.0E-8 lets one request through every 1157 days, longer than the 366 days a throttle's bucket"
                        + " may take to refill: throttle_per_second must be at least 1 / 31622400 (0.0000000317); raise"
                        + " throttle_per_second, or use action: block to refuse the caller for the cool-down");
        assertThatThrownBy(() -> reader.monitoring(Map.of("actions", List.of(Map.of("action", "throttle", "rule", "r",
                "signal", "rate", "cooldown_seconds", 60, "throttle_per_second", 2e9)))))
                .hasMessage("monitoring decision: actions[0].throttle_per_second: throttle_per_second 2.0E9 is faster"
                        + " than one request a nanosecond, the fastest a throttle can be counted at (the in-memory state"
                        + " store's Bucket4j refills at most one token a nanosecond): throttle_per_second must be at"
                        + " most 1e9 (1000000000); lower it");
        assertThatThrownBy(() -> reader.monitoring(edited("monitoring", busy,
                d -> first(d, "actions").put("action", "BLOCK"))))
                .hasMessage("monitoring decision: actions[0].action: expected one of alert, throttle, degrade, block, "
                        + "was \"BLOCK\"");
        // One action per matching rule, as the YAML engine's documents (rule ids are unique in a section):
        // a rule twice, say an alert and a block, would leave the audit record's rules ambiguous.
        Map<String, Object> alert = Map.of("action", "alert", "rule", "busy", "signal", "rate", "cooldown_seconds", 0,
                "throttle_per_second", 0);
        Map<String, Object> block = Map.of("action", "block", "rule", "busy", "signal", "rate", "cooldown_seconds", 60,
                "throttle_per_second", 0);
        assertThatThrownBy(() -> reader.monitoring(Map.of("actions", List.of(alert, block))))
                .hasMessage("monitoring decision: actions[1].rule: duplicate rule 'busy' (actions[0] has it too): one "
                        + "action per matching rule");
        assertThatThrownBy(() -> reader.model(Map.of("rule", "r", "stale", false, "action", "ignore")))
                .hasMessage("model decision: action: expected one of deny, degrade, alert, was \"ignore\"");
        assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> at(d, "release").put("round", 2e15))))
                .hasMessage("output decision: release.round: expected a number in [0, 1.0E15] (0 = no rounding; above 1 "
                        + "for a regression's value only), was 2.0E15");
        assertThat(reader.output(edited("output", Map.of(), d -> at(d, "release").put("round", 1000))).release().round())
                .as("a regression's step").isEqualTo(1000);
        assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> at(d, "release").put("round", 1e-310))))
                .hasMessage("output decision: release.round: expected 0 (no rounding) or a number of at least 1.0E-12,"
                        + " was 1.0E-310: a finer step moves a score by less than 5e-13, which hides nothing (a model's"
                        + " float32 scores carry about 7 significant digits), and near the smallest doubles 1 / step"
                        + " overflows");
        // A number of an engine with exact decimals (Rego) too close to 0 for a double is not read as 0: a round
        // of 1e-400 would be "no rounding", a max_abs_z of 1e-400 no per-feature check.
        assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> at(d, "release").put("round",
                new java.math.BigDecimal("1e-400")))))
                .hasMessage("output decision: release.round: expected a number, was 1E-400: it is too close to 0 for a "
                        + "double (4.9E-324 is the smallest) and would be read as 0; write 0, or a number a double holds");
        assertThatThrownBy(() -> reader.validation(edited("validation", Map.of(), d -> at(at(d, "contract"),
                "distribution").put("max_abs_z", new java.math.BigDecimal("-1e-400")))))
                .hasMessageStartingWith("validation decision: contract.distribution.max_abs_z: expected a number, was "
                        + "-1E-400: it is too close to 0");
        assertThat(reader.output(edited("output", Map.of(), d -> at(d, "release").put("round",
                new java.math.BigDecimal("0E-400")))).release().round()).isZero();
        assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> at(d, "release").put("top_k", 0))))
                .hasMessage("output decision: release.top_k: expected an integer >= 1 when form is top_k, was 0");
        assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> at(d, "release").put("noise",
                Map.of("mechanism", "laplace", "epsilon", 1, "delta", 0.1, "sensitivity", 2)))))
                .hasMessage("output decision: release.noise: noise.delta must be 0 for laplace, was 0.1");
        // bounds: the one optional field (absent or null: none); two numbers, lower < upper
        java.util.function.Function<Object, Map<String, Object>> noiseWith = b -> {
            Map<String, Object> n = new java.util.HashMap<>(Map.of("mechanism", "laplace", "epsilon", 1, "delta", 0,
                    "sensitivity", 0));
            n.put("bounds", b);
            return n;
        };
        assertThat(reader.output(edited("output", Map.of(), d -> at(d, "release").put("noise", noiseWith.apply(
                List.of(0, new java.math.BigDecimal("2500.5")))))).release().noise())
                .isEqualTo(new ReleaseSpec.Noise(ReleaseSpec.Noise.Mechanism.LAPLACE, 1, 0, 0,
                        new ReleaseSpec.Noise.Bounds(0, 2500.5)));
        assertThat(reader.output(edited("output", Map.of(), d -> at(d, "release").put("noise", noiseWith.apply(null))))
                .release().noise().bounds()).isNull();
        assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> at(d, "release").put("noise",
                noiseWith.apply(List.of(1, 2, 3))))))
                .hasMessage("output decision: release.noise.bounds: expected two numbers [lower, upper] or null, was a "
                        + "list of 3");
        assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> at(d, "release").put("noise",
                noiseWith.apply(List.of(1, "2"))))))
                .hasMessage("output decision: release.noise.bounds[1]: expected a number, was \"2\"");
        assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> at(d, "release").put("noise",
                noiseWith.apply(List.of(3, 1))))))
                .hasMessage("output decision: release.noise.bounds: noise.bounds must be two finite numbers [lower, "
                        + "upper] with lower < upper and upper - lower finite, was [3.0, 1.0]");
        assertThatThrownBy(() -> reader.output(edited("output", Map.of(), d -> at(d, "release").put("noise",
                noiseWith.apply(7)))))
                .hasMessage("output decision: release.noise.bounds: expected a list, was 7");
        assertThatThrownBy(() -> reader.logging(Map.of("rule", "r", "input", "hash", "output", "keep", "raw", "keep",
                "caller", "keep")))
                .hasMessage("logging decision: input: expected one of keep, mask, digest, was \"hash\"");
    }

    // ---------------------------------------------------------------- settings

    static final String SETTINGS_FILE = "veil/settings/data.yaml";

    static PolicyLoadException settingsError(Path dir, String yaml) {
        write(dir, SETTINGS_FILE, yaml);
        write(dir, "keys.json", "{\"keys\": []}");
        Bundle b = PolicyBundle.read(dir);
        try {
            new DecisionDocuments(b).settings(b.data("veil.settings"), SETTINGS_FILE);
        } catch (PolicyLoadException e) {
            return e;
        }
        throw new AssertionError("settings accepted: " + yaml);
    }

    @Test
    void settingsReadTheKeysOfAPolicyFile(@TempDir Path dir) {
        write(dir, SETTINGS_FILE, """
                name: twin
                on_error: degrade
                authentication: { api_keys: { file: keys.json } }
                monitoring: { detectors: { rate: { window_seconds: 60, low: 10, medium: 20, high: 30 } } }
                output:
                  degraded: { form: label_only, round: 0.1 }
                  privacy: { per_caller_epsilon: 5, on_exhausted: degrade }
                """);
        write(dir, "keys.json", "{\"keys\": []}");
        Bundle b = PolicyBundle.read(dir);
        GuardSettings s = new DecisionDocuments(b).settings(b.data("veil.settings"), SETTINGS_FILE);
        assertThat(s.name()).isEqualTo("twin");
        assertThat(s.onError()).isEqualTo(GuardSettings.OnError.DEGRADE);
        assertThat(s.authentication().apiKeys().file()).isEqualTo("keys.json");
        assertThat(s.detectors()).containsOnlyKeys("rate");
        assertThat(s.degradedRelease()).isEqualTo(new ReleaseSpec(ReleaseSpec.Form.LABEL_ONLY, 0, 0.1, 0, null, null, false));
        assertThat(s.privacy().onExhausted()).isEqualTo(GuardSettings.PrivacyBudget.OnExhausted.DEGRADE);
    }

    @Test
    void settingsErrorsAreTheYamlEnginesWithTheirPosition(@TempDir Path dir) {
        assertThat(settingsError(dir, "name: x\non_error: explode\nauthentication: {anonymous: true}\n").errors())
                .containsExactly(new PolicyError(SETTINGS_FILE, 2, 1,
                        "on_error: invalid value 'explode': expected one of deny, degrade"));
        assertThat(settingsError(dir, "name: x\nauthentication: {anonymous: true}\naccess: {}\n").getMessage())
                .contains(SETTINGS_FILE + ":3:1: unknown key 'access' (known keys: authentication, description, "
                        + "monitoring, name, on_error, on_state_unavailable, output)");
        assertThat(settingsError(dir, "name: x\nauthentication: {}\n").errors())
                .containsExactly(new PolicyError(SETTINGS_FILE, 2, 1, "authentication: configure at least one of "
                        + "api_keys, jwt or anonymous: true (nobody could pass this policy)"));
        assertThat(settingsError(dir, "name: x\nauthentication:\n  api_keys: {file: nope.json}\n").errors())
                .containsExactly(new PolicyError(SETTINGS_FILE, 3, 14,
                        "authentication.api_keys.file: file 'nope.json' is not in the bundle; paths are relative to the "
                        + "bundle's root, with / separators and without ./, / or ..; the bundle's files closest to the "
                        + "name: [keys.json, veil/settings/data.yaml]"));
        assertThat(settingsError(dir, "name: x\nauthentication: {anonymous: true}\ndescription: ~\n").errors())
                .containsExactly(new PolicyError(SETTINGS_FILE, 3, 1,
                        "description: must not be null (nothing after the colon): give a value or leave the key out"));
        assertThat(settingsError(dir, "authentication: {anonymous: true}\n").getMessage())
                .contains("missing required key 'name'");
        assertThat(settingsError(dir, "name: x\nauthentication: {anonymous: true}\noutput: {degraded: {form: full}}\n")
                .getMessage()).contains("output.degraded: output.degraded must be the most minimised release, form: "
                        + "label_only (with round for a regression's value), was form: full");
        assertThat(settingsError(dir, "name: x\nauthentication: {anonymous: true}\noutput: {degraded: {form: top_k, "
                + "top_k: 1, round: 0.5}}\n").getMessage()).contains("output.degraded must be the most minimised release");
        assertThat(settingsError(dir, "name: x\nauthentication: {anonymous: true}\noutput: {degraded: {form: label_only, "
                + "noise: {mechanism: laplace, epsilon: 1}}, privacy: {per_caller_epsilon: 5}}\n").getMessage())
                .contains("noise on a label_only release needs allow_label_change: true");
        assertThat(settingsError(dir, "name: x\nauthentication: {anonymous: true}\nmonitoring: {detectors: {rate: "
                + "{window_seconds: 60, low: 30, medium: 20, high: 10}}}\n").getMessage())
                .contains("monitoring.detectors.rate: ");
    }

    @Test
    void settingsThatAreNotAMappingAreRefused(@TempDir Path dir) {
        Bundle b = PolicyBundle.read(dir);
        assertThatThrownBy(() -> new DecisionDocuments(b).settings(null, SETTINGS_FILE))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining(SETTINGS_FILE + ": the settings must be a mapping with at least name and "
                        + "authentication, was nothing");
    }
}
